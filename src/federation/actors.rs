//! Actor documents: the owner (`/users/{username}`) and the instance actor (`/actor`) that signs
//! outbound fetches. Browsers asking for the same URLs are sent to the HTML profile.
use serde_json::json;

use crate::activitypub::{ACTIVITYSTREAMS, SECURITY_V1};
use crate::app::{documents, owner};
use crate::ctx::Ctx;
use crate::edge::error::ApiError;
use crate::edge::http::{Request, Response, ACTIVITY_JSON};

pub async fn get(ctx: &Ctx<'_>, req: &Request, username: &str) -> Result<Response, ApiError> {
    let owner = owner::account_named(ctx, username).await?.ok_or(ApiError::NotFound)?;
    if !req.wants_activity_json() {
        return Ok(Response::redirect(302, &ctx.config.profile_url(&owner.username)));
    }
    actor_response(ctx).await
}

/// The owner's actor document.
pub async fn actor_response(ctx: &Ctx<'_>) -> Result<Response, ApiError> {
    let owner = owner::load(ctx).await?;
    Ok(Response::typed_json(200, ACTIVITY_JSON, &documents::owner_actor(ctx, &owner).await?)
        .header("Cache-Control", "max-age=60, public")
        .header("Vary", "Accept"))
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


/// `GET /emojis/:id`: one of our custom emoji, the object its `Emoji` tags name (Mastodon serves
/// the same path), for browsers and ActivityPub clients alike.
pub async fn emoji(ctx: &Ctx<'_>, id: &str) -> Result<Response, ApiError> {
    let id = crate::domain::ids::parse(id).ok_or(ApiError::NotFound)?;
    let document = crate::app::custom_emojis::object(ctx, id).await?;
    Ok(Response::typed_json(200, ACTIVITY_JSON, &document).header("Cache-Control", "max-age=300, public"))
}
