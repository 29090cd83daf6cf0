//! Remote actors: fetched on first sight, refreshed when a day old, found by key id for
//! signature checks and by handle through WebFinger.
use serde_json::Value;

use super::fetch::{self, FetchError};
use crate::activitypub::vocab::{self, Actor};
use crate::ctx::{Ctx, HttpRequest};
use crate::store::accounts::{self, AccountRow};

/// A remote actor is refetched when its copy is older than this.
pub const STALE_AFTER_MS: i64 = 24 * 60 * 60 * 1000;

/// Stores a fetched actor document and returns the account.
pub async fn save(ctx: &Ctx<'_>, actor: &Actor) -> Result<AccountRow, FetchError> {
    let store_error = |e: crate::store::db::StoreError| FetchError::Network(e.to_string());
    ctx.db.batch(&accounts::upsert_remote(ctx.new_id(), actor, ctx.now_ms())).await.map_err(store_error)?;
    accounts::get_by_uri(ctx.db, &actor.id).await.map_err(store_error)?.ok_or_else(|| FetchError::Gone(actor.id.clone()))
}

/// Fetches `uri` and stores it as an actor.
pub async fn refresh(ctx: &Ctx<'_>, uri: &str) -> Result<AccountRow, FetchError> {
    let document = fetch::get_object(ctx, uri).await?;
    let actor = vocab::parse_actor(&document, uri).map_err(|reason| FetchError::Malformed { url: uri.to_string(), reason })?;
    save(ctx, &actor).await
}

/// The account of an actor id: stored, refreshed when stale (the stale copy is kept when the
/// refresh fails), or fetched. Our own actor is never fetched.
pub async fn get_or_fetch(ctx: &Ctx<'_>, uri: &str) -> Result<AccountRow, FetchError> {
    let stored = accounts::get_by_uri(ctx.db, uri).await.map_err(|e| FetchError::Network(e.to_string()))?;
    match stored {
        Some(account) if account.is_local() => Ok(account),
        Some(account) if account.fetched_at.is_some_and(|t| ctx.now_ms() - t < STALE_AFTER_MS) => Ok(account),
        Some(account) => Ok(refresh(ctx, uri).await.unwrap_or(account)),
        None => refresh(ctx, uri).await,
    }
}

/// The account whose key is `key_id`, with that key. `refetch` ignores the stored copy (the
/// signature did not verify with it: the key may have been rotated).
pub async fn by_key_id(ctx: &Ctx<'_>, key_id: &str, refetch: bool) -> Result<AccountRow, FetchError> {
    if !refetch {
        if let Some(account) = accounts::get_by_key_id(ctx.db, key_id).await.map_err(|e| FetchError::Network(e.to_string()))? {
            return Ok(account);
        }
    }
    // Usually the key id is the actor id plus a fragment; otherwise it is a key document that
    // names its owner.
    let without_fragment = key_id.split('#').next().unwrap_or(key_id);
    let document = fetch::get_object(ctx, without_fragment).await?;
    let actor_uri = if vocab::is_actor_type(vocab::type_of(&document)) {
        without_fragment.to_string()
    } else {
        document.get("owner").and_then(Value::as_str).map(str::to_string).ok_or_else(|| FetchError::Malformed {
            url: key_id.to_string(),
            reason: "neither an actor nor a key with an owner".into(),
        })?
    };
    let account = if actor_uri == without_fragment {
        let actor = vocab::parse_actor(&document, without_fragment)
            .map_err(|reason| FetchError::Malformed { url: key_id.to_string(), reason })?;
        save(ctx, &actor).await?
    } else {
        refresh(ctx, &actor_uri).await?
    };
    if account.public_key_id.as_deref() != Some(key_id) {
        return Err(FetchError::Malformed { url: key_id.to_string(), reason: format!("{} does not publish this key", account.uri) });
    }
    Ok(account)
}

/// `https`, except for loopback peers when private addresses are allowed (local tests).
fn scheme_for(ctx: &Ctx<'_>, domain: &str) -> &'static str {
    let host = domain.rsplit_once(':').map_or(domain, |(h, _)| h);
    let loopback = host == "localhost" || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback());
    if ctx.config.allow_private_addresses && loopback {
        "http"
    } else {
        "https"
    }
}

/// `@user@domain` through WebFinger to the stored account.
pub async fn resolve_handle(ctx: &Ctx<'_>, username: &str, domain: &str) -> Result<AccountRow, FetchError> {
    if let Some(account) = accounts::get_remote_by_handle(ctx.db, username, domain).await.map_err(|e| FetchError::Network(e.to_string()))? {
        if account.fetched_at.is_some_and(|t| ctx.now_ms() - t < STALE_AFTER_MS) {
            return Ok(account);
        }
    }
    let resource = format!("acct:{username}@{domain}");
    let url = format!(
        "{}://{domain}/.well-known/webfinger?resource={}",
        scheme_for(ctx, domain),
        percent_encoding::utf8_percent_encode(&resource, percent_encoding::NON_ALPHANUMERIC)
    );
    let request = HttpRequest {
        method: "GET",
        url: url.clone(),
        headers: vec![("accept".into(), "application/jrd+json, application/json".into()), ("user-agent".into(), fetch::user_agent(ctx))],
        body: None,
    };
    let response = fetch::send(ctx, request, fetch::MAX_DOCUMENT_BYTES).await?;
    if !(200..300).contains(&response.status) {
        return Err(if response.status == 404 { FetchError::Gone(resource) } else { FetchError::Status { url, status: response.status } });
    }
    let jrd: Value = serde_json::from_slice(&response.body).map_err(|e| FetchError::Malformed { url: url.clone(), reason: e.to_string() })?;
    let actor_uri = jrd
        .get("links")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .find(|l| {
            l.get("rel").and_then(Value::as_str) == Some("self")
                && l.get("type").and_then(Value::as_str).is_some_and(|t| t.contains("activity+json") || t.contains("ld+json"))
        })
        .and_then(|l| l.get("href").and_then(Value::as_str))
        .ok_or_else(|| FetchError::Malformed { url, reason: "no ActivityPub self link".into() })?;
    get_or_fetch(ctx, actor_uri).await
}
