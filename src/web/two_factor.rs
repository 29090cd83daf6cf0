//! Two-factor authentication pages at Mastodon's paths (docs/web.md, "Two-factor
//! authentication"): the state and the way to turn it off (`/settings/two_factor_authentication_methods`),
//! and the setup (`/settings/otp_authentication`): a fresh secret as a QR code (inline SVG: the
//! CSP loads no images from elsewhere, and the secret must not leave the page) and as text,
//! confirmed with a code before anything is stored; then the recovery codes, shown once.
use askama::Template;

use super::signed_in;
use crate::app::owner::{self, Factors, SignInCheck};
use crate::app::two_factor;
use crate::ctx::Ctx;
use crate::domain::totp;
use crate::edge::auth::password_limit_key;
use crate::edge::error::ApiError;
use crate::edge::http::{Request, Response};

#[derive(Template)]
#[template(path = "two_factor.html")]
struct TwoFactorPage<'a> {
    instance_title: &'a str,
    csrf_token: &'a str,
    enabled: bool,
    recovery_codes_left: i64,
    error: Option<&'a str>,
}

/// `GET /settings/two_factor_authentication_methods`
pub async fn show(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    let session = match signed_in::require(ctx, req).await? {
        Ok(session) => session,
        Err(away) => return Ok(away),
    };
    status_page(ctx, session.row.account_id, &session.csrf_token(), None, 200).await
}

async fn status_page(ctx: &Ctx<'_>, account_id: i64, csrf_token: &str, error: Option<&str>, status: u16) -> Result<Response, ApiError> {
    let enabled = two_factor::enabled(ctx, account_id).await?.is_some();
    let recovery_codes_left = if enabled { two_factor::recovery_codes_left(ctx, account_id).await? } else { 0 };
    let page = TwoFactorPage { instance_title: &ctx.config.title, csrf_token, enabled, recovery_codes_left, error };
    Ok(signed_in::private(super::render(status, &page)))
}

/// `POST /settings/two_factor_authentication_methods/disable`: needs a current code (or a
/// recovery code), counted as a sign-in attempt, so a browser left signed in is not enough.
pub async fn disable(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    let (session, params) = match signed_in::form(ctx, req).await? {
        Ok(checked) => checked,
        Err(refused) => return Ok(refused),
    };
    let code = params.str("otp_attempt").unwrap_or_default();
    let csrf_token = session.csrf_token();
    match owner::attempt_sign_in(ctx, &password_limit_key(req), Factors::Code(&code)).await? {
        SignInCheck::Correct => {
            two_factor::disable(ctx, session.row.account_id).await?;
            Ok(Response::redirect(303, "/settings/two_factor_authentication_methods"))
        }
        SignInCheck::RateLimited => {
            status_page(ctx, session.row.account_id, &csrf_token, Some("Too many failed attempts. Wait a few minutes and try again."), 429).await
        }
        _ => status_page(ctx, session.row.account_id, &csrf_token, Some("Invalid two-factor code or recovery code."), 422).await,
    }
}

#[derive(Template)]
#[template(path = "otp_setup.html")]
struct SetupPage<'a> {
    instance_title: &'a str,
    csrf_token: &'a str,
    qr_svg: &'a str,
    secret: &'a str,
    uri: &'a str,
    error: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "recovery_codes.html")]
struct RecoveryCodesPage<'a> {
    instance_title: &'a str,
    csrf_token: &'a str,
    codes: &'a [String],
}

/// `GET /settings/otp_authentication`: a new secret each time; nothing is stored yet.
pub async fn setup(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    let session = match signed_in::require(ctx, req).await? {
        Ok(session) => session,
        Err(away) => return Ok(away),
    };
    if two_factor::enabled(ctx, session.row.account_id).await?.is_some() {
        return Ok(Response::redirect(303, "/settings/two_factor_authentication_methods"));
    }
    let secret = totp::secret_text(&two_factor::new_secret(ctx));
    setup_page(ctx, &session.csrf_token(), &secret, None, 200).await
}

async fn setup_page(ctx: &Ctx<'_>, csrf_token: &str, secret: &str, error: Option<&str>, status: u16) -> Result<Response, ApiError> {
    let owner = owner::account(ctx).await?;
    let bytes = totp::parse_secret(secret).unwrap_or_default();
    let account = format!("{}@{}", owner.username, ctx.config.handle_domain);
    let uri = totp::provisioning_uri(&bytes, &ctx.config.title, &account);
    let page = SetupPage { instance_title: &ctx.config.title, csrf_token, qr_svg: &qr_svg(&uri)?, secret, uri: &uri, error };
    Ok(signed_in::private(super::render(status, &page)))
}

/// The URI as a QR code, an `<svg>` element to put inline (without the XML declaration, which
/// HTML has no use for).
fn qr_svg(uri: &str) -> Result<String, ApiError> {
    use qrcode::render::svg;
    let code = qrcode::QrCode::new(uri.as_bytes()).map_err(|e| ApiError::Internal(format!("QR code: {e}").into()))?;
    let image = code.render::<svg::Color>().min_dimensions(200, 200).quiet_zone(true).build();
    Ok(image.find("<svg").map_or(image.clone(), |start| image[start..].to_string()))
}

/// `POST /settings/otp_authentication`: the secret the page showed and a code from it.
pub async fn confirm(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    let (session, params) = match signed_in::form(ctx, req).await? {
        Ok(checked) => checked,
        Err(refused) => return Ok(refused),
    };
    let secret = params.str("otp_secret").unwrap_or_default();
    let code = params.str("otp_attempt").unwrap_or_default();
    let csrf_token = session.csrf_token();
    match two_factor::enable(ctx, session.row.account_id, &secret, &code).await {
        Ok(codes) => {
            let page = RecoveryCodesPage { instance_title: &ctx.config.title, csrf_token: &csrf_token, codes: &codes };
            Ok(signed_in::private(super::render(200, &page)))
        }
        Err(crate::app::error::Error::Invalid(why)) => {
            // A damaged secret gets a new one: the page must show a code that can work.
            let secret = totp::parse_secret(&secret).map_or_else(|| totp::secret_text(&two_factor::new_secret(ctx)), |_| secret.clone());
            setup_page(ctx, &csrf_token, &secret, Some(&why), 422).await
        }
        Err(other) => Err(other.into()),
    }
}
