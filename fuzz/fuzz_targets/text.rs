//! The status text renderer (`content::text::{render, to_html, inline_html, character_count}`):
//! plain text becomes HTML with only the markup we put there, and is counted as Mastodon does.
#![no_main]
use libfuzzer_sys::fuzz_target;
use topi::content::text::{character_count, inline_html, render, to_html};
use topi_fuzz::{amplify, text};

const BASE: &str = "https://social.example";

fn resolve(user: &str, domain: Option<&str>) -> Option<(String, String)> {
    user.starts_with(['a', 'A']).then(|| {
        (format!("https://{}/@{user}", domain.unwrap_or("social.example")), user.to_ascii_lowercase())
    })
}

fn check_markup(html: &str, allowed: &[&str]) {
    for tag in topi_fuzz::tags(html) {
        let name = &tag.name;
        assert!(allowed.contains(&name.as_str()), "<{name}> in {html:?}");
    }
    for href in topi_fuzz::hrefs(html) {
        assert!(href.starts_with("http://") || href.starts_with("https://"), "link {href:?} in {html:?}");
    }
}

fuzz_target!(|data: &[u8]| {
    topi_fuzz::guard_stack();
    let data = amplify(data);
    let input = text(&data);
    let rendered = render(&input, BASE, &resolve);
    check_markup(&rendered.html, &["p", "br", "a", "span"]);
    for tag in &rendered.tags {
        assert!(!tag.is_empty() && input.contains(&format!("#{tag}")), "tag {tag:?} not in the text");
    }
    for (user, _) in &rendered.mentions {
        assert!(input.contains(&format!("@{user}")), "mention {user:?} not in the text");
    }
    check_markup(&to_html(&input, BASE), &["p", "br", "a", "span"]);
    check_markup(&inline_html(&input, BASE), &["a", "span"]);
    let count = character_count(&input);
    let links = input.matches("http://").count() + input.matches("https://").count();
    assert!(count <= input.chars().count() + 23 * links, "character_count {count} for {input:?}");
});
