//! Applying activities other servers send us. The inbox (`activitypub::inbox`) has already
//! checked that `actor` signed the activity; here each type does what Mastodon would, and a
//! failure returns `Err` so that nothing is half-applied (every change is one D1 batch) and the
//! sender retries.
mod posts;
mod social;

use serde_json::Value;

use super::actors;
use super::fetch::FetchError;
use crate::activitypub::vocab::{self, id_of, type_of};
use crate::ctx::Ctx;
use crate::owner;
use crate::router::error::ApiError;
use crate::store::accounts::AccountRow;

pub use posts::{fetch_thread, resolve_post};

/// How `apply` ended, for the inbox's answer and log.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Applied,
    /// Understood but nothing to do (not addressed to us, unknown object, unsupported type).
    Ignored(&'static str),
}

pub(crate) fn fetch_failed(e: FetchError) -> ApiError {
    if e.is_transient() {
        ApiError::Unavailable(e.to_string())
    } else {
        ApiError::Invalid(e.to_string())
    }
}

/// The object of an activity: embedded, or fetched when only its id is given.
pub(crate) async fn object_of(ctx: &Ctx<'_>, activity: &Value) -> Result<Value, ApiError> {
    match activity.get("object") {
        Some(Value::Object(_)) => Ok(activity["object"].clone()),
        Some(Value::String(uri)) => super::fetch::get_object(ctx, uri).await.map_err(fetch_failed),
        _ => Err(ApiError::BadRequest("activity has no object".into())),
    }
}

pub async fn apply(ctx: &Ctx<'_>, actor: &AccountRow, activity: &Value) -> Result<Outcome, ApiError> {
    let owner = owner::load_owner(ctx).await?;
    let blocked = crate::store::relationships::is_blocked(ctx.db, owner.account.id, actor.id, actor.domain.as_deref()).await?;
    let kind = type_of(activity);
    if blocked && !matches!(kind, "Undo" | "Delete" | "Reject") {
        return Ok(Outcome::Ignored("actor is blocked"));
    }
    let object_type = activity.get("object").map(type_of).unwrap_or("");
    match kind {
        "Follow" => social::follow(ctx, &owner, actor, activity, blocked).await,
        "Accept" => social::accept(ctx, &owner, actor, activity).await,
        "Reject" => social::reject(ctx, &owner, actor).await,
        "Undo" => social::undo(ctx, &owner, actor, activity).await,
        "Like" | "EmojiReact" => social::like(ctx, &owner, actor, activity).await,
        "Block" => social::block(ctx, &owner, actor, activity).await,
        "Move" => social::moved(ctx, &owner, actor, activity).await,
        "Flag" => social::flag(ctx, &owner, actor, activity).await,
        "Add" | "Remove" => social::featured(ctx, actor, activity, kind == "Add").await,
        "Create" => posts::create(ctx, &owner, actor, activity).await,
        "Update" if vocab::is_actor_type(object_type) => social::update_profile(ctx, actor, activity).await,
        "Update" => posts::update(ctx, &owner, actor, activity).await,
        "Delete" => delete(ctx, actor, activity).await,
        "Announce" => posts::announce(ctx, &owner, actor, activity).await,
        _ => Ok(Outcome::Ignored("unsupported activity type")),
    }
}

async fn delete(ctx: &Ctx<'_>, actor: &AccountRow, activity: &Value) -> Result<Outcome, ApiError> {
    let object = activity.get("object").and_then(id_of).ok_or_else(|| ApiError::BadRequest("Delete has no object".into()))?;
    if object == actor.uri {
        ctx.db.batch(&crate::store::accounts::remove_remote(actor.id, ctx.now_ms())).await?;
        return Ok(Outcome::Applied);
    }
    posts::delete(ctx, actor, object).await
}

/// The account of an actor id met inside an activity (a mention, a post's author).
pub(crate) async fn account(ctx: &Ctx<'_>, uri: &str) -> Result<AccountRow, ApiError> {
    actors::get_or_fetch(ctx, uri).await.map_err(fetch_failed)
}

/// What a URL pasted into search is: a remote actor or post, fetched and stored when new.
pub enum Resolved {
    Account(AccountRow),
    Status(crate::store::statuses::StatusRow),
    Nothing,
}

pub async fn resolve_url(ctx: &Ctx<'_>, url: &str) -> Result<Resolved, ApiError> {
    if let Some(account) = crate::store::accounts::get_by_uri(ctx.db, url).await? {
        return Ok(Resolved::Account(account));
    }
    // The fetch proves the document speaks for its own id (a profile or post page's address
    // usually differs from it); that id is what is stored.
    let document = super::fetch::get_object(ctx, url).await.map_err(fetch_failed)?;
    let id = document.get("id").and_then(Value::as_str).unwrap_or(url).to_string();
    if vocab::is_actor_type(type_of(&document)) {
        if let Some(account) = crate::store::accounts::get_by_uri(ctx.db, &id).await?.filter(|a| a.is_local()) {
            return Ok(Resolved::Account(account));
        }
        return Ok(Resolved::Account(actors::save_document(ctx, &document, &id).await.map_err(fetch_failed)?));
    }
    match resolve_post(ctx, &id, Some(document)).await? {
        Some(status) => Ok(Resolved::Status(status)),
        None => Ok(Resolved::Nothing),
    }
}
