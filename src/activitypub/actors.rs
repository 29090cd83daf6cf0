//! Actor documents: the owner (`/users/{username}`) and the instance actor (`/actor`) that signs
//! outbound fetches. Browsers asking for the same URLs are sent to the HTML profile.
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::{json, Value};

use super::{ACTIVITYSTREAMS, DATA_INTEGRITY_V1, DID_V1, MULTIKEY_V1, SECURITY_V1};
use crate::config::Config;
use crate::crypto::keys;
use crate::ctx::Ctx;
use crate::domain::time::iso8601;
use crate::mastodon::entities::account::{Account, Field};
use crate::owner;
use crate::router::error::ApiError;
use crate::router::http::{Request, Response, ACTIVITY_JSON};
use crate::store::accounts::AccountRow;

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
        }
    ])
}

pub async fn get(ctx: &Ctx<'_>, req: &Request, username: &str) -> Result<Response, ApiError> {
    let owner = owner::by_username(ctx, username).await?.ok_or(ApiError::NotFound)?;
    if !req.wants_activity_json() {
        return Ok(Response::redirect(302, &ctx.config.profile_url(&owner.username)));
    }
    actor_response(ctx).await
}

/// The owner's actor document.
pub async fn actor_response(ctx: &Ctx<'_>) -> Result<Response, ApiError> {
    let owner = owner::load_owner(ctx).await?;
    let ed25519_public = STANDARD.decode(&owner.user.ed25519_public_key).map_err(|e| ApiError::Internal(Box::new(e)))?;
    Ok(Response::typed_json(200, ACTIVITY_JSON, &person(&owner.account, &ed25519_public, ctx.config))
        .header("Cache-Control", "max-age=60, public")
        .header("Vary", "Accept"))
}

/// The owner as an ActivityPub `Person`.
pub fn person(owner: &AccountRow, ed25519_public_key: &[u8], config: &Config) -> Value {
    let account = Account::from_row(owner, config);
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
    let attachment: Vec<Value> = account
        .fields
        .iter()
        .map(|Field { name, value, .. }| json!({"type": "PropertyValue", "name": name, "value": value}))
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
        "icon": image(&account.avatar),
        "image": image(&account.header),
        "tag": [],
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

/// The instance actor: signs our outbound GETs so that authorized-fetch servers answer.
pub async fn instance_actor(ctx: &Ctx<'_>) -> Result<Response, ApiError> {
    let keys = owner::instance_keys(ctx).await?;
    let config = ctx.config;
    let id = config.url("/actor");
    let document = json!({
        "@context": [ACTIVITYSTREAMS, SECURITY_V1, {"manuallyApprovesFollowers": "as:manuallyApprovesFollowers"}],
        "id": id,
        "type": "Application",
        "preferredUsername": config.host,
        "name": config.title,
        "url": config.url("/about"),
        "inbox": config.url("/actor/inbox"),
        "outbox": config.url("/actor/outbox"),
        "endpoints": {"sharedInbox": config.url("/inbox")},
        "manuallyApprovesFollowers": true,
        "publicKey": {"id": format!("{id}#main-key"), "owner": id, "publicKeyPem": keys.rsa_public_key_pem},
    });
    Ok(Response::typed_json(200, ACTIVITY_JSON, &document).header("Cache-Control", "max-age=300, public"))
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
