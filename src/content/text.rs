//! Plain text → Mastodon-shaped HTML: paragraphs, line breaks, links and hashtags.
use super::escape_html;

/// Renders text as Mastodon does: blank lines separate `<p>` paragraphs, single newlines become
/// `<br />`, URLs become links with the `invisible`/`ellipsis` spans and hashtags link to the
/// tag page. An empty text renders as an empty string (Mastodon sends `""` for an empty note).
pub fn to_html(text: &str, public_url: &str) -> String {
    let text = text.replace("\r\n", "\n");
    let text = text.trim();
    if text.is_empty() {
        return String::new();
    }
    text.split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|paragraph| {
            let lines: Vec<String> = paragraph.lines().map(|line| render_line(line, public_url)).collect();
            format!("<p>{}</p>", lines.join("<br />"))
        })
        .collect()
}

/// Renders a single-line value (profile field values): links and hashtags, no paragraph.
pub fn inline_html(text: &str, public_url: &str) -> String {
    render_line(text.trim(), public_url)
}

fn render_line(line: &str, public_url: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while !rest.is_empty() {
        let next_link = ["https://", "http://"].iter().filter_map(|scheme| rest.find(scheme)).min();
        let next_tag = find_hashtag(rest);
        match (next_link, next_tag) {
            (Some(l), t) if t.is_none_or(|(t, _)| l <= t) => {
                out.push_str(&escape_html(&rest[..l]));
                let end = l + url_length(&rest[l..]);
                out.push_str(&link_html(&rest[l..end]));
                rest = &rest[end..];
            }
            (_, Some((t, len))) => {
                out.push_str(&escape_html(&rest[..t]));
                let name = &rest[t + 1..t + len];
                out.push_str(&format!(
                    "<a href=\"{}/tags/{}\" class=\"mention hashtag\" rel=\"tag\">#<span>{}</span></a>",
                    public_url,
                    escape_html(&name.to_lowercase()),
                    escape_html(name)
                ));
                rest = &rest[t + len..];
            }
            _ => {
                out.push_str(&escape_html(rest));
                rest = "";
            }
        }
    }
    out
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

/// Finds `#tag` at a word start: returns (position of `#`, length including `#`).
fn find_hashtag(text: &str) -> Option<(usize, usize)> {
    let mut search_from = 0;
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
    fn hashtags_link_to_the_tag_page() {
        assert_eq!(
            inline_html("I like #Rust, not #1", BASE),
            "I like <a href=\"https://social.example/tags/rust\" class=\"mention hashtag\" rel=\"tag\">#<span>Rust</span></a>, not #1"
        );
        assert_eq!(inline_html("a#b", BASE), "a#b");
    }
}
