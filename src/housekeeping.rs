//! What the cron trigger does every few minutes. Each task is bounded per run, so a backlog is
//! worked off over several runs instead of overrunning one invocation's CPU budget.
use crate::ctx::Ctx;
use crate::mastodon::{polls, scheduled_statuses};
use crate::router::error::ApiError;

/// How long an applied activity id is remembered, so that its replay is a no-op.
pub const SEEN_KEPT_MS: i64 = 30 * 24 * 60 * 60 * 1000;

pub async fn run(ctx: &Ctx<'_>) -> Result<(), ApiError> {
    scheduled_statuses::publish_due(ctx).await?;
    polls::close_ended(ctx).await?;
    crate::federation::deliver::retry_held(ctx).await?;
    ctx.db.run(&crate::store::federation::forget_seen_before(ctx.now_ms() - SEEN_KEPT_MS)).await?;
    // No rate-limit window is longer than an hour.
    ctx.db.run(&crate::store::rate_limits::forget_before(ctx.now_ms() - 60 * 60 * 1000)).await?;
    Ok(())
}
