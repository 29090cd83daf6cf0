//! Bearer-token authentication and scope checks, shared by every API handler.
use super::error::ApiError;
use super::http::Request;
use crate::crypto::tokens;
use crate::app::sessions::{self, Session};
use crate::ctx::Ctx;
use crate::domain::scopes::Scopes;
use crate::store::oauth::{self, TokenRow};

pub struct Auth {
    pub token: TokenRow,
    pub scopes: Scopes,
}

impl Auth {
    pub fn allows_any(&self, any_of: &[&str]) -> bool {
        any_of.iter().any(|scope| self.scopes.allows(scope))
    }

    /// The user this token reads as when it allows one of `any_of`; otherwise anonymous.
    pub fn user_allowing(&self, any_of: &[&str]) -> Option<i64> {
        self.token.account_id.filter(|_| self.allows_any(any_of))
    }
}

/// The bearer token of a request: the `Authorization` header, or `access_token` in the query
/// (streaming clients such as Pinafore put it there).
pub fn bearer(req: &Request) -> Option<String> {
    if let Some(header) = req.header("authorization") {
        let (scheme, token) = header.trim().split_once(' ')?;
        return scheme.eq_ignore_ascii_case("bearer").then(|| token.trim().to_string());
    }
    req.query_params().non_empty("access_token")
}

/// The request's token, if it carries one. A token that is unknown or revoked is an error, not
/// anonymity: Mastodon answers 401 rather than silently serving the public view.
pub async fn optional(ctx: &Ctx<'_>, req: &Request) -> Result<Option<Auth>, ApiError> {
    let Some(token) = bearer(req) else { return Ok(None) };
    Ok(Some(token_auth(ctx, &token).await?))
}

/// What `token` (a bearer token wherever the request carried it) allows: an unknown or revoked
/// one is `InvalidToken`.
pub async fn token_auth(ctx: &Ctx<'_>, token: &str) -> Result<Auth, ApiError> {
    let row = oauth::get_live_token(ctx.db, &tokens::hash(token)).await?.ok_or(ApiError::InvalidToken)?;
    let scopes = Scopes::parse(&row.scopes).map_err(|_| ApiError::InvalidToken)?;
    // The authorized apps page shows when each app last used its token; an hour is precise
    // enough, and spares a D1 write on every request.
    let now = ctx.now_ms();
    if row.last_used_at.is_none_or(|used| now - used >= TOKEN_USE_PRECISION_MS) {
        ctx.db.run(&oauth::touch_token(row.id, now, now - TOKEN_USE_PRECISION_MS)).await?;
    }
    Ok(Auth { token: row, scopes })
}

const TOKEN_USE_PRECISION_MS: i64 = 60 * 60 * 1000;

/// For endpoints that anonymous readers may use too (Mastodon's `authorize_if_got_token!`): no
/// token reads as anonymous, but a token must allow one of `any_of`, or the answer is 403, as
/// Mastodon's. Without this a `push` or `write:media` token would read as the owner.
pub async fn reader(ctx: &Ctx<'_>, req: &Request, any_of: &[&str]) -> Result<Option<Auth>, ApiError> {
    match optional(ctx, req).await? {
        Some(auth) if !auth.allows_any(any_of) => Err(ApiError::Scope),
        found => Ok(found),
    }
}

/// The user a token reads as, only if it allows one of `any_of`: for endpoints where Mastodon
/// accepts every token but shows more to its user, a token without the scope reads as anonymous.
pub async fn user_allowing(ctx: &Ctx<'_>, req: &Request, any_of: &[&str]) -> Result<Option<i64>, ApiError> {
    Ok(optional(ctx, req).await?.and_then(|auth| auth.user_allowing(any_of)))
}

/// A token with at least one of `any_of` scopes (an app token is enough).
pub async fn require(ctx: &Ctx<'_>, req: &Request, any_of: &[&str]) -> Result<Auth, ApiError> {
    let auth = optional(ctx, req).await?.ok_or(ApiError::InvalidToken)?;
    if !any_of.is_empty() && !auth.allows_any(any_of) {
        return Err(ApiError::Scope);
    }
    Ok(auth)
}

/// A user token with at least one of `any_of` scopes; returns it with the user's account id.
pub async fn require_user(ctx: &Ctx<'_>, req: &Request, any_of: &[&str]) -> Result<(Auth, i64), ApiError> {
    let auth = require(ctx, req, any_of).await?;
    // Mastodon answers an app-only token on a user endpoint with 422 and this message.
    let account_id = auth.token.account_id.ok_or(ApiError::UserRequired)?;
    Ok((auth, account_id))
}

/// The owner's browser session named by the request's cookie (docs/web.md, "Signing in"), live
/// or owing the second factor; `None` without a cookie or with one that ended.
pub async fn session(ctx: &Ctx<'_>, req: &Request) -> Result<Option<Session>, ApiError> {
    let Some(token) = req.cookie(crate::domain::sessions::COOKIE).filter(|t| !t.is_empty()) else { return Ok(None) };
    Ok(sessions::find(ctx, token).await?)
}

/// For the downloads at Mastodon's settings paths (CSV exports, the archive): a user token with
/// one of `any_of`, or, on a request that carries no token, the owner's live browser session, so
/// that the settings page's links work. A GET changes nothing, and `SameSite=Lax` sends the
/// cookie only to top-level navigations from elsewhere, which cannot read the file they fetch.
pub async fn require_user_or_session(ctx: &Ctx<'_>, req: &Request, any_of: &[&str]) -> Result<i64, ApiError> {
    if bearer(req).is_none() {
        if let Some(signed_in) = session(ctx, req).await?.filter(|s| !s.awaiting_second_factor()) {
            return Ok(signed_in.row.account_id);
        }
    }
    Ok(require_user(ctx, req, any_of).await?.1)
}

/// Rate-limit failed passwords per client address, so a stranger cannot lock the owner out
/// from everywhere.
pub fn password_limit_key(req: &Request) -> String {
    let address = req.header("cf-connecting-ip").or_else(|| req.header("x-real-ip")).unwrap_or("local");
    format!("password:{}", address_block(address))
}

/// The block of addresses that shares one budget: an IPv4 address, or an IPv6 /64, the smallest
/// block a subscriber is given (one budget per IPv6 address would be 2^64 budgets). No address,
/// or text that is not one, shares one budget, so it cannot mint new ones.
fn address_block(address: &str) -> String {
    use std::net::IpAddr;
    match address.trim().parse::<IpAddr>() {
        Ok(IpAddr::V4(v4)) => v4.to_string(),
        Ok(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
        Err(_) => "unknown".to_string(),
    }
}
