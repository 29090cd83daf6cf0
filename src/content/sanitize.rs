//! Remote HTML (a Note's `content`, a profile's `summary`) cut down to what Mastodon keeps:
//! its `MASTODON_STRICT` sanitiser configuration, so clients see what they would from Mastodon.
use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use ammonia::{Builder, UrlRelative};

/// Schemes a link may use; any other link (and a relative one) is replaced by its text.
const LINK_SCHEMES: [&str; 11] = ["http", "https", "dat", "dweb", "ipfs", "ipns", "ssb", "gopher", "xmpp", "magnet", "gemini"];

const TAGS: [&str; 26] = [
    "p", "br", "span", "a", "del", "s", "pre", "blockquote", "code", "b", "strong", "u", "i", "em", "ul", "ol", "li",
    "ruby", "rt", "rp", // kept by Mastodon since 4.3 for East Asian annotations
    "h1", "h2", "h3", "h4", "h5", "h6", // become <p><strong>, as Mastodon does, after cleaning
];

/// Block elements that are unwrapped with a space on each side (Sanitize's
/// `whitespace_elements`), so `<div>one</div><div>two</div>` does not read "onetwo". Ammonia
/// keeps them through cleaning; `restructure` swaps them for the spaces.
const SPACED_BLOCKS: [&str; 13] =
    ["address", "article", "aside", "dd", "div", "dl", "dt", "footer", "header", "hgroup", "hr", "nav", "section"];

/// Elements removed with everything inside (Sanitize's defaults, which Mastodon inherits):
/// their text is code, markup or a fallback, never prose.
const DROPPED_WITH_CONTENT: [&str; 10] =
    ["iframe", "math", "noembed", "noframes", "noscript", "plaintext", "script", "style", "svg", "xmp"];

fn builder() -> &'static Builder<'static> {
    static BUILDER: OnceLock<Builder<'static>> = OnceLock::new();
    BUILDER.get_or_init(|| {
        let attributes = HashMap::from([
            ("a", HashSet::from(["href", "class", "translate"])),
            ("span", HashSet::from(["class", "translate"])),
            ("ol", HashSet::from(["start", "reversed"])),
            ("li", HashSet::from(["value"])),
            ("p", HashSet::from(["class"])),
        ]);
        let mut builder = Builder::default();
        builder
            .tags(TAGS.into_iter().chain(SPACED_BLOCKS).collect())
            .clean_content_tags(HashSet::from(DROPPED_WITH_CONTENT))
            .tag_attributes(attributes)
            .generic_attributes(HashSet::from(["lang"]))
            .url_schemes(HashSet::from(LINK_SCHEMES))
            .url_relative(UrlRelative::Deny)
            .link_rel(Some("nofollow noopener"))
            .set_tag_attribute_value("a", "target", "_blank")
            .strip_comments(true)
            .attribute_filter(filter_attribute);
        builder
    })
}

fn filter_attribute<'u>(_element: &str, attribute: &str, value: &'u str) -> Option<Cow<'u, str>> {
    match attribute {
        "class" => {
            let kept: Vec<&str> = value.split_ascii_whitespace().filter(|c| allowed_class(c)).collect();
            (!kept.is_empty()).then(|| Cow::Owned(kept.join(" ")))
        }
        // Only the opt-out means anything to clients; Mastodon drops the rest.
        "translate" => (value == "no").then_some(Cow::Borrowed(value)),
        _ => Some(Cow::Borrowed(value)),
    }
}

/// Microformats (mentions are `h-card`/`u-url`), Mastodon's semantic and link-shortening
/// classes, and `quote-inline`, which clients hide when they show the quoted post themselves.
fn allowed_class(class: &str) -> bool {
    ["h-", "p-", "u-", "dt-", "e-"].iter().any(|prefix| class.starts_with(prefix))
        || ["mention", "hashtag", "ellipsis", "invisible", "quote-inline"].contains(&class)
}

/// Remote HTML reduced to Mastodon's allow-list. Links get `rel="nofollow noopener"` and
/// `target="_blank"`; a link whose URL is relative or of another scheme becomes its text;
/// headings become bold paragraphs; unknown elements are replaced by their content, except
/// scripts, styles, frames, SVG and MathML, which go entirely.
///
/// Input beyond `MAX_HTML_BYTES` is cut (the parser closes what the cut left open) and nesting
/// beyond `MAX_NESTING` is flattened first, so the cost stays linear in the input.
pub fn sanitize(html: &str) -> String {
    let cut = html.len() > MAX_HTML_BYTES;
    let mut html = &html[..html.floor_char_boundary(MAX_HTML_BYTES)];
    // A cut inside a tag would leave its `<` behind as text.
    if let Some(open) = html.rfind('<').filter(|&open| cut && !html[open..].contains('>')) {
        html = &html[..open];
    }
    restructure(&builder().clean(&super::nesting::bounded(html, MAX_NESTING)).to_string())
}

/// Remote HTML longer than this is cut before sanitizing: ten times the longest posts peers
/// allow by default (Misskey 3,000, Pleroma 5,000 characters), and well inside a Worker's CPU.
pub const MAX_HTML_BYTES: usize = 64 * 1024;
/// Mastodon stops parsing at 400 levels; nothing a peer writes nests anywhere near 32.
pub const MAX_NESTING: usize = 32;


/// One tag of ammonia's output: its name, whether it closes, and its attributes. Ammonia's
/// serialiser always double-quotes attribute values and escapes `"`, `<` and `>` inside them,
/// so this simple reading is exact.
struct Tag<'a> {
    name: &'a str,
    closing: bool,
    attributes: Vec<(&'a str, &'a str)>,
}

fn read_tag(tag: &str) -> Tag<'_> {
    let inner = tag.trim_start_matches('<').trim_end_matches('>');
    let (closing, inner) = match inner.strip_prefix('/') {
        Some(inner) => (true, inner),
        None => (false, inner),
    };
    let (name, mut rest) = inner.split_once(' ').unwrap_or((inner, ""));
    let mut attributes = Vec::new();
    while let Some((attribute, after)) = rest.trim_start().split_once("=\"") {
        let (value, after) = after.split_once('"').unwrap_or((after, ""));
        attributes.push((attribute, value));
        rest = after;
    }
    Tag { name, closing, attributes }
}

/// What ammonia cannot do itself: unwrap links that lost their `href` (Mastodon keeps their
/// text), turn headings into `<p><strong>` and replace spaced blocks by spaces.
fn restructure(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut kept_links: Vec<bool> = Vec::new();
    for token in tokens(html) {
        let raw = match token {
            Token::Text(text) => {
                out.push_str(text);
                continue;
            }
            Token::Tag(raw) => raw,
        };
        let tag = read_tag(raw);
        match (tag.name, tag.closing) {
            ("a", false) => {
                let keep = tag.attributes.iter().any(|(name, _)| *name == "href");
                kept_links.push(keep);
                if keep {
                    out.push_str(raw);
                }
            }
            ("a", true) => {
                if kept_links.pop().unwrap_or(true) {
                    out.push_str(raw);
                }
            }
            ("h1" | "h2" | "h3" | "h4" | "h5" | "h6", closing) => {
                out.push_str(if closing { "</strong></p>" } else { "<p><strong>" });
            }
            (name, _) if SPACED_BLOCKS.contains(&name) => out.push(' '),
            _ => out.push_str(raw),
        }
    }
    out
}

enum Token<'a> {
    Text(&'a str),
    Tag(&'a str),
}

/// Splits serialised HTML into text runs and tags.
fn tokens(html: &str) -> impl Iterator<Item = Token<'_>> {
    let mut rest = html;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let (token, after) = match rest.find('<') {
            Some(0) => {
                let end = rest.find('>').map_or(rest.len(), |i| i + 1);
                (Token::Tag(&rest[..end]), &rest[end..])
            }
            Some(start) => (Token::Text(&rest[..start]), &rest[start..]),
            None => (Token::Text(rest), ""),
        };
        rest = after;
        Some(token)
    })
}

/// The text of remote HTML, for search and notifications: tags removed, `<br>` as a newline,
/// paragraphs (and other blocks) separated by a blank line, list items by a newline, entities
/// decoded.
pub fn to_plain_text(html: &str) -> String {
    plain_text_of_sanitized(&sanitize(html))
}

/// `to_plain_text` of what `sanitize` already returned.
pub fn plain_text_of_sanitized(clean: &str) -> String {
    let mut out = String::new();
    let mut pending_newlines = 0;
    let mut in_pre = 0usize;
    for token in tokens(clean) {
        match token {
            Token::Text(text) => {
                let text = decode_entities(text);
                // Whitespace between blocks is layout, not content.
                if in_pre == 0 && text.trim().is_empty() && (out.is_empty() || pending_newlines > 0) {
                    continue;
                }
                if !out.is_empty() {
                    out.push_str(&"\n".repeat(pending_newlines));
                }
                pending_newlines = 0;
                out.push_str(&text);
            }
            Token::Tag(raw) => {
                let tag = read_tag(raw);
                match tag.name {
                    "br" => out.push('\n'),
                    "li" => pending_newlines = pending_newlines.max(1),
                    "p" | "blockquote" | "pre" | "ul" | "ol" => pending_newlines = 2,
                    _ => {}
                }
                if tag.name == "pre" {
                    in_pre = if tag.closing { in_pre.saturating_sub(1) } else { in_pre + 1 };
                }
            }
        }
    }
    out.trim().to_string()
}

/// Ammonia's serialiser escapes only these; every other reference was decoded when parsing.
fn decode_entities(text: &str) -> Cow<'_, str> {
    if !text.contains('&') {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let entity = [("&amp;", '&'), ("&lt;", '<'), ("&gt;", '>'), ("&quot;", '"'), ("&nbsp;", '\u{a0}')]
            .into_iter()
            .find(|(name, _)| rest.starts_with(name));
        match entity {
            Some((name, c)) => {
                out.push(c);
                rest = &rest[name.len()..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINK_ATTRS: &str = r#"target="_blank" rel="nofollow noopener""#;

    #[test]
    fn script_vectors_are_removed() {
        let cases = [
            (r#"<a href="javascript:alert(1)">x</a>"#, "x"),
            (r#"<a href=" JaVaScRiPt:alert(1)">x</a>"#, "x"),
            (r#"<a href="data:text/html,<script>alert(1)</script>">x</a>"#, "x"),
            (r#"<a href="vbscript:msgbox">x</a>"#, "x"),
            (r#"<a href="/relative/path">x</a>"#, "x"),
            (r#"<a>no href</a>"#, "no href"),
            (r#"<img src="x" onerror="alert(1)">"#, ""),
            (r#"<p onclick="alert(1)" style="color:red" id="x">hi</p>"#, "<p>hi</p>"),
            ("<script>alert(1)</script>ok", "ok"),
            ("<style>p { display: none }</style>ok", "ok"),
            (r#"<iframe src="https://evil.example">fallback</iframe>ok"#, "ok"),
            (r#"<svg onload="alert(1)"><script>alert(1)</script><a href="https://x.example">t</a></svg>ok"#, "ok"),
            ("<math><mi>x</mi></math>ok", "ok"),
            ("<noscript><p>x</p></noscript>ok", "ok"),
            ("<!-- comment -->ok", "ok"),
            (r#"<form action="https://x.example"><input value="v"><button>b</button></form>"#, "b"),
            ("<p>1 &lt; 2 &amp; <b>3</b> &gt; 0</p>", "<p>1 &lt; 2 &amp; <b>3</b> &gt; 0</p>"),
            ("<<script>script>alert(1)<</script>/script>", "&lt;/script&gt;"),
        ];
        for (input, expected) in cases {
            assert_eq!(sanitize(input), expected, "{input}");
        }
        let hostile = sanitize(r#"<a href="https://ok.example" onmouseover="alert(1)" style="x" rel="opener" target="_self">t</a>"#);
        assert_eq!(hostile, format!(r#"<a href="https://ok.example" {LINK_ATTRS}>t</a>"#));
    }

    #[test]
    fn mentions_hashtags_and_shortened_links_keep_their_microformats() {
        let mention = r#"<p><span class="h-card" translate="no"><a href="https://remote.example/@bob" class="u-url mention">@<span>bob</span></a></span> hi</p>"#;
        assert_eq!(
            sanitize(mention),
            format!(r#"<p><span class="h-card" translate="no"><a href="https://remote.example/@bob" class="u-url mention" {LINK_ATTRS}>@<span>bob</span></a></span> hi</p>"#)
        );
        let hashtag = r#"<a href="https://remote.example/tags/rust" class="mention hashtag" rel="tag">#<span>rust</span></a>"#;
        assert_eq!(
            sanitize(hashtag),
            format!(r#"<a href="https://remote.example/tags/rust" class="mention hashtag" {LINK_ATTRS}>#<span>rust</span></a>"#)
        );
        let link = r#"<a href="https://example.com/a/long/path"><span class="invisible">https://</span><span class="ellipsis">example.com/a/long</span><span class="invisible">/path</span></a>"#;
        assert!(sanitize(link).contains(r#"<span class="invisible">https://</span><span class="ellipsis">example.com/a/long</span>"#));
    }

    #[test]
    fn classes_and_translate_are_filtered() {
        assert_eq!(sanitize(r#"<span class="h-card evil p-name  hidden">x</span>"#), r#"<span class="h-card p-name">x</span>"#);
        assert_eq!(sanitize(r#"<span class="evil">x</span>"#), "<span>x</span>");
        assert_eq!(sanitize(r#"<span translate="yes">x</span>"#), "<span>x</span>");
        assert_eq!(sanitize(r#"<b class="h-card">x</b>"#), "<b>x</b>");
        assert_eq!(sanitize(r#"<p class="quote-inline">RE: x</p>"#), r#"<p class="quote-inline">RE: x</p>"#);
        assert_eq!(sanitize(r#"<p lang="fi">moi</p>"#), r#"<p lang="fi">moi</p>"#);
    }

    #[test]
    fn formatting_nests_and_lists_keep_their_numbers() {
        let html = concat!(
            "<p><strong><em>a</em></strong> <del>b</del> <s>c</s> <u>d</u> <i>e</i> <code>f</code></p>",
            "<blockquote><p>quoted</p></blockquote>",
            "<ul><li>one</li></ul>",
            r#"<ol start="3" reversed=""><li value="5">five</li></ol>"#,
            "<pre><code>let x = 1;</code></pre>",
            "<p><ruby>漢<rp>(</rp><rt>kan</rt><rp>)</rp></ruby></p>"
        );
        assert_eq!(sanitize(html), html);
    }

    #[test]
    fn headings_become_bold_paragraphs_and_unknown_elements_unwrap() {
        assert_eq!(sanitize(r#"<h1 id="t">Title</h1><p>body</p>"#), "<p><strong>Title</strong></p><p>body</p>");
        assert_eq!(sanitize("<li><h3>x</h3></li>"), "<li><p><strong>x</strong></p></li>");
        assert_eq!(sanitize(r#"<span><marquee>moving</marquee> <blink>text</blink></span>"#), "<span>moving text</span>");
        assert_eq!(sanitize(r#"<table><tr><td>cell</td></tr></table>"#), "cell");
        // Unwrapped blocks leave spaces behind, as Sanitize's whitespace elements do.
        assert_eq!(sanitize(r#"<div class="e-content" id="x"><section>one</section><div>two</div></div>"#), "  one  two  ");
        assert_eq!(sanitize("a<hr>b"), "a b");
        assert_eq!(to_plain_text("<div>one</div><div>two</div>"), "one  two");
    }

    #[test]
    fn other_protocols_mastodon_accepts_are_links() {
        for href in ["gemini://gem.example/", "xmpp:alice@chat.example", "magnet:?xt=urn:btih:abc", "ipfs://bafy", "http://plain.example/"] {
            assert_eq!(sanitize(&format!(r#"<a href="{href}">x</a>"#)), format!(r#"<a href="{href}" {LINK_ATTRS}>x</a>"#), "{href}");
        }
        assert_eq!(sanitize(r#"<a href="ftp://files.example/">x</a>"#), "x");
        // Links around links' text survive unwrapping inside other markup.
        assert_eq!(sanitize(r#"<p><a href="mailto:a@b.example"><b>mail</b></a> me</p>"#), "<p><b>mail</b> me</p>");
    }

    #[test]
    fn sanitizing_is_linear_in_nesting() {
        // Nested blocks once cost the HTML5 tree builder O(depth) per tag: 200 KB took 23 s.
        let nested = |n: usize, open: &str, close: &str| format!("{}x{}", open.repeat(n), close.repeat(n));
        for (open, close) in [("<div>", "</div>"), ("<ul><li>", "</li></ul>"), ("<b><table><td>", "</b>"), ("<span title=\"</span>\">", "")] {
            let time = |n: usize| {
                let html = nested(n, open, close);
                (0..3).map(|_| {
                    let start = std::time::Instant::now();
                    let _ = sanitize(&html);
                    start.elapsed()
                }).min().unwrap()
            };
            let ratio = time(4000).as_secs_f64() / time(250).as_secs_f64().max(1e-9);
            // 16x the input: linear is 16x (less, once the size cap applies); quadratic 256x.
            assert!(ratio < 64.0, "{open}: 16x the nesting took {ratio:.0}x the time");
            assert!(sanitize(&nested(4000, open, close)).matches('<').count() <= 4 * MAX_NESTING, "{open}");
        }
    }

    #[test]
    fn oversized_html_is_cut_at_a_character_boundary() {
        let long = format!("<p>{}</p>", "é".repeat(MAX_HTML_BYTES));
        let clean = sanitize(&long);
        assert!(clean.len() <= MAX_HTML_BYTES + 8 && clean.ends_with("</p>"));
    }

    #[test]
    fn plain_text_keeps_lines_and_paragraphs() {
        let html = "<p>Hello <b>world</b> &amp; &eacute;&nbsp;x</p>\n<p>second<br>line<br/>third</p>";
        assert_eq!(to_plain_text(html), "Hello world & é\u{a0}x\n\nsecond\nline\nthird");
        let mention = r#"<p><span class="h-card"><a href="https://r.example/@bob" class="u-url mention">@<span>bob</span></a></span> see <a href="https://example.com/x"><span class="invisible">https://</span><span class="ellipsis">example.com/</span><span class="invisible">x</span></a></p>"#;
        assert_eq!(to_plain_text(mention), "@bob see https://example.com/x");
        assert_eq!(to_plain_text("<ul>\n<li>one</li>\n<li>two</li>\n</ul><p>after</p>"), "one\ntwo\n\nafter");
        assert_eq!(to_plain_text("<h2>Title</h2><script>x()</script>text &lt;tag&gt; &quot;q&quot;"), "Title\n\ntext <tag> \"q\"");
        assert_eq!(to_plain_text("<pre>  indented\n  code</pre>"), "indented\n  code");
        assert_eq!(to_plain_text(""), "");
        assert_eq!(decode_entities("a &amp;lt; &unknown; &"), "a &lt; &unknown; &");
    }
}
