//! What streaming clients hear of. Each write that changes what a subscriber would see records
//! a happening here; `platform/` hands the invocation's happenings to the streaming hub at its
//! end, and the hub renders them only if a socket is open.
use crate::ctx::Ctx;
use crate::domain::streams::Happening;
use crate::store::db::Query;
use crate::store::notifications;

/// A new notification for `account_id`: the insert to run, its happening recorded.
pub fn notification(ctx: &Ctx<'_>, account_id: i64, from: i64, kind: &str, status_id: Option<i64>, now: i64) -> Query {
    let id = ctx.new_id();
    ctx.live.record(Happening::Notification(id.to_string()));
    notifications::create(id, account_id, from, kind, status_id, now)
}

pub fn status_added(ctx: &Ctx<'_>, id: i64) {
    ctx.live.record(Happening::Status(id.to_string()));
}

pub fn status_edited(ctx: &Ctx<'_>, id: i64) {
    ctx.live.record(Happening::Edited(id.to_string()));
}

pub fn status_deleted(ctx: &Ctx<'_>, id: i64) {
    ctx.live.record(Happening::Deleted(id.to_string()));
}

pub fn filters_changed(ctx: &Ctx<'_>) {
    ctx.live.record(Happening::FiltersChanged);
}

pub fn token_revoked(ctx: &Ctx<'_>, token_id: i64) {
    ctx.live.record(Happening::TokenRevoked(token_id.to_string()));
}

pub fn announcement(ctx: &Ctx<'_>, id: i64) {
    ctx.live.record(Happening::Announcement(id.to_string()));
}

pub fn announcement_deleted(ctx: &Ctx<'_>, id: i64) {
    ctx.live.record(Happening::AnnouncementDeleted(id.to_string()));
}
