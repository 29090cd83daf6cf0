//! The owner's web sign-in and sign-out at Mastodon's paths (`/auth/sign_in`, `/auth/sign_out`;
//! docs/web.md, "Signing in"). The password is checked under the same rate limit as OAuth's;
//! with two-factor authentication on, a right password starts a session that owes the code for
//! five minutes and the page asks for it. Before there is a session, the sign-in form's CSRF
//! token is a double-submit cookie (`__Host-` prefixed: no other host can set it).
use askama::Template;

use super::signed_in::{self, CSRF_FIELD};
use crate::app::owner::{self, Factors, SignInCheck};
use crate::app::sessions::{self, Session};
use crate::crypto::tokens;
use crate::ctx::Ctx;
use crate::domain::sessions::{self as rules, ABSOLUTE_MS, COOKIE, SIGN_IN_CSRF_COOKIE};
use crate::edge::auth::{self, password_limit_key};
use crate::edge::error::ApiError;
use crate::edge::http::{Request, Response};

#[derive(Template)]
#[template(path = "sign_in.html")]
struct SignInPage<'a> {
    instance_title: &'a str,
    username: &'a str,
    /// The password was right: ask for the code.
    second_factor: bool,
    csrf_token: &'a str,
    error: Option<&'a str>,
}

fn page(ctx: &Ctx<'_>, username: &str, second_factor: bool, csrf_token: &str, error: Option<&str>, status: u16) -> Response {
    let page = SignInPage { instance_title: &ctx.config.title, username, second_factor, csrf_token, error };
    signed_in::private(super::render(status, &page))
}

/// Where a signed-in owner lands.
const HOME: &str = "/settings";

/// `GET /auth/sign_in`
pub async fn show(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    let owner = owner::account(ctx).await?;
    match auth::session(ctx, req).await? {
        Some(session) if session.awaiting_second_factor() => Ok(page(ctx, &owner.username, true, &session.csrf_token(), None, 200)),
        Some(_) => Ok(Response::redirect(303, HOME)),
        None => {
            let csrf_token = tokens::new_secret(&ctx.crypto.random_bytes(32));
            Ok(page(ctx, &owner.username, false, &csrf_token, None, 200).header("Set-Cookie", &sign_in_cookie(&csrf_token)))
        }
    }
}

/// The sign-in form's token lives as long as the browser session: a form left open for a day
/// still works.
fn sign_in_cookie(token: &str) -> String {
    format!("{SIGN_IN_CSRF_COOKIE}={token}; Path=/; Secure; HttpOnly; SameSite=Lax")
}

/// `POST /auth/sign_in`: the password, or (with a session owing it) the second factor.
pub async fn submit(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    let params = req.params()?;
    let form_token = params.str(CSRF_FIELD).unwrap_or_default();
    if !rules::origin_allowed(req.header("origin"), &ctx.config.public_url) {
        return Ok(signed_in::refused(ctx));
    }
    let owner = owner::account(ctx).await?;
    if let Some(pending) = auth::session(ctx, req).await?.filter(Session::awaiting_second_factor) {
        if !pending.accepts(&form_token) {
            return Ok(signed_in::refused(ctx));
        }
        let code = params.str("otp_attempt").unwrap_or_default();
        return Ok(match owner::attempt_sign_in(ctx, &password_limit_key(req), Factors::Code(&code)).await? {
            SignInCheck::Correct => {
                let token = sessions::complete_second_factor(ctx, &pending).await?;
                signed_in(&token)
            }
            SignInCheck::RateLimited => page(ctx, &owner.username, true, &form_token, Some(TOO_MANY), 429),
            _ => page(ctx, &owner.username, true, &form_token, Some("Invalid two-factor code or recovery code."), 422),
        });
    }
    let cookie_token = req.cookie(SIGN_IN_CSRF_COOKIE).unwrap_or_default();
    if form_token.is_empty() || !tokens::constant_time_eq(form_token.as_bytes(), cookie_token.as_bytes()) {
        return Ok(signed_in::refused(ctx));
    }
    let password = params.str("password").unwrap_or_default();
    let user_agent = req.header("user-agent");
    Ok(match owner::attempt_sign_in(ctx, &password_limit_key(req), Factors::Password(&password)).await? {
        SignInCheck::Correct => signed_in(&sessions::start(ctx, owner.id, user_agent, false).await?),
        SignInCheck::SecondFactorRequired => {
            let token = sessions::start(ctx, owner.id, user_agent, true).await?;
            let csrf_token = rules::csrf_token(&token);
            page(ctx, &owner.username, true, &csrf_token, None, 200)
                .header("Set-Cookie", &rules::cookie(COOKIE, &token, rules::SECOND_FACTOR_MS))
                .header("Set-Cookie", &rules::cleared_cookie(SIGN_IN_CSRF_COOKIE))
        }
        SignInCheck::RateLimited => page(ctx, &owner.username, false, &form_token, Some(TOO_MANY), 429),
        SignInCheck::Wrong => page(ctx, &owner.username, false, &form_token, Some("Invalid password."), 422),
    })
}

const TOO_MANY: &str = "Too many failed attempts. Wait a few minutes and try again.";

/// The session's cookie set, the sign-in form's dropped, and off to the settings.
fn signed_in(token: &str) -> Response {
    Response::redirect(303, HOME)
        .header("Set-Cookie", &rules::cookie(COOKIE, token, ABSOLUTE_MS))
        .header("Set-Cookie", &rules::cleared_cookie(SIGN_IN_CSRF_COOKIE))
}

/// `POST /auth/sign_out` (Mastodon's `DELETE`, which its forms send as `_method=delete`).
pub async fn sign_out(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    let session = match signed_in::form(ctx, req).await? {
        Ok((session, _)) => session,
        Err(refused) => return Ok(refused),
    };
    sessions::end(ctx, &session).await?;
    Ok(Response::redirect(303, "/").header("Set-Cookie", &rules::cleared_cookie(COOKIE)))
}
