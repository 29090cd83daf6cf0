//! The OAuth consent page (<https://docs.joinmastodon.org/methods/oauth/#authorize>): the owner
//! enters their password and approves the app, and we redirect back with a code (or show it, for
//! out-of-band apps). CSRF protection is a double-submit cookie: the form's token must equal the
//! cookie set with the page, which another site can neither read nor set.
use askama::Template;

use super::MessagePage;
use crate::crypto::tokens;
use crate::ctx::Ctx;
use crate::domain::scopes::Scopes;
use crate::domain::oauth::{is_valid_redirect_uri, CODE_LIFETIME_MS, OOB_REDIRECT_URI};
use crate::edge::auth::password_limit_key;
use crate::app::owner::{self, Factors, SignInCheck};
use crate::app::two_factor;
use crate::edge::error::ApiError;
use crate::edge::http::{Request, Response};
use crate::edge::params::Params;
use crate::store::oauth::{self as store, AppRow, NewCode};

const CSRF_COOKIE: &str = "topi_csrf";

#[derive(Template)]
#[template(path = "authorize.html")]
struct AuthorizePage<'a> {
    instance_title: &'a str,
    app_name: &'a str,
    app_website: Option<&'a str>,
    username: &'a str,
    scopes: Vec<&'a str>,
    error: Option<&'a str>,
    /// The owner turned two-factor authentication on: the form asks for a code too.
    second_factor: bool,
    csrf_token: &'a str,
    client_id: &'a str,
    redirect_uri: &'a str,
    scope: String,
    state: &'a str,
    code_challenge: &'a str,
    code_challenge_method: &'a str,
}

/// A checked authorization request: everything needed to show the page or issue a code.
struct Grant {
    app: AppRow,
    redirect_uri: String,
    scopes: Scopes,
    state: String,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
}

/// Checks the request's parameters. Errors are shown on our own page, never sent to a
/// redirect URI that was not verified to belong to the client (RFC 6749 §4.1.2.1).
async fn check(ctx: &Ctx<'_>, params: &Params) -> Result<Grant, Response> {
    let fail = |message: &str| super::message(400, &ctx.config.title, "Authorization failed", message);
    if params.non_empty("response_type").as_deref() != Some("code") {
        return Err(fail("This application asked for an unsupported response type."));
    }
    let client_id = params.non_empty("client_id").unwrap_or_default();
    let app = match store::get_app_by_client_id(ctx.db, &client_id).await {
        Ok(Some(app)) => app,
        Ok(None) => return Err(fail("This application is not registered here (unknown client).")),
        Err(e) => return Err(ApiError::from(e).into_response()),
    };
    let registered = app.redirect_uri_list();
    let redirect_uri = match params.non_empty("redirect_uri") {
        Some(uri) => uri,
        None if registered.len() == 1 => registered[0].to_string(),
        None => return Err(fail("The redirect URI is missing.")),
    };
    if !registered.contains(&redirect_uri.as_str()) {
        return Err(fail("The redirect URI is not registered for this application."));
    }
    // Apps registered before `is_valid_redirect_uri` refused `javascript:` and the like.
    if !is_valid_redirect_uri(&redirect_uri) {
        return Err(fail("The redirect URI of this application is not allowed."));
    }
    let registered_scopes = Scopes::parse(&app.scopes).unwrap_or_default();
    let scopes = match Scopes::parse(&params.str("scope").unwrap_or_default()) {
        Ok(scopes) if scopes.is_within(&registered_scopes) => scopes,
        _ => return Err(fail("The requested scope is invalid, unknown, or not registered for this application.")),
    };
    let code_challenge = params.non_empty("code_challenge");
    let code_challenge_method = match (&code_challenge, params.non_empty("code_challenge_method")) {
        (None, _) => None,
        (Some(_), Some(method)) if method == "S256" => Some(method),
        (Some(_), _) => return Err(fail("Only the S256 PKCE code challenge method is supported.")),
    };
    Ok(Grant {
        app,
        redirect_uri,
        scopes,
        state: params.str("state").unwrap_or_default(),
        code_challenge,
        code_challenge_method,
    })
}

/// Where the consent form's submission may end up besides our own page, as a CSP source: the
/// origin of an http(s) redirect URI, the scheme of an app's own (`myapp:`). Mastodon drops
/// `form-action` from this page instead; naming the one target keeps the rest refused.
fn redirect_source(redirect_uri: &str) -> Option<String> {
    if redirect_uri == OOB_REDIRECT_URI {
        return None;
    }
    let url = url::Url::parse(redirect_uri).ok()?;
    match (url.scheme(), url.host()) {
        // CSP host sources cannot name an IPv6 literal such as a `http://[::1]:8080` loopback.
        ("http" | "https", Some(url::Host::Domain(_) | url::Host::Ipv4(_))) => Some(url.origin().ascii_serialization()),
        (scheme, _) => Some(format!("{scheme}:")),
    }
}

/// Who is asked, and how: the owner's name and whether a code is asked with the password.
struct Asked<'a> {
    username: &'a str,
    second_factor: bool,
}

async fn asked(ctx: &Ctx<'_>) -> Result<(crate::store::accounts::AccountRow, bool), ApiError> {
    let owner = owner::account(ctx).await?;
    let second_factor = two_factor::enabled(ctx, owner.id).await?.is_some();
    Ok((owner, second_factor))
}

fn page(ctx: &Ctx<'_>, grant: &Grant, asked: &Asked, csrf_token: &str, error: Option<&str>, status: u16) -> Response {
    super::render_posting_to(
        status,
        &AuthorizePage {
            instance_title: &ctx.config.title,
            app_name: &grant.app.name,
            app_website: grant.app.website.as_deref(),
            username: asked.username,
            scopes: grant.scopes.iter().collect(),
            error,
            second_factor: asked.second_factor,
            csrf_token,
            client_id: &grant.app.client_id,
            redirect_uri: &grant.redirect_uri,
            scope: grant.scopes.to_string(),
            state: &grant.state,
            code_challenge: grant.code_challenge.as_deref().unwrap_or(""),
            code_challenge_method: grant.code_challenge_method.as_deref().unwrap_or(""),
        },
        redirect_source(&grant.redirect_uri).as_deref(),
    )
}

fn csrf_cookie(ctx: &Ctx<'_>, token: &str) -> String {
    let secure = if ctx.config.public_url.starts_with("https://") { "; Secure" } else { "" };
    format!("{CSRF_COOKIE}={token}; Path=/oauth; HttpOnly; SameSite=Lax{secure}")
}

pub async fn show(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    let grant = match check(ctx, &req.query_params()).await {
        Ok(grant) => grant,
        Err(page) => return Ok(page),
    };
    let (owner, second_factor) = asked(ctx).await?;
    let csrf_token = tokens::new_secret(&ctx.crypto.random_bytes(32));
    let asked = Asked { username: &owner.username, second_factor };
    Ok(page(ctx, &grant, &asked, &csrf_token, None, 200).header("Set-Cookie", &csrf_cookie(ctx, &csrf_token)))
}

pub async fn submit(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    let params = req.params()?;
    let form_token = params.str("authenticity_token").unwrap_or_default();
    let cookie_token = req.cookie(CSRF_COOKIE).unwrap_or_default();
    if form_token.is_empty() || !tokens::constant_time_eq(form_token.as_bytes(), cookie_token.as_bytes()) {
        return Ok(super::message(
            403,
            &ctx.config.title,
            "Request expired",
            "This form could not be verified (missing or invalid authenticity token). Go back, reload the page and try again.",
        ));
    }
    let grant = match check(ctx, &params).await {
        Ok(grant) => grant,
        Err(page) => return Ok(page),
    };
    if params.str("decision").as_deref() == Some("deny") {
        return Ok(finish(ctx, &grant, Outcome::Denied));
    }
    let (owner, second_factor) = asked(ctx).await?;
    let asked = Asked { username: &owner.username, second_factor };
    let password = params.str("password").unwrap_or_default();
    let code = params.str("otp_attempt").unwrap_or_default();
    // Password and code are one attempt: a right password alone clears no count (see
    // `owner::attempt_sign_in`), so the code cannot be guessed behind it.
    match owner::attempt_sign_in(ctx, &password_limit_key(req), Factors::PasswordAndCode(&password, &code)).await? {
        SignInCheck::Correct => {}
        SignInCheck::Wrong if second_factor => {
            return Ok(page(ctx, &grant, &asked, &form_token, Some("Invalid password or two-factor code."), 422))
        }
        SignInCheck::Wrong => return Ok(page(ctx, &grant, &asked, &form_token, Some("Invalid password."), 422)),
        SignInCheck::SecondFactorRequired => {
            // Two-factor authentication was turned on after this page was shown.
            let asked = Asked { second_factor: true, ..asked };
            return Ok(page(ctx, &grant, &asked, &form_token, Some("Enter the code from your authenticator app."), 422));
        }
        SignInCheck::RateLimited => {
            let error = "Too many failed attempts. Wait a few minutes and try again.";
            return Ok(page(ctx, &grant, &asked, &form_token, Some(error), 429));
        }
    }
    let now = ctx.now_ms();
    let code = tokens::new_secret(&ctx.crypto.random_bytes(32));
    ctx.db
        .run(&store::create_code(&NewCode {
            code_hash: &tokens::hash(&code),
            app_id: grant.app.id,
            account_id: owner.id,
            redirect_uri: &grant.redirect_uri,
            scopes: &grant.scopes.to_string(),
            code_challenge: grant.code_challenge.as_deref(),
            code_challenge_method: grant.code_challenge_method.as_deref(),
            expires_at: now + CODE_LIFETIME_MS,
        }))
        .await?;
    Ok(finish(ctx, &grant, Outcome::Approved(&code)))
}

enum Outcome<'a> {
    Approved(&'a str),
    Denied,
}

/// Sends the result back to the app: a redirect with `code`/`error` and `state`, or a page for
/// out-of-band apps that have no redirect to receive it.
fn finish(ctx: &Ctx<'_>, grant: &Grant, outcome: Outcome) -> Response {
    if grant.redirect_uri == OOB_REDIRECT_URI {
        let title = &ctx.config.title;
        return match outcome {
            Outcome::Approved(code) => super::render(
                200,
                &MessagePage { instance_title: title, heading: "Authorization code", message: "Authorization succeeded.", code: Some(code) },
            ),
            Outcome::Denied => super::message(200, title, "Authorization denied", "You denied this application access."),
        };
    }
    let mut query = form_urlencoded::Serializer::new(String::new());
    match outcome {
        Outcome::Approved(code) => query.append_pair("code", code),
        Outcome::Denied => query.append_pair("error", "access_denied"),
    };
    if !grant.state.is_empty() {
        query.append_pair("state", &grant.state);
    }
    let separator = if grant.redirect_uri.contains('?') { '&' } else { '?' };
    Response::redirect(302, &format!("{}{separator}{}", grant.redirect_uri, query.finish()))
}

#[cfg(test)]
mod tests {
    use crate::edge::http::Method::{Get, Post};
    use crate::edge::http::Response;
    use crate::testing::TestEnv;

    /// Registers an app for `redirect_uri` and opens its consent page: (client_id, page, csrf token).
    async fn consent_page(env: &TestEnv, redirect_uri: &str) -> (String, Response, String) {
        let (_, app) = env.send(Post, "/api/v1/apps", &format!("client_name=t&redirect_uris={redirect_uri}&scopes=read")).await;
        let client_id = app["client_id"].as_str().unwrap().to_string();
        let path = format!("/oauth/authorize?response_type=code&client_id={client_id}&redirect_uri={redirect_uri}&scope=read");
        let (page, _) = env.send(Get, &path, "").await;
        let cookie = page.header_value("set-cookie").unwrap().split(';').next().unwrap().to_string();
        (client_id, page, cookie)
    }

    #[tokio::test(flavor = "current_thread")]
    async fn the_page_showing_a_code_is_not_stored() {
        let env = TestEnv::new();
        let oob = "urn:ietf:wg:oauth:2.0:oob";
        let (client_id, page, cookie) = consent_page(&env, oob).await;
        assert_eq!(page.header_value("cache-control"), Some("no-store"));
        let csrf = cookie.split_once('=').unwrap().1;
        let form = format!(
            "authenticity_token={csrf}&response_type=code&client_id={client_id}&redirect_uri={oob}&scope=read&decision=approve&password=secret+password"
        );
        let (shown, _) = env.send_with(Post, "/oauth/authorize", &[("cookie", cookie.clone())], &form).await;
        assert!(String::from_utf8_lossy(&shown.body).contains("Authorization code"), "{shown:?}");
        assert_eq!(shown.header_value("cache-control"), Some("no-store"));
        let (refused, _) = env.send(Post, "/oauth/token", "grant_type=password").await;
        assert_eq!((refused.status, refused.header_value("cache-control")), (401, Some("no-store")));
    }

    #[tokio::test(flavor = "current_thread")]
    async fn answers_forbid_sniffing() {
        let env = TestEnv::new();
        for path in ["/api/v1/instance", "/api/v1/nothing", "/@alice", "/nothing"] {
            let (response, _) = env.send(Get, path, "").await;
            assert_eq!(response.header_value("x-content-type-options"), Some("nosniff"), "{path}");
        }
    }

    #[tokio::test(flavor = "current_thread")]
    async fn the_consent_form_may_lead_only_here_and_to_the_apps_redirect() {
        let env = TestEnv::new();
        for (redirect_uri, form_action) in [
            ("https://app.example/cb", "form-action 'self' https://app.example"),
            ("http://127.0.0.1:8080/cb", "form-action 'self' http://127.0.0.1:8080"),
            ("myapp://cb", "form-action 'self' myapp:"),
            ("urn:ietf:wg:oauth:2.0:oob", "form-action 'self'"),
        ] {
            let (_, page, _) = consent_page(&env, redirect_uri).await;
            let csp = page.header_value("content-security-policy").unwrap();
            assert!(csp.ends_with(&format!("; {form_action}")), "{redirect_uri}: {csp}");
        }
        let (profile, _) = env.send(Get, "/@alice", "").await;
        assert!(profile.header_value("content-security-policy").unwrap().ends_with("; form-action 'self'"));
    }

    #[tokio::test(flavor = "current_thread")]
    async fn an_app_registered_with_a_script_redirect_is_not_authorized() {
        use crate::store::db::Db;
        let env = TestEnv::new();
        let app = crate::store::oauth::AppRow {
            id: 1,
            name: "old".into(),
            website: None,
            redirect_uris: "javascript:alert(1)".into(),
            scopes: "read".into(),
            client_id: "old-client".into(),
            client_secret_hash: "h".into(),
            created_at: 0,
        };
        env.db.run(&crate::store::oauth::create_app(&app)).await.unwrap();
        let (page, _) = env.send(Get, "/oauth/authorize?response_type=code&client_id=old-client&redirect_uri=javascript:alert(1)", "").await;
        assert_eq!(page.status, 400);
        assert!(page.header_value("set-cookie").is_none());
    }
}
