//! OAuth 2 token endpoint, revocation and server metadata
//! (<https://docs.joinmastodon.org/methods/oauth/>, RFC 6749, RFC 7009, RFC 7636, RFC 8414).
//! The authorization page itself is in `web::authorize`.
use serde_json::json;

use crate::crypto::tokens;
use crate::ctx::Ctx;
use crate::domain::scopes::{self, Scopes};
use crate::app::owner::{self, PasswordCheck};
use crate::edge::auth::{self, password_limit_key};
use crate::edge::error::ApiError;
use crate::edge::http::{Request, Response};
use crate::edge::params::Params;
use crate::store::oauth::{self as store, AppRow, NewToken};

/// <https://docs.joinmastodon.org/methods/oauth/#token>
pub async fn token(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    let params = req.params()?;
    let grant_type = params.non_empty("grant_type").unwrap_or_default();
    let (app, token_scopes, account_id) = match grant_type.as_str() {
        "authorization_code" => authorization_code_grant(ctx, req, &params).await?,
        "password" => password_grant(ctx, req, &params).await?,
        "client_credentials" => {
            let app = authenticate_client(ctx, req, &params, false).await?;
            let scopes = requested_scopes(&params, &app)?;
            (app, scopes, None)
        }
        "" => return Err(ApiError::oauth(400, "invalid_request", "The request is missing grant_type.")),
        _ => return Err(unsupported_grant()),
    };
    issue_token(ctx, &app, &token_scopes, account_id).await
}

async fn issue_token(ctx: &Ctx<'_>, app: &AppRow, scopes: &Scopes, account_id: Option<i64>) -> Result<Response, ApiError> {
    let access_token = tokens::new_secret(&ctx.crypto.random_bytes(32));
    let now = ctx.now_ms();
    let scope_text = scopes.to_string();
    ctx.db
        .run(&store::create_token(&NewToken {
            id: ctx.new_id(),
            token_hash: &tokens::hash(&access_token),
            app_id: app.id,
            account_id,
            scopes: &scope_text,
            now,
        }))
        .await?;
    Ok(Response::json(
        200,
        &json!({
            "access_token": access_token,
            "token_type": "Bearer",
            "scope": scope_text,
            "created_at": now / 1000,
        }),
    ))
}

async fn authorization_code_grant(
    ctx: &Ctx<'_>,
    req: &Request,
    params: &Params,
) -> Result<(AppRow, Scopes, Option<i64>), ApiError> {
    let invalid_grant = || {
        ApiError::oauth(
            400,
            "invalid_grant",
            "The provided authorization grant is invalid, expired, revoked, does not match the redirection URI \
             used in the authorization request, or was issued to another client.",
        )
    };
    let code = params.non_empty("code").ok_or_else(|| ApiError::oauth(400, "invalid_request", "Missing code."))?;
    let code_hash = tokens::hash(&code);
    let stored = store::get_code(ctx.db, &code_hash).await?;
    // A public client (no secret) may use a code only if PKCE protects it.
    let pkce_protected = stored.as_ref().is_some_and(|c| c.code_challenge.is_some());
    let app = authenticate_client(ctx, req, params, pkce_protected).await?;
    let stored = stored.filter(|c| c.app_id == app.id).ok_or_else(invalid_grant)?;
    let now = ctx.now_ms();
    if let Some(used_at) = stored.used_at {
        // RFC 6749 §4.1.2: a reused code may mean it was stolen; revoke what it granted, and
        // close the streaming sockets those tokens hold.
        let mut queries = vec![store::revoke_tokens_of_reused_code(app.id, stored.account_id, used_at, now)];
        for token_id in store::tokens_of_reused_code(ctx.db, app.id, stored.account_id, used_at).await? {
            crate::app::live::token_revoked(ctx, token_id);
            queries.push(crate::store::push::unsubscribe(token_id));
        }
        ctx.db.batch(&queries).await?;
        return Err(invalid_grant());
    }
    if stored.expires_at < now {
        return Err(invalid_grant());
    }
    if params.non_empty("redirect_uri").is_some_and(|uri| uri != stored.redirect_uri) {
        return Err(invalid_grant());
    }
    if let (Some(challenge), method) = (&stored.code_challenge, &stored.code_challenge_method) {
        let verifier = params.non_empty("code_verifier").unwrap_or_default();
        if !tokens::pkce_matches(&verifier, challenge, method.as_deref().unwrap_or("plain")) {
            return Err(invalid_grant());
        }
    }
    if ctx.db.run(&store::use_code(&code_hash, now)).await? == 0 {
        return Err(invalid_grant());
    }
    let scopes = Scopes::parse(&stored.scopes).map_err(|_| invalid_grant())?;
    Ok((app, scopes, Some(stored.account_id)))
}

async fn password_grant(ctx: &Ctx<'_>, req: &Request, params: &Params) -> Result<(AppRow, Scopes, Option<i64>), ApiError> {
    if !ctx.config.allow_password_grant {
        return Err(unsupported_grant());
    }
    let app = authenticate_client(ctx, req, params, false).await?;
    let scopes = requested_scopes(params, &app)?;
    let username = params.non_empty("username").unwrap_or_default();
    let password = params.str("password").unwrap_or_default();
    let owner = owner::account(ctx).await?;
    let names_owner = username.eq_ignore_ascii_case(&owner.username)
        || username.eq_ignore_ascii_case(&ctx.config.admin_email)
        || username.eq_ignore_ascii_case(&format!("{}@{}", owner.username, ctx.config.handle_domain));
    // A wrong username counts as a failed attempt too, so both are guessed under the same limit.
    let password = if names_owner { password } else { String::new() };
    match owner::attempt_password(ctx, &password_limit_key(req), &password).await? {
        PasswordCheck::Correct if names_owner => {}
        PasswordCheck::RateLimited => return Err(ApiError::RateLimited),
        _ => return Err(ApiError::oauth(400, "invalid_grant", "The username or password is incorrect.")),
    }
    Ok((app, scopes, Some(owner.id)))
}

fn unsupported_grant() -> ApiError {
    ApiError::oauth(400, "unsupported_grant_type", "The authorization grant type is not supported by the authorization server.")
}

/// The `scope` a token request asks for: within the app's scopes; the app's default is `read`.
fn requested_scopes(params: &Params, app: &AppRow) -> Result<Scopes, ApiError> {
    let registered = Scopes::parse(&app.scopes).unwrap_or_default();
    let requested = Scopes::parse(&params.str("scope").unwrap_or_default()).map_err(|_| invalid_scope())?;
    if !requested.is_within(&registered) {
        return Err(invalid_scope());
    }
    Ok(requested)
}

fn invalid_scope() -> ApiError {
    ApiError::oauth(400, "invalid_scope", "The requested scope is invalid, unknown, or malformed.")
}

fn invalid_client() -> ApiError {
    ApiError::oauth(
        401,
        "invalid_client",
        "Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method.",
    )
}

/// Authenticates the client by `client_secret_basic` or `client_secret_post`. With
/// `allow_public`, a client may instead name itself by `client_id` alone (PKCE public clients).
async fn authenticate_client(ctx: &Ctx<'_>, req: &Request, params: &Params, allow_public: bool) -> Result<AppRow, ApiError> {
    let (client_id, secret) = match req.header("authorization").and_then(tokens::parse_basic_auth) {
        Some((id, secret)) => (id, Some(secret)),
        None => (params.non_empty("client_id").unwrap_or_default(), params.non_empty("client_secret")),
    };
    let app = store::get_app_by_client_id(ctx.db, &client_id).await?.ok_or_else(invalid_client)?;
    match secret {
        Some(secret) if tokens::constant_time_eq(tokens::hash(&secret).as_bytes(), app.client_secret_hash.as_bytes()) => Ok(app),
        None if allow_public => Ok(app),
        _ => Err(invalid_client()),
    }
}

/// <https://docs.joinmastodon.org/methods/oauth/#revoke>: always `{}` for a known client, even when
/// the token is unknown (RFC 7009 §2.2), so revocation reveals nothing about tokens.
pub async fn revoke(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    let params = req.params()?;
    let app = authenticate_client(ctx, req, &params, true).await?;
    let token = params.non_empty("token").ok_or_else(|| ApiError::oauth(400, "invalid_request", "Missing token."))?;
    let hash = tokens::hash(&token);
    let mut queries = vec![store::revoke_token(&hash, app.id, ctx.now_ms())];
    // Its streaming sockets close with it, and its Web Push subscription (which holds the token
    // itself, for the payload) goes.
    if let Some(live) = store::get_live_token(ctx.db, &hash).await?.filter(|t| t.app_id == app.id) {
        crate::app::live::token_revoked(ctx, live.id);
        queries.push(crate::store::push::unsubscribe(live.id));
    }
    ctx.db.batch(&queries).await?;
    Ok(Response::json(200, &json!({})))
}

/// <https://docs.joinmastodon.org/methods/oauth/#authorization-server-metadata>
pub fn metadata(ctx: &Ctx<'_>) -> Result<Response, ApiError> {
    let url = |path: &str| ctx.config.url(path);
    let mut grant_types = vec!["authorization_code", "client_credentials"];
    if ctx.config.allow_password_grant {
        grant_types.push("password");
    }
    Response::ok_json(&json!({
        "issuer": url("/"),
        "service_documentation": "https://docs.joinmastodon.org/",
        "authorization_endpoint": url("/oauth/authorize"),
        "token_endpoint": url("/oauth/token"),
        "revocation_endpoint": url("/oauth/revoke"),
        "userinfo_endpoint": url("/oauth/userinfo"),
        "app_registration_endpoint": url("/api/v1/apps"),
        "scopes_supported": scopes::SUPPORTED,
        "response_types_supported": ["code"],
        "response_modes_supported": ["query", "fragment", "form_post"],
        "code_challenge_methods_supported": ["S256"],
        "grant_types_supported": grant_types,
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
    }))
}

/// <https://docs.joinmastodon.org/methods/oauth/#userinfo> (OpenID Connect style profile).
pub async fn userinfo(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    auth::require_user(ctx, req, &["profile", "read:accounts"]).await?;
    let owner = owner::account(ctx).await?;
    let account = super::entities::account::Account::from_row(&owner, ctx.config);
    Response::ok_json(&json!({
        "iss": ctx.config.url("/"),
        "sub": owner.uri,
        "name": if owner.display_name.is_empty() { &owner.username } else { &owner.display_name },
        "preferred_username": owner.username,
        "profile": account.url,
        "picture": account.avatar,
    }))
}

#[cfg(test)]
mod tests {
    use crate::crypto::tokens;
    use crate::edge::http::Method::Post;
    use crate::store::db::Db;
    use crate::store::oauth::{self as store, NewCode};
    use crate::testing::TestEnv;

    /// Registers an app and stores a code for the owner as the consent page would.
    async fn app_and_code(env: &TestEnv, challenge: Option<&str>) -> (String, String) {
        let (_, app) = env.send(Post, "/api/v1/apps", "client_name=t&redirect_uris=urn:ietf:wg:oauth:2.0:oob&scopes=read").await;
        let owner = crate::app::owner::account(&env.ctx()).await.unwrap();
        let stored = store::get_app_by_client_id(&env.db, app["client_id"].as_str().unwrap()).await.unwrap().unwrap();
        let code = "the-code";
        let insert = store::create_code(&NewCode {
            code_hash: &tokens::hash(code),
            app_id: stored.id,
            account_id: owner.id,
            redirect_uri: "urn:ietf:wg:oauth:2.0:oob",
            scopes: "read",
            code_challenge: challenge,
            code_challenge_method: challenge.map(|_| "S256"),
            expires_at: env.ctx().now_ms() + crate::domain::oauth::CODE_LIFETIME_MS,
        });
        env.db.run(&insert).await.unwrap();
        let client = format!("client_id={}&client_secret={}", app["client_id"].as_str().unwrap(), app["client_secret"].as_str().unwrap());
        (client, code.to_string())
    }

    fn from(address: &str) -> crate::edge::http::Request {
        crate::edge::http::Request {
            method: Post,
            path: "/oauth/token".into(),
            query: String::new(),
            headers: vec![("cf-connecting-ip".into(), address.into())],
            body: Vec::new(),
        }
    }

    #[test]
    fn the_addresses_of_one_ipv6_64_share_a_password_budget() {
        let key = |address| crate::edge::auth::password_limit_key(&from(address));
        assert_eq!(key("2001:db8:1:2::1"), key("2001:db8:1:2:ffff:ffff:ffff:ffff"));
        assert_ne!(key("2001:db8:1:2::1"), key("2001:db8:1:3::1"));
        assert_eq!(key("::ffff:192.0.2.1"), key("192.0.2.1"));
        assert_ne!(key("192.0.2.1"), key("192.0.2.2"));
        assert_eq!(key("not an address"), key("another"));
    }

    #[tokio::test(flavor = "current_thread")]
    async fn an_expired_code_is_an_invalid_grant() {
        let env = TestEnv::new();
        let (client, code) = app_and_code(&env, None).await;
        env.advance(crate::domain::oauth::CODE_LIFETIME_MS + 1);
        let (response, body) = env.send(Post, "/oauth/token", &format!("grant_type=authorization_code&code={code}&{client}")).await;
        assert_eq!((response.status, body["error"].as_str()), (400, Some("invalid_grant")));
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_fresh_code_gives_a_token_once() {
        let env = TestEnv::new();
        let (client, code) = app_and_code(&env, None).await;
        env.advance(crate::domain::oauth::CODE_LIFETIME_MS - 1);
        let form = format!("grant_type=authorization_code&code={code}&{client}");
        let (response, body) = env.send(Post, "/oauth/token", &form).await;
        assert_eq!(response.status, 200, "{body}");
        assert_eq!(body["scope"], "read");
        let (again, _) = env.send(Post, "/oauth/token", &form).await;
        assert_eq!(again.status, 400);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_public_client_needs_pkce() {
        let env = TestEnv::new();
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let (client, code) = app_and_code(&env, Some("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")).await;
        let client_id = client.split('&').next().unwrap();
        let (response, _) = env.send(Post, "/oauth/token", &format!("grant_type=authorization_code&code={code}&{client_id}&code_verifier=wrong-verifier-wrong-verifier-wrong-verifier")).await;
        assert_eq!(response.status, 400);
        let (response, body) = env.send(Post, "/oauth/token", &format!("grant_type=authorization_code&code={code}&{client_id}&code_verifier={verifier}")).await;
        assert_eq!(response.status, 200, "{body}");
    }
}
