//! The admin's announcements (Mastodon's `Announcement`, which apps show above the home
//! timeline): written, scheduled, edited and deleted on the admin's page. Streaming clients
//! hear of one published now or changed (`announcement`) and of one deleted or withdrawn
//! (`announcement.delete`); a scheduled one appears in the list at its time, without an event.
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
    tell(ctx, None, &row);
    Ok(row.id)
}

/// What streaming clients hear of a saved announcement that was published (`before`) or not.
fn tell(ctx: &Ctx<'_>, before: Option<i64>, row: &DraftRow) {
    let now = ctx.now_ms();
    let shown = |published: Option<i64>| published.is_some_and(|at| at <= now);
    match (shown(before), shown(row.published_at)) {
        (_, true) => super::live::announcement(ctx, row.id),
        (true, false) => super::live::announcement_deleted(ctx, row.id),
        (false, false) => {}
    }
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
    let row = row(ctx, id, announcement)?;
    ctx.db.run(&store::save(&row)).await?;
    tell(ctx, was_published, &row);
    Ok(())
}

pub async fn remove(ctx: &Ctx<'_>, id: i64) -> Result<()> {
    let was_published = store::published_at(ctx.db, id).await?.ok_or(Error::NotFound)?;
    ctx.db.run(&store::delete(id)).await?;
    if was_published.is_some_and(|at| at <= ctx.now_ms()) {
        super::live::announcement_deleted(ctx, id);
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::domain::streams::{Happening, Stream};
    use crate::testing::TestEnv;

    fn notice(text: &str, publish_at: Option<i64>) -> Announcement {
        Announcement { text: text.into(), starts_at: None, ends_at: None, all_day: false, publish_at }
    }

    #[tokio::test(flavor = "current_thread")]
    async fn streaming_clients_hear_of_published_announcements_only() {
        let env = TestEnv::new();
        let ctx = env.ctx();
        let now = ctx.now_ms();
        let shown = create(&ctx, notice("Maintenance tonight", Some(now))).await.unwrap();
        let scheduled = create(&ctx, notice("Later", Some(now + 86_400_000))).await.unwrap();
        create(&ctx, notice("Draft", None)).await.unwrap();
        assert_eq!(env.live.take(), [Happening::Announcement(shown.to_string())], "the scheduled one and the draft are not announced");
        let broadcasts = crate::router::streaming_broadcasts(&ctx, &[Happening::Announcement(shown.to_string())]).await.unwrap();
        let [broadcast] = broadcasts.as_slice() else { panic!("{broadcasts:?}") };
        assert_eq!((broadcast.event.as_str(), broadcast.streams.as_slice()), ("announcement", [Stream::User].as_slice()));
        let payload: serde_json::Value = serde_json::from_str(broadcast.payload.as_deref().unwrap()).unwrap();
        assert_eq!((payload["id"].as_str(), payload["content"].as_str()), (Some(shown.to_string().as_str()), Some("<p>Maintenance tonight</p>")));

        update(&ctx, shown, notice("Maintenance tomorrow", Some(now))).await.unwrap();
        assert_eq!(env.live.take(), [Happening::Announcement(shown.to_string())]);
        update(&ctx, shown, notice("Withdrawn", None)).await.unwrap();
        assert_eq!(env.live.take(), [Happening::AnnouncementDeleted(shown.to_string())]);
        remove(&ctx, scheduled).await.unwrap();
        assert!(env.live.take().is_empty(), "it was never shown");
        let deleted = create(&ctx, notice("Gone soon", Some(now))).await.unwrap();
        env.live.take();
        remove(&ctx, deleted).await.unwrap();
        assert_eq!(env.live.take(), [Happening::AnnouncementDeleted(deleted.to_string())]);
        let broadcasts = crate::router::streaming_broadcasts(&ctx, &[Happening::AnnouncementDeleted(deleted.to_string())]).await.unwrap();
        assert_eq!((broadcasts[0].event.as_str(), broadcasts[0].payload.as_deref()), ("announcement.delete", Some(deleted.to_string().as_str())));
    }
}
