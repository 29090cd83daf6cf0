//! Remote content as a Mastodon user sees it through the API (issue #14): posts and accounts
//! from another server, read back the way apps read them.
#![allow(clippy::unwrap_used)]
use serde_json::{json, Value};

use super::deliver;
use crate::app::remote::fetch::{Format, SigningKey};
use crate::crypto::testing::{TEST_RSA_PRIVATE_PEM, TEST_RSA_PUBLIC_PEM};
use crate::ctx::HttpRequest;
use crate::edge::http::{Method, Request};
use crate::testing::TestEnv;

const BOB: &str = "https://remote.example/users/bob";

async fn env_following_bob() -> (TestEnv, String) {
    let env = TestEnv::new();
    let token = env.owner_token().await;
    env.http.answer_json(BOB, 200, &json!({
        "id": BOB, "type": "Person", "preferredUsername": "bob", "inbox": format!("{BOB}/inbox"), "name": "Bob :blobcat:",
        "tag": [{"type": "Emoji", "name": ":blobcat:", "icon": {"type": "Image", "url": "https://files.remote.example/blobcat.png"}}],
        "publicKey": {"id": format!("{BOB}#main-key"), "owner": BOB, "publicKeyPem": TEST_RSA_PUBLIC_PEM},
    }));
    let (_, found) = env.send_as(&token, Method::Get, &format!("/api/v2/search?resolve=true&q={BOB}"), "").await;
    let id = found["accounts"][0]["id"].as_str().unwrap().to_string();
    env.send_as(&token, Method::Post, &format!("/api/v1/accounts/{id}/follow"), "").await;
    (env, token)
}

async fn deliver_from_bob(env: &TestEnv, activity: &Value) -> u16 {
    let key = SigningKey { key_id: format!("{BOB}#main-key"), private_pem: TEST_RSA_PRIVATE_PEM.to_string() };
    let HttpRequest { headers, body, .. } =
        deliver::signed_post(&env.ctx(), &key, "https://social.example/inbox", activity.to_string().as_bytes(), Format::Cavage).await.unwrap();
    let request = Request { method: Method::Post, path: "/inbox".into(), query: String::new(), headers, body: body.unwrap() };
    crate::router::dispatch(&env.ctx(), request).await.status
}

/// A Create addressed to the owner, so that it is kept whether or not the follow was accepted.
fn create(mut object: Value) -> Value {
    object["cc"] = json!(["https://social.example/users/alice"]);
    json!({"id": format!("{}/activity", object["id"].as_str().unwrap()), "type": "Create", "actor": BOB, "object": object})
}

#[tokio::test]
async fn a_known_remote_account_is_found_by_lookup_and_acct_search() {
    let (env, token) = env_following_bob().await;
    let (response, account) = env.send_as(&token, Method::Get, "/api/v1/accounts/lookup?acct=bob@remote.example", "").await;
    assert_eq!((response.status, account["acct"].as_str()), (200, Some("bob@remote.example")), "{account}");
    let (_, found) = env.send_as(&token, Method::Get, "/api/v2/search?q=acct:bob@remote.example", "").await;
    assert_eq!(found["accounts"][0]["acct"], "bob@remote.example", "{found}");
    let (response, _) = env.send_as(&token, Method::Get, "/api/v1/accounts/lookup?acct=nobody@remote.example", "").await;
    assert_eq!(response.status, 404);
}

#[tokio::test]
async fn remote_posts_show_their_media_language_tags_and_converted_types() {
    let (env, token) = env_following_bob().await;
    let note = json!({"id": format!("{BOB}/statuses/1"), "type": "Note", "attributedTo": BOB,
        "content": "<p>Bilder</p>", "contentMap": {"en": "<p>Pictures</p>", "de": "<p>Bilder</p>"},
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "tag": [{"type": "Hashtag", "name": "#CamelCase"}, {"type": "Hashtag", "name": "#foo-bar"},
            {"type": "Emoji", "name": ":cow:", "icon": {"type": "Image", "mediaType": "image/png", "url": "https://files.remote.example/cow.png"}},
            {"type": "Emoji", "name": ":evil:", "icon": {"type": "Image", "url": "javascript:alert(1)"}}],
        "attachment": [
            {"type": "Image", "url": "https://files.remote.example/a", "summary": "alt", "name": "file name"},
            {"type": "Video", "mediaType": "video/mp4", "url": "https://files.remote.example/v.mp4"}
        ]});
    let image = json!({"id": format!("{BOB}/statuses/2"), "type": "Image", "attributedTo": BOB, "name": "Sunset",
        "url": "https://files.remote.example/sunset.jpg", "to": ["https://www.w3.org/ns/activitystreams#Public"]});
    for object in [note, image] {
        assert_eq!(deliver_from_bob(&env, &create(object)).await, 202);
    }
    let (_, home) = env.send_as(&token, Method::Get, "/api/v1/timelines/home", "").await;
    let by_uri = |uri: &str| home.as_array().unwrap().iter().find(|s| s["uri"] == uri).cloned().unwrap();
    let note = by_uri(&format!("{BOB}/statuses/1"));
    assert_eq!(note["language"], "en");
    let media = note["media_attachments"].as_array().unwrap();
    assert_eq!((media[0]["type"].as_str(), media[0]["description"].as_str()), (Some("image"), Some("alt")));
    assert_eq!((media[1]["type"].as_str(), media[1]["preview_url"].clone()), (Some("video"), Value::Null));
    let tags: Vec<&str> = note["tags"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(tags, ["CamelCase", "foobar"]);
    assert_eq!(note["emojis"], json!([{"shortcode": "cow", "url": "https://files.remote.example/cow.png",
        "static_url": "https://files.remote.example/cow.png", "visible_in_picker": false}]));
    assert_eq!(note["account"]["emojis"][0]["shortcode"], "blobcat");
    let image = by_uri(&format!("{BOB}/statuses/2"));
    assert!(image["content"].as_str().unwrap().contains("<strong>Sunset</strong>"), "{}", image["content"]);
}

#[tokio::test]
async fn a_signed_activity_the_sender_may_not_send_is_accepted_and_dropped() {
    // 401 would tell a correct peer its signature is wrong (and make some retry in the other format).
    let (env, token) = env_following_bob().await;
    let forged = json!({"id": format!("{BOB}/statuses/3"), "type": "Note", "attributedTo": "https://remote.example/users/carol",
        "content": "<p>not mine</p>", "to": ["https://www.w3.org/ns/activitystreams#Public"]});
    assert_eq!(deliver_from_bob(&env, &create(forged)).await, 202);
    let (_, home) = env.send_as(&token, Method::Get, "/api/v1/timelines/home", "").await;
    assert_eq!(home, json!([]));
}

#[tokio::test]
async fn an_embedded_post_without_attributed_to_is_the_signers() {
    let (env, token) = env_following_bob().await;
    let bare = json!({"id": format!("{BOB}/statuses/4"), "type": "Note", "content": "<p>mine</p>", "attributedTo": null,
        "summary": "<script>x()</script>", "to": ["https://www.w3.org/ns/activitystreams#Public"]});
    assert_eq!(deliver_from_bob(&env, &create(bare)).await, 202);
    let (_, home) = env.send_as(&token, Method::Get, "/api/v1/timelines/home", "").await;
    assert_eq!(home[0]["account"]["acct"], "bob@remote.example", "{home}");
    assert_eq!((home[0]["spoiler_text"].as_str(), home[0]["sensitive"].as_bool()), (Some("<script>x()</script>"), Some(true)));
}
