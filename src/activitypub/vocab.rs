//! Reading ActivityStreams JSON from other servers: the loose shapes peers really send
//! (a link as a string or an object, one value or an array) into plain structs. Pure.
//! Long because its 200 lines of tests sit with the 550 of readers they pin, and the readers
//! share one set of small link/value helpers that splitting by object type would scatter.
use serde_json::Value;

use crate::content::images;
use crate::content::sanitize::{plain_text_of_sanitized, sanitize, to_plain_text};
use crate::domain::time::parse_iso8601;
use crate::domain::visibility::Visibility;

pub const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

/// The id of a value that is either a link (string) or an embedded object.
pub fn id_of(value: &Value) -> Option<&str> {
    match value {
        Value::String(s) => Some(s),
        Value::Object(o) => o.get("id").and_then(Value::as_str),
        _ => None,
    }
}

/// The values of a property that may hold one value or an array of them.
fn items_of(value: Option<&Value>) -> Vec<&Value> {
    match value {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(item) => vec![item],
        None => Vec::new(),
    }
}

/// Every id in a value that may be one link or an array of them.
pub fn ids_of(value: Option<&Value>) -> Vec<String> {
    items_of(value).into_iter().filter_map(id_of).map(str::to_string).collect()
}

/// `type` as a string (the first, when a peer sends several).
pub fn type_of(value: &Value) -> &str {
    match value.get("type") {
        Some(Value::String(s)) => s,
        Some(Value::Array(items)) => items.first().and_then(Value::as_str).unwrap_or(""),
        _ => "",
    }
}

fn str_field<'a>(value: &'a Value, key: &str) -> Option<&'a str> {
    value.get(key).and_then(Value::as_str).filter(|s| !s.is_empty())
}

/// Longest remote URL kept: longer ones are not links anyone follows.
pub const MAX_URL_BYTES: usize = 2048;

/// `url` as a link clients may open or load: absolute http(s), no credentials, bounded. Anything
/// else a peer sends (`javascript:`, `data:`, relative paths) is dropped, never stored.
pub fn http_url(url: &str) -> Option<String> {
    if url.len() > MAX_URL_BYTES {
        return None;
    }
    let parsed = url::Url::parse(url).ok()?;
    (matches!(parsed.scheme(), "http" | "https") && parsed.has_host() && parsed.username().is_empty() && parsed.password().is_none())
        .then(|| url.to_string())
}

/// `url` may be a string, a Link object, or an array of either; prefer an HTML link. Only an
/// http(s) URL is returned.
pub fn url_of(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) => http_url(s),
        Value::Object(o) => o.get("href").or_else(|| o.get("url")).and_then(Value::as_str).and_then(http_url),
        Value::Array(items) => {
            let html = items.iter().find(|i| i.get("mediaType").and_then(Value::as_str) == Some("text/html"));
            html.and_then(|i| url_of(Some(i))).or_else(|| items.iter().take(16).find_map(|i| url_of(Some(i))))
        }
        _ => None,
    }
}

/// The URL of an image property (`icon`, `image`): an `Image` object with a `url`, or a link.
fn image_url(value: Option<&Value>) -> Option<String> {
    value.and_then(|image| url_of(image.get("url")).or_else(|| url_of(Some(image))))
}

/// An http(s) URL in a string field.
fn url_field(value: &Value, key: &str) -> Option<String> {
    str_field(value, key).and_then(http_url)
}

/// `text` cut to at most `max` characters.
fn truncated(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => text[..at].to_string(),
        None => text.to_string(),
    }
}

/// The host (with port) of a URL: the domain part of a remote handle.
pub fn host_of(url: &str) -> Option<String> {
    let parsed = url::Url::parse(url).ok()?;
    let host = parsed.host_str()?.to_ascii_lowercase();
    Some(match parsed.port() {
        Some(port) => format!("{host}:{port}"),
        None => host,
    })
}

/// Text in a field or its language map (`contentMap`), with the language when one is named:
/// the map's first key in document order, as Mastodon takes it (JSON objects keep their order).
fn text_and_language(value: &Value, key: &str) -> (Option<String>, Option<String>) {
    if let Some(text) = value.get(key).and_then(Value::as_str) {
        let language = value.get(format!("{key}Map")).and_then(Value::as_object).and_then(|m| m.keys().next().cloned());
        return (Some(text.to_string()), language);
    }
    match value.get(format!("{key}Map")).and_then(Value::as_object).and_then(|m| m.iter().next()) {
        Some((language, text)) => (text.as_str().map(str::to_string), Some(language.clone())),
        None => (None, None),
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Actor {
    pub id: String,
    pub actor_type: String,
    pub username: String,
    pub domain: String,
    pub url: Option<String>,
    pub display_name: String,
    pub note: String,
    /// JSON `[{name, value, verified_at}]`, values sanitized.
    pub fields: String,
    pub avatar: Option<String>,
    pub header: Option<String>,
    pub locked: bool,
    pub bot: bool,
    pub group: bool,
    pub discoverable: bool,
    pub indexable: bool,
    pub inbox: String,
    pub shared_inbox: Option<String>,
    pub outbox: Option<String>,
    pub followers: Option<String>,
    pub following: Option<String>,
    pub featured: Option<String>,
    pub public_key_id: Option<String>,
    pub public_key_pem: Option<String>,
    /// FEP-521a keys: (id, `publicKeyMultibase`).
    pub multikeys: Vec<(String, String)>,
    /// Custom emoji of the name and bio, as `emojis_of` gives them.
    pub emojis: String,
    pub also_known_as: Vec<String>,
    pub moved_to: Option<String>,
    pub published: Option<i64>,
}

const ACTOR_TYPES: [&str; 5] = ["Person", "Service", "Application", "Group", "Organization"];

/// Limits on what a remote actor may make us store (Mastodon truncates the same fields).
pub const MAX_DISPLAY_NAME_CHARS: usize = 2048;
pub const MAX_FIELDS: usize = 16;
pub const MAX_FIELD_NAME_CHARS: usize = 255;
pub const MAX_FIELD_VALUE_CHARS: usize = 2048;
pub const MAX_USERNAME_CHARS: usize = 255;
pub const MAX_ALIASES: usize = 16;
pub const MAX_KEYS: usize = 8;

/// Mastodon's rule for remote usernames: letters, digits and `_`, with single `.`/`-` inside.
fn valid_username(name: &str) -> bool {
    name.len() <= MAX_USERNAME_CHARS
        && name.split(['.', '-']).all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
}

/// The keys an actor document speaks for: a key counts only when it sits in the actor's own
/// document and names no other owner (or controller), so one actor cannot claim another's key.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ActorKeys {
    /// (key id, PEM) of the RSA `publicKey`.
    pub rsa: Vec<(String, String)>,
    /// FEP-521a keys: (id, `publicKeyMultibase`).
    pub multikeys: Vec<(String, String)>,
}

impl ActorKeys {
    pub fn rsa_pem(&self, key_id: &str) -> Option<&str> {
        self.rsa.iter().find(|(id, _)| id == key_id).map(|(_, pem)| pem.as_str())
    }

    pub fn multibase(&self, key_id: &str) -> Option<&str> {
        self.multikeys.iter().find(|(id, _)| id == key_id).map(|(_, key)| key.as_str())
    }
}

/// The keys of an actor document whose id is `actor_id`. Pure and cheap: nothing is sanitized,
/// so this is what runs before a signature verifies.
pub fn keys_of(doc: &Value, actor_id: &str) -> ActorKeys {
    let owned_by_actor = |key: &Value, owner_field: &str| {
        let owner_ok = key.get(owner_field).and_then(id_of).is_none_or(|owner| owner == actor_id);
        let on_actor_host = str_field(key, "id").and_then(host_of) == host_of(actor_id);
        owner_ok && on_actor_host
    };
    let rsa = items_of(doc.get("publicKey"))
        .into_iter()
        .filter(|k| owned_by_actor(k, "owner"))
        .filter_map(|k| Some((str_field(k, "id")?.to_string(), str_field(k, "publicKeyPem")?.to_string())))
        .take(MAX_KEYS)
        .collect();
    let multikeys = items_of(doc.get("assertionMethod"))
        .into_iter()
        .filter(|m| type_of(m) == "Multikey" && owned_by_actor(m, "controller"))
        .filter_map(|m| Some((str_field(m, "id")?.to_string(), str_field(m, "publicKeyMultibase")?.to_string())))
        .take(MAX_KEYS)
        .collect();
    ActorKeys { rsa, multikeys }
}

pub fn is_actor_type(kind: &str) -> bool {
    ACTOR_TYPES.contains(&kind)
}

/// An actor document whose id must be `expected_id` (the URL it was fetched from, or the actor
/// an activity names): a document never speaks for another id. `Err` says what is wrong. Text is
/// sanitized and every field bounded, so call this only for a document that is trusted to be
/// the actor's (fetched from its own origin, or carried by an activity the actor signed).
pub fn parse_actor(doc: &Value, expected_id: &str) -> Result<Actor, String> {
    let id = str_field(doc, "id").ok_or("actor has no id")?.to_string();
    if id != expected_id {
        return Err(format!("{id} is not the actor {expected_id}"));
    }
    http_url(&id).ok_or("actor id is not an http(s) URL")?;
    let kind = type_of(doc).to_string();
    if !is_actor_type(&kind) {
        return Err(format!("{id} is a {kind:?}, not an actor"));
    }
    let domain = host_of(&id).ok_or("actor id is not a URL")?;
    let username = str_field(doc, "preferredUsername").ok_or("actor has no preferredUsername")?.to_string();
    if !valid_username(&username) {
        return Err(format!("{id}: preferredUsername is not a valid username"));
    }
    let inbox = url_field(doc, "inbox").ok_or("actor has no http(s) inbox")?;
    let keys = keys_of(doc, &id);
    let fields: Vec<Value> = items_of(doc.get("attachment"))
        .into_iter()
        .filter(|a| type_of(a) == "PropertyValue")
        .take(MAX_FIELDS)
        .map(|a| {
            let value = a.get("value").and_then(Value::as_str).unwrap_or_default();
            serde_json::json!({
                "name": truncated(a.get("name").and_then(Value::as_str).unwrap_or_default(), MAX_FIELD_NAME_CHARS),
                "value": sanitize(&truncated(value, MAX_FIELD_VALUE_CHARS)),
                "verified_at": null,
            })
        })
        .collect();
    let (public_key_id, public_key_pem) = keys.rsa.first().cloned().unzip();
    Ok(Actor {
        actor_type: kind.clone(),
        username,
        domain,
        url: url_of(doc.get("url")),
        display_name: truncated(str_field(doc, "name").unwrap_or_default(), MAX_DISPLAY_NAME_CHARS),
        note: sanitize(str_field(doc, "summary").unwrap_or_default()),
        fields: Value::Array(fields).to_string(),
        avatar: image_url(doc.get("icon")),
        header: image_url(doc.get("image")),
        locked: doc.get("manuallyApprovesFollowers").and_then(Value::as_bool).unwrap_or(false),
        bot: kind == "Service" || kind == "Application",
        group: kind == "Group",
        discoverable: doc.get("discoverable").and_then(Value::as_bool).unwrap_or(false),
        indexable: doc.get("indexable").and_then(Value::as_bool).unwrap_or(false),
        inbox,
        shared_inbox: doc.get("endpoints").and_then(|e| url_field(e, "sharedInbox")),
        outbox: url_field(doc, "outbox"),
        followers: url_field(doc, "followers"),
        following: url_field(doc, "following"),
        featured: url_field(doc, "featured"),
        public_key_id,
        public_key_pem,
        multikeys: keys.multikeys,
        emojis: emojis_of(doc),
        also_known_as: ids_of(doc.get("alsoKnownAs")).into_iter().filter_map(|a| http_url(&a)).take(MAX_ALIASES).collect(),
        moved_to: doc.get("movedTo").and_then(id_of).and_then(http_url),
        published: str_field(doc, "published").and_then(parse_iso8601),
        id,
    })
}

#[derive(Debug, Clone, PartialEq)]
pub struct Attachment {
    pub url: String,
    /// Mastodon's kind: `image`, `gifv`, `video`, `audio` or `unknown`.
    pub kind: &'static str,
    pub media_type: Option<String>,
    pub description: Option<String>,
    pub blurhash: Option<String>,
    pub width: Option<i64>,
    pub height: Option<i64>,
    /// A still image for a video or audio file (the attachment's `icon`).
    pub preview_url: Option<String>,
}

/// Longest alt text kept (Mastodon allows 1,500 characters locally).
pub const MAX_DESCRIPTION_CHARS: usize = 1500;

/// An attachment's kind as Mastodon decides it: the media type of the attachment, else of its
/// `url` Link, else the ActivityStreams type (`Image`, `Video`, `Audio`), else the file name's
/// extension.
fn attachment_kind(attachment: &Value, media_type: Option<&str>) -> &'static str {
    let link_type = match attachment.get("url") {
        Some(Value::Array(links)) => links.iter().find_map(|l| str_field(l, "mediaType")),
        Some(link) => str_field(link, "mediaType"),
        None => None,
    };
    let of_media_type = |t: &str| images::attachment_type(&t.split(';').next().unwrap_or("").trim().to_ascii_lowercase());
    match media_type.or(link_type).map(of_media_type) {
        Some(kind) if kind != "unknown" => return kind,
        _ => {}
    }
    match type_of(attachment) {
        "Image" => return "image",
        "Video" => return "video",
        "Audio" => return "audio",
        _ => {}
    }
    let url = url_of(attachment.get("url")).unwrap_or_default();
    let path = url::Url::parse(&url).map(|u| u.path().to_string()).unwrap_or_default();
    images::type_of_extension(&path).map_or("unknown", images::attachment_type)
}

#[derive(Debug, Clone, PartialEq)]
pub struct Poll {
    /// (title, votes)
    pub options: Vec<(String, i64)>,
    pub multiple: bool,
    pub ends_at: Option<i64>,
    pub closed: bool,
    pub voters_count: Option<i64>,
}

/// A post: Note, Question, or an Article/Page/Video shown as its name and a link.
#[derive(Debug, Clone, PartialEq)]
pub struct Post {
    pub id: String,
    pub kind: String,
    pub url: Option<String>,
    pub attributed_to: String,
    /// Sanitized HTML.
    pub content: String,
    /// Plain text, for the search index.
    pub text: String,
    pub summary: String,
    pub sensitive: bool,
    pub language: Option<String>,
    pub in_reply_to: Option<String>,
    pub published: Option<i64>,
    pub updated: Option<i64>,
    pub to: Vec<String>,
    pub cc: Vec<String>,
    pub hashtags: Vec<String>,
    /// Mentioned actor ids.
    pub mentions: Vec<String>,
    pub attachments: Vec<Attachment>,
    /// Custom emoji, as `emojis_of` gives them.
    pub emojis: String,
    pub poll: Option<Poll>,
    /// `context` or `conversation`: threads across servers.
    pub context: Option<String>,
    pub replies: Option<String>,
}

pub const POST_TYPES: [&str; 8] = ["Note", "Question", "Article", "Page", "Video", "Event", "Audio", "Image"];

/// A remote hashtag's name as Mastodon keeps it: the author's casing, with what cannot be in a
/// hashtag (`-`, spaces, parentheses…) removed rather than the whole tag dropped. Matching
/// ignores case.
fn hashtag_display_name(name: &str) -> String {
    let separator = |c: char| matches!(c, '_' | '\u{b7}' | '\u{30fb}' | '\u{200c}');
    name.trim_start_matches('#').chars().filter(|&c| c.is_alphanumeric() || separator(c)).take(MAX_HASHTAG_CHARS).collect()
}

/// Longest content warning kept.
pub const MAX_CONTENT_WARNING_CHARS: usize = 1500;

/// A summary as the content warning apps show as plain text: its text, or, when markup is all
/// there is (`<script>…</script>`, an `<img>`), the summary as written, as Mastodon shows it. A
/// warning is never lost to sanitizing.
fn content_warning(summary: &str) -> String {
    let text = to_plain_text(summary);
    let text = if text.trim().is_empty() { summary.trim().to_string() } else { text };
    truncated(&text, MAX_CONTENT_WARNING_CHARS)
}

/// At most this many custom emoji are kept per post or profile.
pub const MAX_EMOJIS: usize = 50;

/// The `Emoji` tags of an object (a post, an actor), as the JSON the entities carry:
/// `[{shortcode, url, static_url, visible_in_picker}]`. Shortcodes are Mastodon's (letters,
/// digits, `_`, at least two); the image must be an http(s) URL.
pub fn emojis_of(doc: &Value) -> String {
    let mut seen: Vec<String> = Vec::new();
    let emojis: Vec<Value> = items_of(doc.get("tag"))
        .into_iter()
        .filter(|t| type_of(t) == "Emoji")
        .filter_map(|t| {
            let shortcode = str_field(t, "name")?.trim_matches(':');
            let valid = (2..=64).contains(&shortcode.len()) && shortcode.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
            let url = image_url(t.get("icon"))?;
            (valid && !seen.iter().any(|s| s == shortcode)).then(|| {
                seen.push(shortcode.to_string());
                serde_json::json!({"shortcode": shortcode, "url": url, "static_url": url, "visible_in_picker": false})
            })
        })
        .take(MAX_EMOJIS)
        .collect();
    Value::Array(emojis).to_string()
}

/// Longest hashtag kept.
pub const MAX_HASHTAG_CHARS: usize = 100;

/// Types Mastodon shows as a title, their summary and a link rather than as a post's text.
const CONVERTED_TYPES: [&str; 6] = ["Article", "Page", "Video", "Event", "Audio", "Image"];

/// Limits on one remote post: what is beyond them is not kept (Mastodon keeps four
/// attachments to show; nobody mentions a hundred people in earnest).
pub const MAX_MENTIONS: usize = 100;
pub const MAX_HASHTAGS: usize = 50;
pub const MAX_ATTACHMENTS: usize = 8;
pub const MAX_POLL_OPTIONS: usize = 20;
pub const MAX_POLL_OPTION_CHARS: usize = 200;
pub const MAX_ADDRESSEES: usize = 1000;

pub fn parse_post(doc: &Value) -> Result<Post, String> {
    let id = str_field(doc, "id").ok_or("object has no id")?.to_string();
    let kind = type_of(doc).to_string();
    if !POST_TYPES.contains(&kind.as_str()) {
        return Err(format!("{id}: {kind:?} is not a post type"));
    }
    let attributed_to = doc
        .get("attributedTo")
        .and_then(|a| match a {
            Value::Array(items) => items.iter().find_map(id_of),
            other => id_of(other),
        })
        .ok_or("post has no attributedTo")?
        .to_string();
    http_url(&id).ok_or("post id is not an http(s) URL")?;
    let (content, language) = text_and_language(doc, "content");
    let url = url_of(doc.get("url"));
    let converted = CONVERTED_TYPES.contains(&kind.as_str());
    let content = if converted {
        // As Mastodon: the title as a heading, the summary as text (not a content warning), and
        // a link to the original.
        let (name, _) = text_and_language(doc, "name");
        let (summary, _) = text_and_language(doc, "summary");
        let title = name.map(|n| format!("<p><strong>{}</strong></p>", crate::content::escape_html(&truncated(&n, MAX_DISPLAY_NAME_CHARS)))).unwrap_or_default();
        let summary = summary.map(|s| sanitize(&s)).unwrap_or_default();
        let link = crate::content::escape_html(url.as_deref().unwrap_or(&id));
        format!("{title}{summary}<p><a href=\"{link}\" rel=\"nofollow noopener\" target=\"_blank\">{link}</a></p>")
    } else {
        sanitize(&content.unwrap_or_default())
    };
    let tags: Vec<&Value> = items_of(doc.get("tag"));
    let hashtags = tags
        .iter()
        .filter(|t| type_of(t) == "Hashtag")
        .filter_map(|t| str_field(t, "name"))
        .map(hashtag_display_name)
        .filter(|n| !n.is_empty() && !n.chars().all(|c| c.is_ascii_digit()))
        .take(MAX_HASHTAGS)
        .collect();
    let mut mentions: Vec<String> = tags.iter().filter(|t| type_of(t) == "Mention").filter_map(|t| url_field(t, "href")).collect();
    mentions.sort_unstable();
    mentions.dedup();
    mentions.truncate(MAX_MENTIONS);
    let attachments = items_of(doc.get("attachment"))
    .into_iter()
    .filter_map(|a| {
        let media_type = str_field(a, "mediaType");
        let kind = attachment_kind(a, media_type);
        Some(Attachment {
            url: url_of(a.get("url"))?,
            kind,
            media_type: media_type.map(str::to_string),
            // Mastodon reads alt text from `summary` first, then `name`.
            description: str_field(a, "summary").or_else(|| str_field(a, "name")).map(|d| truncated(d, MAX_DESCRIPTION_CHARS)),
            blurhash: str_field(a, "blurhash").filter(|b| b.len() <= 100).map(str::to_string),
            width: a.get("width").and_then(Value::as_i64).filter(|w| (1..=100_000).contains(w)),
            height: a.get("height").and_then(Value::as_i64).filter(|h| (1..=100_000).contains(h)),
            preview_url: matches!(kind, "video" | "audio").then(|| image_url(a.get("icon"))).flatten(),
        })
    })
    .take(MAX_ATTACHMENTS)
    .collect();
    let poll = (kind == "Question").then(|| parse_poll(doc)).flatten();
    Ok(Post {
        text: plain_text_of_sanitized(&content),
        content,
        url,
        attributed_to,
        summary: if converted { String::new() } else { text_and_language(doc, "summary").0.map(|s| content_warning(&s)).unwrap_or_default() },
        sensitive: doc.get("sensitive").and_then(Value::as_bool).unwrap_or(false),
        language,
        in_reply_to: doc.get("inReplyTo").and_then(id_of).and_then(http_url),
        published: str_field(doc, "published").and_then(parse_iso8601),
        updated: str_field(doc, "updated").and_then(parse_iso8601),
        to: ids_of(doc.get("to")).into_iter().take(MAX_ADDRESSEES).collect(),
        cc: ids_of(doc.get("cc")).into_iter().take(MAX_ADDRESSEES).collect(),
        hashtags,
        mentions,
        attachments,
        emojis: emojis_of(doc),
        poll,
        context: doc.get("context").or_else(|| doc.get("conversation")).and_then(id_of).map(|c| truncated(c, MAX_URL_BYTES)),
        replies: doc.get("replies").and_then(id_of).and_then(http_url),
        kind,
        id,
    })
}

fn parse_poll(doc: &Value) -> Option<Poll> {
    let (choices, multiple) = match (doc.get("oneOf"), doc.get("anyOf")) {
        (Some(Value::Array(one)), _) => (one, false),
        (_, Some(Value::Array(any))) => (any, true),
        _ => return None,
    };
    let options = choices
        .iter()
        .take(MAX_POLL_OPTIONS)
        .filter_map(|c| {
            let votes = c.get("replies").and_then(|r| r.get("totalItems")).and_then(Value::as_i64).unwrap_or(0).max(0);
            Some((truncated(str_field(c, "name")?, MAX_POLL_OPTION_CHARS), votes))
        })
        .collect();
    let ends_at = str_field(doc, "endTime").and_then(parse_iso8601);
    Some(Poll {
        options,
        multiple,
        ends_at,
        closed: str_field(doc, "closed").is_some(),
        voters_count: doc.get("votersCount").and_then(Value::as_i64).map(|v| v.max(0)),
    })
}

/// Mastodon's visibility from addressing: Public in `to` → public, in `cc` → unlisted, the
/// author's followers addressed → private, otherwise direct.
pub fn visibility(to: &[String], cc: &[String], followers_url: Option<&str>) -> Visibility {
    let is_public = |s: &String| s == PUBLIC || s == "as:Public" || s == "Public";
    if to.iter().any(is_public) {
        Visibility::Public
    } else if cc.iter().any(is_public) {
        Visibility::Unlisted
    } else if followers_url.is_some_and(|f| to.iter().chain(cc).any(|s| s == f)) || to.iter().chain(cc).any(|s| s.ends_with("/followers")) {
        Visibility::Private
    } else {
        Visibility::Direct
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    fn mastodon_actor() -> Value {
        json!({
            "@context": ["https://www.w3.org/ns/activitystreams"],
            "id": "https://mastodon.example/users/bob",
            "type": "Person",
            "preferredUsername": "bob",
            "name": "Bob",
            "summary": "<p>hi <script>alert(1)</script></p>",
            "url": "https://mastodon.example/@bob",
            "inbox": "https://mastodon.example/users/bob/inbox",
            "endpoints": {"sharedInbox": "https://mastodon.example/inbox"},
            "followers": "https://mastodon.example/users/bob/followers",
            "manuallyApprovesFollowers": true,
            "icon": {"type": "Image", "url": "https://files.example/a.png"},
            "publicKey": {"id": "https://mastodon.example/users/bob#main-key", "owner": "https://mastodon.example/users/bob", "publicKeyPem": "PEM"},
            "assertionMethod": [{"id": "https://mastodon.example/users/bob#ed", "type": "Multikey", "publicKeyMultibase": "z6Mk"}],
            "attachment": [{"type": "PropertyValue", "name": "site", "value": "<a href=\"javascript:x\">x</a>"}],
            "alsoKnownAs": ["https://old.example/users/bob"]
        })
    }

    #[test]
    fn actors_are_read_with_keys_inboxes_and_sanitized_text() {
        let actor = parse_actor(&mastodon_actor(), "https://mastodon.example/users/bob").unwrap();
        assert_eq!(actor.username, "bob");
        assert_eq!(actor.domain, "mastodon.example");
        assert_eq!(actor.shared_inbox.as_deref(), Some("https://mastodon.example/inbox"));
        assert_eq!(actor.public_key_id.as_deref(), Some("https://mastodon.example/users/bob#main-key"));
        assert_eq!(actor.avatar.as_deref(), Some("https://files.example/a.png"));
        assert!(actor.locked);
        assert!(!actor.note.contains("script"));
        assert!(!actor.fields.contains("javascript"));
        assert_eq!(actor.multikeys, vec![("https://mastodon.example/users/bob#ed".to_string(), "z6Mk".to_string())]);
        assert_eq!(actor.also_known_as, vec!["https://old.example/users/bob"]);
    }

    #[test]
    fn an_actor_served_by_another_host_is_refused() {
        assert!(parse_actor(&mastodon_actor(), "https://evil.example/users/bob").is_err());
        let mut note = mastodon_actor();
        note["type"] = json!("Note");
        assert!(parse_actor(&note, "https://mastodon.example/users/bob").is_err());
    }

    #[test]
    fn ports_are_part_of_the_domain() {
        assert_eq!(host_of("http://127.0.0.1:8101/users/bob").as_deref(), Some("127.0.0.1:8101"));
        assert_eq!(host_of("https://Example.COM/x").as_deref(), Some("example.com"));
    }

    #[test]
    fn notes_carry_tags_mentions_media_and_language() {
        let note = json!({
            "id": "https://m.example/users/bob/statuses/1",
            "type": "Note",
            "attributedTo": "https://m.example/users/bob",
            "content": "<p>Hello <a href=\"https://x.example/users/alice\" class=\"u-url mention\">@alice</a> <img src=x onerror=alert(1)></p>",
            "contentMap": {"en": "<p>Hello</p>"},
            "to": "https://www.w3.org/ns/activitystreams#Public",
            "cc": ["https://m.example/users/bob/followers", "https://x.example/users/alice"],
            "inReplyTo": {"id": "https://x.example/users/alice/statuses/9", "type": "Note"},
            "tag": [
                {"type": "Mention", "href": "https://x.example/users/alice", "name": "@alice@x.example"},
                {"type": "Hashtag", "href": "https://m.example/tags/rust", "name": "#Rust"}
            ],
            "attachment": [{"type": "Document", "mediaType": "image/png", "url": "https://files.example/1.png", "name": "a cat", "width": 10, "height": 20}],
            "sensitive": false,
            "published": "2026-11-24T10:00:00Z"
        });
        let post = parse_post(&note).unwrap();
        assert_eq!(post.language.as_deref(), Some("en"));
        assert_eq!(post.hashtags, vec!["Rust"]);
        let tagged = json!({"id": "https://m.example/n/2", "type": "Note", "attributedTo": "https://m.example/u", "content": "x",
            "tag": [{"type": "Hashtag", "name": "#Foo-Bar"}, {"type": "Hashtag", "name": "#New York (2026)"}, {"type": "Hashtag", "name": "#123"}]});
        assert_eq!(parse_post(&tagged).unwrap().hashtags, vec!["FooBar", "NewYork2026"]);
        assert_eq!(post.mentions, vec!["https://x.example/users/alice"]);
        assert_eq!(post.in_reply_to.as_deref(), Some("https://x.example/users/alice/statuses/9"));
        assert_eq!(post.attachments[0].description.as_deref(), Some("a cat"));
        assert!(!post.content.contains("onerror"));
        assert_eq!(post.text, "Hello @alice");
        assert_eq!(visibility(&post.to, &post.cc, Some("https://m.example/users/bob/followers")), Visibility::Public);
    }

    #[test]
    fn a_summary_of_markup_alone_is_still_a_content_warning() {
        let note = |summary: &str| json!({"id": "https://m.example/n/1", "type": "Note", "attributedTo": "https://m.example/u", "content": "x", "summary": summary});
        assert_eq!(parse_post(&note("<script>alert('hi');</script>")).unwrap().summary, "<script>alert('hi');</script>");
        assert_eq!(parse_post(&note("<b>spoiler</b>")).unwrap().summary, "spoiler");
        assert_eq!(parse_post(&note("  ")).unwrap().summary, "");
    }

    #[test]
    fn articles_become_a_title_and_a_link() {
        let article = json!({"id": "https://b.example/p/1", "type": "Article", "attributedTo": "https://b.example/u",
            "name": "Long <read>", "content": "<p>very long</p>", "url": "https://b.example/p/1.html"});
        let post = parse_post(&article).unwrap();
        assert!(post.content.contains("Long &lt;read&gt;"));
        assert!(post.content.contains("href=\"https://b.example/p/1.html\""));
        assert!(!post.content.contains("very long"));
    }

    #[test]
    fn only_http_urls_survive_from_remote_documents() {
        let mut actor = mastodon_actor();
        actor["url"] = json!("javascript:alert(1)");
        actor["icon"] = json!({"type": "Image", "url": "data:image/png;base64,AAAA"});
        actor["image"] = json!({"type": "Image", "url": "/relative.png"});
        actor["endpoints"] = json!({"sharedInbox": "javascript:x"});
        let actor = parse_actor(&actor, "https://mastodon.example/users/bob").unwrap();
        assert_eq!((actor.url, actor.avatar, actor.header, actor.shared_inbox), (None, None, None, None));
        let mut inboxless = mastodon_actor();
        inboxless["inbox"] = json!("javascript:x");
        assert!(parse_actor(&inboxless, "https://mastodon.example/users/bob").is_err());
        let article = json!({"id": "https://b.example/p/1", "type": "Article", "attributedTo": "https://b.example/u",
            "name": "t", "url": "javascript:alert(1)",
            "attachment": [{"type": "Document", "mediaType": "image/png", "url": "javascript:alert(2)"}],
            "tag": [{"type": "Mention", "href": "javascript:alert(3)"}]});
        let post = parse_post(&article).unwrap();
        assert!(!post.content.contains("javascript") && post.content.contains("href=\"https://b.example/p/1\""), "{}", post.content);
        assert!(post.url.is_none() && post.attachments.is_empty() && post.mentions.is_empty());
        assert!(parse_post(&json!({"id": "javascript:x", "type": "Note", "attributedTo": "https://b.example/u"})).is_err());
    }

    #[test]
    fn remote_posts_and_actors_are_bounded() {
        let tags: Vec<Value> = (0..10_000).map(|i| json!({"type": "Mention", "href": format!("https://m.example/u/{i}")})).collect();
        let options: Vec<Value> = (0..20_000).map(|i| json!({"type": "Note", "name": format!("o{i}")})).collect();
        let q = json!({"id": "https://m.example/q/1", "type": "Question", "attributedTo": "https://m.example/u", "content": "?", "tag": tags, "oneOf": options});
        let post = parse_post(&q).unwrap();
        assert_eq!((post.mentions.len(), post.poll.unwrap().options.len()), (MAX_MENTIONS, MAX_POLL_OPTIONS));
        let mut actor = mastodon_actor();
        actor["preferredUsername"] = json!("bob@evil.example");
        assert!(parse_actor(&actor, "https://mastodon.example/users/bob").is_err(), "a username that would forge a handle");
        actor["preferredUsername"] = json!("bob.the-builder_2");
        assert!(parse_actor(&actor, "https://mastodon.example/users/bob").is_ok());
    }

    #[test]
    fn keys_count_only_in_their_owners_document() {
        let mut actor = mastodon_actor();
        actor["publicKey"] = json!([
            {"id": "https://mastodon.example/users/bob#main-key", "owner": "https://mastodon.example/users/bob", "publicKeyPem": "MINE"},
            {"id": "https://mastodon.example/users/alice#main-key", "owner": "https://mastodon.example/users/alice", "publicKeyPem": "ALICES"},
            {"id": "https://elsewhere.example/k", "publicKeyPem": "FOREIGN"}
        ]);
        actor["assertionMethod"] = json!([
            {"id": "https://mastodon.example/users/bob#ed", "type": "Multikey", "controller": "https://mastodon.example/users/alice", "publicKeyMultibase": "z6Mk"}
        ]);
        let keys = keys_of(&actor, "https://mastodon.example/users/bob");
        assert_eq!(keys.rsa, vec![("https://mastodon.example/users/bob#main-key".to_string(), "MINE".to_string())]);
        assert!(keys.multikeys.is_empty());
    }

    #[test]
    fn attachments_as_mastodon_reads_them() {
        let note = json!({"id": "https://m.example/n/1", "type": "Note", "attributedTo": "https://m.example/u", "content": "x",
            "contentMap": {"en": "x", "de": "x"},
            "attachment": [
                {"type": "Image", "url": "https://f.example/1", "name": "the name", "summary": "the summary"},
                {"type": "Document", "url": {"type": "Link", "href": "https://f.example/2", "mediaType": "video/mp4"}, "icon": {"type": "Image", "url": "https://f.example/2.jpg"}},
                {"type": "Document", "url": "https://f.example/3.MP3"},
                {"type": "Document", "url": "https://f.example/4"}
            ]});
        let post = parse_post(&note).unwrap();
        let kinds: Vec<&str> = post.attachments.iter().map(|a| a.kind).collect();
        assert_eq!(kinds, ["image", "video", "audio", "unknown"]);
        assert_eq!(post.attachments[0].description.as_deref(), Some("the summary"));
        assert_eq!(post.attachments[0].preview_url, None);
        assert_eq!(post.attachments[1].preview_url.as_deref(), Some("https://f.example/2.jpg"));
        assert_eq!(post.language.as_deref(), Some("en"), "the first language in document order");
    }

    #[test]
    fn images_and_videos_show_their_title_summary_and_link() {
        let image = json!({"id": "https://p.example/i/1", "type": "Image", "attributedTo": "https://p.example/u",
            "name": "Sunset", "summary": "<p>over the sea</p>", "url": "https://p.example/i/1.jpg"});
        let post = parse_post(&image).unwrap();
        assert_eq!(post.content, "<p><strong>Sunset</strong></p><p>over the sea</p><p><a href=\"https://p.example/i/1.jpg\" rel=\"nofollow noopener\" target=\"_blank\">https://p.example/i/1.jpg</a></p>");
        assert_eq!(post.summary, "", "a converted object's summary is text, not a content warning");
    }

    #[test]
    fn questions_have_options_with_counts() {
        let q = json!({"id": "https://m.example/q/1", "type": "Question", "attributedTo": "https://m.example/u", "content": "?",
            "anyOf": [{"type": "Note", "name": "a", "replies": {"totalItems": 3}}, {"type": "Note", "name": "b"}],
            "endTime": "2026-12-01T00:00:00Z", "votersCount": 3});
        let poll = parse_post(&q).unwrap().poll.unwrap();
        assert!(poll.multiple);
        assert_eq!(poll.options, vec![("a".to_string(), 3), ("b".to_string(), 0)]);
        assert_eq!(poll.voters_count, Some(3));
    }

    #[test]
    fn visibility_follows_mastodon_addressing() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let followers = Some("https://m.example/users/bob/followers");
        assert_eq!(visibility(&s(&[PUBLIC]), &s(&[]), followers), Visibility::Public);
        assert_eq!(visibility(&s(&["https://m.example/users/bob/followers"]), &s(&[PUBLIC]), followers), Visibility::Unlisted);
        assert_eq!(visibility(&s(&["https://m.example/users/bob/followers"]), &s(&[]), followers), Visibility::Private);
        assert_eq!(visibility(&s(&["https://x.example/users/alice"]), &s(&[]), followers), Visibility::Direct);
    }
}
