//! Moving the owner's account elsewhere (`app::moving`). Mastodon does this in its web
//! settings, not its REST API, so these are Topi's own endpoints (docs/api.md).
//!
//! - `GET /api/v1/topi/aliases` → `{"aliases": [actor ids]}`
//! - `POST /api/v1/topi/aliases` `acct=user@domain` (or an actor URL) → adds one
//! - `DELETE /api/v1/topi/aliases` `acct=…` → removes one
//! - `POST /api/v1/topi/migration` `acct=…` → the owner moved there: followers are told
//!   (`Move`), and the new account must list this one in its own `alsoKnownAs`.
use serde_json::json;

use crate::app::moving;
use crate::app::owner;
use crate::ctx::Ctx;
use crate::edge::auth;
use crate::edge::error::ApiError;
use crate::edge::http::{Request, Response};

fn acct(req: &Request) -> Result<String, ApiError> {
    req.params()?.non_empty("acct").ok_or_else(|| ApiError::Invalid("acct is required".into()))
}

pub async fn list(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    auth::require_user(ctx, req, &["read:accounts"]).await?;
    Response::ok_json(&json!({ "aliases": moving::aliases_of(&owner::account(ctx).await?) }))
}

pub async fn add(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    auth::require_user(ctx, req, &["write:accounts"]).await?;
    Response::ok_json(&json!({ "aliases": moving::add_alias(ctx, &acct(req)?).await? }))
}

pub async fn remove(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    auth::require_user(ctx, req, &["write:accounts"]).await?;
    Response::ok_json(&json!({ "aliases": moving::remove_alias(ctx, &acct(req)?).await? }))
}

pub async fn migrate(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    auth::require_user(ctx, req, &["write:accounts"]).await?;
    Response::ok_json(&json!({ "moved_to": moving::move_to(ctx, &acct(req)?).await? }))
}
