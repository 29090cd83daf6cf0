//! Plain text → Mastodon-shaped HTML: paragraphs, line breaks, links and hashtags.
use super::escape_html;

/// What a status's text turned into: the HTML, and the hashtags and mentions it contains.
#[derive(Debug, Default, PartialEq)]
pub struct Rendered {
    pub html: String,
    /// Hashtag names as written (without `#`), first occurrence of each, case-insensitively.
    pub tags: Vec<String>,
    /// Mentions that resolved, as (username, domain) as written.
    pub mentions: Vec<(String, Option<String>)>,
}

/// Resolves `@user` or `@user@domain` to (profile URL, username as the account spells it);
/// `None` leaves it as text.
pub type MentionResolver<'a> = &'a dyn Fn(&str, Option<&str>) -> Option<(String, String)>;

fn no_mentions(_: &str, _: Option<&str>) -> Option<(String, String)> {
    None
}

/// Renders text as Mastodon does: blank lines separate `<p>` paragraphs, single newlines become
/// `<br />`, URLs become links with the `invisible`/`ellipsis` spans and hashtags link to the
/// tag page. An empty text renders as an empty string (Mastodon sends `""` for an empty note).
pub fn to_html(text: &str, public_url: &str) -> String {
    render(text, public_url, &no_mentions).html
}

/// Renders a status: like `to_html`, and mentions become h-card links.
pub fn render(text: &str, public_url: &str, resolve: MentionResolver) -> Rendered {
    let text = text.replace("\r\n", "\n");
    let text = text.trim();
    let mut rendered = Rendered::default();
    if text.is_empty() {
        return rendered;
    }
    for paragraph in text.split("\n\n").map(str::trim).filter(|p| !p.is_empty()) {
        let lines: Vec<String> = paragraph.lines().map(|line| render_line(line, public_url, resolve, &mut rendered)).collect();
        rendered.html.push_str(&format!("<p>{}</p>", lines.join("<br />")));
    }
    rendered
}

/// Renders a single-line value (profile field values): links and hashtags, no paragraph.
pub fn inline_html(text: &str, public_url: &str) -> String {
    render_line(text.trim(), public_url, &no_mentions, &mut Rendered::default())
}

/// Links of HTML that `inline_html` or `to_html` rendered, marked `rel="me"`: the profile page
/// says so of its fields' links, for profile verification (the linked page links back). Only
/// our own rendering's `rel` is changed (text the owner typed is escaped, so it holds no `rel="`).
pub fn with_rel_me(html: &str) -> String {
    html.replace(r#"rel="nofollow noopener""#, r#"rel="me nofollow noopener""#)
}

/// Mastodon's character count: a URL counts as 23 characters and a mention as its local part.
pub fn character_count(text: &str) -> usize {
    let mut count = 0;
    let mut scanner = Scanner::new(text);
    let mut position = 0;
    while let Some((at, token)) = scanner.next_token() {
        count += text[position..at].chars().count();
        count += match &token {
            Token::Url(_) => 23,
            Token::Hashtag(name) => name.chars().count() + 1,
            Token::Mention(user, _) => user.chars().count() + 1,
        };
        position = at + token.len();
    }
    count + text[position..].chars().count()
}

enum Token<'a> {
    Url(&'a str),
    Hashtag(&'a str),
    Mention(&'a str, Option<&'a str>),
}

impl Token<'_> {
    /// Length in bytes of the token's source text.
    fn len(&self) -> usize {
        match self {
            Token::Url(url) => url.len(),
            Token::Hashtag(name) => name.len() + 1,
            Token::Mention(user, domain) => user.len() + 1 + domain.map_or(0, |d| d.len() + 1),
        }
    }
}

/// Walks a text's URLs, hashtags and mentions in order. Each kind's next position is found once
/// and kept until the walk passes it, so every byte is scanned a bounded number of times: a
/// text dense with one kind no longer rescans the rest for the others at every token.
struct Scanner<'a> {
    text: &'a str,
    position: usize,
    /// Per kind (URL, hashtag, mention): the last search's answer, while the walk has not
    /// passed it (`Some(None)`: there is none further on).
    found: [Option<Option<usize>>; 3],
}

impl<'a> Scanner<'a> {
    fn new(text: &'a str) -> Scanner<'a> {
        Scanner { text, position: 0, found: [None; 3] }
    }

    /// The next match of `kind` at or after the current position.
    fn next_of(&mut self, kind: usize) -> Option<usize> {
        let position = self.position;
        if let Some(found) = self.found[kind].filter(|found| found.is_none_or(|at| at >= position)) {
            return found;
        }
        let text = self.text;
        let found = match kind {
            0 => find_url(text, position),
            1 => find_hashtag(text, position).map(|(at, _)| at),
            _ => find_mention(text, position).map(|(at, ..)| at),
        };
        self.found[kind] = Some(found);
        found
    }

    fn next_token(&mut self) -> Option<(usize, Token<'a>)> {
        let text = self.text;
        let (kind, at) = (0..3).filter_map(|kind| Some((kind, self.next_of(kind)?))).min_by_key(|&(kind, at)| (at, kind))?;
        let token = match kind {
            0 => Token::Url(&text[at..at + url_length(&text[at..])]),
            1 => {
                let (_, len) = find_hashtag(text, at)?;
                Token::Hashtag(&text[at + 1..at + len])
            }
            _ => {
                let (_, user, domain) = find_mention(text, at)?;
                Token::Mention(user, domain)
            }
        };
        self.position = at + token.len().max(1);
        Some((at, token))
    }
}

fn render_line(line: &str, public_url: &str, resolve: MentionResolver, rendered: &mut Rendered) -> String {
    let mut out = String::new();
    let mut scanner = Scanner::new(line);
    let mut position = 0;
    while let Some((at, token)) = scanner.next_token() {
        out.push_str(&escape_html(&line[position..at]));
        let source = &line[at..at + token.len()];
        match token {
            Token::Url(url) => out.push_str(&link_html(url)),
            Token::Hashtag(name) => {
                if !rendered.tags.iter().any(|t| t.eq_ignore_ascii_case(name)) {
                    rendered.tags.push(name.to_string());
                }
                out.push_str(&format!(
                    "<a href=\"{}\" class=\"mention hashtag\" rel=\"tag\">#<span>{}</span></a>",
                    escape_html(&super::tag_url(public_url, name)),
                    escape_html(name)
                ));
            }
            Token::Mention(user, domain) => match resolve(user, domain) {
                Some((url, username)) => {
                    let key = (user.to_string(), domain.map(str::to_string));
                    if !rendered.mentions.contains(&key) {
                        rendered.mentions.push(key);
                    }
                    out.push_str(&format!(
                        "<span class=\"h-card\" translate=\"no\"><a href=\"{}\" class=\"u-url mention\">@<span>{}</span></a></span>",
                        escape_html(&url),
                        escape_html(&username)
                    ));
                }
                None => out.push_str(&escape_html(source)),
            },
        }
        position = at + source.len();
    }
    out.push_str(&escape_html(&line[position..]));
    out
}

/// Finds `@user` or `@user@domain` at a word start, from byte `search_from`: (position of `@`,
/// user, domain).
fn find_mention(text: &str, mut search_from: usize) -> Option<(usize, &str, Option<&str>)> {
    while let Some(offset) = text[search_from..].find('@') {
        let at = search_from + offset;
        let preceded_ok = text[..at].chars().last().is_none_or(|c| !(c.is_alphanumeric() || c == '_' || c == '/' || c == '@'));
        let user_len: usize = text[at + 1..].bytes().take_while(|b| b.is_ascii_alphanumeric() || *b == b'_').count();
        if preceded_ok && user_len > 0 {
            let user = &text[at + 1..at + 1 + user_len];
            let after = &text[at + 1 + user_len..];
            let domain = after.strip_prefix('@').map(|d| {
                let len = d.bytes().take_while(|b| b.is_ascii_alphanumeric() || b"-.:".contains(b)).count();
                d[..len].trim_end_matches(['.', ':'])
            });
            let domain = domain.filter(|d| d.contains('.') || d.contains(':') || *d == "localhost");
            return Some((at, user, domain));
        }
        search_from = at + 1;
    }
    None
}

/// The next `http://` or `https://` from byte `from`. One search for `http` that resumes after
/// each near miss: searching for each scheme separately rescanned the rest of a text without
/// `https://` at every plain-http link (quadratic; found by the fuzzer).
fn find_url(text: &str, from: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut search = from;
    while let Some(offset) = memchr::memmem::find(&bytes[search..], b"http") {
        let at = search + offset;
        let rest = &bytes[at + 4..];
        if rest.starts_with(b"://") || rest.starts_with(b"s://") {
            return Some(at);
        }
        search = at + 4;
    }
    None
}

/// A URL runs to the next whitespace, minus trailing punctuation that usually ends a sentence.
fn url_length(text: &str) -> usize {
    let end = text.find(char::is_whitespace).unwrap_or(text.len());
    let trimmed = text[..end].trim_end_matches(['.', ',', ';', ':', '!', '?', ')', '"', '\'']);
    trimmed.len()
}

/// Mastodon's link markup: the scheme is invisible, long URLs are cut with an ellipsis.
fn link_html(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").map_or(("", url), |(s, r)| (s, r));
    let prefix = format!("{scheme}://");
    let (visible, hidden) = if rest.chars().count() > 30 {
        let cut = rest.char_indices().nth(30).map_or(rest.len(), |(i, _)| i);
        (&rest[..cut], &rest[cut..])
    } else {
        (rest, "")
    };
    let class = if hidden.is_empty() { "" } else { "ellipsis" };
    format!(
        "<a href=\"{}\" target=\"_blank\" rel=\"nofollow noopener\" translate=\"no\">\
         <span class=\"invisible\">{}</span><span class=\"{class}\">{}</span>\
         <span class=\"invisible\">{}</span></a>",
        escape_html(url),
        escape_html(&prefix),
        escape_html(visible),
        escape_html(hidden)
    )
}

/// Finds `#tag` at a word start, from byte `search_from`: (position of `#`, length including
/// `#`).
fn find_hashtag(text: &str, mut search_from: usize) -> Option<(usize, usize)> {
    while let Some(offset) = text[search_from..].find('#') {
        let at = search_from + offset;
        let preceded_ok = text[..at].chars().last().is_none_or(|c| !(c.is_alphanumeric() || c == '_' || c == '/'));
        let name_len: usize =
            text[at + 1..].chars().take_while(|c| c.is_alphanumeric() || *c == '_').map(char::len_utf8).sum();
        let name = &text[at + 1..at + 1 + name_len];
        if preceded_ok && name_len > 0 && !name.chars().all(|c| c.is_ascii_digit()) {
            return Some((at, name_len + 1));
        }
        search_from = at + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "https://social.example";

    #[test]
    fn paragraphs_and_line_breaks() {
        assert_eq!(to_html("Hello\nworld\n\nSecond", BASE), "<p>Hello<br />world</p><p>Second</p>");
        assert_eq!(to_html("  ", BASE), "");
    }

    #[test]
    fn text_is_escaped() {
        assert_eq!(to_html("<script>&\"", BASE), "<p>&lt;script&gt;&amp;&quot;</p>");
    }

    #[test]
    fn links_get_invisible_scheme_and_ellipsis() {
        assert_eq!(
            to_html("see https://example.com.", BASE),
            "<p>see <a href=\"https://example.com\" target=\"_blank\" rel=\"nofollow noopener\" translate=\"no\">\
             <span class=\"invisible\">https://</span><span class=\"\">example.com</span>\
             <span class=\"invisible\"></span></a>.</p>"
        );
        let long = to_html("https://example.com/a/very/long/path/that/goes/on", BASE);
        assert!(long.contains("<span class=\"ellipsis\">example.com/a/very/long/path/t</span>"), "{long}");
        assert!(long.contains("<span class=\"invisible\">hat/goes/on</span>"), "{long}");
    }

    #[test]
    fn mentions_render_as_h_cards_when_resolved() {
        let resolve = |user: &str, domain: Option<&str>| {
            (user.eq_ignore_ascii_case("alice") && domain.is_none_or(|d| d == "social.example"))
                .then(|| ("https://social.example/@alice".to_string(), "alice".to_string()))
        };
        let r = render("hi @ALICE and @alice@social.example, not @bob or mail@alice", BASE, &resolve);
        assert_eq!(
            r.html,
            "<p>hi <span class=\"h-card\" translate=\"no\"><a href=\"https://social.example/@alice\" class=\"u-url mention\">@<span>alice</span></a></span> \
             and <span class=\"h-card\" translate=\"no\"><a href=\"https://social.example/@alice\" class=\"u-url mention\">@<span>alice</span></a></span>, \
             not @bob or mail@alice</p>"
        );
        assert_eq!(r.mentions, [("ALICE".to_string(), None), ("alice".to_string(), Some("social.example".to_string()))]);
    }

    #[test]
    fn tags_are_collected_once() {
        let r = render("#Rust and #rust and #topi", BASE, &no_mentions);
        assert_eq!(r.tags, ["Rust", "topi"]);
    }

    #[test]
    fn urls_count_as_23_characters_and_mentions_as_their_user() {
        assert_eq!(character_count("abc"), 3);
        assert_eq!(character_count("see https://example.com/a/very/long/path/indeed"), 4 + 23);
        assert_eq!(character_count("@bob@remote.example hi"), 4 + 3);
        assert_eq!(character_count("héllo"), 5);
    }

    #[test]
    fn rendering_is_linear_in_the_number_of_links() {
        let time = |n: usize| {
            let text = "http://a ".repeat(n);
            (0..3).map(|_| {
                let start = std::time::Instant::now();
                let _ = (character_count(&text), to_html(&text, BASE));
                start.elapsed()
            }).min().unwrap()
        };
        let ratio = time(16_000).as_secs_f64() / time(1_000).as_secs_f64().max(1e-9);
        // 16x the links: linear is 16x, quadratic 256x.
        assert!(ratio < 64.0, "16x the links took {ratio:.0}x the time");
        assert_eq!(character_count("http://a https://b httpx://c"), 23 + 1 + 23 + 1 + 9);
    }

    #[test]
    fn hashtags_link_to_the_tag_page() {
        assert_eq!(
            inline_html("I like #Rust, not #1", BASE),
            "I like <a href=\"https://social.example/tags/rust\" class=\"mention hashtag\" rel=\"tag\">#<span>Rust</span></a>, not #1"
        );
        assert_eq!(inline_html("a#b", BASE), "a#b");
    }
}
