//! The admin's pages (`/admin/…`, Mastodon's paths; docs/web.md, "Administration"), a module
//! each: domain blocks, announcements, custom emoji, site settings, federation health. What they
//! share: the pages that list something and take forms to change it (`AdminPage`), shown to the
//! signed-in admin, their forms checked and answered alike.
pub mod announcements;
pub mod custom_emojis;
pub mod domain_blocks;
pub mod federation;
pub mod settings;

use super::signed_in;
use crate::app::error::Error;
use crate::ctx::Ctx;
use crate::edge::error::ApiError;
use crate::edge::http::{Request, Response};
use crate::edge::params::Params;

pub(crate) enum AdminPage {
    DomainBlocks,
    Announcements,
    CustomEmojis,
    Settings,
}

impl AdminPage {
    fn path(self) -> &'static str {
        match self {
            AdminPage::DomainBlocks => "/admin/domain_blocks",
            AdminPage::Announcements => "/admin/announcements",
            AdminPage::CustomEmojis => "/admin/custom_emojis",
            AdminPage::Settings => "/admin/settings",
        }
    }

    async fn render(self, ctx: &Ctx<'_>, csrf_token: &str, status: u16, error: Option<String>) -> Result<Response, ApiError> {
        match self {
            AdminPage::DomainBlocks => domain_blocks::page(ctx, csrf_token, status, error, None).await,
            AdminPage::Announcements => announcements::page(ctx, csrf_token, status, error).await,
            AdminPage::CustomEmojis => custom_emojis::page(ctx, csrf_token, status, error).await,
            AdminPage::Settings => settings::page(ctx, csrf_token, status, error).await,
        }
    }
}

/// The page for the signed-in admin; strangers go to the sign-in page.
pub(crate) async fn show(ctx: &Ctx<'_>, req: &Request, which: AdminPage) -> Result<Response, ApiError> {
    match signed_in::require(ctx, req).await? {
        Ok(session) => which.render(ctx, &session.csrf_token(), 200, None).await,
        Err(away) => Ok(away),
    }
}

/// A form of one of those pages: checked (session, CSRF token, Origin), applied, then back to
/// the page; a change refused as invalid shows the page again with the reason (422).
pub(crate) async fn submit(ctx: &Ctx<'_>, req: &Request, which: AdminPage, change: impl AsyncFnOnce(&Params) -> Result<(), Error>) -> Result<Response, ApiError> {
    let (session, params) = match signed_in::form(ctx, req).await? {
        Ok(checked) => checked,
        Err(refused) => return Ok(refused),
    };
    match change(&params).await {
        Ok(()) => Ok(Response::redirect(303, which.path())),
        Err(Error::Invalid(why)) => which.render(ctx, &session.csrf_token(), 422, Some(why)).await,
        Err(e) => Err(e.into()),
    }
}

/// Forms send Mastodon's `DELETE` as a `POST` with `_method=delete`.
pub(crate) fn deleting(req: &Request, params: &Params) -> bool {
    req.method == crate::edge::http::Method::Delete || params.str("_method").as_deref() == Some("delete")
}
