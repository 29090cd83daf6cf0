//! Round trips to D1 per Mastodon read, pinned. On Cloudflare every round trip goes to the
//! database's region, so the free-plan work set a target: a read takes at most three, the token
//! check included. A page is read in one round trip and everything it refers to in one more
//! (`entities::status::render_with`); reads that depend on nothing but the request go together.
//! Each read is measured twice: with the isolate cache warm, and cold (the owner and the
//! filters not cached, as in a new isolate or ten seconds later).
#![allow(clippy::unwrap_used)]
use std::collections::HashMap;

use crate::domain::ids;
use crate::domain::visibility::Visibility;
use crate::edge::http::Method::{Get, Post};
use crate::query;
use crate::store::db::Db;
use crate::store::statuses::{create, NewStatus};
use crate::testing::TestEnv;

const BOB: i64 = 42;
const CAROL: i64 = 43;
const TARGET: u32 = 3;

/// A remote status in the owner's home feed, mentioning them and tagged `#remote`.
async fn remote_status(env: &TestEnv, account: i64, in_reply_to: Option<(i64, i64)>, content: &str, owner: i64) -> i64 {
    env.advance(10);
    let id = ids::from_parts(env.clock.0.get() as u64, 3);
    let uri = format!("https://r.example/s/{id}");
    let new = NewStatus {
        id, uri: &uri, url: None, account_id: account, local: false, visibility: Visibility::Public, content, text: None,
        spoiler_text: "", sensitive: false, language: None, in_reply_to, reblog_of_id: None,
        conversation_id: id, application_id: None, now: env.clock.0.get(),
    };
    env.db.batch(&create(&new, &[(ids::from_parts(env.clock.0.get() as u64, 4), "remote".into())], &[owner], &[owner])).await.unwrap();
    id
}

/// The owner, two remote accounts and a little of everything a read can show: a thread of four
/// with replies hidden and warned by filters, boosts both ways, a poll, a direct message,
/// favourites, a bookmark, a list, follows and notifications. Returns the owner's token and the
/// ids the paths name.
async fn seed(env: &TestEnv) -> (String, HashMap<&'static str, String>) {
    let token = env.owner_token().await;
    let owner = crate::app::owner::account(&env.ctx()).await.unwrap().id;
    for (id, name, domain) in [(BOB, "bob", "r.example"), (CAROL, "carol", "c.example")] {
        let insert = query!(
            "INSERT INTO accounts (id, username, domain, uri, created_at, updated_at) VALUES (?1, ?2, ?3, 'https://' || ?3 || '/u/' || ?2, 0, 0)",
            id, name, domain
        );
        env.db.run(&insert).await.unwrap();
    }
    env.db.run(&query!("INSERT INTO follows (id, account_id, target_account_id, accepted_at, created_at) VALUES (9, ?1, 42, 1, 1)", owner)).await.unwrap();
    env.db.run(&query!("INSERT INTO follows (id, account_id, target_account_id, accepted_at, created_at) VALUES (10, 43, ?1, 1, 1)", owner)).await.unwrap();
    let token = token.as_str();
    let post = |form: String| async move {
        let (response, status) = env.send_as(token, Post, "/api/v1/statuses", &form).await;
        assert_eq!(response.status, 200, "{status}");
        status["id"].as_str().unwrap().parse::<i64>().unwrap()
    };
    let root = post("status=root+%23one+%40bob%40r.example".into()).await;
    let reply = remote_status(env, BOB, Some((root, owner)), "<p>reply</p>", owner).await;
    let middle = post(format!("status=again+%23two&in_reply_to_id={reply}")).await;
    remote_status(env, CAROL, Some((middle, owner)), "<p>deep</p>", owner).await;
    for filter in ["title=w&filter_action=warn&keywords_attributes[][keyword]=zzz", "title=h&filter_action=hide&keywords_attributes[][keyword]=hideme"] {
        let contexts = "context[]=home&context[]=thread&context[]=notifications&context[]=public&context[]=account";
        let (response, body) = env.send_as(token, Post, "/api/v2/filters", &format!("{filter}&{contexts}")).await;
        assert_eq!(response.status, 200, "{body}");
    }
    post(format!("status=zzz+warned&in_reply_to_id={middle}")).await;
    post(format!("status=hideme+hidden&in_reply_to_id={middle}")).await;
    let (_, poll) = env.send_as(token, Post, "/api/v1/statuses", "status=pick&poll[options][]=a&poll[options][]=b&poll[expires_in]=300").await;
    let bob_post = remote_status(env, BOB, None, "<p>bob says</p>", owner).await;
    for action in ["reblog", "favourite", "bookmark"] {
        env.send_as(token, Post, &format!("/api/v1/statuses/{bob_post}/{action}"), "").await;
    }
    post("status=dm+%40bob%40r.example&visibility=direct".into()).await;
    let root_row = crate::store::statuses::get(&env.db, None, root).await.unwrap().unwrap();
    let boost = ids::from_parts(env.clock.0.get() as u64 + 1, 9);
    let uri = format!("https://r.example/boost/{boost}");
    env.db.batch(&create(&NewStatus::reblog(boost, &uri, BOB, Visibility::Public, &root_row, env.clock.0.get()), &[], &[], &[owner])).await.unwrap();
    let (_, list) = env.send_as(token, Post, "/api/v1/lists", "title=friends").await;
    let list = list["id"].as_str().unwrap().to_string();
    assert_eq!(env.send_as(token, Post, &format!("/api/v1/lists/{list}/accounts"), "account_ids[]=42").await.0.status, 200);
    let notifications = [("favourite", BOB, Some(root)), ("mention", BOB, Some(reply)), ("follow", CAROL, None), ("reblog", CAROL, Some(root))];
    for (n, (kind, from, status)) in notifications.into_iter().enumerate() {
        env.db.run(&crate::store::notifications::create(100 + n as i64, owner, from, kind, status, env.clock.0.get())).await.unwrap();
    }
    let ids = HashMap::from([
        ("owner", owner.to_string()),
        ("root", root.to_string()),
        ("middle", middle.to_string()),
        ("bob_post", bob_post.to_string()),
        ("poll", poll["poll"]["id"].as_str().unwrap().to_string()),
        ("list", list),
    ]);
    (token.to_string(), ids)
}

/// Every Mastodon read that shows statuses, accounts, notifications or lists, as the owner.
const READS: &[&str] = &[
    "/api/v1/timelines/home",
    "/api/v1/timelines/public",
    "/api/v1/timelines/tag/one",
    "/api/v1/timelines/link?url=https://example.com/",
    "/api/v1/timelines/list/{list}",
    "/api/v1/timelines/list/{list}?min_id=0",
    "/api/v1/accounts/{owner}/statuses",
    "/api/v1/accounts/42/statuses?exclude_replies=true",
    "/api/v1/favourites",
    "/api/v1/bookmarks",
    "/api/v1/statuses/{middle}",
    "/api/v1/statuses?id[]={middle}&id[]={bob_post}",
    "/api/v1/statuses/{middle}/context",
    "/api/v1/statuses/{middle}/history",
    "/api/v1/statuses/{middle}/source",
    "/api/v1/statuses/{bob_post}/favourited_by",
    "/api/v1/statuses/{bob_post}/reblogged_by",
    "/api/v1/polls/{poll}",
    "/api/v1/notifications",
    "/api/v1/notifications/100",
    "/api/v1/notifications/unread_count",
    "/api/v2/notifications",
    "/api/v2/notifications/favourite-{root}",
    "/api/v2/notifications/favourite-{root}/accounts",
    "/api/v1/conversations",
    "/api/v1/lists",
    "/api/v1/lists/{list}",
    "/api/v1/lists/{list}/accounts",
    "/api/v1/accounts/42/lists",
    "/api/v1/accounts/{owner}",
    "/api/v1/accounts/42",
    "/api/v1/accounts/verify_credentials",
    "/api/v1/accounts/lookup?acct=bob@r.example",
    "/api/v1/accounts/relationships?id[]=42&id[]=43",
    "/api/v1/accounts/familiar_followers?id[]=42",
    "/api/v1/accounts/{owner}/followers",
    "/api/v1/accounts/{owner}/following",
    "/api/v1/accounts/search?q=bob",
    "/api/v1/follow_requests",
    "/api/v1/blocks",
    "/api/v1/mutes",
    "/api/v1/endorsements",
    "/api/v1/suggestions",
    "/api/v2/search?q=o",
    "/api/v2/search?q=again",
    "/api/v2/search?q=bob@r.example&resolve=true",
    "/api/v2/search?q=https://social.example/@alice/{middle}",
    "/api/v1/tags/one",
    "/api/v1/followed_tags",
    "/api/v1/featured_tags",
    "/api/v1/accounts/{owner}/featured_tags",
    "/api/v1/trends/tags",
    "/api/v1/trends/statuses",
    "/api/v2/filters",
    "/api/v1/filters",
    "/api/v1/markers?timeline[]=home&timeline[]=notifications",
    "/api/v1/scheduled_statuses",
    "/api/v1/preferences",
    "/api/v2/instance",
];

/// The reads anonymous clients may make.
const PUBLIC_READS: &[&str] = &[
    "/api/v1/timelines/public",
    "/api/v1/timelines/tag/one",
    "/api/v1/accounts/{owner}/statuses",
    "/api/v1/statuses/{middle}",
    "/api/v1/statuses/{middle}/context",
    "/api/v1/accounts/{owner}",
    "/api/v1/accounts/{owner}/followers",
    "/api/v2/search?q=bob",
];

#[tokio::test(flavor = "current_thread")]
async fn every_mastodon_read_is_three_round_trips_at_most() {
    let env = TestEnv::new();
    let (token, ids) = seed(&env).await;
    let reads = READS.iter().map(|p| (Some(token.as_str()), p)).chain(PUBLIC_READS.iter().map(|p| (None, p)));
    let mut over = Vec::new();
    for (token, path) in reads {
        let path = ids.iter().fold(path.to_string(), |p, (name, id)| p.replace(&format!("{{{name}}}"), id));
        let (response, warm_body) = env.request(token, Get, &path, "").await;
        assert_eq!(response.status, 200, "{path}: {warm_body}");
        env.db.round_trips.set(0);
        env.request(token, Get, &path, "").await;
        let warm = env.db.round_trips.get();
        *env.cache.owner.borrow_mut() = None;
        *env.cache.filters.borrow_mut() = None;
        env.db.round_trips.set(0);
        let (_, cold_body) = env.request(token, Get, &path, "").await;
        let cold = env.db.round_trips.get();
        // The filters read with a page show as the cached ones do.
        assert_eq!(warm_body, cold_body, "{path}");
        if warm.max(cold) > TARGET {
            over.push(format!("{path}{}: {warm} warm, {cold} cold", if token.is_none() { " (anonymous)" } else { "" }));
        }
    }
    assert!(over.is_empty(), "reads over {TARGET} round trips:\n{}", over.join("\n"));
}

/// A thread's context shows what it did when it took eight round trips: the ancestors and the
/// descendants in order, a warned reply marked, a hidden one left out.
#[tokio::test(flavor = "current_thread")]
async fn a_context_read_in_three_round_trips_keeps_its_order_and_filters() {
    let env = TestEnv::new();
    let (token, ids) = seed(&env).await;
    env.db.round_trips.set(0);
    let (response, context) = env.send_as(&token, Get, &format!("/api/v1/statuses/{}/context", ids["middle"]), "").await;
    assert_eq!((response.status, env.db.round_trips.get()), (200, 3), "{context}");
    let shown = |key: &str| -> Vec<(String, usize)> {
        context[key].as_array().unwrap().iter().map(|s| (s["content"].as_str().unwrap().to_string(), s["filtered"].as_array().unwrap().len())).collect()
    };
    let ancestors = shown("ancestors");
    assert_eq!(ancestors.len(), 2);
    assert!(ancestors[0].0.starts_with("<p>root") && ancestors[1].0 == "<p>reply</p>", "{ancestors:?}");
    assert_eq!(shown("descendants"), [("<p>deep</p>".to_string(), 0), ("<p>zzz warned</p>".to_string(), 1)]);
}

/// Searching a handle nobody stored looks it up over WebFinger and stores the actor: six round
/// trips, the token, what is stored, and four of the lookup's own (`resolve_handle` looks for
/// the handle and for the actor, stores it, and reads it back), with two fetches between them;
/// and a seventh the first time an isolate meets another server (its instance domain blocks,
/// kept for `moderation::FRESH_MS`; a second search within that time does not read them).
#[tokio::test(flavor = "current_thread")]
async fn a_search_that_resolves_a_remote_handle_takes_the_lookup_on_top() {
    let env = TestEnv::new();
    let token = env.owner_token().await;
    let actor = "https://remote.example/users/dana";
    let webfinger = "https://remote.example/.well-known/webfinger?resource=acct%3Adana%40remote%2Eexample";
    env.http.answer_as(webfinger, "application/jrd+json", &serde_json::json!({"links": [{"rel": "self", "type": "application/activity+json", "href": actor}]}));
    env.http.answer_json(actor, 200, &serde_json::json!({"id": actor, "type": "Person", "preferredUsername": "dana", "inbox": format!("{actor}/inbox")}));
    env.send_as(&token, Get, "/api/v1/timelines/home", "").await;
    env.db.round_trips.set(0);
    let (response, found) = env.send_as(&token, Get, "/api/v2/search?q=dana@remote.example&resolve=true", "").await;
    assert_eq!((response.status, found["accounts"][0]["acct"].as_str()), (200, Some("dana@remote.example")), "{found}");
    assert_eq!((env.db.round_trips.get(), env.http.sent.borrow().len()), (7, 2));
}
