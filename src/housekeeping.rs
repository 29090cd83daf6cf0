//! What the cron trigger does every few minutes. Each task is bounded per run, so a backlog is
//! worked off over several runs instead of overrunning one invocation's CPU budget.
use crate::ctx::Ctx;
use crate::mastodon::{polls, scheduled_statuses};
use crate::router::error::ApiError;

pub async fn run(ctx: &Ctx<'_>) -> Result<(), ApiError> {
    scheduled_statuses::publish_due(ctx).await?;
    polls::close_ended(ctx).await?;
    crate::federation::deliver::retry_held(ctx).await?;
    Ok(())
}
