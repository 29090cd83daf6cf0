//! Remote interaction: a visitor of a public page who has an account on another server types
//! their handle, and is sent to their own server to follow the owner or answer a post there.
//! Their server says where in its WebFinger document (the `http://ostatus.org/schema/1.0/subscribe`
//! template, as Mastodon, Pleroma and GoToSocial publish it).
//!
//! The handle is hostile input until checked: it is parsed to a username and a domain and nothing
//! else (`activitypub::webfinger::parse_handle`), the WebFinger query goes to that domain through
//! the address guard (`fetch::send_answered`: no private addresses, each redirect checked again,
//! 10 s, 64 KiB), and the template is used only if it leads to the server the handle names
//! (`activitypub::webfinger::interaction_url`). The URL is shown to the visitor to follow, never
//! redirected to: we do not become an open redirect, and the visitor sees where they go.
use serde_json::Value;

use super::actors::scheme_for;
use super::fetch::{self, FetchError};
use crate::activitypub::webfinger::{interaction_url, parse_handle, subscribe_template};
use crate::ctx::{Ctx, HttpRequest};

/// A WebFinger document is a few hundred bytes; Mastodon's is under 2 KiB.
const MAX_JRD_BYTES: usize = 64 * 1024;

/// Why a visitor cannot be sent to their server, in words for them.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("That is not a handle. Enter it as you@your.server.")]
    NotAHandle,
    #[error("Your server did not answer. Check the handle, or try again later.")]
    Unreachable,
    #[error("Your server does not know this account. Check the handle.")]
    UnknownAccount,
    #[error("Your server does not offer remote interaction, or named an address elsewhere.")]
    NoTemplate,
}

/// Where the person with `handle` interacts with the object `uri` (our actor or one of our
/// posts): their server's interaction URL, or why there is none.
pub async fn url_for(ctx: &Ctx<'_>, handle: &str, uri: &str) -> Result<String, Refusal> {
    let (username, domain) = parse_handle(handle).ok_or(Refusal::NotAHandle)?;
    let resource = format!("acct:{username}@{domain}");
    let url = format!(
        "{}://{domain}/.well-known/webfinger?resource={}",
        scheme_for(ctx, &domain),
        percent_encoding::utf8_percent_encode(&resource, percent_encoding::NON_ALPHANUMERIC)
    );
    let request = HttpRequest {
        method: "GET",
        url,
        headers: vec![("accept".into(), "application/jrd+json, application/json".into()), ("user-agent".into(), fetch::user_agent(ctx))],
        body: None,
    };
    let (response, answered_by) = fetch::send_answered(ctx, request, MAX_JRD_BYTES).await.map_err(|e| {
        crate::ctx::log_error(&format!("remote interaction: WebFinger of {domain}: {e}"));
        match e {
            FetchError::Refused(_) => Refusal::NotAHandle,
            _ => Refusal::Unreachable,
        }
    })?;
    match response.status {
        200..=299 => {}
        404 | 410 => return Err(Refusal::UnknownAccount),
        _ => return Err(Refusal::Unreachable),
    }
    let jrd: Value = serde_json::from_slice(&response.body).map_err(|_| Refusal::NoTemplate)?;
    let answered_by = url::Url::parse(&answered_by).ok().and_then(|u| {
        let host = u.host_str()?.to_ascii_lowercase();
        Some(u.port().map_or(host.clone(), |port| format!("{host}:{port}")))
    });
    let template = subscribe_template(&jrd).ok_or(Refusal::NoTemplate)?;
    interaction_url(template, uri, &domain, answered_by.as_deref().unwrap_or(&domain)).ok_or(Refusal::NoTemplate)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activitypub::webfinger::SUBSCRIBE_REL;
    use crate::testing::TestEnv;

    const URI: &str = "https://social.example/users/alice";

    fn jrd(template: &str) -> Value {
        serde_json::json!({"subject": "acct:bob@home.example", "links": [{"rel": SUBSCRIBE_REL, "template": template}]})
    }

    fn webfinger(domain: &str) -> String {
        format!("https://{domain}/.well-known/webfinger?resource=acct%3Abob%40{}", domain.replace('.', "%2E"))
    }

    #[tokio::test(flavor = "current_thread")]
    async fn the_template_of_the_handles_server_is_filled_in() {
        let env = TestEnv::new();
        env.http.answer_as(&webfinger("home.example"), "application/jrd+json", &jrd("https://home.example/authorize_interaction?uri={uri}"));
        let url = url_for(&env.ctx(), "@bob@home.example", URI).await;
        assert_eq!(url.as_deref(), Ok("https://home.example/authorize_interaction?uri=https%3A%2F%2Fsocial.example%2Fusers%2Falice"));
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_split_domain_may_redirect_its_webfinger_and_name_its_server() {
        let env = TestEnv::new();
        let moved = "https://server.elsewhere.example/.well-known/webfinger?resource=acct%3Abob%40home.example";
        env.http.answer_redirect(&webfinger("home.example"), moved);
        env.http.answer_as(moved, "application/jrd+json", &jrd("https://server.elsewhere.example/interact?uri={uri}"));
        assert!(url_for(&env.ctx(), "bob@home.example", URI).await.is_ok());
    }

    #[tokio::test(flavor = "current_thread")]
    async fn hostile_answers_send_nobody_anywhere() {
        let env = TestEnv::new();
        let ctx = env.ctx();
        assert_eq!(url_for(&ctx, "bob@home.example/../x", URI).await, Err(Refusal::NotAHandle));
        assert_eq!(env.http.sent.borrow().len(), 0, "nothing is fetched for a malformed handle");
        // Private addresses are refused by the guard before anything is sent.
        for handle in ["bob@127.0.0.1", "bob@localhost:8080", "bob@[::1]", "bob@10.0.0.1", "bob@printer.local"] {
            assert_eq!(url_for(&ctx, handle, URI).await, Err(Refusal::NotAHandle), "{handle}");
        }
        assert_eq!(env.http.sent.borrow().len(), 0);
        // A redirect to a private address is refused at that hop.
        env.http.answer_redirect(&webfinger("home.example"), "http://169.254.169.254/latest/meta-data");
        assert_eq!(url_for(&ctx, "bob@home.example", URI).await, Err(Refusal::NotAHandle));
        assert_eq!(env.http.requests_to("http://169.254.169.254/latest/meta-data"), 0);
        for template in ["https://evil.example/phish?u={uri}", "javascript:alert(document.domain)//{uri}", "https://home.example/no-uri"] {
            env.http.answer_as(&webfinger("home.example"), "application/jrd+json", &jrd(template));
            assert_eq!(url_for(&ctx, "bob@home.example", URI).await, Err(Refusal::NoTemplate), "{template}");
        }
        env.http.answer_as(&webfinger("home.example"), "application/jrd+json", &serde_json::json!({"links": []}));
        assert_eq!(url_for(&ctx, "bob@home.example", URI).await, Err(Refusal::NoTemplate));
        assert_eq!(url_for(&ctx, "nobody@unknown.example", URI).await, Err(Refusal::UnknownAccount), "the fake answers 404");
    }
}
