//! The signed-in owner's pages (docs/web.md, "Signing in"): `/settings`, which links what
//! exists, and `/auth/edit` (Mastodon's "Account" page): how the password is changed, and the
//! browser sessions with their devices and last use, each revocable, or all but this one.
use askama::Template;

use super::signed_in;
use super::views::date_label;
use crate::app::{owner, sessions, two_factor};
use crate::ctx::Ctx;
use crate::domain::sessions::{cleared_cookie, COOKIE};
use crate::edge::error::ApiError;
use crate::edge::http::{Request, Response};

#[derive(Template)]
#[template(path = "settings.html")]
struct SettingsPage<'a> {
    instance_title: &'a str,
    csrf_token: &'a str,
    username: &'a str,
    two_factor: bool,
    exports: &'a [(&'a str, &'a str)],
}

/// The CSV files `mastodon::exports` serves at `/settings/exports/:file`, as Mastodon's export
/// page names them.
const EXPORTS: &[(&str, &str)] = &[
    ("follows.csv", "Follows"),
    ("lists.csv", "Lists"),
    ("blocks.csv", "Blocked accounts"),
    ("mutes.csv", "Muted accounts"),
    ("domain_blocks.csv", "Blocked domains"),
    ("bookmarks.csv", "Bookmarks"),
];

/// `GET /settings`
pub async fn index(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    let session = match signed_in::require(ctx, req).await? {
        Ok(session) => session,
        Err(away) => return Ok(away),
    };
    let owner = owner::account(ctx).await?;
    let page = SettingsPage {
        instance_title: &ctx.config.title,
        csrf_token: &session.csrf_token(),
        username: &owner.username,
        two_factor: two_factor::enabled(ctx, owner.id).await?.is_some(),
        exports: EXPORTS,
    };
    Ok(signed_in::private(super::render(200, &page)))
}

struct SessionView {
    id: i64,
    device: String,
    last_used: String,
    signed_in: String,
    current: bool,
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage<'a> {
    instance_title: &'a str,
    csrf_token: &'a str,
    sessions: Vec<SessionView>,
}

/// `GET /auth/edit`
pub async fn account(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    let session = match signed_in::require(ctx, req).await? {
        Ok(session) => session,
        Err(away) => return Ok(away),
    };
    let rows = sessions::list(ctx, session.row.account_id).await?;
    let views = rows
        .into_iter()
        .map(|row| SessionView {
            id: row.id,
            device: if row.user_agent.is_empty() { "Unknown device".to_string() } else { row.user_agent },
            last_used: date_label(row.last_used_at),
            signed_in: date_label(row.created_at),
            current: row.id == session.row.id,
        })
        .collect();
    let page = AccountPage { instance_title: &ctx.config.title, csrf_token: &session.csrf_token(), sessions: views };
    Ok(signed_in::private(super::render(200, &page)))
}

/// `DELETE /settings/sessions/:id` (a form's `POST` with `_method=delete`, as Mastodon's). This
/// browser's own session signs it out.
pub async fn revoke_session(ctx: &Ctx<'_>, req: &Request, id: &str) -> Result<Response, ApiError> {
    let session = match signed_in::form(ctx, req).await? {
        Ok((session, _)) => session,
        Err(refused) => return Ok(refused),
    };
    let id: i64 = id.parse().map_err(|_| ApiError::NotFound)?;
    if id == session.row.id {
        sessions::end(ctx, &session).await?;
        return Ok(Response::redirect(303, "/auth/sign_in").header("Set-Cookie", &cleared_cookie(COOKIE)));
    }
    sessions::revoke(ctx, session.row.account_id, id).await?;
    Ok(Response::redirect(303, "/auth/edit"))
}

/// `DELETE /settings/sessions/others`: every session but this browser's.
pub async fn revoke_other_sessions(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    let session = match signed_in::form(ctx, req).await? {
        Ok((session, _)) => session,
        Err(refused) => return Ok(refused),
    };
    sessions::revoke_others(ctx, &session).await?;
    Ok(Response::redirect(303, "/auth/edit"))
}
