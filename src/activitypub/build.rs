//! Our objects and activities as ActivityStreams JSON, addressed the way Mastodon addresses
//! them. Pure and row-free: `app::documents` maps our rows onto these.
use serde_json::{json, Value};

use super::vocab::PUBLIC;
use crate::domain::visibility::Visibility;
use super::ACTIVITYSTREAMS;

/// The extension terms our Notes use, so that JSON-LD processors read them.
pub fn note_context() -> Value {
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
            "Emoji": "toot:Emoji",
        }
    ])
}

/// `to` and `cc` for a post of `visibility` by an actor with `followers`, mentioning `mentioned`.
pub fn audience(visibility: Visibility, followers: &str, mentioned: &[String]) -> (Vec<String>, Vec<String>) {
    let mut cc: Vec<String> = Vec::new();
    let to = match visibility {
        Visibility::Public => {
            cc.push(followers.to_string());
            vec![PUBLIC.to_string()]
        }
        Visibility::Unlisted => {
            cc.push(PUBLIC.to_string());
            vec![followers.to_string()]
        }
        Visibility::Private => vec![followers.to_string()],
        Visibility::Direct => mentioned.to_vec(),
    };
    if visibility != Visibility::Direct {
        cc.extend(mentioned.iter().cloned());
    }
    (to, cc)
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

/// A custom emoji as Mastodon tags it (and serves it at its `id`): the `name` is the
/// `:shortcode:` as it appears in the text.
pub fn emoji(id: &str, shortcode: &str, media_type: &str, url: &str, updated: &str) -> Value {
    json!({
        "id": id,
        "type": "Emoji",
        "name": format!(":{shortcode}:"),
        "updated": updated,
        "icon": {"type": "Image", "mediaType": media_type, "url": url},
    })
}

/// The terms an `Emoji` object uses, for when it is a document of its own.
pub fn emoji_context() -> Value {
    json!([ACTIVITYSTREAMS, {"toot": "http://joinmastodon.org/ns#", "Emoji": "toot:Emoji"}])
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
        assert_eq!(audience(Visibility::Public, f, &m), (vec![PUBLIC.to_string()], vec![f.to_string(), m[0].clone()]));
        assert_eq!(audience(Visibility::Unlisted, f, &m), (vec![f.to_string()], vec![PUBLIC.to_string(), m[0].clone()]));
        assert_eq!(audience(Visibility::Private, f, &m), (vec![f.to_string()], vec![m[0].clone()]));
        assert_eq!(audience(Visibility::Direct, f, &m), (m.clone(), vec![]));
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
