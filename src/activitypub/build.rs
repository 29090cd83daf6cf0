//! Our objects and activities as ActivityStreams JSON, addressed the way Mastodon addresses
//! them. Pure: callers load the rows.
use serde_json::{json, Value};

use super::vocab::PUBLIC;
use super::ACTIVITYSTREAMS;
use crate::config::Config;
use crate::domain::time::iso8601;
use crate::mastodon::entities::media::file_url;
use crate::store::accounts::AccountRow;
use crate::store::media::MediaRow;
use crate::store::polls::PollRow;
use crate::store::statuses::{MentionRow, StatusRow};

/// The extension terms our Notes use, so that JSON-LD processors read them.
fn note_context() -> Value {
    json!([
        ACTIVITYSTREAMS,
        {
            "ostatus": "http://ostatus.org#",
            "sensitive": "as:sensitive",
            "toot": "http://joinmastodon.org/ns#",
            "Hashtag": "as:Hashtag",
            "blurhash": "toot:blurhash",
            "focalPoint": {"@container": "@list", "@id": "toot:focalPoint"},
            "votersCount": "toot:votersCount",
        }
    ])
}

/// `to` and `cc` for a post of `visibility` by an actor with `followers`, mentioning `mentioned`.
pub fn audience(visibility: &str, followers: &str, mentioned: &[String]) -> (Vec<String>, Vec<String>) {
    let mut cc: Vec<String> = Vec::new();
    let to = match visibility {
        "public" => {
            cc.push(followers.to_string());
            vec![PUBLIC.to_string()]
        }
        "unlisted" => {
            cc.push(PUBLIC.to_string());
            vec![followers.to_string()]
        }
        "private" => vec![followers.to_string()],
        _ => mentioned.to_vec(),
    };
    if visibility != "direct" {
        cc.extend(mentioned.iter().cloned());
    }
    (to, cc)
}

pub fn followers_url(actor: &AccountRow) -> String {
    format!("{}/followers", actor.uri)
}

/// What a Note needs besides its row.
pub struct NoteParts<'a> {
    pub status: &'a StatusRow,
    pub author: &'a AccountRow,
    pub in_reply_to_uri: Option<&'a str>,
    pub mentions: &'a [MentionRow],
    pub tags: &'a [String],
    pub media: &'a [MediaRow],
    pub poll: Option<&'a PollRow>,
}

pub fn note(p: &NoteParts, config: &Config) -> Value {
    let s = p.status;
    let mentioned: Vec<String> = p.mentions.iter().filter(|m| m.account_id != p.author.id).map(|m| m.uri.clone()).collect();
    let (to, cc) = audience(&s.visibility, &followers_url(p.author), &mentioned);
    let mut tag: Vec<Value> = p
        .mentions
        .iter()
        .map(|m| {
            let domain = m.domain.clone().unwrap_or_else(|| config.handle_domain.clone());
            json!({"type": "Mention", "href": m.uri, "name": format!("@{}@{domain}", m.username)})
        })
        .collect();
    tag.extend(p.tags.iter().map(|name| {
        json!({"type": "Hashtag", "href": crate::content::tag_url(&config.public_url, name), "name": format!("#{name}")})
    }));
    let attachment: Vec<Value> = p
        .media
        .iter()
        .map(|m| {
            let url = match (&m.r2_key, &m.remote_url) {
                (Some(key), _) => file_url(config, key),
                (None, Some(remote)) => remote.clone(),
                (None, None) => String::new(),
            };
            let meta: Value = serde_json::from_str(&m.meta).unwrap_or(Value::Null);
            let mut document = json!({
                "type": "Document",
                "mediaType": m.content_type,
                "url": url,
                "name": m.description,
                "blurhash": m.blurhash,
            });
            if let (Some(w), Some(h)) = (meta["width"].as_u64(), meta["height"].as_u64()) {
                document["width"] = json!(w);
                document["height"] = json!(h);
            }
            if let (Some(x), Some(y)) = (m.focus_x, m.focus_y) {
                document["focalPoint"] = json!([x, y]);
            }
            document
        })
        .collect();
    let mut note = json!({
        "@context": note_context(),
        "id": s.uri,
        "type": if p.poll.is_some() { "Question" } else { "Note" },
        "summary": if s.spoiler_text.is_empty() { Value::Null } else { json!(s.spoiler_text) },
        "inReplyTo": p.in_reply_to_uri,
        "published": iso8601(s.created_at),
        "url": s.url,
        "attributedTo": p.author.uri,
        "to": to,
        "cc": cc,
        "sensitive": s.sensitive,
        "content": s.content,
        "attachment": attachment,
        "tag": tag,
        "replies": {"id": format!("{}/replies", s.uri), "type": "Collection", "totalItems": s.replies_count},
        "likes": {"id": format!("{}/likes", s.uri), "type": "Collection", "totalItems": s.favourites_count},
        "shares": {"id": format!("{}/shares", s.uri), "type": "Collection", "totalItems": s.reblogs_count},
    });
    if let Some(language) = &s.language {
        note["contentMap"] = json!({ language.clone(): s.content });
    }
    if let Some(edited) = s.edited_at {
        note["updated"] = json!(iso8601(edited));
    }
    if let Some(poll) = p.poll {
        let options: Vec<Value> = serde_json::from_str(&poll.options).unwrap_or_default();
        let choices: Vec<Value> = options
            .iter()
            .map(|o| json!({"type": "Note", "name": o["title"], "replies": {"type": "Collection", "totalItems": o["votes_count"]}}))
            .collect();
        note[if poll.multiple { "anyOf" } else { "oneOf" }] = json!(choices);
        note["votersCount"] = json!(poll.voters_count.unwrap_or(poll.votes_count));
        if let Some(end) = poll.expires_at {
            note["endTime"] = json!(iso8601(end));
        }
        if let Some(closed) = poll.closed_at {
            note["closed"] = json!(iso8601(closed));
        }
    }
    note
}

/// An activity around `object`, addressed like it. The object keeps its own `@context`
/// inside the activity out of the way: the activity's context covers it.
pub fn activity(kind: &str, id: &str, actor: &str, mut object: Value, to: &[String], cc: &[String]) -> Value {
    let context = object.as_object_mut().and_then(|o| o.remove("@context")).unwrap_or_else(|| json!(ACTIVITYSTREAMS));
    json!({
        "@context": context,
        "id": id,
        "type": kind,
        "actor": actor,
        "to": to,
        "cc": cc,
        "object": object,
    })
}

/// `Undo` of an activity we sent before (embedded, so the peer needs no lookup).
pub fn undo(actor: &str, undone: Value) -> Value {
    let id = format!("{}/undo", undone["id"].as_str().unwrap_or(actor));
    let to = undone.get("to").cloned().unwrap_or(json!([]));
    let cc = undone.get("cc").cloned().unwrap_or(json!([]));
    let mut undone = undone;
    if let Some(o) = undone.as_object_mut() {
        o.remove("@context");
    }
    json!({"@context": ACTIVITYSTREAMS, "id": id, "type": "Undo", "actor": actor, "to": to, "cc": cc, "object": undone})
}

pub fn follow(id: &str, actor: &str, object: &str) -> Value {
    json!({"@context": ACTIVITYSTREAMS, "id": id, "type": "Follow", "actor": actor, "object": object, "to": [object], "cc": []})
}

/// `Accept` or `Reject` of a follow of `us` by `follower` (`follow_id`: their Follow's id).
pub fn answer_follow(kind: &str, us: &str, follower: &str, follow_id: Option<&str>, answer_id: &str) -> Value {
    let mut follow = json!({"type": "Follow", "actor": follower, "object": us});
    if let Some(id) = follow_id {
        follow["id"] = json!(id);
    }
    json!({"@context": ACTIVITYSTREAMS, "id": answer_id, "type": kind, "actor": us, "to": [follower], "cc": [], "object": follow})
}

pub fn simple(kind: &str, id: &str, actor: &str, object: &str, to: &[String], cc: &[String]) -> Value {
    json!({"@context": ACTIVITYSTREAMS, "id": id, "type": kind, "actor": actor, "object": object, "to": to, "cc": cc})
}

pub fn tombstone(uri: &str) -> Value {
    json!({"id": uri, "type": "Tombstone"})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addressing_matches_mastodon() {
        let f = "https://me.example/users/a/followers";
        let m = vec!["https://x.example/users/b".to_string()];
        assert_eq!(audience("public", f, &m), (vec![PUBLIC.to_string()], vec![f.to_string(), m[0].clone()]));
        assert_eq!(audience("unlisted", f, &m), (vec![f.to_string()], vec![PUBLIC.to_string(), m[0].clone()]));
        assert_eq!(audience("private", f, &m), (vec![f.to_string()], vec![m[0].clone()]));
        assert_eq!(audience("direct", f, &m), (m.clone(), vec![]));
    }

    #[test]
    fn undo_embeds_the_undone_activity_without_its_context() {
        let like = simple("Like", "https://me.example/l/1", "https://me.example/users/a", "https://x.example/n/1", &[], &[]);
        let undo = undo("https://me.example/users/a", like);
        assert_eq!(undo["id"], "https://me.example/l/1/undo");
        assert_eq!(undo["object"]["type"], "Like");
        assert!(undo["object"].get("@context").is_none());
    }
}
