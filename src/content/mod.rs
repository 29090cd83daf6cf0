//! Text the owner writes, rendered to the HTML that clients parse (shared/CLIENT-COMPAT.md §2.3).
//! Pure: no I/O, no `worker` types.
pub mod emoji;
pub mod images;
pub mod links;
mod nesting;
pub mod sanitize;
pub mod text;

/// Escapes text for HTML element content and double-quoted attributes.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// `https://host/tags/name`: lower case and percent-encoded, like Rails' `tag_url` (Swift's
/// `URL(string:)` rejects raw non-ASCII).
pub fn tag_url(public_url: &str, name: &str) -> String {
    const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC.remove(b'_');
    format!("{public_url}/tags/{}", percent_encoding::utf8_percent_encode(&name.to_lowercase(), SEGMENT))
}

#[cfg(test)]
mod tests {
    #[test]
    fn tag_urls_are_ascii() {
        assert_eq!(super::tag_url("https://s.example", "Äänestys_2"), "https://s.example/tags/%C3%A4%C3%A4nestys_2");
    }
}
