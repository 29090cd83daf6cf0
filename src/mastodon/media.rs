//! <https://docs.joinmastodon.org/methods/media/>: uploads go straight to R2 and are answered
//! with 200 and a `url`, so clients never poll for processing.
use serde_json::json;

use super::entities::media;
use crate::content::images;
use crate::ctx::Ctx;
use crate::domain::ids;
use crate::edge::auth;
use crate::edge::error::ApiError;
use crate::edge::http::{Request, Response};
use crate::edge::params::{FilePart, Params};
use crate::store::media::{self as store, MediaRow, NewMedia};

/// Mastodon's limits, also advertised in the instance entity.
pub const MAX_IMAGE_BYTES: usize = 16 * 1024 * 1024;
pub const MAX_VIDEO_BYTES: usize = 99 * 1024 * 1024;
pub const MAX_DESCRIPTION: usize = 1500;

/// `focus=x,y` with both in -1..1.
fn focus(params: &Params) -> Result<Option<(f64, f64)>, ApiError> {
    let Some(text) = params.non_empty("focus") else { return Ok(None) };
    let parts: Vec<f64> = text.split(',').filter_map(|p| p.trim().parse().ok()).collect();
    match parts.as_slice() {
        [x, y] if (-1.0..=1.0).contains(x) && (-1.0..=1.0).contains(y) => Ok(Some((*x, *y))),
        _ => Err(ApiError::Invalid("Focus must be two numbers between -1 and 1".into())),
    }
}

fn description(params: &Params) -> Result<Option<String>, ApiError> {
    let description = params.str("description");
    if description.as_ref().is_some_and(|d| d.chars().count() > MAX_DESCRIPTION) {
        return Err(ApiError::Invalid(format!("Description is too long (maximum is {MAX_DESCRIPTION} characters)")));
    }
    Ok(description)
}

/// What an uploaded file is: the type it was sent as or, when sent without one (the toot CLI,
/// `curl -F file=@name`), the type its bytes show, else its name's extension. A file whose bytes
/// are another format than its type says is refused.
pub fn file_type(file: &FilePart) -> Result<String, ApiError> {
    let declared = file.content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    let sniffed = images::sniff(&file.data);
    let content_type = match declared.as_str() {
        "" | "application/octet-stream" => sniffed.or_else(|| images::type_of_extension(&file.filename)).unwrap_or("application/octet-stream").to_string(),
        _ => declared,
    };
    if !super::instance::SUPPORTED_MIME_TYPES.contains(&content_type.as_str()) {
        return Err(ApiError::Invalid(format!("File type {content_type} is not supported")));
    }
    if !sniffed.is_some_and(|s| images::same_format(s, &content_type)) {
        return Err(ApiError::Invalid(format!("The file is not a valid {content_type} file")));
    }
    Ok(content_type)
}

/// Stores an uploaded file in R2 and returns what describes it: (key, type, meta JSON, media type).
pub async fn store_file(ctx: &Ctx<'_>, id: i64, file: &FilePart) -> Result<(String, &'static str, String, String), ApiError> {
    let content_type = file_type(file)?;
    let kind = images::attachment_type(&content_type);
    let limit = if kind == "image" || kind == "gifv" { MAX_IMAGE_BYTES } else { MAX_VIDEO_BYTES };
    if file.data.is_empty() || file.data.len() > limit {
        return Err(ApiError::Invalid(format!("File must be between 1 byte and {limit} bytes")));
    }
    let meta = match images::dimensions(&file.data) {
        Some((width, height)) => json!({"width": width, "height": height}).to_string(),
        None if kind == "image" => return Err(ApiError::Invalid("The image could not be read".into())),
        None => "{}".to_string(),
    };
    let extension = content_type.rsplit('/').next().unwrap_or("bin").replace("jpeg", "jpg");
    let key = format!("media/{id}/original.{extension}");
    ctx.blobs.put(&key, file.data.clone(), &content_type).await.map_err(|e| ApiError::Internal(Box::new(e)))?;
    Ok((key, kind, meta, content_type))
}

/// <https://docs.joinmastodon.org/methods/media/#v2> (and the v1 form): synchronous.
pub async fn upload(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    let (_, owner) = auth::require_user(ctx, req, &["write:media"]).await?;
    let params = req.params()?;
    let file = params.file("file").ok_or_else(|| ApiError::Invalid("File can't be blank".into()))?;
    let description = description(&params)?;
    let focus = focus(&params)?;
    let id = ctx.new_id();
    let (key, kind, meta, content_type) = store_file(ctx, id, file).await?;
    let new = NewMedia {
        id,
        account_id: owner,
        kind,
        r2_key: &key,
        content_type: &content_type,
        file_size: file.data.len() as i64,
        description: description.as_deref(),
        meta: &meta,
        focus,
        now: ctx.now_ms(),
    };
    if let Err(e) = ctx.db.run(&store::create(&new)).await {
        // Don't leave an orphan file behind a failed insert.
        let _ = ctx.blobs.delete(&key).await;
        return Err(e.into());
    }
    let row = store::get(ctx.db, id).await?.ok_or(ApiError::NotFound)?;
    Response::ok_json(&media::from_row(&row, ctx.config))
}

async fn own(ctx: &Ctx<'_>, owner: i64, id: &str) -> Result<MediaRow, ApiError> {
    let id = ids::parse(id).ok_or(ApiError::NotFound)?;
    store::get(ctx.db, id).await?.filter(|m| m.account_id == owner).ok_or(ApiError::NotFound)
}

/// <https://docs.joinmastodon.org/methods/media/#get>: always processed (200).
pub async fn get(ctx: &Ctx<'_>, req: &Request, id: &str) -> Result<Response, ApiError> {
    let (_, owner) = auth::require_user(ctx, req, &["write:media"]).await?;
    Response::ok_json(&media::from_row(&own(ctx, owner, id).await?, ctx.config))
}

/// <https://docs.joinmastodon.org/methods/media/#update>: alt text and focal point.
pub async fn update(ctx: &Ctx<'_>, req: &Request, id: &str) -> Result<Response, ApiError> {
    let (_, owner) = auth::require_user(ctx, req, &["write:media"]).await?;
    let media = own(ctx, owner, id).await?;
    let params = req.params()?;
    ctx.db.run(&store::update(media.id, description(&params)?.as_deref(), focus(&params)?)).await?;
    Response::ok_json(&media::from_row(&store::get(ctx.db, media.id).await?.ok_or(ApiError::NotFound)?, ctx.config))
}

/// `GET /media/…`: a stored file, cached for a long time (keys never change content).
pub async fn serve(ctx: &Ctx<'_>, key: &str) -> Result<Response, ApiError> {
    if key.contains("..") {
        return Err(ApiError::NotFound);
    }
    let (bytes, content_type) = ctx.blobs.get(key).await.map_err(|e| ApiError::Internal(Box::new(e)))?.ok_or(ApiError::NotFound)?;
    Ok(Response::new(200, &content_type, bytes)
        .header("Cache-Control", "public, max-age=31536000, immutable")
        .header("X-Content-Type-Options", "nosniff"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn part(content_type: &str, filename: &str, data: &[u8]) -> FilePart {
        FilePart { name: "file".into(), filename: filename.into(), content_type: content_type.into(), data: data.to_vec() }
    }

    #[test]
    fn an_untyped_file_is_known_by_its_bytes_and_a_mislabelled_one_refused() {
        let png = include_bytes!("../../frontend/static/missing.png");
        assert_eq!(file_type(&part("application/octet-stream", "noext", png)).unwrap(), "image/png");
        assert_eq!(file_type(&part("", "x.bin", png)).unwrap(), "image/png");
        assert!(file_type(&part("image/png", "a.png", b"<html>")).is_err());
        assert!(file_type(&part("", "a.png", b"<html>")).is_err());
        assert!(file_type(&part("image/gif", "a.gif", png)).is_err());
        assert!(file_type(&part("application/zip", "a.zip", b"PK\x03\x04")).is_err());
    }
}
