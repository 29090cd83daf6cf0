//! What every page of the signed-in owner shares (docs/web.md, "Signing in"): the session from
//! its cookie, strangers sent to the sign-in page, and the check of every state-changing form —
//! a synchronizer token derived from the session (`domain::sessions::csrf_token`) and, when the
//! browser sent one, an `Origin` that is ours. A form that fails either is refused with 403 and
//! changes nothing.
use crate::app::sessions::Session;
use crate::ctx::Ctx;
use crate::domain::sessions as rules;
use crate::edge::auth;
use crate::edge::error::ApiError;
use crate::edge::http::{Request, Response};
use crate::edge::params::Params;

/// The form field Rails (and so Mastodon) names the CSRF token.
pub const CSRF_FIELD: &str = "authenticity_token";

/// The live session of the request, or where to send it: the sign-in page (which asks for the
/// second factor when the password was given already).
pub async fn require(ctx: &Ctx<'_>, req: &Request) -> Result<Result<Session, Response>, ApiError> {
    Ok(match auth::session(ctx, req).await? {
        Some(session) if !session.awaiting_second_factor() => Ok(session),
        _ => Err(Response::redirect(303, "/auth/sign_in")),
    })
}

/// A state-changing form of a signed-in page, checked: its parameters, or the 403 page.
pub async fn form(ctx: &Ctx<'_>, req: &Request) -> Result<Result<(Session, Params), Response>, ApiError> {
    let session = match require(ctx, req).await? {
        Ok(session) => session,
        Err(away) => return Ok(Err(away)),
    };
    let params = req.params()?;
    let token = params.str(CSRF_FIELD).unwrap_or_default();
    if !rules::origin_allowed(req.header("origin"), &ctx.config.public_url) || !session.accepts(&token) {
        return Ok(Err(refused(ctx)));
    }
    Ok(Ok((session, params)))
}

/// A form that could not be verified (missing or wrong token, another site's origin).
pub fn refused(ctx: &Ctx<'_>) -> Response {
    super::message(
        403,
        &ctx.config.title,
        "Request expired",
        "This form could not be verified (missing or invalid authenticity token). Go back, reload the page and try again.",
    )
}

/// What the owner's pages send besides the page: no cache may keep them, and their referrer
/// policy is `same-origin` rather than every other page's `no-referrer`, because under
/// `no-referrer` browsers send `Origin: null` with a form's POST, which would leave the Origin
/// check nothing to compare. Links to other sites still carry no referrer.
pub fn private(mut response: Response) -> Response {
    response.headers.retain(|(name, _)| !name.eq_ignore_ascii_case("referrer-policy"));
    response.header("Cache-Control", "no-store").header("Referrer-Policy", "same-origin")
}
