//! The admin's report queue (`/admin/reports`, `/admin/reports/:id`; docs/web.md,
//! "Administration"): reports the owner filed and those other servers sent, with the posts they
//! name; resolve, reopen, and the actions on the remote account (`app::reports`). The handlers
//! only read the form; the use case decides.
use askama::Template;

use super::signed_in;
use super::views::{date_label, http_url};
use crate::app::error::Error;
use crate::app::reports::{self, ReportAction};
use crate::ctx::Ctx;
use crate::edge::error::ApiError;
use crate::edge::http::{Request, Response};
use crate::store::db::decode;
use crate::store::reports::{self as store, Filter, ReportRow, ReportedStatus, PAGE_SIZE};

struct PostView {
    id: i64,
    link: Option<String>,
    /// Stored HTML: ours, or a remote post's cut to Mastodon's allow-list when it arrived.
    content: String,
    spoiler_text: String,
    removed: bool,
    date: String,
}

/// The remote account the report's actions reach (`app::reports::subject`).
struct SubjectView {
    /// "the reported account" or "the reporter".
    role: &'static str,
    handle: String,
    domain: String,
    limited: bool,
    suspended: bool,
}

struct ReportView {
    id: i64,
    created: String,
    category: String,
    comment: String,
    forwarded: bool,
    reporter: String,
    reporter_link: Option<String>,
    target: String,
    target_link: Option<String>,
    rules: String,
    resolved: Option<String>,
    action: &'static str,
    posts: Vec<PostView>,
    missing_posts: usize,
    subject: Option<SubjectView>,
}

fn handle(username: &str, domain: Option<&str>) -> String {
    match domain {
        Some(domain) => format!("@{username}@{domain}"),
        None => format!("@{username}"),
    }
}

/// What `action_taken` says, for a person.
fn action_label(action: Option<&str>) -> &'static str {
    match action {
        Some("resolve") => "resolved without action",
        Some("limit") => "the account was limited",
        Some("suspend") => "the account was suspended",
        Some("block_domain") => "its server was suspended",
        Some(_) => "resolved",
        None => "",
    }
}

fn view(row: ReportRow, statuses: &[ReportedStatus]) -> ReportView {
    let wanted = row.statuses();
    let posts: Vec<PostView> = wanted
        .iter()
        .filter_map(|id| statuses.iter().find(|s| s.id == *id))
        .map(|s| PostView {
            id: s.id,
            link: http_url(s.url.as_deref().unwrap_or(&s.uri)).map(str::to_string),
            content: s.content.clone(),
            spoiler_text: s.spoiler_text.clone(),
            removed: s.deleted_at.is_some(),
            date: date_label(s.created_at),
        })
        .collect();
    let shown = wanted.len().min(store::MAX_SHOWN_STATUSES as usize);
    let subject = reports::subject(&row).map(|s| {
        let (username, limited, suspended) = if s.is_target {
            (&row.target_username, row.target_silenced_at.is_some(), row.target_suspended_at.is_some())
        } else {
            (&row.reporter_username, row.reporter_silenced_at.is_some(), row.reporter_suspended_at.is_some())
        };
        SubjectView {
            role: if s.is_target { "the reported account" } else { "the reporter" },
            handle: handle(username, Some(&s.domain)),
            domain: s.domain,
            limited,
            suspended,
        }
    });
    ReportView {
        id: row.id,
        created: date_label(row.created_at),
        reporter: handle(&row.reporter_username, row.reporter_domain.as_deref()),
        reporter_link: http_url(&row.reporter_uri).map(str::to_string),
        target: handle(&row.target_username, row.target_domain.as_deref()),
        target_link: http_url(&row.target_uri).map(str::to_string),
        rules: row.rules().iter().map(i64::to_string).collect::<Vec<_>>().join(", "),
        resolved: row.action_taken_at.map(date_label),
        action: action_label(row.action_taken.as_deref()),
        missing_posts: shown.saturating_sub(posts.len()),
        posts,
        subject,
        category: row.category,
        comment: row.comment,
        forwarded: row.forwarded,
    }
}

#[derive(Template)]
#[template(path = "admin_reports.html")]
struct QueuePage<'a> {
    instance_title: &'a str,
    csrf_token: &'a str,
    resolved: bool,
    reports: Vec<ReportView>,
    older: Option<String>,
}

#[derive(Template)]
#[template(path = "admin_report.html")]
struct ReportPage<'a> {
    instance_title: &'a str,
    csrf_token: &'a str,
    report: ReportView,
    error: Option<String>,
}

/// `GET /admin/reports`: the open reports (`?resolved=1`: the resolved ones), newest first,
/// `PAGE_SIZE` a page (`?max_id=`). One D1 round trip besides the session's.
pub async fn index(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    let session = match signed_in::require(ctx, req).await? {
        Ok(session) => session,
        Err(away) => return Ok(away),
    };
    let query = req.query_params();
    let resolved = query.str("resolved").is_some_and(|v| v == "1" || v == "true");
    let before = query.str("max_id").as_deref().and_then(crate::domain::ids::parse);
    let filter = if resolved { Filter::Resolved } else { Filter::Open };
    let mut answers = ctx.db.batch_rows(&store::queue_queries(filter, before, PAGE_SIZE)).await?.into_iter();
    let rows: Vec<ReportRow> = decode(answers.next().unwrap_or_default())?;
    let statuses: Vec<ReportedStatus> = decode(answers.next().unwrap_or_default())?;
    let older = (rows.len() as i64 == PAGE_SIZE)
        .then(|| rows.last().map(|r| format!("/admin/reports?{}max_id={}", if resolved { "resolved=1&" } else { "" }, r.id)))
        .flatten();
    let reports = rows.into_iter().map(|row| view(row, &statuses)).collect();
    let csrf_token = session.csrf_token();
    let page = QueuePage { instance_title: &ctx.config.title, csrf_token: &csrf_token, resolved, reports, older };
    Ok(signed_in::private(super::render(200, &page)))
}

async fn report_page(ctx: &Ctx<'_>, csrf_token: &str, id: i64, status: u16, error: Option<String>) -> Result<Response, ApiError> {
    let mut answers = ctx.db.batch_rows(&store::get_queries(id)).await?.into_iter();
    let row = decode::<ReportRow>(answers.next().unwrap_or_default())?.pop().ok_or(ApiError::NotFound)?;
    let statuses: Vec<ReportedStatus> = decode(answers.next().unwrap_or_default())?;
    let page = ReportPage { instance_title: &ctx.config.title, csrf_token, report: view(row, &statuses), error };
    Ok(signed_in::private(super::render(status, &page)))
}

/// `GET /admin/reports/:id`: one report. One D1 round trip besides the session's.
pub async fn show(ctx: &Ctx<'_>, req: &Request, id: &str) -> Result<Response, ApiError> {
    let id = crate::domain::ids::parse(id).ok_or(ApiError::NotFound)?;
    match signed_in::require(ctx, req).await? {
        Ok(session) => report_page(ctx, &session.csrf_token(), id, 200, None).await,
        Err(away) => Ok(away),
    }
}

/// `POST /admin/reports/:id/:action` (`resolve`, `reopen`, `limit`, `suspend`, `block_domain`):
/// checked, applied, then back to the queue or the report (the form's `back`: `queue` or
/// anything else for the report; never a URL). A refused action shows the report with why.
pub async fn act(ctx: &Ctx<'_>, req: &Request, id: &str, action: &str) -> Result<Response, ApiError> {
    let id = crate::domain::ids::parse(id).ok_or(ApiError::NotFound)?;
    let action = ReportAction::parse(action).ok_or(ApiError::NotFound)?;
    let (session, params) = match signed_in::form(ctx, req).await? {
        Ok(checked) => checked,
        Err(refused) => return Ok(refused),
    };
    match reports::act(ctx, id, action).await {
        Ok(_) if params.str("back").as_deref() == Some("queue") => Ok(Response::redirect(303, "/admin/reports")),
        Ok(_) => Ok(Response::redirect(303, &format!("/admin/reports/{id}"))),
        Err(Error::Invalid(why)) => report_page(ctx, &session.csrf_token(), id, 422, Some(why)).await,
        Err(e) => Err(e.into()),
    }
}
