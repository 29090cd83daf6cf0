//! <https://docs.joinmastodon.org/methods/apps/>
use super::entities::application::{Application, CredentialApplication};
use crate::crypto::tokens;
use crate::ctx::Ctx;
use crate::domain::scopes::Scopes;
use crate::app::owner;
use crate::edge::auth;
use crate::edge::error::ApiError;
use crate::edge::http::{Request, Response};
use crate::domain::oauth::{is_forbidden_scheme, is_valid_redirect_uri, MAX_URI_CHARS};
use crate::store::oauth::{self, AppRow};


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
    if let Some(bad) = redirect_uris.iter().find(|uri| is_forbidden_scheme(uri)) {
        return Err(ApiError::Invalid(format!("Redirect URI is forbidden by the server: {bad}")));
    }
    if let Some(bad) = redirect_uris.iter().find(|uri| !is_valid_redirect_uri(uri)) {
        return Err(ApiError::Invalid(format!("Redirect URI must be an absolute URI: {bad}")));
    }
    let scopes = Scopes::parse(&params.str("scopes").unwrap_or_default())
        .map_err(|scope| ApiError::Invalid(format!("Scopes are invalid: {scope}")))?;
    // The consent page names the website; anything but a web address is left out rather than
    // refused, as apps send all sorts there.
    let website = params.non_empty("website").filter(|site| is_web_address(site));
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

/// Longest redirect URI or website: it goes into a `Location` header and the consent page's CSP.
/// An `http` or `https` URL with a host.
fn is_web_address(text: &str) -> bool {
    text.len() <= MAX_URI_CHARS
        && !text.chars().any(|c| c.is_whitespace() || c.is_control())
        && url::Url::parse(text).is_ok_and(|url| matches!(url.scheme(), "http" | "https") && url.host().is_some())
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
            crate::domain::oauth::OOB_REDIRECT_URI,
        ] {
            assert!(is_valid_redirect_uri(uri), "{uri}");
        }
        for uri in ["", "relative/path", "https://x/#frag", "1abc://x", "has space://x"] {
            assert!(!is_valid_redirect_uri(uri), "{uri}");
        }
    }

    #[tokio::test(flavor = "current_thread")]
    async fn redirect_uris_that_run_code_in_the_browser_are_refused() {
        use crate::edge::http::Method::Post;
        let env = crate::testing::TestEnv::new();
        for uri in [
            "javascript:alert(document.domain)",
            "JavaScript://%0Aalert(1)",
            "data:text/html,<script>alert(1)</script>",
            "vbscript:msgbox(1)",
            "file:///etc/passwd",
            "https://app.example/\tcb",
            "https://app.example/cb\u{1}",
            "myapp:",
            "https://",
        ] {
            let form = format!("client_name=t&redirect_uris={}", form_urlencoded::byte_serialize(uri.as_bytes()).collect::<String>());
            let (response, body) = env.send(Post, "/api/v1/apps", &form).await;
            assert_eq!(response.status, 422, "{uri}: {body}");
            assert!(body["error"].as_str().is_some_and(|e| e.starts_with("Validation failed: Redirect URI")), "{uri}: {body}");
        }
        for uri in ["myapp://cb", "urn:ietf:wg:oauth:2.0:oob", "http://127.0.0.1:8080/cb", "com.tapbots.Ivory.10217:/request_token"] {
            let form = format!("client_name=t&redirect_uris={}", form_urlencoded::byte_serialize(uri.as_bytes()).collect::<String>());
            let (response, body) = env.send(Post, "/api/v1/apps", &form).await;
            assert_eq!((response.status, &body["redirect_uris"][0]), (200, &serde_json::json!(uri)), "{body}");
        }
    }

    #[tokio::test(flavor = "current_thread")]
    async fn an_app_website_is_a_web_address_or_nothing() {
        use crate::edge::http::Method::Post;
        let env = crate::testing::TestEnv::new();
        for (website, kept) in [("https://app.example", true), ("http://app.example/about", true), ("javascript:alert(1)", false), ("ftp://app.example", false), ("app.example", false)] {
            let form = format!("client_name=t&redirect_uris=myapp://cb&website={}", form_urlencoded::byte_serialize(website.as_bytes()).collect::<String>());
            let (response, body) = env.send(Post, "/api/v1/apps", &form).await;
            assert_eq!(response.status, 200, "{body}");
            assert_eq!(body["website"].as_str(), kept.then_some(website), "{website}");
        }
    }
}
