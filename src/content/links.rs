//! Profile link verification (Mastodon's "rel=me"): a profile field whose value is a web page
//! is verified when that page links back to the profile with `rel="me"`. Which field values can
//! be verified, and whether a fetched page links back.
//!
//! Tokenizing a whole page costs ~70 µs per KB in the Worker (a 60 KB page 4 ms, measured by
//! bench/invocation-cpu.sh), too much for four pages in 10 ms. A link back must name the profile's
//! address literally, so `links_back_in` finds the address first (a byte search) and tokenizes
//! only the tag around each place it appears.
use std::cell::RefCell;

use html5ever::tendril::StrTendril;
use html5ever::tokenizer::states::RawKind;
use html5ever::tokenizer::{BufferQueue, Tag, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer};

/// Mastodon's bound on a verifiable value; longer ones are never fetched.
const MAX_VERIFIABLE_URL: usize = 255;
/// A page naming more `rel="me"` links than this has only its first ones kept.
const MAX_LINKS: usize = 100;

/// The URL a field's value names, if it can be verified: one http(s) URL with a host, nothing
/// else (no spaces, no surrounding text), as Mastodon's `Account::Field#verifiable?`.
pub fn verifiable_url(value: &str) -> Option<url::Url> {
    let value = value.trim();
    if value.is_empty() || value.len() > MAX_VERIFIABLE_URL || value.contains(char::is_whitespace) {
        return None;
    }
    let url = url::Url::parse(value).ok()?;
    (matches!(url.scheme(), "http" | "https") && url.host_str().is_some_and(|h| !h.is_empty())).then_some(url)
}

/// The `href` of every `<a>` and `<link>` whose `rel` holds the token `me`, in document order.
/// The tokenizer is linear in the page, and script, style and text areas are read as text.
pub fn rel_me_links(html: &str) -> Vec<String> {
    let input = BufferQueue::default();
    input.push_back(StrTendril::from_slice(html));
    let tokenizer = Tokenizer::new(RelMe::default(), Default::default());
    let _ = tokenizer.feed(&input);
    tokenizer.end();
    tokenizer.sink.links.into_inner()
}

/// How far before and after the profile's address its tag may reach (a long `class` or `style`
/// beside the `href`); a tag larger than this is not read.
const MAX_TAG_BYTES: usize = 4 * 1024;
/// Places of the profile's address looked at in one page.
const MAX_MENTIONS: usize = 20;

/// Whether `html` has an `<a>` or `<link>` with `rel` holding `me` whose `href` is one of
/// `profile_urls`. Linear in the page: the addresses are searched for, and only the tags they
/// stand in are tokenized (at most `MAX_MENTIONS` of `MAX_TAG_BYTES` each side).
pub fn links_back_in(html: &str, profile_urls: &[&str]) -> bool {
    let lower = html.to_ascii_lowercase();
    let mut mentions = 0;
    for url in profile_urls.iter().map(|u| u.trim().trim_end_matches('/').to_ascii_lowercase()).filter(|u| !u.is_empty()) {
        for (at, _) in lower.match_indices(url.as_str()) {
            mentions += 1;
            if mentions > MAX_MENTIONS {
                return false;
            }
            // `<` and `>` are ASCII, and `to_ascii_lowercase` keeps every byte where it was, so
            // these are char boundaries of `html` too.
            let from = at.saturating_sub(MAX_TAG_BYTES);
            let Some(start) = lower[from..at].rfind('<').map(|i| from + i) else { continue };
            let to = (at + MAX_TAG_BYTES).min(lower.len());
            let Some(end) = lower[at..to].find('>').map(|i| at + i + 1) else { continue };
            if links_back(&rel_me_links(&html[start..end]), profile_urls) {
                return true;
            }
        }
    }
    false
}

/// Whether a page's `rel="me"` links point back at any of `profile_urls` (compared without
/// regard to case or a trailing slash, as Mastodon compares them case-insensitively).
pub fn links_back(links: &[String], profile_urls: &[&str]) -> bool {
    let normal = |url: &str| url.trim().trim_end_matches('/').to_ascii_lowercase();
    links.iter().any(|link| profile_urls.iter().any(|profile| normal(link) == normal(profile)))
}

#[derive(Default)]
struct RelMe {
    links: RefCell<Vec<String>>,
}

impl TokenSink for RelMe {
    type Handle = ();

    fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
        let Token::TagToken(Tag { kind: TagKind::StartTag, name, attrs, .. }) = token else { return TokenSinkResult::Continue };
        match &*name {
            "a" | "link" => {
                let attr = |wanted: &str| attrs.iter().find(|a| &*a.name.local == wanted).map(|a| a.value.to_string());
                let is_me = attr("rel").is_some_and(|rel| rel.split_ascii_whitespace().any(|t| t.eq_ignore_ascii_case("me")));
                let mut links = self.links.borrow_mut();
                if is_me && links.len() < MAX_LINKS {
                    if let Some(href) = attr("href") {
                        links.push(href);
                    }
                }
                TokenSinkResult::Continue
            }
            "script" => TokenSinkResult::RawData(RawKind::ScriptData),
            // `noscript` as a browser with scripts on reads it (as text).
            "style" | "xmp" | "iframe" | "noembed" | "noframes" | "noscript" => TokenSinkResult::RawData(RawKind::Rawtext),
            "plaintext" => TokenSinkResult::Plaintext,
            "textarea" | "title" => TokenSinkResult::RawData(RawKind::Rcdata),
            _ => TokenSinkResult::Continue,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_single_web_address_is_verifiable() {
        assert_eq!(verifiable_url(" https://example.com/me ").map(|u| u.to_string()), Some("https://example.com/me".into()));
        assert!(verifiable_url("http://example.com").is_some());
        for value in ["", "example.com", "see https://example.com", "javascript:alert(1)", "mailto:a@b.example", "ftp://example.com/", "https://"] {
            assert!(verifiable_url(value).is_none(), "{value}");
        }
        assert!(verifiable_url(&format!("https://example.com/{}", "a".repeat(255))).is_none());
    }

    #[test]
    fn rel_me_links_are_found_in_anchors_and_link_elements() {
        let page = r#"<!doctype html><html><head><link rel="me authn" href="https://s.example/@me">
            <script>document.write('<a rel="me" href="https://evil.example/in-script">')</script>
            <style>a[rel=me]{}</style><title><a rel=me href="https://evil.example/in-title"></title></head>
            <body><a href="https://other.example">not me</a><A REL="Me" HREF="https://s.example/users/me">x</A>
            <a rel="nofollow noopener me" href="https://third.example/@me">y</a><a rel="meh" href="https://no.example">z</a></body></html>"#;
        assert_eq!(rel_me_links(page), ["https://s.example/@me", "https://s.example/users/me", "https://third.example/@me"]);
    }

    #[test]
    fn a_page_full_of_links_keeps_the_first_hundred() {
        let page = "<a rel=me href=https://x.example/>".repeat(1_000);
        assert_eq!(rel_me_links(&page).len(), MAX_LINKS);
    }

    #[test]
    fn a_link_back_is_found_without_reading_the_whole_page() {
        let me = "https://s.example/@me";
        let filler = "<p class=x>words words words</p>".repeat(2_000);
        let page = format!("<html><head><link rel=\"stylesheet\" href=\"/a.css\"></head><body>{filler}<footer><a class=\"social\" REL=\"me noopener\" href=\"HTTPS://S.example/@me\">Mastodon</a></footer></body></html>");
        assert!(links_back_in(&page, &[me, "https://s.example/users/me"]));
        // Named, but not as a link back: in text, in a plain link, in a script, by a prefix.
        let named = format!("{filler}<p>Find me at https://s.example/@me</p><a href=\"{me}\">no rel</a><a rel=me href=\"{me}x\">longer</a>\
                             <script>var a = \"<a rel=\\\"me\\\" href=\\\"{me}\\\">\";</script>");
        assert!(!links_back_in(&named, &[me]));
        assert!(!links_back_in(&filler, &[me]));
        assert!(!links_back_in("<a rel=me href=/>", &["", "  "]), "an empty address matches nothing");
        // A page naming the address too often is not read past the first places.
        let spam = format!("{}<a rel=me href={me}>", format!("<span>{me}</span>").repeat(MAX_MENTIONS + 1));
        assert!(!links_back_in(&spam, &[me]));
    }

    #[test]
    fn a_link_back_matches_without_case_or_trailing_slash() {
        let links = vec!["HTTPS://S.example/@Me/".to_string()];
        assert!(links_back(&links, &["https://s.example/@me"]));
        assert!(!links_back(&links, &["https://s.example/@meg"]));
        assert!(!links_back(&[], &["https://s.example/@me"]));
    }
}
