//! Web Push: what a phone hears when its app is closed. An app subscribes its token with an
//! endpoint of its push service and the keys to encrypt for (`subscribe`); each notification the
//! owner gets becomes one queue task per subscription that wants it (`queue_for`), and the
//! consumer encrypts Mastodon's payload and POSTs it, authorized by the instance's VAPID key
//! (`deliver`).
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};

use super::error::{Error, Result};
use super::jobs::{self, Job, Task};
use super::owner;
use crate::crypto::webpush::{self, Encoding, Receiver};
use crate::ctx::{Ctx, HttpRequest};
use crate::domain::streams::Happening;
use crate::store::push::{self as store, NewPush, PushRow};
use crate::store::{accounts, notifications, relationships, statuses};

/// Which notification types a subscription wants; absent means no (as Mastodon reads
/// `data[alerts][…]`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Alerts {
    pub mention: bool,
    pub status: bool,
    pub reblog: bool,
    pub follow: bool,
    pub follow_request: bool,
    pub favourite: bool,
    pub poll: bool,
    pub update: bool,
    #[serde(rename = "admin.sign_up")]
    pub admin_sign_up: bool,
    #[serde(rename = "admin.report")]
    pub admin_report: bool,
}

impl Alerts {
    fn wants(&self, kind: &str) -> bool {
        match kind {
            "mention" => self.mention,
            "status" => self.status,
            "reblog" => self.reblog,
            "follow" => self.follow,
            "follow_request" => self.follow_request,
            "favourite" => self.favourite,
            "poll" => self.poll,
            "update" => self.update,
            "admin.sign_up" => self.admin_sign_up,
            "admin.report" => self.admin_report,
            _ => false,
        }
    }
}

/// From whom notifications are pushed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Policy {
    #[default]
    All,
    Followed,
    Follower,
    None,
}

impl Policy {
    pub fn parse(text: &str) -> Option<Policy> {
        serde_json::from_value(serde_json::Value::String(text.to_string())).ok()
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Policy::All => "all",
            Policy::Followed => "followed",
            Policy::Follower => "follower",
            Policy::None => "none",
        }
    }
}

/// `POST /api/v1/push/subscription`, checked.
pub struct Subscription {
    pub endpoint: String,
    pub p256dh: String,
    pub auth: String,
    pub standard: bool,
    pub alerts: Alerts,
    pub policy: Policy,
}

/// The longest endpoint URL kept; push services' are a few hundred bytes.
const MAX_ENDPOINT: usize = 2048;
/// What a push service may answer with; its body is never read further.
const MAX_ANSWER_BYTES: usize = 4096;
/// How long a push service should try to reach the phone (Mastodon: two days).
const TTL_SECONDS: u32 = 172_800;
/// What a payload carries of a peer's name, its avatar URL and the post: with the token and the
/// fixed fields, at most ~2,000 bytes, well within one push record.
const MAX_NAME_CHARS: usize = 100;
const MAX_ICON_BYTES: usize = 512;
const MAX_BODY_CHARS: usize = 140;
/// VAPID tokens are made for 12 hours and reused until one hour before they end.
const VAPID_VALID_S: i64 = 12 * 3600;
const VAPID_RENEW_S: i64 = 3600;

impl Subscription {
    /// The endpoint is an https URL (http only where private addresses are allowed, for local
    /// tests), the keys a P-256 point and a 16-byte secret.
    pub fn check(&self, allow_http: bool) -> Result<()> {
        let url = url::Url::parse(&self.endpoint).map_err(|_| Error::Invalid("subscription[endpoint] is not a URL".into()))?;
        let scheme_ok = url.scheme() == "https" || (allow_http && url.scheme() == "http");
        if !scheme_ok || url.host_str().is_none() || self.endpoint.len() > MAX_ENDPOINT {
            return Err(Error::Invalid("subscription[endpoint] must be an https URL".into()));
        }
        let decode = |text: &str| URL_SAFE_NO_PAD.decode(text.trim_end_matches('=')).ok();
        if !decode(&self.p256dh).is_some_and(|k| k.len() == 65 && k[0] == 4) {
            return Err(Error::Invalid("subscription[keys][p256dh] is not a P-256 public key".into()));
        }
        if decode(&self.auth).is_none_or(|a| a.len() != 16) {
            return Err(Error::Invalid("subscription[keys][auth] is not a 16-byte secret".into()));
        }
        Ok(())
    }
}

/// Subscribes the token `token_id` (replacing its subscription).
pub async fn subscribe(ctx: &Ctx<'_>, token_id: i64, account_id: i64, access_token: &str, sub: &Subscription) -> Result<PushRow> {
    sub.check(ctx.config.allow_private_addresses)?;
    // Refused now rather than at every delivery (each a queue retry): an endpoint the address
    // guard refuses, and a key that is 65 bytes but no point on the curve.
    super::remote::fetch::check_url(ctx.config.allow_private_addresses, &sub.endpoint)
        .map_err(|_| Error::Invalid("subscription[endpoint] is not an address Topi may send to".into()))?;
    let p256dh = URL_SAFE_NO_PAD.decode(sub.p256dh.trim_end_matches('=')).unwrap_or_default();
    ctx.crypto.p256_ecdh_ephemeral(&p256dh).await.map_err(|_| Error::Invalid("subscription[keys][p256dh] is not a P-256 public key".into()))?;
    let alerts = serde_json::to_string(&sub.alerts).map_err(Error::internal)?;
    let new = NewPush {
        id: ctx.new_id(),
        token_id,
        account_id,
        endpoint: &sub.endpoint,
        p256dh: sub.p256dh.trim_end_matches('='),
        auth: sub.auth.trim_end_matches('='),
        standard: sub.standard,
        alerts: &alerts,
        policy: sub.policy.as_str(),
        access_token,
        now: ctx.now_ms(),
    };
    ctx.db.run(&store::subscribe(&new)).await?;
    store::of_token(ctx.db, token_id).await?.ok_or(Error::NotFound)
}

/// `PUT`: new alerts and policy for the token's subscription.
pub async fn change(ctx: &Ctx<'_>, token_id: i64, alerts: &Alerts, policy: Policy) -> Result<PushRow> {
    store::of_token(ctx.db, token_id).await?.ok_or(Error::NotFound)?;
    let alerts = serde_json::to_string(alerts).map_err(Error::internal)?;
    ctx.db.run(&store::change(token_id, &alerts, policy.as_str())).await?;
    store::of_token(ctx.db, token_id).await?.ok_or(Error::NotFound)
}

/// One task per (subscription, notification) the subscription wants, for this invocation's new
/// notifications. Costs nothing without notifications, one D1 query without subscriptions.
pub async fn queue_for(ctx: &Ctx<'_>, happenings: &[Happening]) -> Result<()> {
    let ids: Vec<i64> = happenings
        .iter()
        .filter_map(|h| match h {
            Happening::Notification(id) => id.parse().ok(),
            _ => None,
        })
        .collect();
    if ids.is_empty() {
        return Ok(());
    }
    let owner = owner::account(ctx).await?.id;
    let subscriptions = store::live_of(ctx.db, owner).await?;
    if subscriptions.is_empty() {
        return Ok(());
    }
    let mut tasks = Vec::new();
    for id in ids {
        let Some(notification) = notifications::get(ctx.db, owner, id).await? else { continue };
        for sub in &subscriptions {
            let alerts: Alerts = serde_json::from_str(&sub.alerts).unwrap_or_default();
            if alerts.wants(&notification.kind) && allowed(ctx, sub, owner, notification.from_account_id).await? {
                tasks.push(Job::Task(Task::Push { subscription_id: sub.id.to_string(), notification_id: id.to_string() }));
            }
        }
    }
    if !tasks.is_empty() {
        jobs::publish_all(ctx, tasks).await?;
    }
    Ok(())
}

async fn allowed(ctx: &Ctx<'_>, sub: &PushRow, owner: i64, from: i64) -> Result<bool> {
    let relationship = || async { Ok::<_, Error>(relationships::relationships(ctx.db, owner, &[from]).await?.pop()) };
    Ok(match Policy::parse(&sub.policy).unwrap_or_default() {
        Policy::All => true,
        Policy::None => false,
        Policy::Followed => relationship().await?.is_some_and(|r| r.following),
        Policy::Follower => relationship().await?.is_some_and(|r| r.followed_by),
    })
}

/// What Mastodon's apps decrypt and show.
#[derive(Serialize)]
struct Payload {
    access_token: String,
    preferred_locale: &'static str,
    notification_id: String,
    notification_type: String,
    icon: String,
    title: String,
    body: String,
}

/// Sends one notification to one subscription. A subscription the push service no longer knows
/// (404, 410) is deleted; 429 and 5xx are `RetryLater` (the queue retries with backoff).
pub async fn deliver(ctx: &Ctx<'_>, subscription_id: &str, notification_id: &str) -> Result<()> {
    let (Ok(subscription_id), Ok(notification_id)) = (subscription_id.parse::<i64>(), notification_id.parse::<i64>()) else {
        return Ok(());
    };
    let Some(sub) = store::live(ctx.db, subscription_id).await? else { return Ok(()) };
    let Some(notification) = notifications::get(ctx.db, sub.account_id, notification_id).await? else { return Ok(()) };
    let Some(from) = accounts::get(ctx.db, notification.from_account_id).await? else { return Ok(()) };
    // The post's source text when it is ours, its content as text otherwise.
    let text = match notification.status_id {
        Some(id) => statuses::get(ctx.db, Some(sub.account_id), id)
            .await?
            .map(|s| s.text.filter(|t| !t.is_empty()).unwrap_or_else(|| crate::content::sanitize::to_plain_text(&s.content))),
        None => None,
    };
    // A peer chooses its name and avatar URL: bounded, so that a payload always fits a push.
    let name = truncate(if from.display_name.trim().is_empty() { &from.username } else { &from.display_name }, MAX_NAME_CHARS);
    let icon = Some(super::profile::avatar_url(&from, ctx.config)).filter(|url| url.len() <= MAX_ICON_BYTES).unwrap_or_default();
    let payload = Payload {
        access_token: sub.access_token.clone(),
        preferred_locale: "en",
        notification_id: notification.id.to_string(),
        notification_type: notification.kind.clone(),
        icon,
        title: title(&notification.kind, &name),
        body: truncate(&text.unwrap_or_default(), MAX_BODY_CHARS),
    };
    let plaintext = serde_json::to_vec(&payload).map_err(Error::internal)?;
    let (p256dh, auth) = (decode(&sub.p256dh)?, decode(&sub.auth)?);
    let encoding = if sub.standard { Encoding::Aes128gcm } else { Encoding::Aesgcm };
    let salt: [u8; 16] = ctx.crypto.random_bytes(16).try_into().map_err(|_| Error::Internal("salt".into()))?;
    let encrypted = webpush::encrypt(ctx.crypto, encoding, &Receiver { public_key: &p256dh, auth_secret: &auth }, &plaintext, salt).await?;
    let keys = owner::instance_keys(ctx).await?;
    let jwt = vapid_token(ctx, &sub.endpoint, &keys.vapid_private_key_pem, &keys.vapid_public_key).await?;
    let mut headers = webpush::headers(&encrypted, &jwt, &keys.vapid_public_key);
    headers.push(("TTL".into(), TTL_SECONDS.to_string()));
    headers.push(("Urgency".into(), "normal".into()));
    let request = HttpRequest { method: "POST", url: sub.endpoint.clone(), headers, body: Some(encrypted.body) };
    let response = super::remote::fetch::send(ctx, request, MAX_ANSWER_BYTES).await;
    match response {
        Ok(r) if (200..300).contains(&r.status) => Ok(()),
        Ok(r) if r.status == 404 || r.status == 410 => {
            ctx.db.run(&store::forget(sub.id)).await?;
            Ok(())
        }
        Ok(r) if r.status == 429 || r.status >= 500 => Err(Error::RetryLater(format!("push to {}: HTTP {}", origin(&sub.endpoint), r.status))),
        Ok(r) => {
            crate::ctx::log_error(&format!("push to {} refused: HTTP {}", origin(&sub.endpoint), r.status));
            Ok(())
        }
        Err(e) => Err(e.into()),
    }
}

fn decode(text: &str) -> Result<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(text).map_err(|_| Error::Malformed("a stored push key is not base64url".into()))
}

fn origin(endpoint: &str) -> String {
    url::Url::parse(endpoint).map(|u| u.origin().ascii_serialization()).unwrap_or_default()
}

/// The VAPID token for the endpoint's push service, made once per origin and reused by this
/// isolate until an hour before it ends (an ECDSA signature per push would be wasted CPU).
async fn vapid_token(ctx: &Ctx<'_>, endpoint: &str, private_pem: &str, public_key: &str) -> Result<String> {
    // Keyed by the signing key too: a restored or re-provisioned instance signs anew.
    let audience = format!("{} {public_key}", origin(endpoint));
    let now_s = ctx.now_ms() / 1000;
    if let Some((_, jwt, _)) = ctx.cache.vapid_tokens.borrow().iter().find(|(aud, _, exp)| *aud == audience && *exp - VAPID_RENEW_S > now_s) {
        return Ok(jwt.clone());
    }
    let subject = if ctx.config.admin_email.is_empty() { ctx.config.public_url.clone() } else { format!("mailto:{}", ctx.config.admin_email) };
    let expires = now_s + VAPID_VALID_S;
    let jwt = webpush::vapid_jwt(ctx.crypto, private_pem, &origin(endpoint), &subject, expires).await?;
    let mut cache = ctx.cache.vapid_tokens.borrow_mut();
    cache.retain(|(aud, _, exp)| *aud != audience && *exp > now_s);
    cache.push((audience, jwt.clone(), expires));
    Ok(jwt)
}

fn title(kind: &str, name: &str) -> String {
    match kind {
        "mention" => format!("You were mentioned by {name}"),
        "status" => format!("{name} just posted"),
        "reblog" => format!("{name} boosted your post"),
        "follow" => format!("{name} is now following you"),
        "follow_request" => format!("New follow request from {name}"),
        "favourite" => format!("{name} favorited your post"),
        "poll" => "A poll has ended".to_string(),
        "update" => format!("{name} edited a post"),
        _ => format!("New notification from {name}"),
    }
}

fn truncate(text: &str, chars: usize) -> String {
    match text.char_indices().nth(chars) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::jobs::{Job, Task};
    use crate::edge::http::Method::{Get, Post};
    use crate::testing::TestEnv;

    const ENDPOINT: &str = "https://push.example/send/abc";

    /// A phone's keys: the private half, and what it registers.
    fn phone() -> (p256::SecretKey, String, String) {
        let secret = p256::SecretKey::random(&mut p256::elliptic_curve::rand_core::OsRng);
        let public = p256::EncodedPoint::from(secret.public_key());
        (secret, URL_SAFE_NO_PAD.encode(public.as_bytes()), URL_SAFE_NO_PAD.encode([9u8; 16]))
    }

    /// What the phone does with an aes128gcm body (RFC 8291 §3.4 from the other side).
    fn decrypt(secret: &p256::SecretKey, body: &[u8]) -> serde_json::Value {
        use aes_gcm::aead::{Aead, KeyInit};
        let (salt, rest) = body.split_at(16);
        let id_len = rest[4] as usize;
        let (sender, sealed) = rest[5..].split_at(id_len);
        let shared = p256::ecdh::diffie_hellman(secret.to_nonzero_scalar(), p256::PublicKey::from_sec1_bytes(sender).unwrap().as_affine());
        let ua = p256::EncodedPoint::from(secret.public_key());
        let mut ikm = [0u8; 32];
        Hkdf::<sha2::Sha256>::new(Some(&[9u8; 16]), shared.raw_secret_bytes())
            .expand(&[b"WebPush: info\0".as_slice(), ua.as_bytes(), sender].concat(), &mut ikm)
            .unwrap();
        let (mut key, mut nonce) = ([0u8; 16], [0u8; 12]);
        let hk = Hkdf::<sha2::Sha256>::new(Some(salt), &ikm);
        hk.expand(b"Content-Encoding: aes128gcm\0", &mut key).unwrap();
        hk.expand(b"Content-Encoding: nonce\0", &mut nonce).unwrap();
        let plain = aes_gcm::Aes128Gcm::new_from_slice(&key).unwrap().decrypt(aes_gcm::Nonce::from_slice(&nonce), sealed).unwrap();
        assert_eq!(plain.last(), Some(&2), "one final record");
        serde_json::from_slice(&plain[..plain.len() - 1]).unwrap()
    }
    use hkdf::Hkdf;

    async fn subscribed(env: &TestEnv, alerts: &str) -> (String, p256::SecretKey) {
        let token = env.owner_token_with("read write push").await;
        let (secret, p256dh, auth) = phone();
        let form = format!("subscription[endpoint]={ENDPOINT}&subscription[keys][p256dh]={p256dh}&subscription[keys][auth]={auth}&subscription[standard]=true&{alerts}");
        let (response, body) = env.send_as(&token, Post, "/api/v1/push/subscription", &form).await;
        assert_eq!(response.status, 200, "{body}");
        (token, secret)
    }

    /// A remote account's favourite of the owner's post, as the inbox records it.
    async fn favourited(env: &TestEnv) -> i64 {
        let ctx = env.ctx();
        let owner = owner::account(&ctx).await.unwrap();
        let token = env.owner_token().await;
        let (_, status) = env.send_as(&token, Post, "/api/v1/statuses", "status=push+me").await;
        let remote = 77;
        ctx.db
            .run(&crate::query!(
                "INSERT INTO accounts (id, username, domain, uri, created_at, updated_at) VALUES (?1, 'bob', 'remote.example', 'https://remote.example/users/bob', 0, 0)",
                remote
            ))
            .await
            .unwrap();
        let query = crate::app::live::notification(&ctx, owner.id, remote, "favourite", status["id"].as_str().unwrap().parse().ok(), ctx.now_ms());
        ctx.db.run(&query).await.unwrap();
        remote
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_subscription_is_one_per_token_and_shows_the_vapid_key() {
        let env = TestEnv::new();
        let (token, _) = subscribed(&env, "data[alerts][favourite]=true&data[policy]=followed").await;
        let (_, shown) = env.send_as(&token, Get, "/api/v1/push/subscription", "").await;
        assert_eq!(shown["endpoint"], ENDPOINT);
        assert_eq!(shown["standard"], true);
        assert_eq!(shown["policy"], "followed");
        assert_eq!(shown["alerts"]["favourite"], true);
        assert_eq!(shown["alerts"]["mention"], false);
        assert_eq!(shown["server_key"], crate::crypto::testing::TEST_VAPID_PUBLIC.trim());
        let (_, changed) = env.send_as(&token, crate::edge::http::Method::Put, "/api/v1/push/subscription", "data[alerts][mention]=1").await;
        assert_eq!((changed["alerts"]["mention"].as_bool(), changed["alerts"]["favourite"].as_bool(), changed["policy"].as_str()), (Some(true), Some(true), Some("followed")));
        env.send_as(&token, crate::edge::http::Method::Delete, "/api/v1/push/subscription", "").await;
        assert_eq!(env.send_as(&token, Get, "/api/v1/push/subscription", "").await.0.status, 404);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn bad_endpoints_and_keys_and_missing_scopes_are_refused() {
        let env = TestEnv::new();
        let token = env.owner_token_with("read write push").await;
        let (_, p256dh, auth) = phone();
        for (endpoint, key, secret) in [
            ("ftp://push.example/x", p256dh.as_str(), auth.as_str()),
            ("javascript:alert(1)", p256dh.as_str(), auth.as_str()),
            (ENDPOINT, "AAAA", auth.as_str()),
            (ENDPOINT, p256dh.as_str(), "AAAA"),
        ] {
            let form = format!("subscription[endpoint]={endpoint}&subscription[keys][p256dh]={key}&subscription[keys][auth]={secret}");
            assert_eq!(env.send_as(&token, Post, "/api/v1/push/subscription", &form).await.0.status, 422, "{endpoint} {key} {secret}");
        }
        let reader = env.owner_token_with("read").await;
        assert_eq!(env.send_as(&reader, Get, "/api/v1/push/subscription", "").await.0.status, 403);
        // Refused at once, not at every delivery: an address the guard refuses, a key off the curve.
        let mut off_curve = vec![4u8];
        off_curve.extend([7u8; 64]);
        for (endpoint, key) in [("https://127.0.0.1/push", p256dh.clone()), ("https://10.0.0.8/push", p256dh.clone()), (ENDPOINT, URL_SAFE_NO_PAD.encode(&off_curve))] {
            let form = format!("subscription[endpoint]={endpoint}&subscription[keys][p256dh]={key}&subscription[keys][auth]={auth}");
            assert_eq!(env.send_as(&token, Post, "/api/v1/push/subscription", &form).await.0.status, 422, "{endpoint}");
        }
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_peers_long_name_and_avatar_still_fit_the_push() {
        let env = TestEnv::new();
        let (_, secret) = subscribed(&env, "data[alerts][favourite]=true").await;
        favourited(&env).await;
        let long_name = "名".repeat(2_000);
        let long_avatar = format!("https://remote.example/{}", "a".repeat(2_000));
        env.ctx().db.run(&crate::query!("UPDATE accounts SET display_name = ?1, avatar_remote_url = ?2 WHERE id = 77", long_name, long_avatar)).await.unwrap();
        env.jobs.take();
        queue_for(&env.ctx(), &env.live.take()).await.unwrap();
        let jobs = env.jobs.take();
        let [Job::Task(Task::Push { subscription_id, notification_id })] = jobs.as_slice() else { panic!("{jobs:?}") };
        env.http.answer_json(ENDPOINT, 201, &serde_json::json!({}));
        deliver(&env.ctx(), subscription_id, notification_id).await.unwrap();
        let sent = env.http.sent.borrow();
        let payload = decrypt(&secret, sent.iter().find(|r| r.url == ENDPOINT).unwrap().body.as_ref().unwrap());
        assert!(payload["title"].as_str().unwrap().chars().count() < 140, "{}", payload["title"]);
        assert!(payload["icon"].as_str().unwrap().len() <= 512);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_wanted_notification_is_queued_encrypted_and_sent_with_vapid() {
        let env = TestEnv::new();
        let (token, secret) = subscribed(&env, "data[alerts][favourite]=true").await;
        favourited(&env).await;
        env.jobs.take();
        queue_for(&env.ctx(), &env.live.take()).await.unwrap();
        let jobs = env.jobs.take();
        let [Job::Task(Task::Push { subscription_id, notification_id })] = jobs.as_slice() else { panic!("{jobs:?}") };
        env.http.answer_json(ENDPOINT, 201, &serde_json::json!({}));
        deliver(&env.ctx(), subscription_id, notification_id).await.unwrap();
        let sent = env.http.sent.borrow();
        let request = sent.iter().find(|r| r.url == ENDPOINT).unwrap();
        let header = |name: &str| request.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone()).unwrap_or_default();
        assert_eq!(header("Content-Encoding"), "aes128gcm");
        assert!(header("Authorization").starts_with("vapid t=") && header("Authorization").ends_with(&format!(", k={}", crate::crypto::testing::TEST_VAPID_PUBLIC.trim())));
        let payload = decrypt(&secret, request.body.as_ref().unwrap());
        assert_eq!(payload["access_token"], token);
        assert_eq!(payload["notification_id"], notification_id.as_str());
        assert_eq!(payload["notification_type"], "favourite");
        assert_eq!(payload["title"], "bob favorited your post");
        assert_eq!(payload["body"], "push me");
    }

    #[tokio::test(flavor = "current_thread")]
    async fn unwanted_types_policies_and_revoked_tokens_queue_nothing() {
        let env = TestEnv::new();
        subscribed(&env, "data[alerts][mention]=true").await;
        favourited(&env).await;
        env.jobs.take();
        queue_for(&env.ctx(), &env.live.take()).await.unwrap();
        assert!(env.jobs.take().is_empty(), "favourites were not asked for");

        let env = TestEnv::new();
        subscribed(&env, "data[alerts][favourite]=true&data[policy]=followed").await;
        favourited(&env).await;
        env.jobs.take();
        queue_for(&env.ctx(), &env.live.take()).await.unwrap();
        assert!(env.jobs.take().is_empty(), "the owner does not follow bob");

        let env = TestEnv::new();
        subscribed(&env, "data[alerts][favourite]=true").await;
        env.ctx().db.run(&crate::query!("UPDATE oauth_tokens SET revoked_at = 1")).await.unwrap();
        favourited(&env).await;
        env.jobs.take();
        queue_for(&env.ctx(), &env.live.take()).await.unwrap();
        assert!(env.jobs.take().is_empty(), "a revoked token's subscription is dead");
    }

    #[tokio::test(flavor = "current_thread")]
    async fn gone_subscriptions_are_deleted_and_failing_services_retried() {
        let env = TestEnv::new();
        let (token, _) = subscribed(&env, "data[alerts][favourite]=true").await;
        favourited(&env).await;
        env.jobs.take();
        queue_for(&env.ctx(), &env.live.take()).await.unwrap();
        let jobs = env.jobs.take();
        let [Job::Task(Task::Push { subscription_id, notification_id })] = jobs.as_slice() else { panic!("{jobs:?}") };
        env.http.answer_json(ENDPOINT, 503, &serde_json::json!({}));
        assert!(matches!(deliver(&env.ctx(), subscription_id, notification_id).await, Err(Error::RetryLater(_))));
        env.http.answer_json(ENDPOINT, 410, &serde_json::json!({}));
        deliver(&env.ctx(), subscription_id, notification_id).await.unwrap();
        assert_eq!(env.send_as(&token, Get, "/api/v1/push/subscription", "").await.0.status, 404);
    }
}
