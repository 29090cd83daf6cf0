//! Custom emoji in text: which `:shortcode:`s a text uses, and their images put into a page's
//! HTML. Pure: the emoji themselves come from the caller.
use super::escape_html;

/// At most this many distinct shortcodes are looked up per text (a name, a bio, a post with its
/// content warning): a text full of `:a1: :a2: …` costs one bounded query, not one per code.
pub const MAX_SHORTCODES: usize = 64;
/// Mastodon's limit for a shortcode's length.
pub const MAX_SHORTCODE_LEN: usize = 64;

/// Whether `code` is a shortcode Mastodon accepts: letters, digits and `_`, at least two.
pub fn valid_shortcode(code: &str) -> bool {
    (2..=MAX_SHORTCODE_LEN).contains(&code.len()) && code.bytes().all(is_code_byte)
}

fn is_code_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Mastodon's boundary around a `:shortcode:` (`Account::Field`'s and `CustomEmoji::SCAN_RE`):
/// the text's start or end, or a character that is neither alphanumeric nor a colon, so that
/// `12:30:45` or `std::vec` name no emoji.
fn is_boundary(c: Option<char>) -> bool {
    c.is_none_or(|c| !c.is_alphanumeric() && c != ':')
}

/// Whether the colon at byte `at` may open a shortcode (a colon is ASCII: `at` and `at + 1` are
/// char boundaries, and each look is one character).
fn opens(text: &str, at: usize) -> bool {
    is_boundary(text[..at].chars().next_back())
}

/// Whether the colon at byte `at` may close one.
fn closes(text: &str, at: usize) -> bool {
    is_boundary(text[at + 1..].chars().next())
}

/// The distinct `:shortcode:`s in `texts`, in order of first use, at most `MAX_SHORTCODES`.
/// One pass over each text; a code needs Mastodon's boundary on both sides (`is_boundary`), so
/// `:a::b:` and `12:30:45` find none. The dedup list is bounded, so the whole is linear in the
/// text.
pub fn shortcodes<'a>(texts: &[&'a str]) -> Vec<&'a str> {
    let mut found: Vec<&str> = Vec::new();
    for text in texts {
        let bytes = text.as_bytes();
        let mut open: Option<usize> = None;
        for (i, &b) in bytes.iter().enumerate() {
            if b == b':' {
                if let Some(start) = open {
                    let code = &text[start..i];
                    if valid_shortcode(code) && closes(text, i) && !found.contains(&code) {
                        found.push(code);
                        if found.len() == MAX_SHORTCODES {
                            return found;
                        }
                    }
                }
                open = opens(text, i).then_some(i + 1);
            } else if !is_code_byte(b) || open.is_some_and(|start| i - start >= MAX_SHORTCODE_LEN) {
                open = None;
            }
        }
    }
    found
}

/// An emoji an HTML text may show: its shortcode and image URL.
pub struct Shown<'a> {
    pub shortcode: &'a str,
    pub url: &'a str,
}

/// `html` (already sanitized or rendered by us) with each `:shortcode:` of `emojis` outside tags
/// replaced by its image, with the shortcode as alt text. Only the text between tags is
/// touched, so an attribute (a link's `href`) is never changed; the URL and shortcode are
/// escaped. One pass over the HTML; each candidate is matched against the (bounded) list.
pub fn images_in_html(html: &str, emojis: &[Shown]) -> String {
    if emojis.is_empty() || !html.contains(':') {
        return html.to_string();
    }
    let mut out = String::with_capacity(html.len());
    let bytes = html.as_bytes();
    let mut in_tag = false;
    let mut copied = 0;
    let mut open: Option<usize> = None;
    for (i, &b) in bytes.iter().enumerate() {
        if in_tag {
            in_tag = b != b'>';
            continue;
        }
        match b {
            b'<' => {
                in_tag = true;
                open = None;
            }
            b':' => {
                if let Some(start) = open.filter(|_| closes(html, i)) {
                    let code = &html[start..i];
                    if let Some(emoji) = emojis.iter().find(|e| e.shortcode == code) {
                        out.push_str(&html[copied..start - 1]);
                        out.push_str(&image(emoji));
                        copied = i + 1;
                        open = None;
                        continue;
                    }
                }
                open = opens(html, i).then_some(i + 1);
            }
            _ if !is_code_byte(b) || open.is_some_and(|start| i - start >= MAX_SHORTCODE_LEN) => open = None,
            _ => {}
        }
    }
    out.push_str(&html[copied..]);
    out
}

/// Text (a display name) escaped for HTML, with its emoji as images.
pub fn images_in_text(text: &str, emojis: &[Shown]) -> String {
    images_in_html(&escape_html(text), emojis)
}

fn image(emoji: &Shown) -> String {
    let code = escape_html(emoji.shortcode);
    format!(
        "<img class=\"custom-emoji\" src=\"{}\" alt=\":{code}:\" title=\":{code}:\" width=\"20\" height=\"20\">",
        escape_html(emoji.url)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shortcodes_are_found_once_each_in_order() {
        assert_eq!(shortcodes(&["hi :blob: and (:cat_2:) :blob: :x: :no space: :a-b:"]), vec!["blob", "cat_2"]);
        assert_eq!(shortcodes(&[":a1:b2:", "warning :a1: :c3:"]), vec!["a1", "c3"]);
        // Mastodon's boundary: no letter, digit or colon right outside either colon.
        for text in ["12:30:45", "std::vec::Vec", "é:blob:", ":blob:é", ":cat_2::blob:", "a:blob: b"] {
            assert!(shortcodes(&[text]).is_empty(), "{text}");
        }
        assert!(shortcodes(&["no emoji here", "https://x.example:8080/"]).is_empty());
        assert!(shortcodes(&[&format!(":{}:", "a".repeat(65))]).is_empty());
        assert_eq!(shortcodes(&[&format!(":{}:", "a".repeat(64))]).len(), 1);
    }

    #[test]
    fn shortcodes_are_bounded_and_linear() {
        let many: String = (0..1000).map(|i| format!(":e{i}: ")).collect();
        assert_eq!(shortcodes(&[&many]).len(), MAX_SHORTCODES);
        // Colons alone, or codes too long to count, cost one step per byte.
        let colons = ":".repeat(200_000);
        assert!(shortcodes(&[&colons]).is_empty());
        let long = format!(":{}", "a".repeat(200_000));
        assert!(shortcodes(&[&long]).is_empty());
    }

    #[test]
    fn shortcode_validation_is_mastodons() {
        assert!(valid_shortcode("blob_cat2"));
        assert!(!valid_shortcode("a"));
        assert!(!valid_shortcode("blob-cat"));
        assert!(!valid_shortcode("blöb"));
        assert!(!valid_shortcode(&"a".repeat(65)));
    }

    #[test]
    fn images_replace_codes_in_text_only_and_are_escaped() {
        let emojis = [Shown { shortcode: "blob", url: "https://x.example/b.png?a=1&b=\"2\"" }];
        let html = "<p><a href=\"https://x.example/:blob:\">:blob:</a> hi :blob: :other: 1:blob:</p>";
        let out = images_in_html(html, &emojis);
        assert!(out.starts_with("<p><a href=\"https://x.example/:blob:\"><img class=\"custom-emoji\" src=\"https://x.example/b.png?a=1&amp;b=&quot;2&quot;\" alt=\":blob:\""));
        assert!(out.ends_with(" height=\"20\"></a> hi <img class=\"custom-emoji\" src=\"https://x.example/b.png?a=1&amp;b=&quot;2&quot;\" alt=\":blob:\" title=\":blob:\" width=\"20\" height=\"20\"> :other: 1:blob:</p>"));
        assert_eq!(images_in_text("<b>:blob", &emojis), "&lt;b&gt;:blob");
        assert_eq!(images_in_html("no codes", &emojis), "no codes");
    }
}
