//! Federation through the real handlers natively: a remote actor (canned HTTP answers, a real
//! RSA key) signs activities to our inbox; our deliveries come out signed.
#![allow(clippy::unwrap_used)]
use serde_json::{json, Value};

use super::deliver;
use crate::app::remote::fetch::{Format, SigningKey};
use crate::app::jobs::{Event, Job, Task};
use crate::activitypub::signatures::{self, RequestParts};
use crate::crypto::testing::{TEST_RSA_PRIVATE_PEM, TEST_RSA_PUBLIC_PEM};
use crate::crypto::Crypto;
use crate::ctx::HttpRequest;
use crate::edge::http::{Method, Request, Response};
use crate::testing::TestEnv;

const BOB: &str = "https://remote.example/users/bob";
const BOB_INBOX: &str = "https://remote.example/users/bob/inbox";
const SHARED_INBOX: &str = "https://remote.example/inbox";

fn bob_document(id: &str, username: &str) -> Value {
    json!({
        "id": id, "type": "Person", "preferredUsername": username, "name": "Bob",
        "inbox": format!("{id}/inbox"), "endpoints": {"sharedInbox": SHARED_INBOX},
        "followers": format!("{id}/followers"),
        "publicKey": {"id": format!("{id}#main-key"), "owner": id, "publicKeyPem": TEST_RSA_PUBLIC_PEM},
    })
}

fn env_with_bob() -> TestEnv {
    let env = TestEnv::new();
    env.http.answer_json(BOB, 200, &bob_document(BOB, "bob"));
    env
}

/// `activity` as Bob's server would POST it to `path`, signed with Bob's key.
async fn signed(env: &TestEnv, path: &str, activity: &Value, format: Format) -> Request {
    let ctx = env.ctx();
    let url = format!("https://social.example{path}");
    let key = SigningKey { key_id: format!("{BOB}#main-key"), private_pem: TEST_RSA_PRIVATE_PEM.to_string() };
    let HttpRequest { headers, body, .. } = deliver::signed_post(&ctx, &key, &url, activity.to_string().as_bytes(), format).await.unwrap();
    Request { method: Method::Post, path: path.to_string(), query: String::new(), headers, body: body.unwrap() }
}

async fn post(env: &TestEnv, request: Request) -> (Response, Value) {
    let response = crate::router::dispatch(&env.ctx(), request).await;
    let json = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
    (response, json)
}

fn follow_activity(id: &str) -> Value {
    json!({"@context": "https://www.w3.org/ns/activitystreams", "id": id, "type": "Follow", "actor": BOB, "object": "https://social.example/users/alice"})
}

async fn notifications(env: &TestEnv, token: &str) -> Value {
    env.send_as(token, Method::Get, "/api/v1/notifications", "").await.1
}

#[tokio::test]
async fn a_signed_follow_is_accepted_and_the_accept_goes_out_signed() {
    let env = env_with_bob();
    let token = env.owner_token().await;
    for format in [Format::Cavage, Format::Rfc9421] {
        let request = signed(&env, "/users/alice/inbox", &follow_activity(&format!("{BOB}#follows/{format:?}")), format).await;
        let (response, body) = post(&env, request).await;
        assert_eq!(response.status, 202, "{format:?}: {body}");
    }
    let followers = env.send_as(&token, Method::Get, "/api/v1/accounts/verify_credentials", "").await.1;
    assert_eq!(followers["followers_count"], 1);
    let notes = notifications(&env, &token).await;
    assert_eq!(notes[0]["type"], "follow");
    assert_eq!(notes[0]["account"]["acct"], "bob@remote.example");

    // The consumer turns FollowAccepted into an Accept delivered to Bob's personal inbox.
    let accepted: Vec<Job> = env.jobs.sent.borrow().iter().filter(|e| matches!(e, Job::Event(Event::FollowAccepted { .. }))).cloned().collect();
    assert!(!accepted.is_empty());
    env.jobs.sent.borrow_mut().clear();
    super::handle(&env.ctx(), &accepted[0]).await.unwrap();
    let deliveries = env.jobs.sent.borrow().clone();
    let [delivery @ Job::Task(Task::DeliverMany { inboxes, .. })] = deliveries.as_slice() else { panic!("{deliveries:?}") };
    assert_eq!(inboxes, &[BOB_INBOX]);
    env.http.answer_json(BOB_INBOX, 202, &json!({}));
    super::handle(&env.ctx(), delivery).await.unwrap();
    let sent = env.http.sent.borrow().last().cloned().unwrap();
    let body: Value = serde_json::from_slice(sent.body.as_deref().unwrap()).unwrap();
    assert_eq!(body["type"], "Accept");
    assert_eq!(body["object"]["actor"], BOB);

    // Bob's server checks our signature with our published key.
    let owner = crate::app::owner::account(&env.ctx()).await.unwrap();
    let parts = RequestParts { method: "POST", url_path_and_query: "/users/bob/inbox", authority: "remote.example", scheme: "https", headers: &sent.headers };
    let verification = signatures::verification(&parts, sent.body.as_deref().unwrap(), env.clock.0.get()).unwrap();
    assert_eq!(verification.key_id, format!("{}#main-key", owner.uri));
    let pem = owner.public_key_pem.unwrap();
    assert!(env.crypto.rsa_verify(&pem, &verification.signing_input, &verification.signature).await.unwrap());
}

#[tokio::test]
async fn forged_stale_and_tampered_requests_are_refused_and_change_nothing() {
    let env = env_with_bob();
    let eve = "https://remote.example/users/eve";
    env.http.answer_json(eve, 200, &bob_document(eve, "eve"));
    let token = env.owner_token().await;

    // Bob's key, Eve's name: the key's owner is not the actor.
    let mut forged = follow_activity("https://remote.example/f/1");
    forged["actor"] = json!(eve);
    let (response, body) = post(&env, signed(&env, "/inbox", &forged, Format::Cavage).await).await;
    assert_eq!(response.status, 401);
    // The caller learns nothing of what the key fetch found, and the unverified actor is not kept.
    assert_eq!(body["error"], "the request's signature could not be verified");
    assert!(crate::store::accounts::get_by_uri(&env.db, eve).await.unwrap().is_none());

    // A key on another host than the actor is refused before anything is fetched.
    let mut elsewhere = follow_activity("https://other.example/f/2");
    elsewhere["actor"] = json!("https://other.example/users/bob");
    assert_eq!(post(&env, signed(&env, "/inbox", &elsewhere, Format::Cavage).await).await.0.status, 401);

    // Signed 13 hours ago.
    let stale = signed(&env, "/inbox", &follow_activity("https://remote.example/f/3"), Format::Cavage).await;
    env.advance(13 * 60 * 60 * 1000);
    let (response, body) = post(&env, stale).await;
    assert_eq!(response.status, 401, "{body}");

    // Body changed after signing.
    let mut tampered = signed(&env, "/inbox", &follow_activity("https://remote.example/f/4"), Format::Cavage).await;
    tampered.body = follow_activity("https://remote.example/f/5").to_string().into_bytes();
    let (response, body) = post(&env, tampered).await;
    assert_eq!(response.status, 401, "{body}");

    // Signature bytes replaced.
    let mut bad = signed(&env, "/inbox", &follow_activity("https://remote.example/f/6"), Format::Cavage).await;
    for (name, value) in bad.headers.iter_mut() {
        if name == "signature" {
            *value = value.replace("signature=\"", "signature=\"AAAA");
        }
    }
    assert_eq!(post(&env, bad).await.0.status, 401);

    // Unsigned, and not JSON.
    let mut unsigned = signed(&env, "/inbox", &follow_activity("https://remote.example/f/7"), Format::Cavage).await;
    unsigned.headers.retain(|(n, _)| n != "signature");
    assert_eq!(post(&env, unsigned).await.0.status, 401);
    let mut garbage = signed(&env, "/inbox", &follow_activity("https://remote.example/f/8"), Format::Cavage).await;
    garbage.body = b"{not json".to_vec();
    assert_eq!(post(&env, garbage).await.0.status, 400);

    let me = env.send_as(&token, Method::Get, "/api/v1/accounts/verify_credentials", "").await.1;
    assert_eq!(me["followers_count"], 0, "nothing was applied");
    assert_eq!(notifications(&env, &token).await, json!([]));
}

#[tokio::test]
async fn a_rotated_key_is_refetched_once() {
    let env = TestEnv::new();
    let mut old = bob_document(BOB, "bob");
    old["publicKey"]["publicKeyPem"] = json!(crate::crypto::testing::OTHER_RSA_PUBLIC_PEM);
    env.http.answer_json(BOB, 200, &old);
    // First contact stores the old key...
    crate::app::remote::actors::get_or_fetch(&env.ctx(), BOB).await.unwrap();
    // ...then Bob rotates to the key he signs with now.
    env.http.answer_json(BOB, 200, &bob_document(BOB, "bob"));
    // A copy fetched a moment ago is not fetched again: forged signatures naming a known actor
    // must not become a stream of fetches.
    let fetches = env.http.sent.borrow().len();
    let (response, _) = post(&env, signed(&env, "/inbox", &follow_activity("https://remote.example/f/q"), Format::Cavage).await).await;
    assert_eq!((response.status, env.http.sent.borrow().len()), (401, fetches));
    env.advance(61_000);
    let (response, body) = post(&env, signed(&env, "/inbox", &follow_activity("https://remote.example/f/r"), Format::Cavage).await).await;
    assert_eq!(response.status, 202, "{body}");
    assert_eq!(env.http.sent.borrow().len(), fetches + 1, "one fetch for the new key");
}

#[tokio::test]
async fn posts_mentions_likes_boosts_and_replays() {
    let env = env_with_bob();
    let token = env.owner_token().await;
    let (_, mine) = env.send_as(&token, Method::Post, "/api/v1/statuses", "status=hello+fediverse").await;
    let my_uri = mine["uri"].as_str().unwrap().to_string();

    let note = json!({
        "id": "https://remote.example/users/bob/statuses/1", "type": "Note", "attributedTo": BOB,
        "content": "<p>Hi <a href=\"https://social.example/@alice\" class=\"mention\">@alice</a> #Topi <script>x()</script></p>",
        "inReplyTo": my_uri, "to": ["https://www.w3.org/ns/activitystreams#Public"], "cc": ["https://social.example/users/alice"],
        "tag": [{"type": "Mention", "href": "https://social.example/users/alice"}, {"type": "Hashtag", "name": "#Topi"}],
        "published": "2023-11-14T22:13:20Z",
    });
    let create = json!({"id": "https://remote.example/users/bob/statuses/1/activity", "type": "Create", "actor": BOB, "object": note});
    for _ in 0..2 {
        let (response, _) = post(&env, signed(&env, "/inbox", &create, Format::Cavage).await).await;
        assert_eq!(response.status, 202);
    }
    let notes = notifications(&env, &token).await;
    assert_eq!(notes.as_array().unwrap().len(), 1, "a replayed Create is applied once: {notes}");
    // Housekeeping forgets applied ids only after a month.
    crate::housekeeping::run(&env.ctx()).await.unwrap();
    let bob = crate::store::accounts::get_by_uri(&env.db, BOB).await.unwrap().unwrap();
    assert!(crate::store::federation::seen(&env.db, bob.id, create["id"].as_str().unwrap()).await.unwrap());
    env.advance(crate::housekeeping::SEEN_KEPT_MS + 1);
    crate::housekeeping::run(&env.ctx()).await.unwrap();
    assert!(!crate::store::federation::seen(&env.db, bob.id, create["id"].as_str().unwrap()).await.unwrap());
    env.advance(-(crate::housekeeping::SEEN_KEPT_MS + 1));
    assert_eq!(notes[0]["type"], "mention");
    let content = notes[0]["status"]["content"].as_str().unwrap();
    assert!(!content.contains("script"), "{content}");
    assert_eq!(notes[0]["status"]["in_reply_to_id"], mine["id"]);
    let tagged = env.send(Method::Get, "/api/v1/timelines/tag/topi", "").await.1;
    assert_eq!(tagged[0]["uri"], "https://remote.example/users/bob/statuses/1");

    let like = json!({"id": "https://remote.example/likes/1", "type": "Like", "actor": BOB, "object": my_uri});
    assert_eq!(post(&env, signed(&env, "/inbox", &like, Format::Cavage).await).await.0.status, 202);
    let boost = json!({"id": "https://remote.example/boosts/1", "type": "Announce", "actor": BOB, "object": my_uri,
        "to": ["https://www.w3.org/ns/activitystreams#Public"]});
    assert_eq!(post(&env, signed(&env, "/inbox", &boost, Format::Cavage).await).await.0.status, 202);
    let status = env.send_as(&token, Method::Get, &format!("/api/v1/statuses/{}", mine["id"].as_str().unwrap()), "").await.1;
    assert_eq!((status["favourites_count"].as_i64(), status["reblogs_count"].as_i64(), status["replies_count"].as_i64()), (Some(1), Some(1), Some(1)));
    let kinds: Vec<String> = notifications(&env, &token).await.as_array().unwrap().iter().map(|n| n["type"].as_str().unwrap().to_string()).collect();
    assert_eq!(kinds, ["reblog", "favourite", "mention"]);

    // Undo both, and Bob deletes his reply.
    for undone in [like, boost] {
        let undo = json!({"id": format!("{}/undo", undone["id"].as_str().unwrap()), "type": "Undo", "actor": BOB, "object": undone});
        assert_eq!(post(&env, signed(&env, "/inbox", &undo, Format::Cavage).await).await.0.status, 202);
    }
    let delete = json!({"id": "https://remote.example/d/1", "type": "Delete", "actor": BOB,
        "object": {"id": "https://remote.example/users/bob/statuses/1", "type": "Tombstone"}});
    assert_eq!(post(&env, signed(&env, "/inbox", &delete, Format::Cavage).await).await.0.status, 202);
    let status = env.send_as(&token, Method::Get, &format!("/api/v1/statuses/{}", mine["id"].as_str().unwrap()), "").await.1;
    assert_eq!((status["favourites_count"].as_i64(), status["reblogs_count"].as_i64(), status["replies_count"].as_i64()), (Some(0), Some(0), Some(0)));

    // Someone else may not delete Bob's posts: Eve's Delete of Bob's note is refused.
}

#[tokio::test]
async fn a_post_by_a_stranger_that_concerns_nobody_is_not_stored() {
    let env = env_with_bob();
    let note = json!({"id": "https://remote.example/n/9", "type": "Note", "attributedTo": BOB, "content": "spam",
        "to": ["https://www.w3.org/ns/activitystreams#Public"]});
    let create = json!({"id": "https://remote.example/n/9/activity", "type": "Create", "actor": BOB, "object": note});
    assert_eq!(post(&env, signed(&env, "/inbox", &create, Format::Cavage).await).await.0.status, 202);
    let public = env.send(Method::Get, "/api/v1/timelines/public", "").await.1;
    assert_eq!(public, json!([]));
}

#[tokio::test]
async fn deliveries_retry_on_5xx_record_4xx_and_hold_for_unreachable_peers() {
    let env = env_with_bob();
    let token = env.owner_token().await;
    let (_, bob) = env.send_as(&token, Method::Get, "/api/v1/accounts/search?q=x", "").await;
    let _ = bob;
    let account = crate::app::remote::actors::get_or_fetch(&env.ctx(), BOB).await.unwrap();
    let (response, _) = env.send_as(&token, Method::Post, &format!("/api/v1/accounts/{}/follow", account.id), "").await;
    assert_eq!(response.status, 200);
    let followed = env.jobs.sent.borrow().last().cloned().unwrap();
    env.jobs.sent.borrow_mut().clear();
    super::handle(&env.ctx(), &followed).await.unwrap();
    let deliver = env.jobs.sent.borrow().last().cloned().unwrap();
    let Job::Task(Task::DeliverMany { inboxes, .. }) = &deliver else { panic!() };
    assert_eq!(inboxes, &[BOB_INBOX]);

    env.http.answer_json(BOB_INBOX, 503, &json!({}));
    assert!(super::handle(&env.ctx(), &deliver).await.is_err(), "5xx is retried");
    env.http.answer_json(BOB_INBOX, 429, &json!({}));
    assert!(super::handle(&env.ctx(), &deliver).await.is_err(), "429 is retried");
    env.http.answer_json(BOB_INBOX, 403, &json!({"error": "no"}));
    assert!(super::handle(&env.ctx(), &deliver).await.is_ok(), "403 is permanent");
    let failures = crate::store::federation::failures(&env.db, 10).await.unwrap();
    assert_eq!(failures.len(), 1);

    // Retries ran out: the peer is marked, later deliveries are held, not attempted.
    super::dead_lettered(&env.ctx(), &deliver).await.unwrap();
    let attempts = env.http.sent.borrow().len();
    super::handle(&env.ctx(), &deliver).await.unwrap();
    assert_eq!(env.http.sent.borrow().len(), attempts, "held, not attempted");
    assert_eq!(crate::store::federation::failures(&env.db, 10).await.unwrap().len(), 3);

    // An hour later housekeeping queues them again and the peer has recovered.
    env.advance(61 * 60 * 1000);
    env.jobs.sent.borrow_mut().clear();
    assert_eq!(crate::app::jobs::requeue_held(&env.ctx()).await.unwrap(), 2);
    env.http.answer_json(BOB_INBOX, 202, &json!({}));
    let queued = env.jobs.sent.borrow().clone();
    for event in queued {
        super::handle(&env.ctx(), &event).await.unwrap();
    }
    assert_eq!(env.http.sent.borrow().len(), attempts + 2);
}

#[tokio::test]
async fn private_addresses_are_not_fetched_without_the_dev_flag() {
    let env = TestEnv::new();
    let err = crate::app::remote::actors::get_or_fetch(&env.ctx(), "http://127.0.0.1:8080/users/x").await.unwrap_err();
    assert!(matches!(err, crate::app::remote::fetch::FetchError::Refused(_)), "{err}");
    assert!(env.http.sent.borrow().is_empty(), "no request left the building");
}

#[tokio::test]
async fn moving_away_needs_the_new_account_to_list_us_and_tells_followers() {
    let env = env_with_bob();
    let token = env.owner_token().await;
    // Bob follows us first, so that the Move has an audience.
    let (response, _) = post(&env, signed(&env, "/inbox", &follow_activity("https://remote.example/f/m"), Format::Cavage).await).await;
    assert_eq!(response.status, 202);
    let (response, body) = env.send_as(&token, Method::Post, "/api/v1/topi/migration", &format!("acct={BOB}")).await;
    assert_eq!(response.status, 422, "{body}");
    assert!(body["error"].as_str().unwrap().contains("alias"));

    let mut listing_us = bob_document(BOB, "bob");
    listing_us["alsoKnownAs"] = json!(["https://social.example/users/alice"]);
    env.http.answer_json(BOB, 200, &listing_us);
    let (_, aliases) = env.send_as(&token, Method::Post, "/api/v1/topi/aliases", &format!("acct={BOB}")).await;
    assert_eq!(aliases["aliases"], json!([BOB]));
    let (response, body) = env.send_as(&token, Method::Post, "/api/v1/topi/migration", &format!("acct={BOB}")).await;
    assert_eq!(response.status, 200, "{body}");
    let moved = env.jobs.sent.borrow().iter().find(|e| matches!(e, Job::Event(Event::Moved { .. }))).cloned().unwrap();
    env.jobs.sent.borrow_mut().clear();
    super::handle(&env.ctx(), &moved).await.unwrap();
    let queued = env.jobs.sent.borrow().clone();
    let [Job::Task(Task::DeliverMany { activity_id, inboxes })] = queued.as_slice() else { panic!("{queued:?}") };
    assert_eq!(inboxes, &[SHARED_INBOX]);
    let stored = crate::store::federation::activity(&env.db, activity_id.parse().unwrap()).await.unwrap().unwrap();
    let activity: Value = serde_json::from_str(&stored.body).unwrap();
    assert_eq!((activity["type"].as_str(), activity["target"].as_str()), (Some("Move"), Some(BOB)));
    let me = env.send_as(&token, Method::Get, "/api/v1/accounts/verify_credentials", "").await.1;
    assert_eq!(me["moved"]["uri"], BOB);
}

#[tokio::test]
async fn a_reply_to_an_unknown_post_backfills_its_thread_through_the_queue() {
    let env = env_with_bob();
    let token = env.owner_token().await;
    let parent_uri = "https://remote.example/users/bob/statuses/10";
    env.http.answer_json(parent_uri, 200, &json!({"id": parent_uri, "type": "Note", "attributedTo": BOB,
        "content": "<p>the start</p>", "to": ["https://www.w3.org/ns/activitystreams#Public"]}));
    let reply = json!({"id": "https://remote.example/users/bob/statuses/11", "type": "Note", "attributedTo": BOB,
        "content": "<p>@alice look</p>", "inReplyTo": parent_uri, "to": ["https://social.example/users/alice"],
        "tag": [{"type": "Mention", "href": "https://social.example/users/alice"}]});
    let create = json!({"id": "https://remote.example/users/bob/statuses/11/activity", "type": "Create", "actor": BOB, "object": reply});
    assert_eq!(post(&env, signed(&env, "/inbox", &create, Format::Cavage).await).await.0.status, 202);
    let jobs = env.jobs.sent.borrow().clone();
    let fetch = jobs.iter().find(|e| matches!(e, Job::Task(Task::FetchThread { .. }))).cloned().unwrap();
    assert_eq!(fetch, Job::Task(Task::FetchThread { uri: parent_uri.to_string(), depth: 1 }));
    super::handle(&env.ctx(), &fetch).await.unwrap();
    let notes = notifications(&env, &token).await;
    let reply_id = notes[0]["status"]["id"].as_str().unwrap().to_string();
    let context = env.send_as(&token, Method::Get, &format!("/api/v1/statuses/{reply_id}/context"), "").await.1;
    assert_eq!(context["ancestors"][0]["uri"], parent_uri, "{context}");
    assert_eq!(context["ancestors"][0]["content"], "<p>the start</p>");
}

/// A page of the outbox is a fixed number of D1 statements however rich its posts are (it was
/// four more per post: 82 for a page of 20, past the free plan's 50 per invocation).
#[tokio::test]
async fn an_outbox_page_costs_a_fixed_number_of_statements() {
    let env = env_with_bob();
    let token = env.owner_token().await;
    let (_, first) = env.send_as(&token, Method::Post, "/api/v1/statuses", "status=first").await;
    for i in 0..25 {
        let form = format!("status=%23tag{i}+%40alice+number+{i}&in_reply_to_id={}", first["id"].as_str().unwrap());
        let (response, body) = env.send_as(&token, Method::Post, "/api/v1/statuses", &form).await;
        assert_eq!(response.status, 200, "{body}");
    }
    let poll = "status=pick&poll[options][]=a&poll[options][]=b&poll[expires_in]=300";
    assert_eq!(env.send_as(&token, Method::Post, "/api/v1/statuses", poll).await.0.status, 200);
    env.db.statements.set(0);
    let (response, page) = env.send(Method::Get, "/users/alice/outbox?page=true", "").await;
    assert_eq!(response.status, 200, "{page}");
    let items = page["orderedItems"].as_array().unwrap();
    assert_eq!(items.len(), 20);
    assert_eq!(items[0]["object"]["type"], "Question");
    assert!(items[1]["object"]["tag"].as_array().unwrap().len() >= 2, "{}", items[1]);
    assert!(items[1]["object"]["inReplyTo"].as_str().is_some());
    let statements = env.db.statements.get();
    assert!(statements <= 10, "an outbox page took {statements} statements");
}

/// One activity to 20 inboxes is four queue messages (6 + 6 + 6 + 2), not 20; each inbox gets
/// exactly one copy; when some inboxes of a message fail, only those are queued again, and a
/// message whose every inbox failed is left to the queue's retries.
#[tokio::test]
async fn deliveries_travel_six_to_a_message_and_only_failures_go_again() {
    let env = TestEnv::new();
    let inboxes: Vec<String> = (0..20).map(|i| format!("https://peer{i}.example/inbox")).collect();
    for (i, inbox) in inboxes.iter().enumerate() {
        env.http.answer_json(inbox, if i == 3 || i == 17 { 503 } else { 202 }, &json!({}));
    }
    let owner = crate::app::owner::load(&env.ctx()).await.unwrap();
    let activity = json!({"id": "https://social.example/users/alice#test/1", "type": "Update", "actor": owner.account.uri});
    super::outbound::store_and_queue(&env.ctx(), owner.account.id, &activity, inboxes.clone()).await.unwrap();
    let messages = env.jobs.sent.borrow().clone();
    let sizes: Vec<usize> = messages.iter().map(|m| match m {
        Job::Task(Task::DeliverMany { inboxes, .. }) => inboxes.len(),
        other => panic!("{other:?}"),
    }).collect();
    assert_eq!(sizes, [6, 6, 6, 2]);
    env.jobs.sent.borrow_mut().clear();
    for message in &messages {
        super::handle(&env.ctx(), message).await.unwrap();
    }
    let posted = |inbox: &str| env.http.sent.borrow().iter().filter(|r| r.url == inbox).count();
    assert!(inboxes.iter().all(|inbox| posted(inbox) == 1), "one copy each");
    let again = env.jobs.sent.borrow().clone();
    let mut failed: Vec<String> = again.iter().flat_map(|m| match m {
        Job::Task(Task::DeliverMany { inboxes, .. }) => inboxes.clone(),
        other => panic!("{other:?}"),
    }).collect();
    failed.sort();
    let mut expected = vec![inboxes[3].clone(), inboxes[17].clone()];
    expected.sort();
    assert_eq!(failed, expected);
    // The peers are back: each failed inbox gets its one copy, nothing else is sent again.
    env.http.answer_json(&inboxes[3], 202, &json!({}));
    env.http.answer_json(&inboxes[17], 202, &json!({}));
    env.jobs.sent.borrow_mut().clear();
    for message in &again {
        super::handle(&env.ctx(), message).await.unwrap();
    }
    assert!(env.jobs.sent.borrow().is_empty());
    assert_eq!((posted(&inboxes[3]), posted(&inboxes[17]), posted(&inboxes[0])), (2, 2, 1));
    // A message whose every inbox fails is the queue's to retry (and dead-letter).
    env.http.answer_json(&inboxes[5], 503, &json!({}));
    let Job::Task(Task::DeliverMany { activity_id, .. }) = &messages[0] else { unreachable!() };
    let lone = Job::Task(Task::DeliverMany { activity_id: activity_id.clone(), inboxes: vec![inboxes[5].clone()] });
    assert!(super::handle(&env.ctx(), &lone).await.is_err());
}

/// The outbox's `last` link (`min_id=0`) is the oldest page, and `prev` walks forward from it.
#[tokio::test]
async fn the_outbox_pages_from_either_end() {
    let env = env_with_bob();
    let token = env.owner_token().await;
    let mut ids = Vec::new();
    for i in 0..25 {
        let (_, status) = env.send_as(&token, Method::Post, "/api/v1/statuses", &format!("status=number+{i}")).await;
        ids.push(status["id"].as_str().unwrap().to_string());
    }
    let (_, collection) = env.send(Method::Get, "/users/alice/outbox", "").await;
    let last = collection["last"].as_str().unwrap().rsplit_once("/outbox").unwrap().1.to_string();
    let (_, oldest) = env.send(Method::Get, &format!("/users/alice/outbox{last}"), "").await;
    let shown: Vec<&str> = oldest["orderedItems"].as_array().unwrap().iter().map(|a| a["object"]["content"].as_str().unwrap()).collect();
    assert_eq!(shown.len(), 20);
    assert!(shown[19].contains("number 0") && shown[0].contains("number 19"), "{shown:?}");
    let prev = oldest["prev"].as_str().unwrap().rsplit_once("/outbox").unwrap().1.to_string();
    let (_, newer) = env.send(Method::Get, &format!("/users/alice/outbox{prev}"), "").await;
    let shown: Vec<&str> = newer["orderedItems"].as_array().unwrap().iter().map(|a| a["object"]["content"].as_str().unwrap()).collect();
    assert_eq!(shown.len(), 5);
    assert!(shown[0].contains("number 24") && shown[4].contains("number 20"), "{shown:?}");
}
