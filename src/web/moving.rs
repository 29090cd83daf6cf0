//! The moving page (`/settings/migration`, with `/settings/aliases`; Mastodon's paths,
//! docs/web.md "Settings"): the owner's aliases, added and removed, and the move to another
//! account, through `app::moving` as Topi's API does.
use askama::Template;

use super::signed_in;
use crate::app::error::Error;
use crate::app::{moving, owner};
use crate::ctx::Ctx;
use crate::edge::error::ApiError;
use crate::edge::http::{Request, Response};

#[derive(Template)]
#[template(path = "moving.html")]
struct MovingPage<'a> {
    instance_title: &'a str,
    csrf_token: &'a str,
    error: Option<String>,
    notice: Option<&'a str>,
    aliases: Vec<String>,
    own_uri: &'a str,
    moved_to: Option<String>,
}

async fn page(ctx: &Ctx<'_>, csrf_token: &str, status: u16, error: Option<String>, notice: Option<&str>) -> Result<Response, ApiError> {
    let me = owner::account(ctx).await?;
    let moved_to = match me.moved_to_account_id {
        Some(id) => crate::store::accounts::get(ctx.db, id).await?.map(|target| target.url.unwrap_or(target.uri)),
        None => None,
    };
    let page = MovingPage {
        instance_title: &ctx.config.title,
        csrf_token,
        error,
        notice,
        aliases: moving::aliases_of(&me),
        own_uri: &me.uri,
        moved_to,
    };
    Ok(signed_in::private(super::render(status, &page)))
}

/// What each form's success says, by the `done` the redirect carries (never echoed).
fn notice(done: Option<&str>) -> Option<&'static str> {
    match done? {
        "alias" => Some("The alias was saved."),
        "unalias" => Some("The alias was removed."),
        "moved" => Some("Your followers are being moved to the new account."),
        _ => None,
    }
}

/// `GET /settings/migration` (and `/settings/aliases`)
pub async fn show(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    let session = match signed_in::require(ctx, req).await? {
        Ok(session) => session,
        Err(away) => return Ok(away),
    };
    page(ctx, &session.csrf_token(), 200, None, notice(req.query_params().str("done").as_deref())).await
}

/// `POST /settings/aliases` adds one; `DELETE` (the form's `_method=delete`) removes one.
pub async fn change_alias(ctx: &Ctx<'_>, req: &Request, removing: bool) -> Result<Response, ApiError> {
    let (session, params) = match signed_in::form(ctx, req).await? {
        Ok(checked) => checked,
        Err(refused) => return Ok(refused),
    };
    let acct = params.str("acct").unwrap_or_default();
    let removing = removing || params.str("_method").is_some_and(|m| m.eq_ignore_ascii_case("delete"));
    let done = if removing { moving::remove_alias(ctx, &acct).await.map(|_| "unalias") } else { moving::add_alias(ctx, &acct).await.map(|_| "alias") };
    answer(ctx, &session.csrf_token(), done).await
}

/// `POST /settings/migration`: the move.
pub async fn move_account(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    let (session, params) = match signed_in::form(ctx, req).await? {
        Ok(checked) => checked,
        Err(refused) => return Ok(refused),
    };
    let done = if params.str("confirm").as_deref() != Some("1") {
        Err(Error::Invalid("Confirm that followers will be moved".into()))
    } else {
        moving::move_to(ctx, &params.str("acct").unwrap_or_default()).await.map(|_| "moved")
    };
    answer(ctx, &session.csrf_token(), done).await
}

async fn answer(ctx: &Ctx<'_>, csrf_token: &str, done: Result<&str, Error>) -> Result<Response, ApiError> {
    match done {
        Ok(done) => Ok(Response::redirect(303, &format!("/settings/migration?done={done}"))),
        Err(Error::Invalid(why)) => page(ctx, csrf_token, 422, Some(why), None).await,
        Err(error) => Err(error.into()),
    }
}
