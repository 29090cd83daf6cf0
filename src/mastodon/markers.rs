//! <https://docs.joinmastodon.org/methods/markers/>: where the owner stopped reading.
use serde_json::{json, Map, Value};

use crate::ctx::Ctx;
use crate::domain::ids;
use crate::domain::time::iso8601;
use crate::edge::auth;
use crate::edge::error::ApiError;
use crate::edge::http::{Request, Response};
use crate::edge::params::Params;
use crate::store::notifications as store;

const TIMELINES: [&str; 2] = ["home", "notifications"];

async fn respond(ctx: &Ctx<'_>, account_id: i64, timelines: &[String]) -> Result<Response, ApiError> {
    let mut markers = Map::new();
    for m in store::markers(ctx.db, account_id, timelines).await? {
        markers.insert(
            m.timeline.clone(),
            json!({"last_read_id": m.last_read_id.to_string(), "version": m.version, "updated_at": iso8601(m.updated_at)}),
        );
    }
    Response::ok_json(&Value::Object(markers))
}

pub async fn get(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    let (_, account_id) = auth::require_user(ctx, req, &["read:statuses"]).await?;
    let wanted: Vec<String> = req.query_params().strings("timeline").into_iter().filter(|t| TIMELINES.contains(&t.as_str())).collect();
    respond(ctx, account_id, &wanted).await
}

/// Accepts `home[last_read_id]=…` (form) or `{"home": {"last_read_id": …}}` (JSON).
pub async fn set(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    let (_, account_id) = auth::require_user(ctx, req, &["write:statuses"]).await?;
    let params = req.params()?;
    let now = ctx.now_ms();
    let mut changes = Vec::new();
    for timeline in TIMELINES {
        let Some(value) = params.get(timeline) else { continue };
        let id = Params::from_value(value.clone())
            .str("last_read_id")
            .as_deref()
            .and_then(ids::parse)
            .ok_or_else(|| ApiError::Invalid(format!("{timeline}[last_read_id] must be an id")))?;
        changes.push((timeline.to_string(), store::set_marker(account_id, timeline, id, now)));
    }
    if changes.is_empty() {
        return Err(ApiError::Invalid("No marker given (home or notifications)".into()));
    }
    let queries: Vec<_> = changes.iter().map(|(_, q)| q.clone()).collect();
    ctx.db.batch(&queries).await?;
    let names: Vec<String> = changes.into_iter().map(|(t, _)| t).collect();
    respond(ctx, account_id, &names).await
}
