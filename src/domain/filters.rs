//! Content filters: which keywords a post's text matches (Mastodon's `whole_word` rule).

/// Contexts a filter can apply to.
pub const CONTEXTS: [&str; 5] = ["home", "notifications", "public", "thread", "account"];
pub const ACTIONS: [&str; 3] = ["warn", "hide", "blur"];

/// Whether `keyword` occurs in `text`, case-insensitively. With `whole_word`, the keyword must
/// not be glued to letters or digits on either side (Mastodon's `\b` on word-character edges).
pub fn matches(text: &str, keyword: &str, whole_word: bool) -> bool {
    let text = text.to_lowercase();
    let keyword = keyword.trim().to_lowercase();
    if keyword.is_empty() {
        return false;
    }
    let is_word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
    let mut from = 0;
    while let Some(offset) = text[from..].find(&keyword) {
        let start = from + offset;
        let end = start + keyword.len();
        if !whole_word {
            return true;
        }
        let before = text[..start].chars().next_back();
        let after = text[end..].chars().next();
        let edge_ok = |edge: Option<char>, inner: Option<char>| !(is_word(edge) && is_word(inner));
        if edge_ok(before, keyword.chars().next()) && edge_ok(after, keyword.chars().next_back()) {
            return true;
        }
        from = start + keyword.chars().next().map_or(1, char::len_utf8);
    }
    false
}

/// The visible text of a post's HTML: tags removed, entities decoded, for keyword matching.
pub fn plain_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&#39;", "'").replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_words_do_not_match_inside_words() {
        assert!(matches("I love Rust!", "rust", true));
        assert!(!matches("trusty", "rust", true));
        assert!(matches("trusty", "rust", false));
        assert!(matches("see rust", "rust", true));
        assert!(matches("#rust", "#rust", true));
        assert!(!matches("anything", "", false));
    }

    #[test]
    fn html_is_reduced_to_its_text() {
        assert_eq!(plain_text("<p>a &amp; b<br />c</p>"), " a & b c ");
    }
}
