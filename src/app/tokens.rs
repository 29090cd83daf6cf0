//! The owner's OAuth tokens as the owner manages them: which apps hold one, and revoking them.
//! Every revocation, whoever asks (`/oauth/revoke`, a reused authorization code, the authorized
//! apps page), goes through `revoke`, so that a token's streaming sockets close and its Web Push
//! subscription goes with it.
use crate::ctx::Ctx;
use crate::domain::scopes::Scopes;
use crate::store::db::Query;
use crate::store::oauth::{self as store, AuthorizedAppRow};
use crate::store::push;

use super::error::Error;

/// The writes that revoke the tokens `ids`, for the caller's batch; their sockets are told to close.
pub fn revoke(ctx: &Ctx<'_>, ids: &[i64]) -> Vec<Query> {
    let mut queries = vec![store::revoke_tokens(ids, ctx.now_ms())];
    for id in ids {
        super::live::token_revoked(ctx, *id);
        queries.push(push::unsubscribe(*id));
    }
    queries
}

/// An app holding the owner's tokens, as the authorized apps page lists it.
pub struct AuthorizedApp {
    pub row: AuthorizedAppRow,
    /// What its tokens allow together, each scope once.
    pub scopes: Vec<String>,
}

pub async fn authorized_apps(ctx: &Ctx<'_>, account_id: i64) -> Result<Vec<AuthorizedApp>, Error> {
    let rows = store::authorized_apps(ctx.db, account_id).await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let mut scopes: Vec<String> = Scopes::parse(&row.scopes).unwrap_or_default().iter().map(str::to_string).collect();
            scopes.sort();
            scopes.dedup();
            AuthorizedApp { row, scopes }
        })
        .collect())
}

/// Revokes the account's tokens held by `app_id`, or by every app.
pub async fn revoke_apps(ctx: &Ctx<'_>, account_id: i64, app_id: Option<i64>) -> Result<(), Error> {
    let ids = store::live_tokens_of(ctx.db, account_id, app_id).await?;
    if !ids.is_empty() {
        ctx.db.batch(&revoke(ctx, &ids)).await?;
    }
    Ok(())
}
