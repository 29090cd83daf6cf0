//! What a rogue peer tries, through the real handlers natively: documents that speak for other
//! URLs (open redirects, files uploaded to a victim's host), claims on other actors' keys and
//! activity ids, oversized actors, and votes where the poll never went. Each was reproduced
//! against the build before issue #8's fixes.
#![allow(clippy::unwrap_used)]
use serde_json::{json, Value};

use super::deliver;
use crate::app::remote::fetch::{Format, SigningKey};
use crate::crypto::testing::{OTHER_RSA_PUBLIC_PEM, TEST_RSA_PRIVATE_PEM, TEST_RSA_PUBLIC_PEM};
use crate::ctx::HttpRequest;
use crate::edge::http::{Method, Request, Response};
use crate::store::accounts;
use crate::testing::TestEnv;

const BOB: &str = "https://remote.example/users/bob";
/// A file anyone can upload to Bob's server (Misskey, Pleroma and Akkoma serve those from
/// their own domain).
const UPLOAD: &str = "https://remote.example/files/evil.json";
const OPEN_REDIRECT: &str = "https://remote.example/out?to=https://evil.example/bob.json";
const EVIL_COPY: &str = "https://evil.example/bob.json";

fn person(id: &str, username: &str, key_id: &str, pem: &str) -> Value {
    json!({
        "id": id, "type": "Person", "preferredUsername": username, "name": username,
        "inbox": format!("{id}/inbox"), "followers": format!("{id}/followers"),
        "publicKey": {"id": key_id, "owner": id, "publicKeyPem": pem},
    })
}

/// Bob as his server really publishes him: a key the attacker does not hold.
fn real_bob() -> Value {
    person(BOB, "bob", &format!("{BOB}#main-key"), OTHER_RSA_PUBLIC_PEM)
}

/// `activity` POSTed to our shared inbox, signed with the key the attacker holds under `key_id`.
async fn signed_with(env: &TestEnv, key_id: &str, activity: &Value) -> Request {
    let key = SigningKey { key_id: key_id.to_string(), private_pem: TEST_RSA_PRIVATE_PEM.to_string() };
    let url = "https://social.example/inbox";
    let HttpRequest { headers, body, .. } = deliver::signed_post(&env.ctx(), &key, url, activity.to_string().as_bytes(), Format::Cavage).await.unwrap();
    Request { method: Method::Post, path: "/inbox".into(), query: String::new(), headers, body: body.unwrap() }
}

async fn post(env: &TestEnv, request: Request) -> (Response, Value) {
    let response = crate::router::dispatch(&env.ctx(), request).await;
    let json = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
    (response, json)
}

fn follow(id: &str, actor: &str) -> Value {
    json!({"id": id, "type": "Follow", "actor": actor, "object": "https://social.example/users/alice"})
}

async fn followers_count(env: &TestEnv, token: &str) -> i64 {
    env.send_as(token, Method::Get, "/api/v1/accounts/verify_credentials", "").await.1["followers_count"].as_i64().unwrap()
}

async fn stored_pem(env: &TestEnv, uri: &str) -> Option<String> {
    accounts::get_by_uri(&env.db, uri).await.unwrap().and_then(|a| a.public_key_pem)
}

/// Bob known from his own server, and long enough ago that a new key would be looked for.
async fn env_knowing_bob() -> (TestEnv, String) {
    let env = TestEnv::new();
    let token = env.owner_token().await;
    env.http.answer_json(BOB, 200, &real_bob());
    crate::app::remote::actors::get_or_fetch(&env.ctx(), BOB).await.unwrap();
    env.advance(120_000);
    (env, token)
}

#[tokio::test]
async fn an_open_redirect_cannot_replace_a_stored_actor_or_its_key() {
    let (env, token) = env_knowing_bob().await;
    env.http.answer_redirect(OPEN_REDIRECT, EVIL_COPY);
    env.http.answer_json(EVIL_COPY, 200, &person(BOB, "bob", &format!("{OPEN_REDIRECT}#main-key"), TEST_RSA_PUBLIC_PEM));
    let forged = signed_with(&env, &format!("{OPEN_REDIRECT}#main-key"), &follow("https://remote.example/f/1", BOB)).await;
    let (response, body) = post(&env, forged).await;
    assert_eq!(response.status, 401, "{body}");
    assert_eq!(stored_pem(&env, BOB).await.as_deref(), Some(OTHER_RSA_PUBLIC_PEM), "Bob's key is untouched");
    assert_eq!(followers_count(&env, &token).await, 0);
    // The redirect's target claimed to be Bob; Bob's own server was asked instead.
    let document = crate::app::remote::fetch::get_object(&env.ctx(), OPEN_REDIRECT).await.unwrap();
    assert_eq!(document["publicKey"]["publicKeyPem"], OTHER_RSA_PUBLIC_PEM);
}

#[tokio::test]
async fn an_uploaded_file_on_the_victims_host_is_never_the_victim() {
    let (env, token) = env_knowing_bob().await;
    let key_id = format!("{UPLOAD}#main-key");
    let as_bob = person(BOB, "bob", &key_id, TEST_RSA_PUBLIC_PEM);
    let as_itself = person(UPLOAD, "bob", &key_id, TEST_RSA_PUBLIC_PEM);
    for (content_type, document) in [("application/json", &as_bob), ("application/activity+json", &as_bob), ("application/activity+json", &as_itself)] {
        env.http.answer_as(UPLOAD, content_type, document);
        let forged = signed_with(&env, &key_id, &follow("https://remote.example/f/2", BOB)).await;
        let (response, body) = post(&env, forged).await;
        assert_eq!(response.status, 401, "{content_type} {document}: {body}");
        env.advance(120_000);
    }
    assert_eq!(stored_pem(&env, BOB).await.as_deref(), Some(OTHER_RSA_PUBLIC_PEM));
    assert!(accounts::get_by_uri(&env.db, UPLOAD).await.unwrap().is_none(), "nothing was stored for the upload");
    assert_eq!(accounts::get_remote_by_handle(&env.db, "bob", "remote.example").await.unwrap().unwrap().uri, BOB);
    assert_eq!(followers_count(&env, &token).await, 0);
    // Only ActivityStreams content types are read at all.
    env.http.answer_as(BOB, "text/html", &real_bob());
    assert!(crate::app::remote::fetch::get_object(&env.ctx(), BOB).await.is_err());
}

#[tokio::test]
async fn a_post_served_from_another_url_is_not_stored_under_its_claimed_id() {
    let (env, token) = env_knowing_bob().await;
    let claimed = "https://remote.example/users/bob/statuses/666";
    let forged = json!({"id": claimed, "type": "Note", "attributedTo": BOB, "content": "<p>I never wrote this</p>",
        "to": ["https://www.w3.org/ns/activitystreams#Public"]});
    env.http.answer_json(UPLOAD, 200, &forged);
    // Search with resolve, and thread backfill, both read the upload; the claimed id is 404.
    let (_, found) = env.send_as(&token, Method::Get, &format!("/api/v2/search?resolve=true&q={UPLOAD}"), "").await;
    assert_eq!(found["statuses"], json!([]), "{found}");
    crate::app::remote::fetch_thread(&env.ctx(), UPLOAD, 1).await.unwrap();
    assert!(!crate::store::statuses::uri_known(&env.db, claimed).await.unwrap());
    assert!(!crate::store::statuses::uri_known(&env.db, UPLOAD).await.unwrap());
    // Served from its own id, the same post is Bob's and is kept.
    env.http.answer_json(claimed, 200, &forged);
    crate::app::remote::fetch_thread(&env.ctx(), UPLOAD, 1).await.unwrap();
    assert!(crate::store::statuses::uri_known(&env.db, claimed).await.unwrap());
}

#[tokio::test]
async fn nothing_is_stored_before_the_signature_verifies_and_remote_actors_are_bounded() {
    let env = TestEnv::new();
    let token = env.owner_token().await;
    let mallory = "https://remote.example/users/mallory";
    let mut huge = person(mallory, "mallory", &format!("{mallory}#main-key"), OTHER_RSA_PUBLIC_PEM);
    huge["name"] = json!("m".repeat(500_000));
    huge["summary"] = json!(format!("{}bio{}", "<div>".repeat(5_000), "</div>".repeat(5_000)));
    huge["attachment"] = json!((0..2000).map(|i| json!({"type": "PropertyValue", "name": format!("f{i}"), "value": "v"})).collect::<Vec<_>>());
    huge["icon"] = json!({"type": "Image", "url": "javascript:alert(1)"});
    huge["url"] = json!("javascript:alert(1)");
    env.http.answer_json(mallory, 200, &huge);
    let (response, _) = post(&env, signed_with(&env, &format!("{mallory}#main-key"), &follow("https://remote.example/f/3", mallory)).await).await;
    assert_eq!(response.status, 401);
    assert_eq!(env.http.requests_to(mallory), 1, "one key fetch per request");
    assert!(accounts::get_by_uri(&env.db, mallory).await.unwrap().is_none(), "an unverified actor is not stored");

    // With the key that signed, the same actor is stored, cut to size and without script URLs.
    huge["publicKey"]["publicKeyPem"] = json!(TEST_RSA_PUBLIC_PEM);
    env.http.answer_json(mallory, 200, &huge);
    env.advance(120_000);
    let (response, body) = post(&env, signed_with(&env, &format!("{mallory}#main-key"), &follow("https://remote.example/f/4", mallory)).await).await;
    assert_eq!(response.status, 202, "{body}");
    let stored = accounts::get_by_uri(&env.db, mallory).await.unwrap().unwrap();
    let (_, account) = env.send_as(&token, Method::Get, &format!("/api/v1/accounts/{}", stored.id), "").await;
    assert_eq!(account["display_name"].as_str().unwrap().chars().count(), crate::activitypub::vocab::MAX_DISPLAY_NAME_CHARS);
    assert_eq!(account["fields"].as_array().unwrap().len(), crate::activitypub::vocab::MAX_FIELDS);
    assert!(account["note"].as_str().unwrap().contains("bio"));
    assert!(!account.to_string().contains("javascript:"), "{}", account["avatar"]);
}

#[tokio::test]
async fn activity_ids_belong_to_their_senders() {
    let (env, token) = env_knowing_bob().await;
    env.http.answer_json(BOB, 200, &person(BOB, "bob", &format!("{BOB}#main-key"), TEST_RSA_PUBLIC_PEM));
    let eve = "https://evil.example/users/eve";
    env.http.answer_json(eve, 200, &person(eve, "eve", &format!("{eve}#main-key"), TEST_RSA_PUBLIC_PEM));
    // Eve may not send an activity with an id on Bob's server...
    let squat = json!({"id": format!("{BOB}#delete"), "type": "Delete", "actor": eve, "object": eve});
    let (response, _) = post(&env, signed_with(&env, &format!("{eve}#main-key"), &squat).await).await;
    assert_eq!(response.status, 400);
    // ...and a neighbour on Bob's host who sends one first does not make Bob's look replayed.
    let carol = "https://remote.example/users/carol";
    env.http.answer_json(carol, 200, &person(carol, "carol", &format!("{carol}#main-key"), TEST_RSA_PUBLIC_PEM));
    let id = format!("{BOB}#follows/1");
    let (response, _) = post(&env, signed_with(&env, &format!("{carol}#main-key"), &follow(&id, carol)).await).await;
    assert_eq!(response.status, 202);
    let (response, _) = post(&env, signed_with(&env, &format!("{BOB}#main-key"), &follow(&id, BOB)).await).await;
    assert_eq!(response.status, 202);
    assert_eq!(followers_count(&env, &token).await, 2, "both follows were applied");
}

#[tokio::test]
async fn a_key_id_claimed_by_another_actor_does_not_lock_out_its_owner() {
    let env = TestEnv::new();
    let token = env.owner_token().await;
    let eve = "https://remote.example/users/eve";
    env.http.answer_json(eve, 200, &person(eve, "eve", &format!("{BOB}#main-key"), OTHER_RSA_PUBLIC_PEM));
    crate::app::remote::actors::get_or_fetch(&env.ctx(), eve).await.unwrap();
    env.http.answer_json(BOB, 200, &person(BOB, "bob", &format!("{BOB}#main-key"), TEST_RSA_PUBLIC_PEM));
    let (response, body) = post(&env, signed_with(&env, &format!("{BOB}#main-key"), &follow("https://remote.example/f/5", BOB)).await).await;
    assert_eq!(response.status, 202, "{body}");
    assert_eq!(followers_count(&env, &token).await, 1);
}

#[tokio::test]
async fn remote_votes_count_once_and_only_where_the_poll_went() {
    let (env, token) = env_knowing_bob().await;
    env.http.answer_json(BOB, 200, &person(BOB, "bob", &format!("{BOB}#main-key"), TEST_RSA_PUBLIC_PEM));
    env.advance(120_000);
    let poll = |visibility: &str| format!("status=pick&visibility={visibility}&poll[options][]=a&poll[options][]=b&poll[expires_in]=3600");
    let vote = |n: u32, poll_uri: &str, choice: &str| {
        json!({"id": format!("{BOB}#votes/{n}/activity"), "type": "Create", "actor": BOB,
            "object": {"id": format!("{BOB}#votes/{n}"), "type": "Note", "name": choice, "inReplyTo": poll_uri, "attributedTo": BOB, "to": []}})
    };
    let mut n = 0;
    for (visibility, choices, expected) in [("public", ["a", "b"], 1), ("direct", ["a", "a"], 0)] {
        let (_, status) = env.send_as(&token, Method::Post, "/api/v1/statuses", &poll(visibility)).await;
        for choice in choices {
            n += 1;
            let (response, _) = post(&env, signed_with(&env, &format!("{BOB}#main-key"), &vote(n, status["uri"].as_str().unwrap(), choice)).await).await;
            assert_eq!(response.status, 202);
        }
        let (_, status) = env.send_as(&token, Method::Get, &format!("/api/v1/statuses/{}", status["id"].as_str().unwrap()), "").await;
        assert_eq!(status["poll"]["votes_count"], expected, "{visibility}: {}", status["poll"]);
    }
}
