//! What the archive's JSON files hold: the outbox's activities, the actor, collections' heads.
use serde_json::{json, Value};

use super::media_path;
use crate::activitypub::vocab::PUBLIC;
use crate::app::documents::{self, NoteParts};
use crate::app::error::Result;
use crate::app::owner::Owner;
use crate::ctx::Ctx;
use crate::domain::time::iso8601;
use crate::store::archives::{self as store, UriRow};
use crate::store::db::decode;
use crate::store::media::{self, MediaRow};
use crate::store::polls::{self, PollRow};
use crate::store::statuses::{self, MentionRow, StatusRow, TagRow};

/// `{…, "orderedItems":[` from a collection's head: Mastodon's skeleton, split where the items go.
pub fn collection_start(head: &Value) -> String {
    let text = head.to_string();
    format!("{},\"orderedItems\":[", &text[..text.len() - 1])
}

/// The R2 key of a file stored here, from the URL it is served at.
pub fn stored_key(ctx: &Ctx<'_>, url: &str) -> Option<String> {
    let prefix = ctx.config.url("/media/");
    url.strip_prefix(&prefix).filter(|key| !key.is_empty() && !key.contains("..")).map(str::to_string)
}

pub fn extension(key: &str) -> &str {
    key.rsplit_once('.').map(|(_, e)| e).filter(|e| !e.contains('/')).unwrap_or("bin")
}

/// `actor.json`: the Person, with its collections and images pointing into the archive.
pub fn actor(ctx: &Ctx<'_>, owner: &Owner) -> Result<Value> {
    let mut person = documents::owner_person(owner, ctx.config)?;
    for (field, url, base) in [("icon", &owner.account.avatar_remote_url, "avatar"), ("image", &owner.account.header_remote_url, "header")] {
        match url.as_deref().and_then(|u| stored_key(ctx, u)) {
            Some(key) => person[field]["url"] = json!(format!("{base}.{}", extension(&key))),
            None => {
                if let Some(o) = person.as_object_mut() {
                    o.remove(field);
                }
            }
        }
    }
    person["outbox"] = json!("outbox.json");
    person["likes"] = json!("likes.json");
    person["bookmarks"] = json!("bookmarks.json");
    Ok(person)
}

/// The statuses as the outbox's items: a Create of each post (its Note or Question with its
/// attachments' `url`s pointing into the archive) and an Announce of each boost, in two D1
/// round trips (the page was the first).
pub async fn activities(ctx: &Ctx<'_>, owner: &Owner, rows: &[StatusRow]) -> Result<Vec<Value>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let originals: Vec<i64> = rows.iter().filter_map(|r| r.reblog_of_id).collect();
    let reads = [
        statuses::shown_tags_query(&ids),
        statuses::shown_mentions_query(&ids),
        media::shown_query(&ids),
        polls::shown_query(None, &ids),
        store::parent_uris(&ids),
        statuses::get_many_query(None, &originals),
    ];
    let mut results = ctx.db.batch_rows(&reads).await?.into_iter();
    let mut next = || results.next().unwrap_or_default();
    let tags: Vec<TagRow> = decode(next())?;
    let mentions: Vec<MentionRow> = decode(next())?;
    let files: Vec<MediaRow> = decode(next())?;
    let polls: Vec<PollRow> = decode(next())?;
    let parents: Vec<UriRow> = decode(next())?;
    let originals: Vec<StatusRow> = decode(next())?;
    let me = &owner.account.uri;
    let mut items = Vec::with_capacity(rows.len());
    for status in rows {
        let published = iso8601(status.created_at);
        let activity = format!("{}/activity", status.uri);
        if let Some(original) = status.reblog_of_id {
            // A boost of a post no longer stored has nothing to point at.
            let Some(original) = originals.iter().find(|s| s.id == original) else { continue };
            items.push(json!({
                "id": activity, "type": "Announce", "actor": me, "published": published,
                "to": [PUBLIC], "cc": [documents::followers_url(&owner.account)], "object": original.uri,
            }));
            continue;
        }
        let own_tags: Vec<String> = tags.iter().filter(|t| t.status_id == status.id).map(|t| t.name.clone()).collect();
        let own_mentions: Vec<MentionRow> = mentions.iter().filter(|m| m.status_id == status.id).cloned().collect();
        let own_media: Vec<MediaRow> = files.iter().filter(|m| m.status_id == Some(status.id)).cloned().collect();
        let parts = NoteParts {
            status,
            author: &owner.account,
            in_reply_to_uri: status.in_reply_to_id.and_then(|p| parents.iter().find(|r| r.id == p)).map(|r| r.uri.as_str()),
            mentions: &own_mentions,
            tags: &own_tags,
            media: &own_media,
            poll: polls.iter().find(|p| p.status_id == status.id),
        };
        let mut note = documents::note(&parts, ctx.config);
        if let Some(o) = note.as_object_mut() {
            o.remove("@context");
        }
        if let Some(attachments) = note["attachment"].as_array_mut() {
            for (document, file) in attachments.iter_mut().zip(&own_media) {
                if let Some(key) = &file.r2_key {
                    document["url"] = json!(media_path(file.id, key));
                }
            }
        }
        items.push(json!({
            "id": activity, "type": "Create", "actor": me, "published": published,
            "to": note["to"].clone(), "cc": note["cc"].clone(), "object": note,
        }));
    }
    Ok(items)
}
