//! The posts of an archive's outbox as rows to write (`Batch`): each `Create` becomes the
//! owner's post with its original date (its id is made from that date, so that it sorts where
//! it was written), visibility, content warning, language, hashtags, mentions of accounts known
//! here, a poll as it ended, and media rows whose files the media phase copies from the zip.
//! Replies to posts already here (imported before, or in the same batch) are threaded; a reply
//! to anything else keeps the parent's URI. Nothing is delivered: imported posts are history.
use std::collections::{HashMap, HashSet};

use serde_json::{json, Value};

use crate::activitypub::vocab;
use crate::app::owner::Owner;
use crate::config::Config;
use crate::ctx::Ctx;
use crate::domain::ids;
use crate::domain::visibility::Visibility;
use crate::domain::zip::crc32;
use crate::store::archive_imports::{Batch, FileRow, KnownRow};

/// Attachments name files in the zip by relative path; parsing wants URLs, so they pass as
/// URLs under this prefix and come back as paths.
const ARCHIVE_URL: &str = "https://archive.invalid/";

/// What became of one item.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Created,
    /// Imported before, or a post of this server.
    Existing,
    /// A boost, kept for the boosts phase (its original may have to be fetched).
    Deferred,
    Skipped(String),
}

/// The post an item creates (its object), when it is a `Create` of one; else why not.
pub fn object_of(item: &Value) -> Result<&Value, String> {
    match vocab::type_of(item) {
        "Create" => item.get("object").filter(|o| o.is_object()).ok_or_else(|| "a Create without its object".to_string()),
        "" => Err("not an activity".to_string()),
        other => Err(format!("a {other} activity")),
    }
}

/// The ids a batch of items needs looked up: each post's own id and the post it replies to,
/// and each boost's own id.
pub fn sources_and_parents(items: &[Value]) -> Vec<String> {
    let mut uris: Vec<String> = Vec::new();
    for item in items {
        if vocab::type_of(item) == "Announce" {
            uris.extend(item.get("id").and_then(Value::as_str).map(str::to_string));
        }
        if let Ok(object) = object_of(item) {
            uris.extend(object.get("id").and_then(Value::as_str).map(str::to_string));
            uris.extend(object.get("inReplyTo").and_then(vocab::id_of).map(str::to_string));
        }
    }
    uris.sort();
    uris.dedup();
    uris
}

/// The zip paths the items' attachments name.
pub fn attachment_paths(items: &[Value]) -> Vec<String> {
    let mut paths: Vec<String> = items
        .iter()
        .filter_map(|item| object_of(item).ok())
        .flat_map(|object| attachments(object).into_iter().filter_map(zip_path))
        .collect();
    paths.sort();
    paths.dedup();
    paths
}

fn attachments(object: &Value) -> Vec<&Value> {
    match object.get("attachment") {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(one @ Value::Object(_)) => vec![one],
        _ => Vec::new(),
    }
}

/// A relative attachment `url`: a file's path in the zip (`media_attachments/files/…`).
fn zip_path(attachment: &Value) -> Option<String> {
    let url = attachment.get("url")?.as_str()?;
    let path = url.trim_start_matches("./").trim_start_matches('/');
    (!url.contains("://") && !path.is_empty() && !path.split('/').any(|p| p == "..")).then(|| path.to_string())
}

/// A 16-bit sequence for an id made from an item's date: from its source id, so that two posts
/// of the same millisecond differ and the same item always gets the same id.
fn sequence(source: &str, taken: &HashSet<i64>, ms: u64) -> i64 {
    let mut sequence = (crc32(source.as_bytes()) & 0xFFFF) as u16;
    loop {
        let id = ids::from_parts(ms, sequence);
        if !taken.contains(&id) {
            return id;
        }
        sequence = sequence.wrapping_add(1);
    }
}

/// The rows of `items` (archive order), given what is already here (`known`, by source id and
/// by URI) and the zip's files they name.
pub fn plan(ctx: &Ctx<'_>, owner: &Owner, items: &[Value], known: &[KnownRow], files: &[FileRow]) -> (Batch, Vec<(String, Outcome)>) {
    let config: &Config = ctx.config;
    let now = ctx.now_ms();
    let mut batch = Batch::default();
    let mut outcomes = Vec::new();
    let known: HashMap<&str, &KnownRow> = known.iter().map(|k| (k.source.as_str(), k)).collect();
    let files: HashMap<&str, &FileRow> = files.iter().map(|f| (f.name.as_str(), f)).collect();
    // Posts of this batch by source id: (id, conversation).
    let mut created: HashMap<String, (i64, i64)> = HashMap::new();
    let mut taken: HashSet<i64> = HashSet::new();
    for item in items {
        let label = item.get("id").or_else(|| item.get("object").and_then(|o| o.get("id"))).and_then(Value::as_str).unwrap_or("?").to_string();
        if vocab::type_of(item) == "Announce" {
            let outcome = match boost_of(item, now) {
                Err(why) => Outcome::Skipped(why),
                Ok(_) if known.contains_key(label.as_str()) || created.contains_key(&label) => Outcome::Existing,
                Ok((object, published, visibility)) => {
                    let id = sequence(&label, &taken, published.max(0) as u64);
                    taken.insert(id);
                    created.insert(label.clone(), (id, id));
                    batch.boosts.push(json!([id.to_string(), label, object, published, visibility.as_str()]));
                    Outcome::Deferred
                }
            };
            outcomes.push((label, outcome));
            continue;
        }
        let object = match object_of(item) {
            Ok(object) => object,
            Err(why) => {
                outcomes.push((label, Outcome::Skipped(why)));
                continue;
            }
        };
        let source = object.get("id").and_then(Value::as_str).unwrap_or_default().to_string();
        if known.contains_key(source.as_str()) || created.contains_key(&source) {
            outcomes.push((source, Outcome::Existing));
            continue;
        }
        let mut object = object.clone();
        if let Some(list) = object.get_mut("attachment").and_then(Value::as_array_mut) {
            for attachment in list.iter_mut() {
                if let Some(path) = zip_path(attachment) {
                    attachment["url"] = json!(format!("{ARCHIVE_URL}{path}"));
                }
            }
        }
        // The archive is the owner's: whoever the post says wrote it, it becomes theirs.
        object["attributedTo"] = json!(owner.account.uri);
        let post = match vocab::parse_post(&object) {
            Ok(post) => post,
            Err(why) => {
                outcomes.push((source, Outcome::Skipped(why)));
                continue;
            }
        };
        let created_at = post.published.unwrap_or(now).min(now);
        let id = sequence(&source, &taken, created_at.max(0) as u64);
        taken.insert(id);
        let uri = format!("{}/statuses/{id}", owner.account.uri);
        let url = format!("{}/{id}", config.profile_url(&owner.account.username));
        let visibility = vocab::visibility(&post.to, &post.cc, None);
        let parent = post.in_reply_to.as_deref().and_then(|p| {
            created.get(p).map(|&(pid, conversation)| (pid, owner.account.id, conversation)).or_else(|| {
                known.get(p).map(|k| (k.status_id, k.account_id, k.conversation_id.unwrap_or(k.status_id)))
            })
        });
        let conversation = parent.map_or(id, |p| p.2);
        if let Some((parent_id, ..)) = parent {
            batch.parents.push(parent_id);
        }
        let poll_id = post.poll.as_ref().map(|poll| {
            let poll_id = ctx.new_id();
            let options: Vec<Value> = poll.options.iter().map(|(title, votes)| json!({"title": title, "votes_count": votes})).collect();
            let votes: i64 = poll.options.iter().map(|(_, v)| v).sum();
            // As it ended: closed when it ended (or when it was written, if it never said).
            let ended = poll.ends_at.unwrap_or(created_at).min(now);
            batch.polls.push(json!([poll_id.to_string(), id.to_string(), Value::from(options).to_string(), i64::from(poll.multiple), votes, poll.voters_count, ended, ended, created_at]));
            poll_id
        });
        for attachment in &post.attachments {
            let Some(path) = attachment.url.strip_prefix(ARCHIVE_URL) else {
                outcomes.push((format!("{source} {}", attachment.url), Outcome::Skipped("a file elsewhere, not in the archive".into())));
                continue;
            };
            let Some(file) = files.get(path) else {
                outcomes.push((format!("{source} {path}"), Outcome::Skipped("its file is not in the archive".into())));
                continue;
            };
            let media_id = ctx.new_id();
            let extension = path.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).filter(|e| e.len() <= 5 && !e.contains('/')).unwrap_or_else(|| "bin".into());
            let content_type = servable_type(attachment.media_type.as_deref().or_else(|| crate::content::images::type_of_extension(path)));
            let meta = match (attachment.width, attachment.height) {
                (Some(w), Some(h)) => json!({"width": w, "height": h}),
                _ => json!({}),
            };
            let key = format!("media/{media_id}/original.{extension}");
            batch.media.push(json!([media_id.to_string(), id.to_string(), attachment.kind, key, content_type, file.size, attachment.description, attachment.blurhash, meta.to_string(), Value::Null, Value::Null, created_at]));
            batch.copies.push(json!([media_id.to_string(), path]));
        }
        for name in &post.hashtags {
            batch.tags.push(json!([ctx.new_id().to_string(), name]));
            batch.status_tags.push(json!([id.to_string(), name]));
        }
        for mentioned in &post.mentions {
            batch.mentions.push(json!([id.to_string(), mentioned]));
        }
        batch.statuses.push(json!([
            id.to_string(), uri, url, visibility.as_str(), post.content, post.text, post.summary, i64::from(post.sensitive || !post.summary.is_empty()),
            post.language, parent.map(|p| p.0.to_string()), parent.map(|p| p.1.to_string()),
            if parent.is_none() { post.in_reply_to.clone() } else { None }, conversation.to_string(), poll_id.map(|p| p.to_string()), created_at, post.emojis,
        ]));
        batch.search.push(json!([id.to_string(), format!("{} {}", post.summary, post.text)]));
        batch.sources.push(json!([source, id.to_string()]));
        if visibility != Visibility::Direct {
            batch.counted += 1;
            batch.newest = batch.newest.max(created_at);
        }
        created.insert(source.clone(), (id, conversation));
        outcomes.push((source, Outcome::Created));
    }
    (batch, outcomes)
}

/// A boost's original (an http(s) URI), date and audience; a boost is never direct, so one
/// addressed to nobody in particular is public, as Mastodon's own boosts are.
fn boost_of(item: &Value, now: i64) -> Result<(String, i64, Visibility), String> {
    let object = item.get("object").and_then(vocab::id_of).and_then(vocab::http_url).ok_or("a boost without an http(s) original")?;
    item.get("id").and_then(Value::as_str).and_then(vocab::http_url).ok_or("a boost without an http(s) id")?;
    let published = item.get("published").and_then(Value::as_str).and_then(crate::domain::time::parse_iso8601).unwrap_or(now).min(now);
    let visibility = match vocab::visibility(&vocab::ids_of(item.get("to")), &vocab::ids_of(item.get("cc")), None) {
        Visibility::Direct => Visibility::Public,
        other => other,
    };
    Ok((object, published, visibility))
}

/// The type an imported file is served with from `/media/…`, on this server's origin: a
/// picture, a video or a sound as the archive says, anything else (HTML, SVG, scripts, which a
/// browser would run there) as bytes to download.
///
/// ```
/// use topi::app::archive::servable_type;
/// assert_eq!(servable_type(Some("image/png")), "image/png");
/// assert_eq!(servable_type(Some("text/html")), "application/octet-stream");
/// assert_eq!(servable_type(Some("image/svg+xml")), "application/octet-stream");
/// assert_eq!(servable_type(Some("video/mp4; codecs=\"x\"")), "application/octet-stream");
/// ```
pub fn servable_type(declared: Option<&str>) -> String {
    let declared = declared.unwrap_or_default().trim().to_ascii_lowercase();
    let simple = declared.split_once('/').is_some_and(|(kind, sub)| {
        matches!(kind, "image" | "video" | "audio") && !sub.is_empty() && sub.bytes().all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
    });
    if simple && declared != "image/svg+xml" {
        declared
    } else {
        "application/octet-stream".to_string()
    }
}
