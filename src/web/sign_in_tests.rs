//! The owner's sign-in, settings and their forms natively: cookies, CSRF, two-factor
//! authentication across the web, the consent page and the password grant, authorized apps.
//! The same in a real browser: tests/e2e/test_sign_in.py.
#![allow(clippy::unwrap_used)]
use crate::domain::totp;
use crate::edge::http::Method::{Delete, Get, Post};
use crate::edge::http::Response;
use crate::testing::TestEnv;

pub(super) fn html(response: &Response) -> String {
    String::from_utf8_lossy(&response.body).into_owned()
}

/// Every `Set-Cookie` of a response.
fn set_cookies(response: &Response) -> Vec<&str> {
    response.headers.iter().filter(|(n, _)| n.eq_ignore_ascii_case("set-cookie")).map(|(_, v)| v.as_str()).collect()
}

/// `name=value` of the cookie `name` a response sets.
fn cookie_pair(response: &Response, name: &str) -> String {
    set_cookies(response).into_iter().find(|c| c.starts_with(&format!("{name}="))).unwrap().split(';').next().unwrap().to_string()
}

/// The value of the form's hidden `authenticity_token`.
pub(super) fn csrf_of(page: &str) -> String {
    let start = page.find("name=\"authenticity_token\" value=\"").unwrap() + "name=\"authenticity_token\" value=\"".len();
    page[start..].split('"').next().unwrap().to_string()
}

fn hidden(page: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = page.find(&marker).unwrap() + marker.len();
    page[start..].split('"').next().unwrap().to_string()
}

/// Signs in with the password: the session cookie (`name=value`).
pub(super) async fn sign_in(env: &TestEnv) -> String {
    let (form, _) = env.send(Get, "/auth/sign_in", "").await;
    let cookie = cookie_pair(&form, "__Host-topi_sign_in");
    let token = csrf_of(&html(&form));
    let (signed_in, _) =
        env.send_with(Post, "/auth/sign_in", &[("cookie", cookie)], &format!("authenticity_token={token}&password=secret+password")).await;
    assert_eq!(signed_in.status, 303, "{}", html(&signed_in));
    cookie_pair(&signed_in, "__Host-topi_session")
}

pub(super) async fn get_as(env: &TestEnv, session: &str, path: &str) -> Response {
    env.send_with(Get, path, &[("cookie", session.to_string())], "").await.0
}

async fn csrf_for(env: &TestEnv, session: &str) -> String {
    csrf_of(&html(&get_as(env, session, "/settings").await))
}

/// Turns two-factor authentication on through the setup page: the secret.
async fn enable_two_factor(env: &TestEnv, session: &str) -> Vec<u8> {
    let setup = html(&get_as(env, session, "/settings/otp_authentication").await);
    assert!(setup.contains("<svg") && !setup.contains("<?xml"), "the QR code is inline, without an XML declaration");
    assert!(setup.contains("otpauth://totp/"));
    let secret_text = hidden(&setup, "otp_secret");
    let secret = totp::parse_secret(&secret_text).unwrap();
    let form = format!("authenticity_token={}&otp_secret={secret_text}&otp_attempt={}", csrf_of(&setup), code_now(env, &secret, 0));
    let (codes, _) = env.send_with(Post, "/settings/otp_authentication", &[("cookie", session.to_string())], &form).await;
    assert_eq!(codes.status, 200, "{}", html(&codes));
    assert_eq!(html(&codes).matches("<li><code>").count(), 10);
    secret
}

fn code_now(env: &TestEnv, secret: &[u8], steps_later: i64) -> String {
    format!("{:06}", totp::code(secret, totp::step_at(env.ctx().now_ms()) + steps_later))
}

#[test]
fn cookies_are_read_by_exact_name() {
    let request = crate::edge::http::Request {
        method: Get,
        path: "/".into(),
        query: String::new(),
        headers: vec![("cookie".into(), "a=1; __Host-topi_session=tok=en ;topi_session=other".into())],
        body: Vec::new(),
    };
    assert_eq!(request.cookie("__Host-topi_session"), Some("tok=en"));
    assert_eq!(request.cookie("topi_session"), Some("other"));
    assert_eq!(request.cookie("session"), None);
}

#[tokio::test(flavor = "current_thread")]
async fn signing_in_sets_a_secure_http_only_lax_host_cookie() {
    let env = TestEnv::new();
    let (form, _) = env.send(Get, "/auth/sign_in", "").await;
    assert_eq!(form.header_value("cache-control"), Some("no-store"));
    let cookie = cookie_pair(&form, "__Host-topi_sign_in");
    let token = csrf_of(&html(&form));
    let (wrong, _) = env.send_with(Post, "/auth/sign_in", &[("cookie", cookie.clone())], &format!("authenticity_token={token}&password=nope")).await;
    assert_eq!(wrong.status, 422);
    assert!(set_cookies(&wrong).iter().all(|c| !c.starts_with("__Host-topi_session")));
    let (right, _) =
        env.send_with(Post, "/auth/sign_in", &[("cookie", cookie)], &format!("authenticity_token={token}&password=secret+password")).await;
    assert_eq!((right.status, right.header_value("location")), (303, Some("/settings")));
    let session = set_cookies(&right).into_iter().find(|c| c.starts_with("__Host-topi_session=")).unwrap();
    for attribute in ["; Path=/", "; Secure", "; HttpOnly", "; SameSite=Lax", "; Max-Age=31536000"] {
        assert!(session.contains(attribute), "{session}");
    }
    assert!(!session.contains("Domain"));
}

#[tokio::test(flavor = "current_thread")]
async fn settings_need_a_session() {
    let env = TestEnv::new();
    for path in ["/settings", "/auth/edit", "/settings/two_factor_authentication_methods", "/settings/otp_authentication", "/oauth/authorized_applications", "/settings/profile", "/settings/preferences", "/settings/imports", "/settings/migration", "/settings/aliases"] {
        let (response, _) = env.send(Get, path, "").await;
        assert_eq!((response.status, response.header_value("location")), (303, Some("/auth/sign_in")), "{path}");
    }
    let session = sign_in(&env).await;
    let settings = get_as(&env, &session, "/settings").await;
    assert_eq!(settings.status, 200);
    assert_eq!(settings.header_value("cache-control"), Some("no-store"));
    let (expired, _) = env.send_with(Get, "/settings", &[("cookie", "__Host-topi_session=forged".into())], "").await;
    assert_eq!(expired.status, 303);
}

#[tokio::test(flavor = "current_thread")]
async fn every_form_refuses_a_post_without_its_token_or_from_another_origin() {
    let env = TestEnv::new();
    let session = sign_in(&env).await;
    let token = csrf_for(&env, &session).await;
    let api_token = env.owner_token().await;
    let own_id = {
        let account = html(&get_as(&env, &session, "/auth/edit").await);
        let start = account.find("action=\"/settings/sessions/").unwrap() + "action=\"/settings/sessions/".len();
        account[start..].split('"').next().unwrap().to_string()
    };
    let forms = [
        "/auth/sign_out".to_string(),
        format!("/settings/sessions/{own_id}"),
        "/settings/sessions/others".to_string(),
        "/settings/otp_authentication".to_string(),
        "/settings/two_factor_authentication_methods/disable".to_string(),
        "/oauth/authorized_applications".to_string(),
        "/settings/profile".to_string(),
        "/settings/preferences".to_string(),
        "/settings/imports".to_string(),
        "/settings/aliases".to_string(),
        "/settings/migration".to_string(),
    ];
    for path in &forms {
        for (form, origin) in [
            (String::new(), None),
            ("authenticity_token=wrong".to_string(), None),
            (format!("authenticity_token={token}"), Some("https://evil.example")),
        ] {
            let mut headers = vec![("cookie", session.clone())];
            headers.extend(origin.map(|o| ("origin", o.to_string())));
            let (refused, _) = env.send_with(Post, path, &headers, &form).await;
            assert_eq!(refused.status, 403, "{path} {form} {origin:?}");
        }
    }
    assert_eq!(get_as(&env, &session, "/settings").await.status, 200, "still signed in");
    let (still, _) = env.send_as(&api_token, Get, "/api/v1/accounts/verify_credentials", "").await;
    assert_eq!(still.status, 200, "the apps' tokens still work");
    let (sign_in_without_token, _) = env.send(Post, "/auth/sign_in", "password=secret+password").await;
    assert_eq!(sign_in_without_token.status, 403);
    assert!(set_cookies(&sign_in_without_token).is_empty());
}

#[tokio::test(flavor = "current_thread")]
async fn signing_out_ends_the_session() {
    let env = TestEnv::new();
    let session = sign_in(&env).await;
    let token = csrf_for(&env, &session).await;
    let (out, _) = env.send_with(Delete, "/auth/sign_out", &[("cookie", session.clone()), ("origin", "https://social.example".into())], &format!("authenticity_token={token}")).await;
    assert_eq!(out.status, 303);
    assert!(set_cookies(&out)[0].starts_with("__Host-topi_session=; Max-Age=0"));
    assert_eq!(get_as(&env, &session, "/settings").await.status, 303);
}

#[tokio::test(flavor = "current_thread")]
async fn other_sessions_are_listed_and_revoked() {
    let env = TestEnv::new();
    let mine = sign_in(&env).await;
    let other = sign_in(&env).await;
    let token = csrf_for(&env, &mine).await;
    let account = html(&get_as(&env, &mine, "/auth/edit").await);
    assert_eq!(account.matches("Revoke the session").count(), 2);
    let (revoked, _) = env.send_with(Post, "/settings/sessions/others", &[("cookie", mine.clone())], &format!("authenticity_token={token}")).await;
    assert_eq!(revoked.status, 303);
    assert_eq!(get_as(&env, &other, "/settings").await.status, 303);
    assert_eq!(get_as(&env, &mine, "/settings").await.status, 200);
}

#[tokio::test(flavor = "current_thread")]
async fn two_factor_guards_the_web_the_consent_page_and_the_password_grant() {
    let env = TestEnv::new();
    let session = sign_in(&env).await;
    let secret = enable_two_factor(&env, &session).await;

    // The web: the password starts a session that owes the code.
    let (form, _) = env.send(Get, "/auth/sign_in", "").await;
    let cookie = cookie_pair(&form, "__Host-topi_sign_in");
    let (asked, _) = env
        .send_with(Post, "/auth/sign_in", &[("cookie", cookie)], &format!("authenticity_token={}&password=secret+password", csrf_of(&html(&form))))
        .await;
    assert_eq!(asked.status, 200);
    assert!(html(&asked).contains("otp_attempt"));
    let pending = cookie_pair(&asked, "__Host-topi_session");
    assert_eq!(get_as(&env, &pending, "/settings").await.status, 303, "no settings before the code");
    let pending_csrf = csrf_of(&html(&asked));
    let (wrong, _) = env.send_with(Post, "/auth/sign_in", &[("cookie", pending.clone())], &format!("authenticity_token={pending_csrf}&otp_attempt=000000")).await;
    assert_eq!(wrong.status, 422);
    env.advance(totp::STEP_SECONDS * 1000);
    let code = code_now(&env, &secret, 0);
    let (done, _) = env.send_with(Post, "/auth/sign_in", &[("cookie", pending.clone())], &format!("authenticity_token={pending_csrf}&otp_attempt={code}")).await;
    assert_eq!(done.status, 303, "{}", html(&done));
    let live = cookie_pair(&done, "__Host-topi_session");
    assert_ne!(live, pending, "a new token once the code is given");
    assert_eq!(get_as(&env, &live, "/settings").await.status, 200);

    // The password grant: refused, and says why.
    let (_, app) = env.send(Post, "/api/v1/apps", "client_name=bot&redirect_uris=urn:ietf:wg:oauth:2.0:oob&scopes=read").await;
    let client = format!("client_id={}&client_secret={}", app["client_id"].as_str().unwrap(), app["client_secret"].as_str().unwrap());
    let (refused, body) = env.send(Post, "/oauth/token", &format!("grant_type=password&username=alice&password=secret+password&{client}")).await;
    assert_eq!((refused.status, body["error"].as_str()), (400, Some("invalid_grant")));
    assert!(body["error_description"].as_str().unwrap().contains("Two-factor authentication"));
    let (wrong_password, body) = env.send(Post, "/oauth/token", &format!("grant_type=password&username=alice&password=nope&{client}")).await;
    assert_eq!(wrong_password.status, 400);
    assert!(!body["error_description"].as_str().unwrap().contains("Two-factor"), "told only to the password's holder");

    // The consent page asks for the code with the password.
    let client_id = app["client_id"].as_str().unwrap();
    let authorize = format!("response_type=code&client_id={client_id}&redirect_uri=urn:ietf:wg:oauth:2.0:oob&scope=read");
    let (consent, _) = env.send(Get, &format!("/oauth/authorize?{authorize}"), "").await;
    assert!(html(&consent).contains("otp_attempt"));
    let consent_cookie = cookie_pair(&consent, "topi_csrf");
    let consent_csrf = csrf_of(&html(&consent));
    let approve = |otp: &str| format!("authenticity_token={consent_csrf}&{authorize}&decision=approve&password=secret+password&otp_attempt={otp}");
    let (without, _) = env.send_with(Post, "/oauth/authorize", &[("cookie", consent_cookie.clone())], &approve("")).await;
    assert_eq!(without.status, 422);
    env.advance(totp::STEP_SECONDS * 1000);
    let (approved, _) = env.send_with(Post, "/oauth/authorize", &[("cookie", consent_cookie)], &approve(&code_now(&env, &secret, 0))).await;
    assert!(html(&approved).contains("Authorization code"), "{}", html(&approved));

    // Off again with a code; the password grant works again.
    env.advance(totp::STEP_SECONDS * 1000);
    let token = csrf_for(&env, &live).await;
    let form = format!("authenticity_token={token}&otp_attempt={}", code_now(&env, &secret, 0));
    let (off, _) = env.send_with(Post, "/settings/two_factor_authentication_methods/disable", &[("cookie", live)], &form).await;
    assert_eq!(off.status, 303);
    let (granted, _) = env.send(Post, "/oauth/token", &format!("grant_type=password&username=alice&password=secret+password&{client}")).await;
    assert_eq!(granted.status, 200);
}

#[tokio::test(flavor = "current_thread")]
async fn revoking_an_app_ends_its_tokens_and_its_push_subscription() {
    let env = TestEnv::new();
    let session = sign_in(&env).await;
    let api_token = env.owner_token_with("read push").await;
    let (subscribed, _) = env
        .send_as(
            &api_token,
            Post,
            "/api/v1/push/subscription",
            "subscription[endpoint]=https://push.example/x&subscription[keys][p256dh]=BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4&subscription[keys][auth]=BTBZMqHH6r4Tts7J_aSIgg",
        )
        .await;
    assert_eq!(subscribed.status, 200, "{}", html(&subscribed));
    let apps = html(&get_as(&env, &session, "/oauth/authorized_applications").await);
    assert!(apps.contains("<code>push</code>") && apps.contains("<code>read</code>"), "{apps}");
    assert!(apps.contains("last used"), "the token's use is written down");
    let start = apps.find("action=\"/oauth/authorized_applications/").unwrap() + "action=\"/oauth/authorized_applications/".len();
    let app_id = apps[start..].split('"').next().unwrap();
    let token = csrf_of(&apps);
    let (revoked, _) = env
        .send_with(Post, &format!("/oauth/authorized_applications/{app_id}"), &[("cookie", session.clone())], &format!("_method=delete&authenticity_token={token}"))
        .await;
    assert_eq!(revoked.status, 303);
    let (refused, _) = env.send_as(&api_token, Get, "/api/v1/accounts/verify_credentials", "").await;
    assert_eq!(refused.status, 401);
    use crate::store::db::Db;
    let left = env.db.rows(&crate::query!("SELECT id FROM push_subscriptions")).await.unwrap();
    assert!(left.is_empty(), "the push subscription went with the token");
    assert!(env.live.take().iter().any(|h| matches!(h, crate::domain::streams::Happening::TokenRevoked(_))));
}

#[tokio::test(flavor = "current_thread")]
async fn a_tokens_last_use_is_written_at_most_hourly() {
    use crate::store::db::Db;
    let env = TestEnv::new();
    let token = env.owner_token().await;
    let last_used = || async {
        let rows = env.db.rows(&crate::query!("SELECT last_used_at FROM oauth_tokens")).await.unwrap();
        rows[0]["last_used_at"].as_i64()
    };
    env.send_as(&token, Get, "/api/v1/accounts/verify_credentials", "").await;
    let first = last_used().await.unwrap();
    env.advance(59 * 60 * 1000);
    env.send_as(&token, Get, "/api/v1/accounts/verify_credentials", "").await;
    assert_eq!(last_used().await, Some(first));
    env.advance(60 * 1000);
    env.send_as(&token, Get, "/api/v1/accounts/verify_credentials", "").await;
    assert_eq!(last_used().await, Some(first + 60 * 60 * 1000));
}

#[tokio::test(flavor = "current_thread")]
async fn exports_open_with_the_session_cookie() {
    let env = TestEnv::new();
    let (anonymous, _) = env.send(Get, "/settings/exports/follows.csv", "").await;
    assert_eq!(anonymous.status, 401);
    let session = sign_in(&env).await;
    let csv = get_as(&env, &session, "/settings/exports/follows.csv").await;
    assert_eq!(csv.status, 200);
    assert_eq!(csv.header_value("content-type"), Some("text/csv"));
}

/// What the owner's account says through the API.
async fn credentials(env: &TestEnv) -> serde_json::Value {
    let token = env.owner_token().await;
    env.send_as(&token, Get, "/api/v1/accounts/verify_credentials", "").await.1
}

#[tokio::test(flavor = "current_thread")]
async fn the_profile_page_changes_the_profile_and_tells_other_servers() {
    let env = TestEnv::new();
    let session = sign_in(&env).await;
    let page = html(&get_as(&env, &session, "/settings/profile").await);
    assert!(page.contains("name=\"fields_attributes[3][value]\""), "four rows of fields");
    let form = format!(
        "authenticity_token={}&display_name=Alice+Example&note=Hello+%23rust&fields_attributes[0][name]=Site\
         &fields_attributes[0][value]=https://alice.example/&fields_attributes[1][name]=Pronouns&fields_attributes[1][value]=she\
         &locked=0&locked=1&bot=0&discoverable=0&discoverable=1&indexable=0&hide_collections=0",
        csrf_of(&page)
    );
    env.jobs.take();
    let (saved, _) = env.send_with(Post, "/settings/profile", &[("cookie", session.clone())], &form).await;
    assert_eq!((saved.status, saved.header_value("location")), (303, Some("/settings/profile?saved=1")), "{}", html(&saved));
    let account = credentials(&env).await;
    assert_eq!(account["display_name"], "Alice Example");
    assert!(account["note"].as_str().unwrap().contains("#<span>rust</span>"), "{}", account["note"]);
    assert_eq!(account["source"]["note"], "Hello #rust");
    assert_eq!((account["locked"].as_bool(), account["bot"].as_bool(), account["discoverable"].as_bool()), (Some(true), Some(false), Some(true)));
    assert_eq!(account["fields"][1]["value"], "she");
    let jobs = env.jobs.take();
    assert!(jobs.contains(&crate::app::jobs::Event::ProfileUpdated.into()), "{jobs:?}");
    assert!(jobs.contains(&crate::app::jobs::Task::VerifyLinks.into()), "the link is to be verified");
    assert!(html(&get_as(&env, &session, "/settings/profile?saved=1").await).contains("Changes saved."));

    let too_long = format!("authenticity_token={}&display_name={}", csrf_of(&page), "x".repeat(31));
    let (refused, _) = env.send_with(Post, "/settings/profile", &[("cookie", session.clone())], &too_long).await;
    assert_eq!(refused.status, 422);
    assert!(html(&refused).contains("Display name is too long"));
    assert_eq!(credentials(&env).await["display_name"], "Alice Example", "nothing changed");
}

#[tokio::test(flavor = "current_thread")]
async fn a_field_is_verified_when_its_page_links_back_with_rel_me() {
    let env = TestEnv::new();
    let token = env.owner_token().await;
    let profile_url = credentials(&env).await["url"].as_str().unwrap().to_string();
    let page = |html: String| crate::ctx::HttpResponse { status: 200, headers: vec![("content-type".into(), "text/html".into())], body: html.into_bytes() };
    env.http.answers.borrow_mut().insert("https://alice.example/".into(), page(format!("<html><a rel=\"me\" href=\"{profile_url}\">me</a></html>")));
    env.http.answers.borrow_mut().insert("https://elsewhere.example/".into(), page("<a rel=me href=https://impostor.example/@alice>".into()));
    // An API that echoes what it is asked is no page of the field's owner.
    let echo = crate::ctx::HttpResponse {
        status: 200,
        headers: vec![("content-type".into(), "application/json".into())],
        body: format!("{{\"q\":\"<a rel=me href={profile_url}>\"}}").into_bytes(),
    };
    env.http.answers.borrow_mut().insert("https://api.example/search".into(), echo);
    let form = "fields_attributes[0][name]=Site&fields_attributes[0][value]=https://alice.example/\
                &fields_attributes[1][name]=Other&fields_attributes[1][value]=https://elsewhere.example/\
                &fields_attributes[2][name]=Mail&fields_attributes[2][value]=alice@mail.example\
                &fields_attributes[3][name]=Echo&fields_attributes[3][value]=https://api.example/search";
    let (updated, _) = env.send_as(&token, crate::edge::http::Method::Patch, "/api/v1/accounts/update_credentials", form).await;
    assert_eq!(updated.status, 200);
    assert!(env.jobs.take().contains(&crate::app::jobs::Task::VerifyLinks.into()));
    crate::app::profile::verify_links(&env.ctx()).await.unwrap();
    let fields = credentials(&env).await["fields"].clone();
    assert!(fields[0]["verified_at"].is_string(), "{fields}");
    assert!(fields[1]["verified_at"].is_null(), "the page links elsewhere");
    assert!(fields[2]["verified_at"].is_null());
    assert!(fields[3]["verified_at"].is_null(), "only a web page verifies");
    assert_eq!(env.http.requests_to("https://alice.example/") + env.http.requests_to("https://elsewhere.example/"), 2, "the address is not fetched");

    // Saving again keeps the verification, and asks for no fetch of a verified page.
    let (again, _) = env.send_as(&token, crate::edge::http::Method::Patch, "/api/v1/accounts/update_credentials", form).await;
    assert!(again.status == 200 && credentials(&env).await["fields"][0]["verified_at"].is_string());
    crate::app::profile::verify_links(&env.ctx()).await.unwrap();
    assert_eq!(env.http.requests_to("https://alice.example/"), 1);
}

#[tokio::test(flavor = "current_thread")]
async fn the_preferences_page_sets_what_apps_read() {
    let env = TestEnv::new();
    let session = sign_in(&env).await;
    let token = csrf_of(&html(&get_as(&env, &session, "/settings/preferences").await));
    let form = format!(
        "authenticity_token={token}&_method=put&default_privacy=unlisted&default_sensitive=0&default_sensitive=1\
         &default_language=fi&expand_media=show_all&expand_spoilers=0&expand_spoilers=1"
    );
    env.jobs.take();
    let (saved, _) = env.send_with(Post, "/settings/preferences", &[("cookie", session.clone())], &form).await;
    assert_eq!(saved.status, 303, "{}", html(&saved));
    assert!(env.jobs.take().is_empty(), "preferences are not federated");
    let api = env.owner_token().await;
    let (_, preferences) = env.send_as(&api, Get, "/api/v1/preferences", "").await;
    assert_eq!(preferences["posting:default:visibility"], "unlisted");
    assert_eq!(preferences["posting:default:sensitive"], true);
    assert_eq!(preferences["posting:default:language"], "fi");
    assert_eq!(preferences["reading:expand:media"], "show_all");
    assert_eq!(preferences["reading:expand:spoilers"], true);
    let bad = format!("authenticity_token={token}&default_privacy=everyone");
    let (refused, _) = env.send_with(Post, "/settings/preferences", &[("cookie", session.clone())], &bad).await;
    assert_eq!(refused.status, 422);
    assert_eq!(env.send_as(&api, Get, "/api/v1/preferences", "").await.1["posting:default:visibility"], "unlisted");
}

#[tokio::test(flavor = "current_thread")]
async fn signed_in_the_owner_follows_from_the_remote_interaction_page() {
    let env = TestEnv::new();
    let dana = "https://remote.example/users/dana";
    env.http.answer_json(
        dana,
        200,
        &serde_json::json!({"id": dana, "type": "Person", "preferredUsername": "dana", "name": "Dana <b>D</b>", "inbox": format!("{dana}/inbox")}),
    );
    let path = "/authorize_interaction?uri=https%3A%2F%2Fremote.example%2Fusers%2Fdana";
    let (anonymous, _) = env.send(Get, path, "").await;
    assert!(anonymous.status == 200 && !html(&anonymous).contains("<form"));
    assert_eq!(env.http.requests_to(dana), 0, "nothing is fetched for a stranger");

    let session = sign_in(&env).await;
    let page = html(&get_as(&env, &session, path).await);
    assert!(page.contains("Follow @dana@remote.example") && page.contains("Dana &#60;b&#62;D") && !page.contains("<b>D</b>"), "{page}");
    let form = format!("authenticity_token={}&uri=https://remote.example/users/dana", csrf_of(&page));
    let (forged, _) = env.send_with(Post, "/authorize_interaction", &[("cookie", session.clone())], "uri=https://remote.example/users/dana").await;
    assert_eq!(forged.status, 403);
    env.jobs.take();
    let (followed, _) = env.send_with(Post, "/authorize_interaction", &[("cookie", session.clone())], &form).await;
    assert_eq!((followed.status, followed.header_value("location")), (303, Some(path)));
    let jobs = env.jobs.take();
    assert!(matches!(jobs.as_slice(), [crate::app::jobs::Job::Event(crate::app::jobs::Event::Followed { .. })]), "{jobs:?}");
    assert!(html(&get_as(&env, &session, path).await).contains("You asked to follow @dana@remote.example"));
    assert_eq!(env.http.requests_to(dana), 1, "fetched once, then known");
}

#[tokio::test(flavor = "current_thread")]
async fn terms_of_service_are_dated_when_their_text_changes() {
    let env = TestEnv::new();
    let session = sign_in(&env).await;
    assert_eq!(env.send(Get, "/api/v1/instance/terms_of_service", "").await.0.status, 404);
    assert_eq!(env.send(Get, "/terms-of-service", "").await.0.status, 404);
    let save = |terms: &str, token: &str| format!("authenticity_token={token}&_method=put&description=&terms_of_service={terms}");
    let token = csrf_for(&env, &session).await;
    let (saved, _) = env.send_with(Post, "/admin/settings", &[("cookie", session.clone())], &save("Be+nice.", &token)).await;
    assert_eq!(saved.status, 303, "{}", html(&saved));
    let (_, first) = env.send(Get, "/api/v1/instance/terms_of_service", "").await;
    assert_eq!((first["effective"].as_bool(), first["content"].as_str()), (Some(true), Some("<p>Be nice.</p>")));
    let effective = first["effective_date"].as_str().unwrap().to_string();
    assert_eq!(env.send(Get, &format!("/api/v1/instance/terms_of_service/{effective}"), "").await.0.status, 200);

    env.advance(3 * 86_400_000);
    env.send_with(Post, "/admin/settings", &[("cookie", session.clone())], &save("Be+nice.", &token)).await;
    let (_, same) = env.send(Get, "/api/v1/instance/terms_of_service", "").await;
    assert_eq!(same["effective_date"], effective, "saving the same text keeps the date");
    env.send_with(Post, "/admin/settings", &[("cookie", session.clone())], &save("Be+very+nice.", &token)).await;
    let (_, changed) = env.send(Get, "/api/v1/instance/terms_of_service", "").await;
    assert_ne!(changed["effective_date"], effective);
    let (_, v2) = env.send(Get, "/api/v2/instance", "").await;
    assert_eq!(v2["configuration"]["urls"]["terms_of_service"], "https://social.example/terms-of-service");
    assert!(html(&env.send(Get, "/terms-of-service", "").await.0).contains("Be very nice."));
}
