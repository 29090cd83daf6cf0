//! `/admin/announcements`: written, scheduled, edited, deleted (`app::announcements`).
use askama::Template;

use super::{deleting, show, submit, AdminPage};
use crate::web::signed_in;
use crate::web::views::date_label;
use crate::app::announcements::{self, Announcement};
use crate::app::error::Error;
use crate::ctx::Ctx;
use crate::domain::time::{iso8601, parse_iso8601};
use crate::edge::error::ApiError;
use crate::edge::http::{Request, Response};
use crate::edge::params::Params;
use crate::store::announcements::{self as announcement_store, DraftRow};

struct AnnouncementView {
    id: i64,
    text: String,
    content: String,
    starts_at: String,
    ends_at: String,
    all_day: bool,
    /// `now` (shown), `later` (scheduled) or `draft`.
    state: &'static str,
    publish_at: String,
    updated: String,
}

#[derive(Template)]
#[template(path = "admin_announcements.html")]
struct AnnouncementsPage<'a> {
    instance_title: &'a str,
    csrf_token: &'a str,
    announcements: Vec<AnnouncementView>,
    error: Option<String>,
}

/// A time as a `datetime-local` field holds it (UTC, to the minute); empty for none.
fn field_time(ms: Option<i64>) -> String {
    ms.map(|ms| iso8601(ms)[..16].to_string()).unwrap_or_default()
}

/// A `datetime-local` field's value, read as UTC (the page says so). Empty means none.
fn time_field(params: &Params, name: &str, label: &str) -> Result<Option<i64>, Error> {
    match params.str(name).map(|v| v.trim().to_string()).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(value) => {
            let full = if value.len() == 16 { format!("{value}:00Z") } else { format!("{value}Z") };
            parse_iso8601(&full).map(Some).ok_or_else(|| Error::Invalid(format!("{label} is not a date and time: {value}")))
        }
    }
}

fn announcement_view(row: DraftRow, now: i64) -> AnnouncementView {
    let state = match row.published_at {
        None => "draft",
        Some(at) if at > now => "later",
        Some(_) => "now",
    };
    AnnouncementView {
        id: row.id,
        starts_at: field_time(row.starts_at),
        ends_at: field_time(row.ends_at),
        publish_at: field_time(row.published_at.filter(|at| *at > now)),
        updated: date_label(row.updated_at),
        text: row.text,
        content: row.content,
        all_day: row.all_day,
        state,
    }
}

pub(super) async fn page(ctx: &Ctx<'_>, csrf_token: &str, status: u16, error: Option<String>) -> Result<Response, ApiError> {
    let now = ctx.now_ms();
    let announcements = announcement_store::all(ctx.db).await?.into_iter().map(|row| announcement_view(row, now)).collect();
    let page = AnnouncementsPage { instance_title: &ctx.config.title, csrf_token, announcements, error };
    Ok(signed_in::private(crate::web::render(status, &page)))
}

/// `GET /admin/announcements`
pub async fn index(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    show(ctx, req, AdminPage::Announcements).await
}

fn announcement(ctx: &Ctx<'_>, params: &Params) -> Result<Announcement, Error> {
    let publish_at = match params.str("publish").as_deref() {
        Some("now") | None => Some(ctx.now_ms()),
        Some("later") => Some(time_field(params, "publish_at", "Publish at")?.ok_or_else(|| Error::Invalid("Publish at can't be blank when scheduling".into()))?),
        Some("draft") => None,
        Some(other) => return Err(Error::Invalid(format!("Publish is not valid: {other}"))),
    };
    Ok(Announcement {
        text: params.str("text").unwrap_or_default(),
        starts_at: time_field(params, "starts_at", "Starts at")?,
        ends_at: time_field(params, "ends_at", "Ends at")?,
        all_day: params.str("all_day").is_some_and(|v| v != "0"),
        publish_at,
    })
}

/// `POST /admin/announcements`
pub async fn create_announcement(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    submit(ctx, req, AdminPage::Announcements, async |params: &Params| {
        announcements::create(ctx, announcement(ctx, params)?).await.map(|_| ())
    })
    .await
}

/// `PUT /admin/announcements/:id`, or `DELETE` (a form's `POST` with `_method`).
pub async fn change_announcement(ctx: &Ctx<'_>, req: &Request, id: &str) -> Result<Response, ApiError> {
    let id = crate::domain::ids::parse(id).ok_or(ApiError::NotFound)?;
    submit(ctx, req, AdminPage::Announcements, async |params: &Params| {
        if deleting(req, params) {
            announcements::remove(ctx, id).await
        } else {
            announcements::update(ctx, id, announcement(ctx, params)?).await
        }
    })
    .await
}
