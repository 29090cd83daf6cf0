//! <https://docs.joinmastodon.org/methods/domain_blocks/>: domains the owner hides.
use serde_json::json;

use super::paginated;
use crate::ctx::Ctx;
use crate::edge::auth;
use crate::edge::error::ApiError;
use crate::edge::http::{Request, Response};
use crate::store::domain_blocks as store;

pub async fn index(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    let (_, owner) = auth::require_user(ctx, req, &["read:blocks"]).await?;
    let rows = store::domain_blocks(ctx.db, owner, &req.query_params().page_with_limits(100, 200)).await?;
    let domains: Vec<&str> = rows.iter().map(|r| r.domain.as_str()).collect();
    let keys: Vec<i64> = rows.iter().map(|r| r.id).collect();
    Ok(paginated(ctx, req, &domains, &keys))
}

/// A bare host name, as Mastodon normalises it.
fn domain(req: &Request) -> Result<String, ApiError> {
    let domain = req.params()?.non_empty("domain").ok_or_else(|| ApiError::Invalid("Domain can't be blank".into()))?;
    let domain = domain.trim().trim_start_matches("https://").trim_start_matches("http://").trim_end_matches('/').to_lowercase();
    let valid = domain.contains('.') && domain.chars().all(|c| c.is_alphanumeric() || "-.:".contains(c));
    if !valid {
        return Err(ApiError::Invalid(format!("Domain is not valid: {domain}")));
    }
    Ok(domain)
}

pub async fn block(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    let (_, owner) = auth::require_user(ctx, req, &["write:blocks"]).await?;
    let domain = domain(req)?;
    if domain == ctx.config.host || domain == ctx.config.handle_domain {
        return Err(ApiError::Invalid("You cannot block your own domain".into()));
    }
    ctx.db.run(&store::block_domain(ctx.new_id(), owner, &domain, ctx.now_ms())).await?;
    Response::ok_json(&json!({}))
}

pub async fn unblock(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    let (_, owner) = auth::require_user(ctx, req, &["write:blocks"]).await?;
    ctx.db.run(&store::unblock_domain(owner, &domain(req)?)).await?;
    Response::ok_json(&json!({}))
}
