//! ActivityStreams documents from other servers: `vocab::parse_actor` and `vocab::parse_post`
//! (which sanitise HTML and read dates) and the small readers around them, on arbitrary JSON.
#![no_main]
use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use topi::activitypub::vocab::{host_of, id_of, ids_of, parse_actor, parse_post, type_of, url_of, visibility};
use topi_fuzz::amplify;

fn safe_html(html: &str) {
    for tag in topi_fuzz::tags(html) {
        let name = &tag.name;
        assert!(!["script", "style", "iframe", "img", "svg", "math", "object", "embed", "form"].contains(&name.as_str()), "<{name}> in {html:?}");
    }
    for href in topi_fuzz::hrefs(html) {
        assert!(!href.trim().to_ascii_lowercase().starts_with("javascript:"), "javascript: link in {html:?}");
    }
}

fuzz_target!(|data: &[u8]| {
    topi_fuzz::guard_stack();
    let data = amplify(data);
    let Ok(doc) = serde_json::from_slice::<Value>(&data) else { return };
    let _ = type_of(&doc);
    let _ = id_of(&doc);
    let _ = url_of(doc.get("url"));
    for key in ["to", "cc", "tag", "attachment", "alsoKnownAs"] {
        let _ = ids_of(doc.get(key));
    }
    // The host check passes when the document says it is where it was fetched from.
    let fetched_from = doc.get("id").and_then(Value::as_str).unwrap_or("https://remote.example/users/a");
    let _ = host_of(fetched_from);
    if let Ok(actor) = parse_actor(&doc, fetched_from) {
        safe_html(&actor.note);
        let fields: Value = serde_json::from_str(&actor.fields).expect("actor fields are JSON");
        for field in fields.as_array().into_iter().flatten() {
            safe_html(field.get("value").and_then(Value::as_str).unwrap_or_default());
        }
        assert!(!actor.domain.is_empty());
    }
    if let Ok(post) = parse_post(&doc) {
        safe_html(&post.content);
        let _ = visibility(&post.to, &post.cc, doc.get("followers").and_then(Value::as_str));
    }
    // Activities wrap their object.
    if let Some(object) = doc.get("object") {
        let _ = parse_post(object);
    }
});
