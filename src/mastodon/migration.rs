//! Moving the owner's account elsewhere. Mastodon does this in its web settings, not its REST
//! API, so these are Topi's own endpoints (docs/api.md): aliases (`alsoKnownAs`, which the
//! new account's server checks before accepting followers from a Move) and the move itself.
//!
//! - `GET /api/v1/topi/aliases` → `{"aliases": [actor ids]}`
//! - `POST /api/v1/topi/aliases` `acct=user@domain` (or an actor URL) → adds one
//! - `DELETE /api/v1/topi/aliases` `acct=…` → removes one
//! - `POST /api/v1/topi/migration` `acct=…` → the owner moved there: followers are told
//!   (`Move`), and the new account must list this one in its own `alsoKnownAs`.
use serde_json::json;

use crate::ctx::Ctx;
use crate::app::jobs::{self, Event};
use crate::app::remote::actors;
use crate::app::owner;
use crate::edge::auth;
use crate::edge::error::ApiError;
use crate::edge::http::{Request, Response};
use crate::store::accounts::{self, AccountRow};
use crate::query;

async fn target(ctx: &Ctx<'_>, req: &Request) -> Result<AccountRow, ApiError> {
    let params = req.params()?;
    let acct = params.non_empty("acct").ok_or_else(|| ApiError::Invalid("acct is required".into()))?;
    let found = if acct.starts_with("https://") || acct.starts_with("http://") {
        actors::get_or_fetch(ctx, &acct).await
    } else {
        let (user, domain) = acct.trim_start_matches('@').split_once('@').ok_or_else(|| ApiError::Invalid("acct must be user@domain".into()))?;
        actors::resolve_handle(ctx, user, domain).await
    };
    found.map_err(|e| ApiError::Invalid(format!("{acct} could not be found: {e}")))
}

fn aliases_of(account: &AccountRow) -> Vec<String> {
    serde_json::from_str(&account.also_known_as).unwrap_or_default()
}

async fn save_aliases(ctx: &Ctx<'_>, owner: i64, aliases: &[String]) -> Result<Response, ApiError> {
    let json = serde_json::to_string(aliases).unwrap_or_else(|_| "[]".into());
    ctx.db.run(&query!("UPDATE accounts SET also_known_as = ?2, updated_at = ?3 WHERE id = ?1", owner, json, ctx.now_ms())).await?;
    owner::invalidate(ctx);
    jobs::publish(ctx, Event::ProfileUpdated).await?;
    Response::ok_json(&json!({ "aliases": aliases }))
}

pub async fn list(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    auth::require_user(ctx, req, &["read:accounts"]).await?;
    Response::ok_json(&json!({ "aliases": aliases_of(&owner::account(ctx).await?) }))
}

pub async fn add(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    let (_, owner_id) = auth::require_user(ctx, req, &["write:accounts"]).await?;
    let target = target(ctx, req).await?;
    let mut aliases = aliases_of(&owner::account(ctx).await?);
    if !aliases.contains(&target.uri) {
        aliases.push(target.uri);
    }
    save_aliases(ctx, owner_id, &aliases).await
}

pub async fn remove(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    let (_, owner_id) = auth::require_user(ctx, req, &["write:accounts"]).await?;
    let target = target(ctx, req).await?;
    let aliases: Vec<String> = aliases_of(&owner::account(ctx).await?).into_iter().filter(|a| *a != target.uri).collect();
    save_aliases(ctx, owner_id, &aliases).await
}

pub async fn migrate(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    let (_, owner_id) = auth::require_user(ctx, req, &["write:accounts"]).await?;
    let target = target(ctx, req).await?;
    let me = owner::account(ctx).await?;
    // The new account may have been fetched before it listed us: look again.
    let target = match actors::refresh(ctx, &target.uri).await {
        Ok(fresh) => fresh,
        Err(_) => target,
    };
    if !aliases_of(&target).contains(&me.uri) {
        return Err(ApiError::Invalid(format!("{} must first list {} as an alias (alsoKnownAs)", target.uri, me.uri)));
    }
    ctx.db.run(&accounts::set_moved(owner_id, target.id, ctx.now_ms())).await?;
    owner::invalidate(ctx);
    jobs::publish(ctx, Event::Moved { target: target.uri.clone() }).await?;
    Response::ok_json(&json!({ "moved_to": target.uri }))
}
