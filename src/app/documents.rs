//! Our rows as ActivityStreams documents: a post as a `Note` (or `Question`), the owner as a
//! `Person`. Built here because it needs both the store's rows and the protocol's vocabulary;
//! the federation surface serves and delivers them.
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::{json, Value};

use super::error::{Error, Result};
use super::owner::Owner;
use super::profile;
use crate::activitypub::build::{audience, note_context};
use crate::activitypub::{ACTIVITYSTREAMS, DATA_INTEGRITY_V1, DID_V1, MULTIKEY_V1, SECURITY_V1};
use crate::config::Config;
use crate::crypto::keys;
use crate::domain::time::iso8601;
use crate::ctx::Ctx;
use crate::store::accounts::{self, AccountRow};
use crate::store::media::MediaRow;
use crate::store::polls::PollRow;
use crate::store::statuses::{MentionRow, StatusRow};

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
    let (to, cc) = audience(s.visibility, &followers_url(p.author), &mentioned);
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
    tag.extend(super::custom_emojis::tags(&s.emojis));
    let attachment: Vec<Value> = p
        .media
        .iter()
        .map(|m| {
            let url = match (&m.r2_key, &m.remote_url) {
                (Some(key), _) => profile::media_url(config, key),
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

/// Mastodon's extension terms, so that peers read `featured`, `discoverable` and profile fields.
fn context() -> Value {
    // `assertionMethod` is a DID term: without the DID context JSON-LD readers (Fedify) do not
    // see the FEP-521a key, and FEP-8b32 proofs by it cannot be checked.
    json!([
        ACTIVITYSTREAMS,
        SECURITY_V1,
        DATA_INTEGRITY_V1,
        DID_V1,
        MULTIKEY_V1,
        {
            "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
            "toot": "http://joinmastodon.org/ns#",
            "featured": {"@id": "toot:featured", "@type": "@id"},
            "featuredTags": {"@id": "toot:featuredTags", "@type": "@id"},
            "alsoKnownAs": {"@id": "as:alsoKnownAs", "@type": "@id"},
            "movedTo": {"@id": "as:movedTo", "@type": "@id"},
            "schema": "http://schema.org#",
            "PropertyValue": "schema:PropertyValue",
            "value": "schema:value",
            "discoverable": "toot:discoverable",
            "indexable": "toot:indexable",
            "memorial": "toot:memorial",
            "Emoji": "toot:Emoji",
        }
    ])
}

/// The owner's actor document as peers fetch it: after a move, with `movedTo`, which followers'
/// servers read to accept the `Move` (one more query, only once the owner has moved).
pub async fn owner_actor(ctx: &Ctx<'_>, owner: &Owner) -> Result<Value> {
    let mut person = owner_person(owner, ctx.config)?;
    if let Some(target) = owner.account.moved_to_account_id {
        if let Some(target) = accounts::get(ctx.db, target).await? {
            person["movedTo"] = json!(target.uri);
        }
    }
    Ok(person)
}

/// The owner's actor document, without `movedTo`.
pub fn owner_person(owner: &Owner, config: &Config) -> Result<Value> {
    let ed25519_public = STANDARD.decode(&owner.user.ed25519_public_key).map_err(Error::internal)?;
    Ok(person(&owner.account, &ed25519_public, config))
}

/// The owner as an ActivityPub `Person`.
pub fn person(owner: &AccountRow, ed25519_public_key: &[u8], config: &Config) -> Value {
    let id = &owner.uri;
    let image = |url: &str| {
        let media_type = match url.rsplit('.').next() {
            Some("jpg" | "jpeg") => "image/jpeg",
            Some("gif") => "image/gif",
            Some("webp") => "image/webp",
            Some("avif") => "image/avif",
            _ => "image/png",
        };
        json!({"type": "Image", "mediaType": media_type, "url": url})
    };
    let attachment: Vec<Value> = profile::fields(owner)
        .into_iter()
        .map(|profile::Field { name, value, .. }| json!({"type": "PropertyValue", "name": name, "value": value}))
        .collect();
    let also_known_as: Vec<String> = serde_json::from_str(&owner.also_known_as).unwrap_or_default();
    let mut person = json!({
        "@context": context(),
        "id": id,
        "type": if owner.bot { "Service" } else { "Person" },
        "preferredUsername": owner.username,
        "name": owner.display_name,
        "summary": owner.note,
        "url": config.profile_url(&owner.username),
        "inbox": format!("{id}/inbox"),
        "outbox": format!("{id}/outbox"),
        "followers": format!("{id}/followers"),
        "following": format!("{id}/following"),
        "featured": format!("{id}/collections/featured"),
        "featuredTags": format!("{id}/collections/tags"),
        "endpoints": {"sharedInbox": config.url("/inbox")},
        "manuallyApprovesFollowers": owner.locked,
        "discoverable": owner.discoverable,
        "indexable": owner.indexable,
        "memorial": false,
        "published": iso8601(owner.created_at),
        "icon": image(&profile::avatar_url(owner, config)),
        "image": image(&profile::header_url(owner, config)),
        "tag": super::custom_emojis::tags(&owner.emojis),
        "attachment": attachment,
        "publicKey": {
            "id": format!("{id}#main-key"),
            "owner": id,
            "publicKeyPem": owner.public_key_pem.clone().unwrap_or_default(),
        },
        // FEP-521a: the Ed25519 key that signs FEP-8b32 object integrity proofs.
        "assertionMethod": [{
            "id": format!("{id}#ed25519-key"),
            "type": "Multikey",
            "controller": id,
            "publicKeyMultibase": keys::ed25519_multibase(ed25519_public_key),
        }],
    });
    if !also_known_as.is_empty() {
        person["alsoKnownAs"] = json!(also_known_as);
    }
    person
}


#[cfg(test)]
mod tests {
    use super::*;
    use crate::config;

    #[test]
    fn person_has_what_peers_need() {
        let mut row: AccountRow = serde_json::from_value(json!({
            "id": "1", "username": "alice", "domain": null, "uri": "https://social.example/users/alice",
            "url": null, "display_name": "Alice", "note": "", "fields": "[]", "avatar_remote_url": null,
            "header_remote_url": null, "locked": 1, "bot": 0, "group_actor": 0, "discoverable": 1, "indexable": 0,
            "hide_collections": 0, "emojis": "[]", "actor_type": "Person", "inbox_url": null,
            "shared_inbox_url": null, "public_key_id": null, "public_key_pem": "PEM", "also_known_as": "[]",
            "moved_to_account_id": null, "followers_count": 0, "following_count": 0, "statuses_count": 0,
            "last_status_at": null, "created_at": 0, "updated_at": 0
        }))
        .unwrap();
        let p = person(&row, &[7u8; 32], &config::for_tests());
        assert_eq!(p["type"], "Person");
        assert_eq!(p["inbox"], "https://social.example/users/alice/inbox");
        assert_eq!(p["endpoints"]["sharedInbox"], "https://social.example/inbox");
        assert_eq!(p["publicKey"]["owner"], p["id"]);
        assert_eq!(p["manuallyApprovesFollowers"], true);
        assert!(p["assertionMethod"][0]["publicKeyMultibase"].as_str().unwrap().starts_with("z6Mk"));
        assert!(p.get("alsoKnownAs").is_none());
        row.bot = true;
        assert_eq!(person(&row, &[7u8; 32], &config::for_tests())["type"], "Service");
    }
}
