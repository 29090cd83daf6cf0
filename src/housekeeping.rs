//! The cron trigger's surface: what runs every few minutes. Each task is bounded per run, so a
//! backlog is worked off over several runs instead of overrunning one invocation's CPU budget.
use crate::app::error::Error;
use crate::app::{archive, jobs, polls, posting, retention, sessions};
use crate::ctx::Ctx;
use crate::store;

/// How long an applied activity id is remembered, so that its replay is a no-op.
pub const SEEN_KEPT_MS: i64 = 30 * 24 * 60 * 60 * 1000;

pub async fn run(ctx: &Ctx<'_>) -> Result<(), Error> {
    // First, so that what the queue refused before goes ahead of what this run queues.
    jobs::send_kept(ctx).await?;
    posting::publish_due(ctx).await?;
    polls::close_ended(ctx).await?;
    jobs::requeue_held(ctx).await?;
    ctx.db.run(&store::federation::forget_seen_before(ctx.now_ms() - SEEN_KEPT_MS)).await?;
    // No rate-limit window is longer than an hour.
    ctx.db.run(&store::rate_limits::forget_before(ctx.now_ms() - 60 * 60 * 1000)).await?;
    sessions::forget_expired(ctx).await?;
    retention::forget_old_remote_posts(ctx).await?;
    archive::export::expire(ctx).await?;
    Ok(())
}
