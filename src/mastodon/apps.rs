//! <https://docs.joinmastodon.org/methods/apps/>
use super::entities::application::{Application, CredentialApplication};
use crate::crypto::tokens;
use crate::ctx::Ctx;
use crate::domain::scopes::Scopes;
use crate::owner;
use crate::router::auth;
use crate::router::error::ApiError;
use crate::router::http::{Request, Response};
use crate::store::oauth::{self, AppRow};

pub const OOB_REDIRECT_URI: &str = "urn:ietf:wg:oauth:2.0:oob";

/// <https://docs.joinmastodon.org/methods/apps/#create>
pub async fn create(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    let params = req.params()?;
    let name = params.non_empty("client_name").ok_or_else(|| ApiError::Invalid("Name can't be blank".into()))?;
    if name.chars().count() > 60 {
        return Err(ApiError::Invalid("Name is too long (maximum is 60 characters)".into()));
    }
    // A string, a newline-separated string, or an array (Mastodon ≥ 4.3) are all accepted.
    let redirect_uris: Vec<String> = params
        .strings("redirect_uris")
        .iter()
        .flat_map(|value| value.split('\n'))
        .map(|uri| uri.trim().to_string())
        .filter(|uri| !uri.is_empty())
        .collect();
    if redirect_uris.is_empty() {
        return Err(ApiError::Invalid("Redirect URI can't be blank".into()));
    }
    if let Some(bad) = redirect_uris.iter().find(|uri| !is_valid_redirect_uri(uri)) {
        return Err(ApiError::Invalid(format!("Redirect URI must be an absolute URI: {bad}")));
    }
    let scopes = Scopes::parse(&params.str("scopes").unwrap_or_default())
        .map_err(|scope| ApiError::Invalid(format!("Scopes are invalid: {scope}")))?;
    let website = params.non_empty("website");
    let client_secret = tokens::new_secret(&ctx.crypto.random_bytes(32));
    let app = AppRow {
        id: ctx.new_id(),
        name,
        website,
        redirect_uris: redirect_uris.join("\n"),
        scopes: scopes.to_string(),
        client_id: tokens::new_secret(&ctx.crypto.random_bytes(32)),
        client_secret_hash: tokens::hash(&client_secret),
        created_at: ctx.now_ms(),
    };
    ctx.db.run(&oauth::create_app(&app)).await?;
    let vapid_key = owner::instance_keys(ctx).await?.vapid_public_key;
    Response::ok_json(&CredentialApplication {
        application: Application::from_row(&app, &vapid_key),
        client_id: app.client_id.clone(),
        client_secret,
        client_secret_expires_at: 0,
    })
}

/// <https://docs.joinmastodon.org/methods/apps/#verify_credentials>
pub async fn verify_credentials(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    let auth = auth::require(ctx, req, &[]).await?;
    let app = oauth::get_app(ctx.db, auth.token.app_id).await?.ok_or(ApiError::InvalidToken)?;
    let vapid_key = owner::instance_keys(ctx).await?.vapid_public_key;
    Response::ok_json(&Application::from_row(&app, &vapid_key))
}

/// An absolute URI without a fragment (RFC 6749 §3.1.2): `https://…`, a custom scheme such as
/// `icecubesapp://` or `com.tapbots.Ivory.10217:/request_token`, or the out-of-band URN.
pub fn is_valid_redirect_uri(uri: &str) -> bool {
    if uri == OOB_REDIRECT_URI {
        return true;
    }
    let Some((scheme, rest)) = uri.split_once(':') else { return false };
    let scheme_ok = scheme.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && scheme.chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
    scheme_ok && !rest.is_empty() && !uri.contains('#') && !uri.chars().any(char::is_whitespace)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_uris_of_real_apps_are_valid() {
        for uri in [
            "icecubesapp://",
            "com.tapbots.Ivory.10217:/request_token",
            "org.joinmastodon.android-auth://callback",
            "https://elk.zone/api/social.example/oauth/https%3A%2F%2Felk.zone",
            OOB_REDIRECT_URI,
        ] {
            assert!(is_valid_redirect_uri(uri), "{uri}");
        }
        for uri in ["", "relative/path", "https://x/#frag", "1abc://x", "has space://x"] {
            assert!(!is_valid_redirect_uri(uri), "{uri}");
        }
    }
}
