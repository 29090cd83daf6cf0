//! The OAuth consent page (<https://docs.joinmastodon.org/methods/oauth/#authorize>): the owner
//! enters their password and approves the app, and we redirect back with a code (or show it, for
//! out-of-band apps). CSRF protection is a double-submit cookie: the form's token must equal the
//! cookie set with the page, which another site can neither read nor set.
use askama::Template;

use super::MessagePage;
use crate::crypto::tokens;
use crate::ctx::Ctx;
use crate::domain::scopes::Scopes;
use crate::mastodon::apps::OOB_REDIRECT_URI;
use crate::mastodon::oauth::{password_limit_key, CODE_LIFETIME_MS};
use crate::owner::{self, PasswordCheck};
use crate::router::error::ApiError;
use crate::router::http::{Request, Response};
use crate::router::params::Params;
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

fn page(ctx: &Ctx<'_>, grant: &Grant, username: &str, csrf_token: &str, error: Option<&str>, status: u16) -> Response {
    super::render(
        status,
        &AuthorizePage {
            instance_title: &ctx.config.title,
            app_name: &grant.app.name,
            app_website: grant.app.website.as_deref(),
            username,
            scopes: grant.scopes.iter().collect(),
            error,
            csrf_token,
            client_id: &grant.app.client_id,
            redirect_uri: &grant.redirect_uri,
            scope: grant.scopes.to_string(),
            state: &grant.state,
            code_challenge: grant.code_challenge.as_deref().unwrap_or(""),
            code_challenge_method: grant.code_challenge_method.as_deref().unwrap_or(""),
        },
    )
    .header("Cache-Control", "no-store")
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
    let owner = owner::load(ctx).await?;
    let csrf_token = tokens::new_secret(&ctx.crypto.random_bytes(32));
    Ok(page(ctx, &grant, &owner.username, &csrf_token, None, 200).header("Set-Cookie", &csrf_cookie(ctx, &csrf_token)))
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
    let owner = owner::load(ctx).await?;
    let password = params.str("password").unwrap_or_default();
    match owner::attempt_password(ctx, &password_limit_key(req), &password).await? {
        PasswordCheck::Correct => {}
        PasswordCheck::Wrong => return Ok(page(ctx, &grant, &owner.username, &form_token, Some("Invalid password."), 422)),
        PasswordCheck::RateLimited => {
            let error = "Too many failed attempts. Wait a few minutes and try again.";
            return Ok(page(ctx, &grant, &owner.username, &form_token, Some(error), 429));
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
    Response::redirect(302, &format!("{}{separator}{}", grant.redirect_uri, query.finish())).header("Cache-Control", "no-store")
}
