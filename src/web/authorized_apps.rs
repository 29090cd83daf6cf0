//! Authorized apps (`/oauth/authorized_applications`, Mastodon's path; docs/web.md): the apps
//! holding the owner's tokens, with their scopes and last use, and revocation of one app's
//! tokens or of every app's. Revoking goes through `app::tokens`, as `/oauth/revoke` does, so
//! the tokens' streaming sockets close and their push subscriptions go.
use askama::Template;

use super::signed_in;
use super::views::date_label;
use crate::app::tokens;
use crate::ctx::Ctx;
use crate::edge::error::ApiError;
use crate::edge::http::{Request, Response};

struct AppView {
    id: i64,
    name: String,
    website: Option<String>,
    scopes: Vec<String>,
    tokens: i64,
    authorized: String,
    last_used: Option<String>,
}

#[derive(Template)]
#[template(path = "authorized_apps.html")]
struct AppsPage<'a> {
    instance_title: &'a str,
    csrf_token: &'a str,
    apps: Vec<AppView>,
}

/// `GET /oauth/authorized_applications`
pub async fn list(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    let session = match signed_in::require(ctx, req).await? {
        Ok(session) => session,
        Err(away) => return Ok(away),
    };
    let apps = tokens::authorized_apps(ctx, session.row.account_id)
        .await?
        .into_iter()
        .map(|app| AppView {
            id: app.row.app_id,
            website: app.row.website.as_deref().and_then(super::views::http_url).map(str::to_string),
            name: app.row.name,
            scopes: app.scopes,
            tokens: app.row.tokens,
            authorized: date_label(app.row.created_at),
            last_used: app.row.last_used_at.map(date_label),
        })
        .collect();
    let page = AppsPage { instance_title: &ctx.config.title, csrf_token: &session.csrf_token(), apps };
    Ok(signed_in::private(super::render(200, &page)))
}

/// `DELETE /oauth/authorized_applications/:id` (Mastodon's), or every app's tokens without `id`.
pub async fn revoke(ctx: &Ctx<'_>, req: &Request, app_id: Option<&str>) -> Result<Response, ApiError> {
    let session = match signed_in::form(ctx, req).await? {
        Ok((session, _)) => session,
        Err(refused) => return Ok(refused),
    };
    let app_id = app_id.map(|id| id.parse::<i64>().map_err(|_| ApiError::NotFound)).transpose()?;
    tokens::revoke_apps(ctx, session.row.account_id, app_id).await?;
    Ok(Response::redirect(303, "/oauth/authorized_applications"))
}
