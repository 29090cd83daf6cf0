//! <https://docs.joinmastodon.org/methods/media/>: uploads go straight to R2 and are answered
//! with 200 and a `url`, so clients never poll for processing.

use super::entities::media;
use crate::ctx::Ctx;
use crate::domain::ids;
use crate::edge::auth;
use crate::edge::error::ApiError;
use crate::edge::http::{Request, Response};
use crate::edge::params::Params;
use crate::store::media::{self as store, MediaRow, NewMedia};

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

/// <https://docs.joinmastodon.org/methods/media/#v2> (and the v1 form): synchronous.
pub async fn upload(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    let (_, owner) = auth::require_user(ctx, req, &["write:media"]).await?;
    let params = req.params()?;
    let file = params.file("file").ok_or_else(|| ApiError::Invalid("File can't be blank".into()))?;
    let description = description(&params)?;
    let focus = focus(&params)?;
    let id = ctx.new_id();
    let stored = crate::app::media::store(ctx, id, &file.upload()).await?;
    let key = stored.r2_key;
    let new = NewMedia {
        id,
        account_id: owner,
        kind: stored.kind,
        r2_key: &key,
        content_type: &stored.content_type,
        file_size: file.data.len() as i64,
        description: description.as_deref(),
        meta: &stored.meta,
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

/// What `/media/…` serves: attachments, avatars, headers and site pictures (`media/`), and
/// custom emoji (`emojis/`). The bucket also holds the owner's archives and imports, which only
/// their own signed-in paths may read.
const SERVED_PREFIXES: [&str; 2] = ["media/", "emojis/"];

/// `GET /media/…`: a stored file, cached for a long time (keys never change content).
pub async fn serve(ctx: &Ctx<'_>, key: &str) -> Result<Response, ApiError> {
    if key.contains("..") || !SERVED_PREFIXES.iter().any(|prefix| key.starts_with(prefix)) {
        return Err(ApiError::NotFound);
    }
    let (bytes, content_type) = ctx.blobs.get(key).await.map_err(|e| ApiError::Internal(Box::new(e)))?.ok_or(ApiError::NotFound)?;
    Ok(Response::new(200, &content_type, bytes)
        .header("Cache-Control", "public, max-age=31536000, immutable")
        .header("X-Content-Type-Options", "nosniff"))
}
