//! What the instance tells about itself, to every surface: its software version, the limits
//! posting enforces, and its counts (NodeInfo, the instance entities).
use super::error::Error;
use crate::ctx::Ctx;
use crate::store;

pub const SOFTWARE_VERSION: &str = env!("CARGO_PKG_VERSION");
/// The longest status, counted as Mastodon counts (a URL is 23 characters).
pub const MAX_CHARACTERS: u32 = 500;
pub const MAX_MEDIA_ATTACHMENTS: u32 = 4;

/// Counts and rules may be a minute old: they are shown, never acted on.
const SUMMARY_FRESH_MS: i64 = 60_000;

/// Statistics and rules, through the isolate cache.
pub async fn summary(ctx: &Ctx<'_>) -> Result<store::instance::Summary, Error> {
    let now = ctx.now_ms();
    if let Some((loaded_at, summary)) = ctx.cache.instance_summary.borrow().as_ref() {
        if now - loaded_at < SUMMARY_FRESH_MS {
            return Ok(summary.clone());
        }
    }
    let summary = store::instance::summary(ctx.db).await?;
    *ctx.cache.instance_summary.borrow_mut() = Some((now, summary.clone()));
    Ok(summary)
}

