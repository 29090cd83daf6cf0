//! <https://docs.joinmastodon.org/methods/admin/domain_blocks/>: the instance's domain blocks,
//! for the owner (the admin) and the moderation apps that speak Mastodon's admin API; and the
//! public list of them (`GET /api/v1/instance/domain_blocks`) when the owner chooses to show it.
//! <https://docs.joinmastodon.org/methods/admin/domain_allows/>: the domains the allow-list mode
//! lets federate (the mode itself is a setting of the web page, as Mastodon's is configuration).
use serde_json::{json, Value};

use crate::app::moderation::{self, BlockDomain};
use crate::config::Shown;
use crate::ctx::Ctx;
use crate::domain::ids;
use crate::domain::moderation::{digest, obfuscate, Severity};
use crate::domain::time::iso8601;
use crate::edge::auth;
use crate::edge::error::ApiError;
use crate::edge::http::{Request, Response};
use crate::edge::params::Params;
use crate::store::instance_domain_blocks::{self as store, BlockRow};

const READ: &str = "admin:read:domain_blocks";
const WRITE: &str = "admin:write:domain_blocks";

/// The `Admin::DomainBlock` entity.
fn entity(row: &BlockRow) -> Value {
    json!({
        "id": row.id.to_string(),
        "domain": row.domain,
        "digest": digest(&row.domain),
        "created_at": iso8601(row.created_at),
        "severity": row.severity,
        "reject_media": row.reject_media,
        "reject_reports": row.reject_reports,
        "private_comment": row.private_comment,
        "public_comment": row.public_comment,
        "obfuscate": row.obfuscate,
    })
}

fn block_id(id: &str) -> Result<i64, ApiError> {
    ids::parse(id).ok_or(ApiError::NotFound)
}

pub async fn index(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    auth::require_user(ctx, req, &[READ]).await?;
    let rows = store::all(ctx.db).await?;
    Response::ok_json(&rows.iter().map(entity).collect::<Vec<_>>())
}

pub async fn show(ctx: &Ctx<'_>, req: &Request, id: &str) -> Result<Response, ApiError> {
    auth::require_user(ctx, req, &[READ]).await?;
    let row = store::get(ctx.db, block_id(id)?).await?.ok_or(ApiError::NotFound)?;
    Response::ok_json(&entity(&row))
}

/// The command from the request's fields; what a field leaves out is what `current` has.
fn command(params: &Params, current: Option<&BlockRow>) -> Result<BlockDomain, ApiError> {
    let flag = |name: &str, now: bool| params.bool(name).map(|v| v.unwrap_or(now)).map_err(ApiError::Invalid);
    let severity = match params.non_empty("severity") {
        Some(text) => Severity::parse(&text).ok_or_else(|| ApiError::Invalid(format!("Severity is not valid: {text}")))?,
        None => current.and_then(|c| Severity::parse(&c.severity)).unwrap_or(Severity::Silence),
    };
    let text = |name: &str, now: Option<&String>| params.str(name).or_else(|| now.cloned());
    Ok(BlockDomain {
        severity,
        reject_media: flag("reject_media", current.is_some_and(|c| c.reject_media))?,
        reject_reports: flag("reject_reports", current.is_some_and(|c| c.reject_reports))?,
        private_comment: text("private_comment", current.and_then(|c| c.private_comment.as_ref())),
        public_comment: text("public_comment", current.and_then(|c| c.public_comment.as_ref())),
        obfuscate: flag("obfuscate", current.is_some_and(|c| c.obfuscate))?,
    })
}

pub async fn create(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    auth::require_user(ctx, req, &[WRITE]).await?;
    let params = req.params()?;
    let domain = params.non_empty("domain").ok_or_else(|| ApiError::Invalid("Domain can't be blank".into()))?;
    let row = moderation::create(ctx, &domain, command(&params, None)?).await?;
    Response::ok_json(&entity(&row))
}

pub async fn update(ctx: &Ctx<'_>, req: &Request, id: &str) -> Result<Response, ApiError> {
    auth::require_user(ctx, req, &[WRITE]).await?;
    let id = block_id(id)?;
    let current = store::get(ctx.db, id).await?.ok_or(ApiError::NotFound)?;
    let row = moderation::update(ctx, id, command(&req.params()?, Some(&current))?).await?;
    Response::ok_json(&entity(&row))
}

pub async fn delete(ctx: &Ctx<'_>, req: &Request, id: &str) -> Result<Response, ApiError> {
    auth::require_user(ctx, req, &[WRITE]).await?;
    moderation::remove(ctx, block_id(id)?).await?;
    Response::ok_json(&json!({}))
}

/// `GET /api/v1/instance/domain_blocks`: 404 unless the owner shows the list, as Mastodon.
/// Obfuscated domains are partly starred; the digest lets anyone check a domain they know.
pub async fn public_list(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    match ctx.config.show_domain_blocks {
        Shown::Nobody => return Err(ApiError::NotFound),
        Shown::SignedIn => {
            auth::require_user(ctx, req, &[]).await.map_err(|_| ApiError::NotFound)?;
        }
        Shown::Everyone => {}
    }
    let rows = store::all(ctx.db).await?;
    let list: Vec<Value> = rows
        .iter()
        .filter(|row| row.severity != Severity::Noop.as_str())
        .map(|row| {
            json!({
                "domain": if row.obfuscate { obfuscate(&row.domain) } else { row.domain.clone() },
                "digest": digest(&row.domain),
                "severity": row.severity,
                "comment": row.public_comment,
            })
        })
        .collect();
    Response::ok_json(&list)
}

const READ_ALLOWS: &str = "admin:read:domain_allows";
const WRITE_ALLOWS: &str = "admin:write:domain_allows";

/// The `Admin::DomainAllow` entity.
fn allow_entity(row: &crate::store::instance_domain_allows::AllowRow) -> Value {
    json!({"id": row.id.to_string(), "domain": row.domain, "created_at": iso8601(row.created_at)})
}

pub async fn allows(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    auth::require_user(ctx, req, &[READ_ALLOWS]).await?;
    let rows = crate::store::instance_domain_allows::all(ctx.db).await?;
    Response::ok_json(&rows.iter().map(allow_entity).collect::<Vec<_>>())
}

pub async fn show_allow(ctx: &Ctx<'_>, req: &Request, id: &str) -> Result<Response, ApiError> {
    auth::require_user(ctx, req, &[READ_ALLOWS]).await?;
    let row = crate::store::instance_domain_allows::get(ctx.db, block_id(id)?).await?.ok_or(ApiError::NotFound)?;
    Response::ok_json(&allow_entity(&row))
}

pub async fn create_allow(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    auth::require_user(ctx, req, &[WRITE_ALLOWS]).await?;
    let domain = req.params()?.non_empty("domain").ok_or_else(|| ApiError::Invalid("Domain can't be blank".into()))?;
    Response::ok_json(&allow_entity(&moderation::allow(ctx, &domain).await?))
}

pub async fn delete_allow(ctx: &Ctx<'_>, req: &Request, id: &str) -> Result<Response, ApiError> {
    auth::require_user(ctx, req, &[WRITE_ALLOWS]).await?;
    moderation::disallow(ctx, block_id(id)?).await?;
    Response::ok_json(&json!({}))
}
