//! <https://docs.joinmastodon.org/methods/scheduled_statuses/>: scheduling, listing, moving and
//! cancelling posts; `app::posting` stores them and publishes them when they come due (the cron).
use serde_json::{json, Value};

use super::paginated;
use crate::ctx::Ctx;
use crate::domain::ids;
use crate::domain::time::{iso8601, parse_iso8601};
use crate::edge::auth;
use crate::edge::error::ApiError;
use crate::edge::http::{Request, Response};
use crate::app::posting::{self, NewPost};
use crate::store::scheduled::{self as store, ScheduledRow};

/// Mastodon refuses to schedule less than five minutes ahead.
const MIN_AHEAD_MS: i64 = 5 * 60 * 1000;

fn entity(row: &ScheduledRow) -> Value {
    let params: Value = serde_json::from_str(&row.params).unwrap_or_else(|_| json!({}));
    let text = |key: &str| params.get(key).cloned().unwrap_or(Value::Null);
    json!({
        "id": row.id.to_string(),
        "scheduled_at": iso8601(row.scheduled_at),
        "params": {
            "text": text("status"),
            "poll": text("poll"),
            "media_ids": null,
            "sensitive": text("sensitive"),
            "spoiler_text": text("spoiler_text"),
            "visibility": params.get("visibility").cloned().unwrap_or_else(|| json!("public")),
            "in_reply_to_id": text("in_reply_to_id"),
            "language": text("language"),
            // Deprecated and an integer in Mastodon; stored as text.
            "application_id": params.get("application_id").and_then(Value::as_str).and_then(|id| id.parse::<i64>().ok()),
            "scheduled_at": null,
            "idempotency": null,
            "with_rate_limit": false,
        },
        "media_attachments": [],
    })
}

fn parse_time(ctx: &Ctx<'_>, text: &str) -> Result<i64, ApiError> {
    let at = parse_iso8601(text).ok_or_else(|| ApiError::Invalid(format!("Scheduled at is not a date: {text}")))?;
    if at < ctx.now_ms() + MIN_AHEAD_MS {
        return Err(ApiError::Invalid("Scheduled at must be at least 5 minutes in the future".into()));
    }
    Ok(at)
}

pub async fn schedule(ctx: &Ctx<'_>, account_id: i64, app_id: i64, post: NewPost, at: &str) -> Result<Response, ApiError> {
    let scheduled_at = parse_time(ctx, at)?;
    let row = posting::schedule(ctx, account_id, app_id, post, scheduled_at).await?;
    Response::ok_json(&entity(&row))
}

pub async fn index(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    let (_, owner) = auth::require_user(ctx, req, &["read:statuses"]).await?;
    let rows = store::list(ctx.db, owner, &req.query_params().page()).await?;
    let keys: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let items: Vec<Value> = rows.iter().map(entity).collect();
    Ok(paginated(ctx, req, &items, &keys))
}

async fn find(ctx: &Ctx<'_>, owner: i64, id: &str) -> Result<ScheduledRow, ApiError> {
    let id = ids::parse(id).ok_or(ApiError::NotFound)?;
    store::get(ctx.db, owner, id).await?.ok_or(ApiError::NotFound)
}

pub async fn show(ctx: &Ctx<'_>, req: &Request, id: &str) -> Result<Response, ApiError> {
    let (_, owner) = auth::require_user(ctx, req, &["read:statuses"]).await?;
    Response::ok_json(&entity(&find(ctx, owner, id).await?))
}

pub async fn update(ctx: &Ctx<'_>, req: &Request, id: &str) -> Result<Response, ApiError> {
    let (_, owner) = auth::require_user(ctx, req, &["write:statuses"]).await?;
    let mut row = find(ctx, owner, id).await?;
    let at = req.params()?.non_empty("scheduled_at").ok_or_else(|| ApiError::Invalid("Scheduled at can't be blank".into()))?;
    row.scheduled_at = parse_time(ctx, &at)?;
    ctx.db.run(&store::reschedule(owner, row.id, row.scheduled_at)).await?;
    Response::ok_json(&entity(&row))
}

pub async fn delete(ctx: &Ctx<'_>, req: &Request, id: &str) -> Result<Response, ApiError> {
    let (_, owner) = auth::require_user(ctx, req, &["write:statuses"]).await?;
    let row = find(ctx, owner, id).await?;
    ctx.db.run(&store::delete(row.id)).await?;
    Response::ok_json(&json!({}))
}

#[cfg(test)]
mod tests {
    use crate::edge::http::Method::{Get, Post};
    use crate::testing::TestEnv;

    #[tokio::test(flavor = "current_thread")]
    async fn a_scheduled_status_is_published_when_due() {
        let env = TestEnv::new();
        let token = env.owner_token().await;
        let at = crate::domain::time::iso8601(env.ctx().now_ms() + 10 * 60 * 1000);
        let (early, _) = env.send_as(&token, Post, "/api/v1/statuses", &format!("status=later&scheduled_at={}", crate::domain::time::iso8601(env.ctx().now_ms() + 60_000))).await;
        assert_eq!(early.status, 422, "less than five minutes ahead");
        let (response, scheduled) = env.send_as(&token, Post, "/api/v1/statuses", &format!("status=later+%23topi&scheduled_at={at}")).await;
        assert_eq!(response.status, 200, "{scheduled}");
        assert_eq!(scheduled["params"]["text"], "later #topi");
        let (_, home) = env.send_as(&token, Get, "/api/v1/timelines/home", "").await;
        assert_eq!(home.as_array().unwrap().len(), 0, "not yet");
        assert_eq!(crate::app::posting::publish_due(&env.ctx()).await.unwrap(), 0);
        env.advance(11 * 60 * 1000);
        assert_eq!(crate::app::posting::publish_due(&env.ctx()).await.unwrap(), 1);
        let (_, home) = env.send_as(&token, Get, "/api/v1/timelines/home", "").await;
        assert!(home[0]["content"].as_str().unwrap().contains("later"));
        let (_, list) = env.send_as(&token, Get, "/api/v1/scheduled_statuses", "").await;
        assert!(list.as_array().unwrap().is_empty());
    }
}
