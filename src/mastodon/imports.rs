//! Importing Mastodon's CSV files. Mastodon does this in its web settings (`/settings/imports`,
//! form fields `type`, `mode`, `data`) and has no API for it, so these are Topi's own endpoints
//! under the same names (docs/api.md); GoToSocial's `POST /api/v1/import` is answered as well.
//!
//! - `POST /api/v1/topi/imports`, multipart `type` (Mastodon's: `following`, `blocking`,
//!   `muting`, `domain_blocking`, `bookmarks`, `lists`), `mode` (`merge`, the default, or
//!   `overwrite`), `data` (the file) → the import, queued (200)
//! - `GET /api/v1/topi/imports` → the latest imports, newest first
//! - `GET /api/v1/topi/imports/:id` → one, with its first failed rows (`failures`)
//! - `GET /settings/imports/:id/failures.csv` → every failed row, as Mastodon's failures file (at
//!   Mastodon's path: a file, not JSON, so not under `/api/`)
//! - `DELETE /api/v1/topi/imports/:id` → forgets it; what it did stays
//! - `POST /api/v1/import` (GoToSocial; types `following`, `blocks`, `mutes`) → 202 `{"status": "accepted"}`
use serde::Serialize;
use serde_json::json;

use crate::app::imports::{self, Failure, Kind, NewImport};
use crate::ctx::Ctx;
use crate::domain::time::iso8601;
use crate::edge::auth;
use crate::edge::error::ApiError;
use crate::edge::http::{Request, Response};
use crate::store::imports::Import;

/// Failed rows shown with one import; the file has them all.
const FAILURES_SHOWN: i64 = 100;
/// Imports listed.
const LISTED: i64 = 40;

#[derive(Serialize)]
struct Entity {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    mode: &'static str,
    /// `scheduled`, `in_progress` or `finished`.
    state: String,
    original_filename: String,
    likely_mismatched: bool,
    total_items: i64,
    processed_items: i64,
    imported_items: i64,
    failed_items: i64,
    created_at: String,
    finished_at: Option<String>,
    /// Why processing stopped early, when it did.
    error: Option<String>,
    failures_url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    failures: Option<Vec<Failure>>,
}

fn entity(ctx: &Ctx<'_>, import: &Import, failures: Option<Vec<Failure>>) -> Entity {
    Entity {
        id: import.id.to_string(),
        kind: import.kind.clone(),
        mode: if import.overwrite { "overwrite" } else { "merge" },
        state: import.state.clone(),
        original_filename: import.original_filename.clone(),
        likely_mismatched: import.likely_mismatched,
        total_items: import.total_items,
        processed_items: import.processed_items(),
        imported_items: import.imported_items(),
        failed_items: import.failed_items,
        created_at: iso8601(import.created_at),
        finished_at: import.finished_at.map(iso8601),
        error: import.error.clone(),
        failures_url: ctx.config.url(&format!("/settings/imports/{}/failures.csv", import.id)),
        failures,
    }
}

/// The scopes a token needs to import `kind` (lists follow their members too, as Mastodon's
/// import does).
fn scopes(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::Following => &["write:follows"],
        Kind::Blocking | Kind::DomainBlocking => &["write:blocks"],
        Kind::Muting => &["write:mutes"],
        Kind::Bookmarks => &["write:bookmarks"],
        Kind::Lists => &["write:lists", "write:follows"],
    }
}

/// Checks the token and the form, and starts the import.
async fn upload(ctx: &Ctx<'_>, req: &Request, kinds: &[&str]) -> Result<Import, ApiError> {
    let auth = auth::require(ctx, req, &[]).await?;
    let owner = auth.token.account_id.ok_or(ApiError::UserRequired)?;
    let params = req.params()?;
    let kind = params
        .non_empty("type")
        .filter(|name| kinds.contains(&name.to_ascii_lowercase().as_str()))
        .and_then(|name| Kind::parse(&name))
        .ok_or_else(|| ApiError::Invalid(format!("type must be one of: {}", kinds.join(", "))))?;
    if !scopes(kind).iter().all(|scope| auth.scopes.allows(scope)) {
        return Err(ApiError::Scope);
    }
    let overwrite = match params.non_empty("mode").map(|m| m.to_ascii_lowercase()).as_deref() {
        None | Some("merge") => false,
        Some("overwrite") => true,
        Some(_) => return Err(ApiError::Invalid("mode must be merge or overwrite".into())),
    };
    let text = params.str("data");
    let (filename, bytes) = match (params.file("data"), &text) {
        (Some(file), _) => (file.filename.as_str(), file.data.as_slice()),
        (None, Some(text)) => ("", text.as_bytes()),
        (None, None) => return Err(ApiError::Invalid("data is required: the CSV file".into())),
    };
    Ok(imports::start(ctx, owner, NewImport { kind, overwrite, filename, bytes }).await?)
}

const MASTODON_TYPES: &[&str] = &["following", "blocking", "muting", "domain_blocking", "bookmarks", "lists"];

pub async fn create(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    let import = upload(ctx, req, MASTODON_TYPES).await?;
    Response::ok_json(&entity(ctx, &import, None))
}

/// GoToSocial's `POST /api/v1/import` (`internal/api/client/import`).
pub async fn create_gotosocial(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    upload(ctx, req, &["following", "blocks", "mutes"]).await?;
    Ok(Response::json(202, &json!({"status": "accepted"})))
}

/// Any read scope of what imports change lets a token follow them.
const READ_SCOPES: &[&str] = &["read:follows", "read:blocks", "read:mutes", "read:bookmarks", "read:lists"];

pub async fn index(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    let (_, owner) = auth::require_user(ctx, req, READ_SCOPES).await?;
    let imports: Vec<Entity> = imports::list(ctx, owner, LISTED).await?.iter().map(|i| entity(ctx, i, None)).collect();
    Response::ok_json(&imports)
}

pub async fn show(ctx: &Ctx<'_>, req: &Request, id: &str) -> Result<Response, ApiError> {
    let (_, owner) = auth::require_user(ctx, req, READ_SCOPES).await?;
    let import = imports::get(ctx, owner, id).await?;
    let failures = imports::failures(ctx, &import, FAILURES_SHOWN).await?;
    Response::ok_json(&entity(ctx, &import, Some(failures)))
}

/// The failed rows as Mastodon's failures file (`Settings::ImportsController#failures`).
/// Opens with the owner's browser session too, for the import page's links.
pub async fn failures_csv(ctx: &Ctx<'_>, req: &Request, id: &str) -> Result<Response, ApiError> {
    let owner = auth::require_user_or_session(ctx, req, READ_SCOPES).await?;
    let import = imports::get(ctx, owner, id).await?;
    let (kind, csv) = imports::failures_csv(ctx, &import).await?;
    Ok(super::exports::csv_file(&kind.failures_filename(), csv))
}

pub async fn delete(ctx: &Ctx<'_>, req: &Request, id: &str) -> Result<Response, ApiError> {
    let auth = auth::require(ctx, req, &[]).await?;
    let owner = auth.token.account_id.ok_or(ApiError::UserRequired)?;
    let import = imports::get(ctx, owner, id).await?;
    let kind = Kind::parse(&import.kind).ok_or(ApiError::NotFound)?;
    if !scopes(kind).iter().all(|scope| auth.scopes.allows(scope)) {
        return Err(ApiError::Scope);
    }
    imports::delete(ctx, owner, id).await?;
    Response::ok_json(&json!({}))
}
