//! What other servers publish, brought here: remote actors and posts resolved, fetched and
//! stored (`actors`, `posts`), through signed GETs behind the address guard (`fetch`). The inbox,
//! search, posting (mentions) and the queue (thread backfill) all come through here, and the
//! public pages' remote interaction asks a visitor's server where to send them (`interaction`).
pub mod actors;
pub mod fetch;
pub mod interaction;
pub mod posts;

#[cfg(test)]
mod footprint;

use serde_json::Value;

use super::error::{Error, Result};
use crate::activitypub::vocab::{self, type_of};
use crate::ctx::Ctx;
use crate::store::accounts::AccountRow;

pub use posts::{fetch_thread, resolve_post};

/// How `apply` ended, for the inbox's answer and log.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Applied,
    /// Understood but nothing to do (not addressed to us, unknown object, unsupported type).
    Ignored(&'static str),
}

/// The object of an activity: embedded, or fetched when only its id is given.
pub(crate) async fn object_of(ctx: &Ctx<'_>, activity: &Value) -> Result<Value> {
    match activity.get("object") {
        Some(Value::Object(_)) => Ok(activity["object"].clone()),
        Some(Value::String(uri)) => fetch::get_object(ctx, uri).await.map_err(Error::from),
        _ => Err(Error::Malformed("activity has no object".into())),
    }
}

/// The account of an actor id met inside an activity (a mention, a post's author).
pub(crate) async fn account(ctx: &Ctx<'_>, uri: &str) -> Result<AccountRow, Error> {
    actors::get_or_fetch(ctx, uri).await.map_err(Error::from)
}

/// What a URL pasted into search is: a remote actor or post, fetched and stored when new.
pub enum Resolved {
    Account(AccountRow),
    Status(crate::store::statuses::StatusRow),
    Nothing,
}

pub async fn resolve_url(ctx: &Ctx<'_>, url: &str) -> Result<Resolved, Error> {
    if let Some(account) = crate::store::accounts::get_by_uri(ctx.db, url).await? {
        return Ok(Resolved::Account(account));
    }
    // The fetch proves the document speaks for its own id (a profile or post page's address
    // usually differs from it); that id is what is stored.
    let document = fetch::get_object(ctx, url).await.map_err(Error::from)?;
    let id = document.get("id").and_then(Value::as_str).unwrap_or(url).to_string();
    if vocab::is_actor_type(type_of(&document)) {
        if let Some(account) = crate::store::accounts::get_by_uri(ctx.db, &id).await?.filter(|a| a.is_local()) {
            return Ok(Resolved::Account(account));
        }
        return Ok(Resolved::Account(actors::save_document(ctx, &document, &id).await.map_err(Error::from)?));
    }
    match resolve_post(ctx, &id, Some(document)).await? {
        Some(status) => Ok(Resolved::Status(status)),
        None => Ok(Resolved::Nothing),
    }
}
