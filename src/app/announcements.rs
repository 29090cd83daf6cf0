//! The admin's announcements (Mastodon's `Announcement`, which apps show above the home
//! timeline): written, scheduled, edited and deleted on the admin's page.
use super::error::{Error, Result};
use crate::content::text;
use crate::ctx::Ctx;
use crate::store::announcements::{self as store, DraftRow};

/// Long enough for a notice; a screenful of text at most.
pub const MAX_TEXT_CHARS: usize = 5_000;

/// An announcement as the admin writes it. Times are Unix milliseconds.
#[derive(Clone, Debug)]
pub struct Announcement {
    pub text: String,
    /// When the event it announces starts and ends (shown by apps), if it is about one.
    pub starts_at: Option<i64>,
    pub ends_at: Option<i64>,
    pub all_day: bool,
    /// When apps start showing it: now, later (scheduled), or never yet (a draft).
    pub publish_at: Option<i64>,
}

fn row(ctx: &Ctx<'_>, id: i64, a: Announcement) -> Result<DraftRow> {
    let text = a.text.trim().to_string();
    if text.is_empty() {
        return Err(Error::Invalid("Text can't be blank".into()));
    }
    if text.chars().count() > MAX_TEXT_CHARS {
        return Err(Error::Invalid(format!("Text is too long (maximum is {MAX_TEXT_CHARS} characters)")));
    }
    if let (Some(start), Some(end)) = (a.starts_at, a.ends_at) {
        if end <= start {
            return Err(Error::Invalid("The end must come after the start".into()));
        }
    }
    Ok(DraftRow {
        id,
        content: text::to_html(&text, &ctx.config.public_url),
        text,
        starts_at: a.starts_at,
        ends_at: a.ends_at,
        all_day: a.all_day,
        published_at: a.publish_at,
        updated_at: ctx.now_ms(),
    })
}

pub async fn create(ctx: &Ctx<'_>, announcement: Announcement) -> Result<i64> {
    let row = row(ctx, ctx.new_id(), announcement)?;
    ctx.db.run(&store::save(&row)).await?;
    Ok(row.id)
}

/// An announcement already shown that stays published keeps its publication time: apps sort
/// and mark them by it.
pub async fn update(ctx: &Ctx<'_>, id: i64, mut announcement: Announcement) -> Result<()> {
    let was_published = store::published_at(ctx.db, id).await?.ok_or(Error::NotFound)?;
    let now = ctx.now_ms();
    if let (Some(before), Some(wanted)) = (was_published, announcement.publish_at) {
        if before <= now && wanted <= now {
            announcement.publish_at = Some(before);
        }
    }
    ctx.db.run(&store::save(&row(ctx, id, announcement)?)).await?;
    Ok(())
}

pub async fn remove(ctx: &Ctx<'_>, id: i64) -> Result<()> {
    store::published_at(ctx.db, id).await?.ok_or(Error::NotFound)?;
    ctx.db.run(&store::delete(id)).await?;
    Ok(())
}
