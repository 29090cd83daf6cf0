//! <https://docs.joinmastodon.org/methods/announcements/>: the owner's own notices.
use serde_json::{json, Value};

use crate::ctx::Ctx;
use crate::domain::ids;
use crate::domain::time::iso8601;
use crate::edge::auth;
use crate::edge::error::ApiError;
use crate::edge::http::{Request, Response};
use crate::store::announcements as store;

pub async fn index(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    let (_, owner) = auth::require_user(ctx, req, &["read:accounts"]).await?;
    let items: Vec<Value> = store::announcements(ctx.db, owner, ctx.now_ms()).await?.iter().map(entity).collect();
    Response::ok_json(&items)
}

/// The shown announcement `id` as the owner reads it (for the streaming `announcement` event).
pub async fn shown(ctx: &Ctx<'_>, owner: i64, id: i64) -> Result<Option<Value>, ApiError> {
    Ok(store::announcements(ctx.db, owner, ctx.now_ms()).await?.iter().find(|a| a.id == id).map(entity))
}

fn entity(a: &store::AnnouncementRow) -> Value {
            json!({
                "id": a.id.to_string(),
                "content": a.content,
                "starts_at": a.starts_at.map(iso8601),
                "ends_at": a.ends_at.map(iso8601),
                "all_day": a.all_day,
                "published": true,
                "published_at": iso8601(a.published_at.unwrap_or(a.updated_at)),
                "updated_at": iso8601(a.updated_at),
                "read": a.read,
                "mentions": [], "statuses": [], "tags": [], "emojis": [], "reactions": [],
            })
}

pub async fn dismiss(ctx: &Ctx<'_>, req: &Request, id: &str) -> Result<Response, ApiError> {
    let (_, owner) = auth::require_user(ctx, req, &["write:accounts"]).await?;
    let id = ids::parse(id).ok_or(ApiError::NotFound)?;
    if ctx.db.run(&store::dismiss_announcement(owner, id)).await? == 0
        && !store::announcements(ctx.db, owner, ctx.now_ms()).await?.iter().any(|a| a.id == id)
    {
        return Err(ApiError::NotFound);
    }
    Response::ok_json(&json!({}))
}
