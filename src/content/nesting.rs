//! A linear pass over untrusted HTML, before the HTML5 parser sees it, that bounds how deeply
//! elements can nest. An HTML5 tree builder checks scopes by walking its stack of open elements,
//! so a document of n nested tags costs it O(n²) (a 200 KB bio of `<div>`s once cost 23 s of
//! CPU). Here start tags beyond `max_depth` open elements are dropped (their text stays).
//!
//! The depth counted here must never be lower than the parser's, or nesting could be hidden
//! from it. Tags are therefore tokenized as the HTML5 tokenizer does in its data state (quoted
//! attribute values, comments, bogus comments), an end tag closes only the element counted last
//! when it has that name (the parser always closes its current node on a matching end tag), and
//! after any element whose content the tokenizer reads differently (raw text, foreign content,
//! templates) end tags no longer close anything, so the count can only grow.
use std::borrow::Cow;

/// Elements that never have content: they open nothing.
const VOID: [&str; 16] =
    ["area", "base", "basefont", "bgsound", "br", "col", "embed", "hr", "img", "input", "keygen", "link", "meta", "param", "source", "wbr"];

/// Elements after which the tokenizer's view may differ from ours (raw text, RCDATA, script
/// escapes, CDATA in SVG/MathML, the template's own insertion modes).
const CHANGES_TOKENIZING: [&str; 14] = [
    "script", "style", "xmp", "iframe", "noembed", "noframes", "noscript", "plaintext", "textarea", "title", "svg", "math",
    "template", "select",
];

/// `html` with its nesting bounded to `max_depth` elements. Borrowed when nothing was dropped.
pub fn bounded(html: &str, max_depth: usize) -> Cow<'_, str> {
    let bytes = html.as_bytes();
    let mut open: Vec<&str> = Vec::new();
    let mut closes = true;
    let mut out: Option<String> = None;
    let mut copied = 0;
    let mut i = 0;
    while let Some(offset) = memchr::memchr(b'<', &bytes[i..]) {
        let at = i + offset;
        let Some(markup) = read_markup(bytes, at) else { break };
        i = markup.end;
        match markup.kind {
            // `/>` is ignored on HTML elements; honoured in SVG, where counting it open only overestimates.
            Kind::Start { name } => {
                let name = &html[name.0..name.1];
                if VOID.iter().any(|v| v.eq_ignore_ascii_case(name)) {
                    continue;
                }
                if open.len() >= max_depth {
                    let out = out.get_or_insert_with(|| String::with_capacity(html.len()));
                    out.push_str(&html[copied..at]);
                    copied = markup.end;
                    continue;
                }
                if CHANGES_TOKENIZING.iter().any(|t| t.eq_ignore_ascii_case(name)) {
                    closes = false;
                }
                open.push(name);
            }
            Kind::End { name } => {
                let name = &html[name.0..name.1];
                if closes && open.last().is_some_and(|top| top.eq_ignore_ascii_case(name)) {
                    open.pop();
                }
            }
            Kind::Other => {}
        }
    }
    match out {
        None => Cow::Borrowed(html),
        Some(mut out) => {
            out.push_str(&html[copied..]);
            Cow::Owned(out)
        }
    }
}

enum Kind {
    /// Byte range of the tag name.
    Start { name: (usize, usize) },
    End { name: (usize, usize) },
    /// A comment, doctype, processing instruction or a `<` that starts no tag.
    Other,
}

struct Markup {
    kind: Kind,
    /// Byte after the markup.
    end: usize,
}

/// What starts at the `<` at `at`, read as the HTML5 tokenizer's data state would. `None`: the
/// rest of the input is inside it (an unterminated tag is dropped by the tokenizer, and an
/// unterminated comment runs to the end).
fn read_markup(bytes: &[u8], at: usize) -> Option<Markup> {
    let rest = &bytes[at + 1..];
    let after = |n: usize| at + 1 + n;
    match rest.first()? {
        b if b.is_ascii_alphabetic() => {
            let name_end = name_end(rest, 0);
            let end = tag_end(bytes, after(name_end))?;
            Some(Markup { kind: Kind::Start { name: (after(0), after(name_end)) }, end })
        }
        b'/' => match rest.get(1)? {
            b if b.is_ascii_alphabetic() => {
                let name_end = name_end(rest, 1);
                let end = tag_end(bytes, after(name_end))?;
                Some(Markup { kind: Kind::End { name: (after(1), after(name_end)) }, end })
            }
            // `</>` is nothing; `</` and anything else is a bogus comment up to `>`.
            b'>' => Some(Markup { kind: Kind::Other, end: after(2) }),
            _ => bogus_comment(bytes, after(1)),
        },
        b'!' if rest.starts_with(b"!--") => Some(Markup { kind: Kind::Other, end: comment_end(bytes, after(3)) }),
        b'!' | b'?' => bogus_comment(bytes, after(1)),
        // A `<` before anything else is text.
        _ => Some(Markup { kind: Kind::Other, end: at + 1 }),
    }
}

fn name_end(rest: &[u8], from: usize) -> usize {
    rest[from..].iter().position(|b| b.is_ascii_whitespace() || *b == b'/' || *b == b'>').map_or(rest.len(), |p| from + p)
}

fn bogus_comment(bytes: &[u8], from: usize) -> Option<Markup> {
    let end = memchr::memchr(b'>', &bytes[from..]).map_or(bytes.len(), |p| from + p + 1);
    Some(Markup { kind: Kind::Other, end })
}

/// The end of a comment whose content starts at `from`: `-->` or `--!>`, or the abrupt `<!-->`
/// and `<!--->`.
fn comment_end(bytes: &[u8], from: usize) -> usize {
    let rest = &bytes[from..];
    if rest.starts_with(b">") {
        return from + 1;
    }
    if rest.starts_with(b"->") {
        return from + 2;
    }
    let mut search = 0;
    while let Some(p) = memchr::memmem::find(&rest[search..], b"--") {
        let dashes = search + p;
        let mut k = dashes + 2;
        while rest.get(k) == Some(&b'-') {
            k += 1;
        }
        match rest.get(k) {
            Some(b'>') => return from + k + 1,
            Some(b'!') if rest.get(k + 1) == Some(&b'>') => return from + k + 2,
            None => return bytes.len(),
            _ => search = k.max(dashes + 1),
        }
    }
    bytes.len()
}

/// The end of a tag whose attributes start at `from`, following the tokenizer's attribute
/// states: only a quote right after `=` starts a quoted value. Returns the byte after `>`;
/// `None` when the input ends inside the tag.
fn tag_end(bytes: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    loop {
        // Before an attribute name.
        while bytes.get(i)?.is_ascii_whitespace() {
            i += 1;
        }
        match bytes.get(i)? {
            b'>' => return Some(i + 1),
            b'/' => {
                i += 1;
                continue;
            }
            _ => {}
        }
        // The attribute name (a leading `=` belongs to it).
        i += 1;
        while !matches!(bytes.get(i)?, b'=' | b'/' | b'>' | b' ' | b'\t' | b'\n' | b'\x0c' | b'\r') {
            i += 1;
        }
        while bytes.get(i)?.is_ascii_whitespace() {
            i += 1;
        }
        if bytes.get(i)? != &b'=' {
            continue;
        }
        i += 1;
        while bytes.get(i)?.is_ascii_whitespace() {
            i += 1;
        }
        match bytes.get(i)? {
            quote @ (b'"' | b'\'') => {
                let close = memchr::memchr(*quote, &bytes[i + 1..])?;
                i += close + 2;
            }
            b'>' => return Some(i + 1),
            _ => {
                while !matches!(bytes.get(i)?, b'>' | b' ' | b'\t' | b'\n' | b'\x0c' | b'\r') {
                    i += 1;
                }
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn depth_of(html: &str) -> usize {
        let mut depth: usize = 0;
        let mut max = 0;
        for (i, _) in html.match_indices('<') {
            if html[i + 1..].starts_with('/') {
                depth = depth.saturating_sub(1);
            } else {
                depth += 1;
                max = max.max(depth);
            }
        }
        max
    }

    #[test]
    fn nesting_beyond_the_limit_is_dropped_and_text_kept() {
        let html = format!("{}x{}", "<div>".repeat(100), "</div>".repeat(100));
        let bounded = bounded(&html, 8);
        assert_eq!(depth_of(&bounded), 8);
        assert!(bounded.contains('x'));
        assert_eq!(bounded.matches("<div>").count(), 8);
    }

    #[test]
    fn ordinary_markup_is_untouched() {
        let html = r#"<p>a <a href="https://x.example/?a=1&b=<2>" class="u-url">link</a><br><br/><img src=x></p><p>b</p><!-- <div><div> --><ul><li>1</li><li>2</li></ul>"#;
        assert!(matches!(bounded(html, 3), Cow::Borrowed(_)));
        let siblings = "<p>x</p>".repeat(1000);
        assert!(matches!(bounded(&siblings, 2), Cow::Borrowed(_)));
    }

    #[test]
    fn end_tags_hidden_from_the_parser_close_nothing() {
        // The parser sees attribute values, raw text and CDATA as text; so must the count.
        let in_attribute = r#"<span title="</span>">"#.repeat(50);
        assert_eq!(bounded(&in_attribute, 10).matches("<span").count(), 10);
        let in_script = "<div><script></div></script>".repeat(50);
        assert!(bounded(&in_script, 10).matches("<div>").count() <= 10);
        // The parser keeps `<b>` open here (a table cell bounds its scope).
        let misnested = bounded(&"<b><table><td></b>".repeat(50), 12).into_owned();
        assert!(misnested.matches("<b>").count() + misnested.matches("<table>").count() + misnested.matches("<td>").count() <= 12);
        // A quote that does not follow `=` is part of an attribute name, not a value.
        let not_quoted = r#"<span a"b></span>"#.repeat(20);
        assert!(matches!(bounded(&not_quoted, 1), Cow::Borrowed(_)));
    }

    #[test]
    fn comments_end_where_the_tokenizer_ends_them() {
        assert_eq!(comment_end(b"<!---->x", 4), 7);
        assert_eq!(comment_end(b"<!-->x", 4), 5);
        assert_eq!(comment_end(b"<!--->x", 4), 6);
        assert_eq!(comment_end(b"<!--a--->x", 4), 9);
        assert_eq!(comment_end(b"<!--a--!>x", 4), 9);
        assert_eq!(comment_end(b"<!--a -- b-->x", 4), 13);
        assert_eq!(comment_end(b"<!--never", 4), 9);
    }
}
