//! Remote actors: fetched on first sight, refreshed when a day old, found by key id for
//! signature checks and by handle through WebFinger.
use serde_json::Value;

use super::fetch::{self, FetchError};
use crate::activitypub::vocab::{self, Actor, ActorKeys};
use crate::ctx::{Ctx, HttpRequest};
use crate::store::accounts::{self, AccountRow};

/// A remote actor is refetched when its copy is older than this.
pub const STALE_AFTER_MS: i64 = 24 * 60 * 60 * 1000;

/// Stores a fetched actor document and returns the account.
pub async fn save(ctx: &Ctx<'_>, actor: &Actor) -> Result<AccountRow, FetchError> {
    let store_error = |e: crate::store::db::StoreError| FetchError::Network(e.to_string());
    refuse_suspended(ctx, &actor.id).await?;
    let mut account = remote_account(actor);
    if crate::app::moderation::standing_for_fetch(ctx, Some(&actor.domain)).await?.reject_media {
        account.avatar_remote_url = None;
        account.header_remote_url = None;
    }
    ctx.db.batch(&accounts::upsert_remote(ctx.new_id(), &account, ctx.now_ms())).await.map_err(store_error)?;
    accounts::get_by_uri(ctx.db, &actor.id).await.map_err(store_error)?.ok_or_else(|| FetchError::Gone(actor.id.clone()))
}

/// An actor the admin suspended is neither stored again nor taken as anything's author (the
/// policy is in memory: this costs no round trip).
async fn refuse_suspended(ctx: &Ctx<'_>, uri: &str) -> Result<(), FetchError> {
    match crate::app::moderation::actor_suspended(ctx, uri).await {
        Ok(false) => Ok(()),
        Ok(true) => Err(FetchError::Refused(format!("{uri}: the account is suspended here"))),
        Err(e) => Err(FetchError::Network(e.to_string())),
    }
}

/// What the store keeps of an actor document.
pub(crate) fn remote_account(a: &Actor) -> accounts::RemoteAccount<'_> {
    accounts::RemoteAccount {
        uri: &a.id,
        username: &a.username,
        domain: &a.domain,
        url: a.url.as_deref(),
        display_name: &a.display_name,
        note: &a.note,
        fields: &a.fields,
        avatar_remote_url: a.avatar.as_deref(),
        header_remote_url: a.header.as_deref(),
        locked: a.locked,
        bot: a.bot,
        group_actor: a.group,
        discoverable: a.discoverable,
        indexable: a.indexable,
        actor_type: &a.actor_type,
        inbox_url: &a.inbox,
        shared_inbox_url: a.shared_inbox.as_deref(),
        outbox_url: a.outbox.as_deref(),
        followers_url: a.followers.as_deref(),
        following_url: a.following.as_deref(),
        featured_url: a.featured.as_deref(),
        public_key_id: a.public_key_id.as_deref(),
        public_key_pem: a.public_key_pem.as_deref(),
        also_known_as: &a.also_known_as,
        assertion_keys: &a.multikeys,
        emojis: &a.emojis,
        published: a.published,
    }
}

/// Fetches `uri` and stores it as an actor. Only a document whose id is `uri` is stored: a
/// fetch never writes another actor's row.
pub async fn refresh(ctx: &Ctx<'_>, uri: &str) -> Result<AccountRow, FetchError> {
    let document = fetch::get_object(ctx, uri).await?;
    save_document(ctx, &document, uri).await
}

/// Stores an actor document already known to be `uri`'s own.
pub async fn save_document(ctx: &Ctx<'_>, document: &Value, uri: &str) -> Result<AccountRow, FetchError> {
    let actor = vocab::parse_actor(document, uri).map_err(|reason| FetchError::Malformed { url: uri.to_string(), reason })?;
    save(ctx, &actor).await
}

/// The account of an actor id: stored, refreshed when stale (the stale copy is kept when the
/// refresh fails), or fetched. Our own actor is never fetched.
pub async fn get_or_fetch(ctx: &Ctx<'_>, uri: &str) -> Result<AccountRow, FetchError> {
    refuse_suspended(ctx, uri).await?;
    let stored = accounts::get_by_uri(ctx.db, uri).await.map_err(|e| FetchError::Network(e.to_string()))?;
    match stored {
        Some(account) if account.is_local() => Ok(account),
        Some(account) if account.fetched_at.is_some_and(|t| ctx.now_ms() - t < STALE_AFTER_MS) => Ok(account),
        Some(account) => Ok(refresh(ctx, uri).await.unwrap_or(account)),
        None => refresh(ctx, uri).await,
    }
}

/// An actor's document and the keys it speaks for, fetched to check a signature: nothing is
/// stored or sanitized until that signature verifies.
pub struct Unverified {
    pub document: Value,
    pub keys: ActorKeys,
}

/// Fetches what `key_id` needs to be checked against `actor_uri`: the document at the key id
/// (without its fragment) when that is the actor, or else the key document, which must name
/// `actor_uri` as its owner, and then the actor's own document. At most two documents, each
/// `fetch::get_object` (up to 3 redirects and one fetch again by its id).
pub async fn fetch_unverified(ctx: &Ctx<'_>, key_id: &str, actor_uri: &str) -> Result<Unverified, FetchError> {
    let key_url = key_id.split('#').next().unwrap_or(key_id);
    let malformed = |reason: String| FetchError::Malformed { url: key_id.to_string(), reason };
    let document = fetch::get_object(ctx, key_url).await?;
    let document = if vocab::id_of(&document) == Some(actor_uri) {
        document
    } else if vocab::is_actor_type(vocab::type_of(&document)) {
        return Err(malformed(format!("the key is published by another actor than {actor_uri}")));
    } else if document.get("owner").and_then(vocab::id_of) == Some(actor_uri) {
        let actor = fetch::get_object(ctx, actor_uri).await?;
        if vocab::id_of(&actor) != Some(actor_uri) {
            return Err(malformed(format!("{actor_uri} answered with another id")));
        }
        actor
    } else {
        return Err(malformed(format!("neither {actor_uri} nor a key it owns")));
    };
    if !vocab::is_actor_type(vocab::type_of(&document)) {
        return Err(malformed(format!("{actor_uri} is not an actor")));
    }
    let keys = vocab::keys_of(&document, actor_uri);
    Ok(Unverified { document, keys })
}

/// `https`, except for loopback peers when private addresses are allowed (local tests).
pub(super) fn scheme_for(ctx: &Ctx<'_>, domain: &str) -> &'static str {
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
