//! The owner's archive in Mastodon's format (`app::archive`). Mastodon offers it in its web
//! settings ("Request your archive"), not its REST API, so these are Topi's own endpoints
//! (docs/api.md, "Archives"). Every one needs a user token with the whole `read` scope: the
//! archive holds every post, direct messages included.
//!
//! - `POST /api/v1/topi/archive` → 202 and the export (the running one if there is one)
//! - `GET /api/v1/topi/archive` → the newest export; `GET /api/v1/topi/archive/:id` → that one
//! - `GET /settings/exports/archive/:id` → the zip, once `state` is `done` (`Range` works), for a
//!   token or the owner's browser session. Not
//!   under `/api/`, where every answer is JSON: where Mastodon's settings offer the download.
//!
//! Importing the posts of an archive (a user token with the whole `write` scope):
//! - `POST /api/v1/topi/archive_imports` `size=<bytes>` → the import, waiting for its chunks
//! - `PUT /api/v1/topi/archive_imports/:id/chunks/:n` with chunk `n` (from 1) as the body:
//!   `chunk_size` bytes, the last one the rest; sent again, it replaces itself
//! - `POST /api/v1/topi/archive_imports/:id/finish` → 202: the queue imports it
//! - `GET /api/v1/topi/archive_imports` (the newest) and `GET …/:id` → its state and counts
use serde::Serialize;

use crate::app::archive::{export, import};
use crate::ctx::Ctx;
use crate::domain::time::iso8601;
use crate::edge::auth;
use crate::edge::error::ApiError;
use crate::edge::http::{BlobBody, Request, Response};
use crate::store::archive_imports::ImportRow;
use crate::store::archives::ExportRow;

const SCOPE: &[&str] = &["read"];

#[derive(Serialize)]
struct Archive {
    id: String,
    /// `running`, `done` or `failed`.
    state: String,
    created_at: String,
    finished_at: Option<String>,
    /// Bytes of the zip, once done.
    size: Option<i64>,
    statuses_count: i64,
    /// Posts written to the outbox so far.
    statuses_done: i64,
    media_done: i64,
    /// What the export is writing: outbox, media, likes, bookmarks, avatar, header, actor,
    /// directory, done.
    phase: String,
    url: Option<String>,
    error: Option<String>,
}

fn render(ctx: &Ctx<'_>, row: ExportRow) -> Archive {
    let url = (row.state == "done").then(|| ctx.config.url(&format!("/settings/exports/archive/{}", row.id)));
    Archive {
        id: row.id.to_string(),
        state: row.state,
        created_at: iso8601(row.created_at),
        finished_at: row.finished_at.map(iso8601),
        size: row.size,
        statuses_count: row.statuses_total,
        statuses_done: row.statuses_done,
        media_done: row.media_done,
        phase: row.phase,
        url,
        error: row.error,
    }
}

pub async fn request(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    auth::require_user(ctx, req, SCOPE).await?;
    let row = export::request(ctx).await?;
    Ok(Response::json(202, &render(ctx, row)))
}

pub async fn show(ctx: &Ctx<'_>, req: &Request, id: Option<&str>) -> Result<Response, ApiError> {
    auth::require_user(ctx, req, SCOPE).await?;
    Response::ok_json(&render(ctx, export::get(ctx, id).await?))
}

/// The zip, streamed from R2; one byte range of it with `Range: bytes=a-b` (or `a-`, `-n`), so
/// that an interrupted download of a large archive can resume.
pub async fn download(ctx: &Ctx<'_>, req: &Request, id: &str) -> Result<Response, ApiError> {
    auth::require_user_or_session(ctx, req, SCOPE).await?;
    let (key, size, name) = export::download(ctx, id).await?;
    let whole = BlobBody { key, offset: 0, length: size };
    let (status, blob) = match req.header("range").map(|r| byte_range(r, size)) {
        None | Some(Range::Ignored) => (200, whole),
        Some(Range::Bytes(offset, length)) => (206, BlobBody { offset, length, ..whole }),
        Some(Range::Unsatisfiable) => {
            let refused = Response::new(416, "text/plain; charset=utf-8", Vec::new());
            return Ok(refused.header("Content-Range", &format!("bytes */{size}")).header("Cache-Control", "no-store"));
        }
    };
    let mut response = Response::streamed(status, "application/zip", blob.clone())
        .header("Content-Disposition", &format!("attachment; filename=\"{name}\""))
        .header("Accept-Ranges", "bytes")
        .header("Cache-Control", "no-store");
    if status == 206 {
        response = response.header("Content-Range", &format!("bytes {}-{}/{size}", blob.offset, blob.offset + blob.length - 1));
    }
    Ok(response)
}

const IMPORT_SCOPE: &[&str] = &["write"];

#[derive(Serialize)]
struct Skipped {
    item: String,
    reason: String,
}

#[derive(Serialize)]
struct Import {
    id: String,
    /// `uploading`, `importing`, `paused` (the day's posts are done; it goes on after 00:00
    /// UTC), `done` or `failed`.
    state: String,
    /// `open`, `posts`, `media` or `done`.
    phase: String,
    size: i64,
    chunk_size: u64,
    chunks_total: u64,
    chunks_received: Vec<u16>,
    posts_total: Option<i64>,
    posts_created: i64,
    posts_existing: i64,
    posts_skipped: i64,
    media_copied: i64,
    media_skipped: i64,
    /// The first hundred items or files left out, and why.
    skipped: Vec<Skipped>,
    created_at: String,
    finished_at: Option<String>,
    error: Option<String>,
}

fn render_import(row: ImportRow) -> Import {
    let skipped: Vec<(String, String)> = serde_json::from_str(&row.skipped).unwrap_or_default();
    Import {
        id: row.id.to_string(),
        chunks_received: import::chunks_of(&row).into_iter().map(|(n, _)| n).collect(),
        state: row.state,
        phase: row.phase,
        size: row.size,
        chunk_size: import::CHUNK_BYTES,
        chunks_total: import::chunk_count(row.size as u64),
        posts_total: row.posts_total,
        posts_created: row.posts_created,
        posts_existing: row.posts_existing,
        posts_skipped: row.posts_skipped,
        media_copied: row.media_copied,
        media_skipped: row.media_skipped,
        skipped: skipped.into_iter().map(|(item, reason)| Skipped { item, reason }).collect(),
        created_at: iso8601(row.created_at),
        finished_at: row.finished_at.map(iso8601),
        error: row.error,
    }
}

pub async fn create_import(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    auth::require_user(ctx, req, IMPORT_SCOPE).await?;
    let params = req.params()?;
    let size = params.str("size").and_then(|s| s.trim().parse::<u64>().ok()).ok_or_else(|| ApiError::Invalid("size (bytes) is required".into()))?;
    Response::ok_json(&render_import(import::create(ctx, size).await?))
}

pub async fn show_import(ctx: &Ctx<'_>, req: &Request, id: Option<&str>) -> Result<Response, ApiError> {
    auth::require_user(ctx, req, IMPORT_SCOPE).await?;
    Response::ok_json(&render_import(import::get(ctx, id).await?))
}

pub async fn finish_import(ctx: &Ctx<'_>, req: &Request, id: &str) -> Result<Response, ApiError> {
    auth::require_user(ctx, req, IMPORT_SCOPE).await?;
    Ok(Response::json(202, &render_import(import::finish_upload(ctx, id).await?)))
}

/// A chunk whose body was read (natively; the Worker pipes chunk bodies itself, `chunk_target`).
pub async fn put_chunk(ctx: &Ctx<'_>, req: &Request, id: &str, number: &str) -> Result<Response, ApiError> {
    auth::require_user(ctx, req, IMPORT_SCOPE).await?;
    let number = number.parse::<u64>().map_err(|_| ApiError::NotFound)?;
    Response::ok_json(&render_import(import::receive_chunk(ctx, id, number, req.body.clone()).await?))
}

/// Where a chunk's body goes, checked by the request's head alone (its token, its import, its
/// number and `Content-Length`): the platform pipes the body into R2 without reading it.
pub struct Chunk {
    row: ImportRow,
    pub number: u64,
    pub length: u64,
    pub key: String,
    pub upload_id: String,
}

/// `Some` for `PUT /api/v1/topi/archive_imports/:id/chunks/:n`.
pub async fn chunk_target(ctx: &Ctx<'_>, head: &Request) -> Option<Result<Chunk, ApiError>> {
    let rest = head.path.strip_prefix("/api/v1/topi/archive_imports/")?;
    let (id, number) = rest.trim_end_matches('/').split_once("/chunks/")?;
    if head.method != crate::edge::http::Method::Put {
        return None;
    }
    Some(async {
        auth::require_user(ctx, head, IMPORT_SCOPE).await?;
        let number = number.parse::<u64>().map_err(|_| ApiError::NotFound)?;
        let length = crate::edge::body::declared_length(head).map(|l| l as u64);
        let (row, key, upload_id) = import::chunk_target(ctx, id, number, length).await?;
        Ok(Chunk { row, number, length: length.unwrap_or(0), key, upload_id })
    }
    .await)
}

/// The answer once the platform piped a chunk into R2 (`etag`), or failed to.
pub async fn chunk_piped(ctx: &Ctx<'_>, chunk: Chunk, etag: Result<String, String>) -> Result<Response, ApiError> {
    let etag = etag.map_err(|e| ApiError::Unavailable(format!("The chunk could not be stored: {e}")))?;
    Response::ok_json(&render_import(import::chunk_received(ctx, &chunk.row, chunk.number, &etag).await?))
}

#[derive(Debug, PartialEq, Eq)]
enum Range {
    /// Offset and length.
    Bytes(u64, u64),
    Unsatisfiable,
    /// Not one range of bytes: answered whole, as RFC 9110 allows.
    Ignored,
}

/// One `bytes=` range of an object of `size` bytes (RFC 9110 §14.1.2).
fn byte_range(header: &str, size: u64) -> Range {
    let Some(spec) = header.trim().strip_prefix("bytes=") else { return Range::Ignored };
    if spec.contains(',') {
        return Range::Ignored;
    }
    let Some((first, last)) = spec.trim().split_once('-') else { return Range::Ignored };
    let (first, last) = (first.trim(), last.trim());
    let (start, end) = match (first.parse::<u64>(), last.parse::<u64>()) {
        (Ok(start), Ok(end)) if start <= end => (start, end.min(size.saturating_sub(1))),
        (Ok(start), Err(_)) if last.is_empty() => (start, size.saturating_sub(1)),
        (Err(_), Ok(suffix)) if first.is_empty() && suffix > 0 => (size.saturating_sub(suffix), size.saturating_sub(1)),
        _ => return Range::Ignored,
    };
    if start >= size {
        return Range::Unsatisfiable;
    }
    Range::Bytes(start, end - start + 1)
}

#[cfg(test)]
mod tests {
    use super::{byte_range, Range};

    #[test]
    fn ranges_resume_a_download_and_nonsense_is_ignored() {
        assert_eq!(byte_range("bytes=0-99", 1000), Range::Bytes(0, 100));
        assert_eq!(byte_range("bytes=900-", 1000), Range::Bytes(900, 100));
        assert_eq!(byte_range("bytes=-10", 1000), Range::Bytes(990, 10));
        assert_eq!(byte_range("bytes=990-5000", 1000), Range::Bytes(990, 10));
        assert_eq!(byte_range("bytes=1000-", 1000), Range::Unsatisfiable);
        for ignored in ["items=0-1", "bytes=5-1", "bytes=0-1,5-6", "bytes=x-", "bytes=-0"] {
            assert_eq!(byte_range(ignored, 1000), Range::Ignored, "{ignored}");
        }
    }
}
