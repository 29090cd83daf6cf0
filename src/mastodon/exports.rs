//! Mastodon's CSV exports, at the paths of its settings (`/settings/exports/follows.csv`,
//! `lists.csv`, `blocks.csv`, `mutes.csv`, `domain_blocks.csv`, `bookmarks.csv`), for a bearer
//! token (or `?access_token=`) with the matching read scope: `read:follows`, `read:lists`,
//! `read:blocks` (blocks and domains), `read:mutes`, `read:bookmarks`, or `read`. The files are
//! Mastodon's byte for byte (`app::exports`), sent as Rails' `send_data` sends them: `text/csv`
//! and an attachment named as Mastodon names it (`following_accounts.csv`, …).
//!
//! An export longer than `app::exports::MAX_ROWS` rows comes in parts: each part's
//! `Link: <…?cursor=…>; rel="next"` names the next one.
use crate::app::exports;
use crate::app::imports::Kind;
use crate::app::owner;
use crate::ctx::Ctx;
use crate::edge::auth;
use crate::edge::error::ApiError;
use crate::edge::http::{Request, Response};

/// A CSV file to download, named.
pub fn csv_file(filename: &str, csv: String) -> Response {
    Response::new(200, "text/csv", csv)
        .header("Content-Disposition", &format!("attachment; filename=\"{filename}\"; filename*=UTF-8''{filename}"))
        // The owner's social graph: no shared cache may keep it.
        .header("Cache-Control", "private, no-store")
}

/// `GET /settings/exports/:file`
pub async fn get(ctx: &Ctx<'_>, req: &Request, file: &str) -> Result<Response, ApiError> {
    let (kind, scope) = match file {
        "follows.csv" => (Kind::Following, "read:follows"),
        "lists.csv" => (Kind::Lists, "read:lists"),
        "blocks.csv" => (Kind::Blocking, "read:blocks"),
        "mutes.csv" => (Kind::Muting, "read:mutes"),
        "domain_blocks.csv" => (Kind::DomainBlocking, "read:blocks"),
        "bookmarks.csv" => (Kind::Bookmarks, "read:bookmarks"),
        _ => return Err(ApiError::NotFound),
    };
    auth::require_user(ctx, req, &[scope]).await?;
    let owner = owner::account(ctx).await?;
    let cursor = req.query_params().non_empty("cursor");
    let export = exports::export(ctx, &owner, kind, cursor.as_deref()).await?;
    let response = csv_file(kind.export_filename(), export.csv);
    Ok(match export.next {
        Some(next) => response.header("Link", &format!("<{}?cursor={next}>; rel=\"next\"", ctx.config.url(&req.path))),
        None => response,
    })
}
