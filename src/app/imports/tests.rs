//! Imports and exports natively, through the routes and the queue consumer: remote accounts
//! answer from canned WebFinger and actor documents; every queued batch is run as the consumer
//! runs it, and what each costs is counted.
#![allow(clippy::unwrap_used)]
use serde_json::{json, Value};

use super::batch::{LOOKUPS_PER_BATCH, ROWS_PER_BATCH};
use crate::app::jobs::{Job, Task};
use crate::crypto::testing::TEST_RSA_PUBLIC_PEM;
use crate::edge::http::{Method, Request, Response};
use crate::query;
use crate::store::db::Db;
use crate::testing::TestEnv;

/// `user@host` answers WebFinger and its actor document; its inbox takes deliveries.
fn remote(env: &TestEnv, user: &str, host: &str) -> String {
    let actor = format!("https://{host}/users/{user}");
    let resource = percent_encoding::utf8_percent_encode(&format!("acct:{user}@{host}"), percent_encoding::NON_ALPHANUMERIC).to_string();
    let jrd = json!({"subject": format!("acct:{user}@{host}"), "links": [{"rel": "self", "type": "application/activity+json", "href": actor}]});
    env.http.answer_as(&format!("https://{host}/.well-known/webfinger?resource={resource}"), "application/jrd+json", &jrd);
    env.http.answer_json(&actor, 200, &json!({
        "id": actor, "type": "Person", "preferredUsername": user, "name": user, "inbox": format!("{actor}/inbox"),
        "publicKey": {"id": format!("{actor}#main-key"), "owner": actor, "publicKeyPem": TEST_RSA_PUBLIC_PEM},
    }));
    env.http.answer_json(&format!("{actor}/inbox"), 202, &json!({}));
    actor
}

/// A remote account stored (fetched `fetched_ago` ms ago) without any answer on the network.
async fn stored(env: &TestEnv, id: i64, user: &str, host: &str) {
    let sql = query!(
        "INSERT INTO accounts (id, username, domain, uri, inbox_url, fetched_at, created_at, updated_at) \
         VALUES (?1, ?2, ?3, 'https://' || ?3 || '/users/' || ?2, 'https://' || ?3 || '/users/' || ?2 || '/inbox', ?4, 0, 0)",
        id, user, host, env.clock.0.get()
    );
    env.db.run(&sql).await.unwrap();
}

fn multipart(fields: &[(&str, &str)], file: Option<(&str, &str)>) -> (String, Vec<u8>) {
    let boundary = "topi-test-boundary";
    let mut body = String::new();
    for (name, value) in fields {
        body += &format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n");
    }
    if let Some((filename, data)) = file {
        body += &format!("--{boundary}\r\nContent-Disposition: form-data; name=\"data\"; filename=\"{filename}\"\r\nContent-Type: text/csv\r\n\r\n{data}\r\n");
    }
    body += &format!("--{boundary}--\r\n");
    (format!("multipart/form-data; boundary={boundary}"), body.into_bytes())
}

async fn send(env: &TestEnv, token: &str, method: Method, path: &str, content: Option<(String, Vec<u8>)>) -> (Response, Value) {
    let (content_type, body) = content.unwrap_or_default();
    let (path, query) = path.split_once('?').unwrap_or((path, ""));
    let request = Request {
        method,
        path: path.into(),
        query: query.into(),
        headers: vec![("authorization".into(), format!("Bearer {token}")), ("content-type".into(), content_type)],
        body,
    };
    let response = crate::router::dispatch(&env.ctx(), request).await;
    let json = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
    (response, json)
}

async fn upload(env: &TestEnv, token: &str, kind: &str, mode: &str, filename: &str, csv: &str) -> Value {
    let (response, body) = send(env, token, Method::Post, "/api/v1/topi/imports", Some(multipart(&[("type", kind), ("mode", mode)], Some((filename, csv))))).await;
    assert_eq!(response.status, 200, "{body}");
    body
}

/// What the queue consumer spent on one message.
#[derive(Debug)]
struct Spent {
    statements: u32,
    round_trips: u32,
    fetches: usize,
}

/// Runs queued messages as the consumer does until none is left (deliveries too); returns what
/// each import batch spent.
async fn drain(env: &TestEnv) -> Vec<Spent> {
    let mut batches = Vec::new();
    for _ in 0..1000 {
        let jobs = env.jobs.take();
        if jobs.is_empty() {
            return batches;
        }
        for job in jobs {
            let (statements, round_trips, fetches) = (env.db.statements.get(), env.db.round_trips.get(), env.http.sent.borrow().len());
            // A fresh isolate for each invocation, as the consumer may get one.
            *env.cache.owner.borrow_mut() = None;
            crate::federation::handle(&env.ctx(), &job).await.unwrap();
            if matches!(job, Job::Task(Task::ImportBatch { .. })) {
                batches.push(Spent {
                    statements: env.db.statements.get() - statements,
                    round_trips: env.db.round_trips.get() - round_trips,
                    fetches: env.http.sent.borrow().len() - fetches,
                });
            }
        }
    }
    panic!("the queue never emptied");
}

/// The activities POSTed to `inbox`, by type.
fn delivered(env: &TestEnv, inbox: &str) -> Vec<String> {
    let sent = env.http.sent.borrow();
    sent.iter()
        .filter(|r| r.method == "POST" && r.url == inbox)
        .map(|r| serde_json::from_slice::<Value>(r.body.as_deref().unwrap()).unwrap())
        .map(|a| format!("{}{}", a["type"].as_str().unwrap(), a["object"]["type"].as_str().map(|t| format!(" {t}")).unwrap_or_default()))
        .collect()
}

async fn relationship(env: &TestEnv, token: &str, id: i64) -> Value {
    send(env, token, Method::Get, &format!("/api/v1/accounts/relationships?id[]={id}"), None).await.1[0].clone()
}

async fn account_id(env: &TestEnv, uri: &str) -> i64 {
    crate::store::accounts::get_by_uri(&env.db, uri).await.unwrap().unwrap().id
}

#[tokio::test(flavor = "current_thread")]
async fn a_follows_file_follows_known_and_fetched_accounts_and_keeps_what_failed() {
    let env = TestEnv::new();
    let token = env.owner_token().await;
    stored(&env, 500, "known", "known.example").await;
    let bob = remote(&env, "bob", "remote.example");
    let carol = remote(&env, "carol", "remote.example");
    let file = "Account address,Show boosts,Notify on new posts,Languages\n\
                known@known.example,false,true,\"en, de\"\n\
                @bob@Remote.Example,true,false,\n\
                nobody@gone.example,true,false,\n\
                alice@social.example,true,false,\n\
                not an address,true,false,\n\
                carol@remote.example\n\
                bob@remote.example,false,false,\n";
    let import = upload(&env, &token, "following", "merge", "following_accounts.csv", file).await;
    assert_eq!((import["state"].as_str(), import["total_items"].as_i64(), import["likely_mismatched"].as_bool()), (Some("scheduled"), Some(7), Some(false)));
    let batches = drain(&env).await;
    // Three accounts to fetch (bob, carol, the gone one): two batches.
    assert_eq!(batches.len(), 3usize.div_ceil(LOOKUPS_PER_BATCH as usize), "{batches:?}");

    let known = relationship(&env, &token, 500).await;
    assert_eq!((known["requested"].as_bool(), known["showing_reblogs"].as_bool(), known["notifying"].as_bool()), (Some(true), Some(false), Some(true)));
    assert_eq!(known["languages"], json!(["en", "de"]));
    for actor in [&bob, &carol] {
        let id = account_id(&env, actor).await;
        assert_eq!(relationship(&env, &token, id).await["requested"], true, "{actor}");
        assert_eq!(delivered(&env, &format!("{actor}/inbox")), ["Follow"], "{actor}: one Follow, however often the file names it");
    }
    assert_eq!(delivered(&env, "https://known.example/users/known/inbox").len(), 1);

    let (_, shown) = send(&env, &token, Method::Get, &format!("/api/v1/topi/imports/{}", import["id"].as_str().unwrap()), None).await;
    assert_eq!(shown["state"], "finished");
    assert_eq!((shown["processed_items"].as_i64(), shown["imported_items"].as_i64(), shown["failed_items"].as_i64()), (Some(7), Some(4), Some(3)));
    let failures: Vec<(i64, String)> = shown["failures"].as_array().unwrap().iter().map(|f| (f["line"].as_i64().unwrap(), f["error"].as_str().unwrap().to_string())).collect();
    assert_eq!(failures.iter().map(|(line, _)| *line).collect::<Vec<_>>(), [4, 5, 6]);
    assert!(failures[0].1.starts_with("nobody@gone.example could not be found"), "{failures:?}");
    assert_eq!(failures[1].1, "You cannot follow yourself");
    assert!(failures[2].1.contains("is not an account address"));

    // The failed rows, as Mastodon's failures file: it can be imported again.
    let (response, _) = send(&env, &token, Method::Get, &format!("/settings/imports/{}/failures.csv", import["id"].as_str().unwrap()), None).await;
    assert_eq!(response.header_value("content-type"), Some("text/csv"));
    assert!(response.header_value("content-disposition").unwrap().contains("following_accounts_failures.csv"));
    assert_eq!(
        String::from_utf8(response.body).unwrap(),
        "Account address,Show boosts,Notify on new posts,Languages\nnobody@gone.example,true,false,\nalice@social.example,true,false,\nnot an address,true,false,\n"
    );
}

#[tokio::test(flavor = "current_thread")]
async fn batches_stay_inside_the_free_plans_invocation_limits() {
    let env = TestEnv::new();
    let token = env.owner_token().await;
    // Twelve accounts to fetch, then sixty we know.
    let mut file = String::new();
    for n in 0..12 {
        remote(&env, &format!("u{n}"), "many.example");
        file += &format!("u{n}@many.example\n");
    }
    for n in 0..60 {
        stored(&env, 1000 + n, &format!("k{n}"), "known.example").await;
        file += &format!("k{n}@known.example\n");
    }
    upload(&env, &token, "blocking", "merge", "blocks.csv", &file).await;
    let batches = drain(&env).await;
    // The twelve to fetch `LOOKUPS_PER_BATCH` a batch; the batch with the last of them goes on
    // with known ones up to `ROWS_PER_BATCH` rows, and the known ones left go a full batch each.
    let (lookups, rows) = (LOOKUPS_PER_BATCH as usize, ROWS_PER_BATCH as usize);
    let expected = 12usize.div_ceil(lookups) + (60 - (rows - lookups)).div_ceil(rows);
    assert_eq!(batches.len(), expected, "{batches:?}");
    for spent in &batches {
        assert!(spent.statements <= 45 && spent.round_trips <= 30 && spent.fetches <= 4 * LOOKUPS_PER_BATCH as usize, "{spent:?}");
    }
    let blocked = env.db.rows(&query!("SELECT count(*) AS n FROM blocks")).await.unwrap();
    assert_eq!(blocked[0]["n"], 72);
    // Every block delivered, one message each (three queue operations per row).
    assert_eq!(delivered(&env, "https://many.example/users/u3/inbox"), ["Block"]);
}

#[tokio::test(flavor = "current_thread")]
async fn overwrite_undoes_what_the_file_leaves_out_and_keeps_the_rest() {
    let env = TestEnv::new();
    let token = env.owner_token().await;
    let owner = crate::app::owner::account(&env.ctx()).await.unwrap().id;
    for (id, user) in [(600, "kept"), (601, "dropped")] {
        stored(&env, id, user, "r.example").await;
        let follow = query!(
            "INSERT INTO follows (id, account_id, target_account_id, uri, accepted_at, created_at) VALUES (?1, ?2, ?1, 'https://social.example/users/alice#follows/' || ?1, 1, 1)",
            id, owner
        );
        env.db.run(&follow).await.unwrap();
    }
    env.db.run(&query!("UPDATE accounts SET following_count = 2 WHERE id = ?1", owner)).await.unwrap();
    env.http.answer_json("https://r.example/users/dropped/inbox", 202, &json!({}));
    let newcomer = remote(&env, "new", "n.example");
    upload(&env, &token, "following", "overwrite", "following_accounts.csv", "Account address,Show boosts\nkept@r.example,false\nnew@n.example,true\n").await;
    drain(&env).await;
    assert_eq!(delivered(&env, "https://r.example/users/dropped/inbox"), ["Undo Follow"]);
    assert_eq!(relationship(&env, &token, 601).await["following"], false);
    let kept = relationship(&env, &token, 600).await;
    assert_eq!((kept["following"].as_bool(), kept["showing_reblogs"].as_bool()), (Some(true), Some(false)), "options change, the follow stays");
    assert!(delivered(&env, "https://r.example/users/kept/inbox").is_empty());
    assert_eq!(delivered(&env, &format!("{newcomer}/inbox")), ["Follow"]);
    let me = send(&env, &token, Method::Get, "/api/v1/accounts/verify_credentials", None).await.1;
    assert_eq!(me["following_count"], 1);
}

#[tokio::test(flavor = "current_thread")]
async fn every_kind_imports_and_exports_as_mastodon_writes_it() {
    let env = TestEnv::new();
    let token = env.owner_token().await;
    stored(&env, 700, "ann", "a.example").await;
    stored(&env, 701, "ben", "b.example").await;
    stored(&env, 702, "cat", "c.example").await;
    let (_, status) = send(&env, &token, Method::Post, "/api/v1/statuses", Some(("application/x-www-form-urlencoded".into(), b"status=mine".to_vec()))).await;
    let mine = format!("https://social.example/users/alice/statuses/{}", status["id"].as_str().unwrap());
    for (kind, file) in [
        ("following", "Account address,Show boosts,Notify on new posts,Languages\nann@a.example,true,false,\"en, de\"\n"),
        ("blocking", "cat@c.example\n"),
        ("muting", "Account address,Hide notifications\nben@b.example,false\n"),
        ("domain_blocking", "spam.example\nJunk.Example\n"),
        ("bookmarks", &format!("{mine}\nhttps://social.example/users/alice/statuses/1\n")),
        ("lists", "Friends,ann@a.example\n\"Work, mostly\",ben@b.example\nFriends,alice@social.example\n"),
    ] {
        upload(&env, &token, kind, "merge", "", file).await;
    }
    drain(&env).await;
    // Accepted follows only are exported, as Mastodon exports `following`.
    env.db.run(&query!("UPDATE follows SET accepted_at = 1")).await.unwrap();
    let export = |file: &'static str| {
        let env = &env;
        let token = token.clone();
        async move {
            let (response, _) = send(env, &token, Method::Get, &format!("/settings/exports/{file}"), None).await;
            assert_eq!((response.status, response.header_value("content-type")), (200, Some("text/csv")), "{file}");
            String::from_utf8(response.body).unwrap()
        }
    };
    // Lists follow their members (ben too), newest follow first.
    assert_eq!(
        export("follows.csv").await,
        "Account address,Show boosts,Notify on new posts,Languages\nben@b.example,true,false,\nann@a.example,true,false,\"en, de\"\n"
    );
    assert_eq!(export("blocks.csv").await, "cat@c.example\n");
    assert_eq!(export("mutes.csv").await, "Account address,Hide notifications\nben@b.example,false\n");
    assert_eq!(export("domain_blocks.csv").await, "spam.example\njunk.example\n");
    assert_eq!(export("bookmarks.csv").await, format!("{mine}\n"));
    assert_eq!(export("lists.csv").await, "Friends,ann@a.example\nFriends,alice@social.example\n\"Work, mostly\",ben@b.example\n");
    let (_, imports) = send(&env, &token, Method::Get, "/api/v1/topi/imports", None).await;
    let bookmarks = imports.as_array().unwrap().iter().find(|i| i["type"] == "bookmarks").unwrap();
    assert_eq!((bookmarks["imported_items"].as_i64(), bookmarks["failed_items"].as_i64()), (Some(1), Some(1)));
}

#[tokio::test(flavor = "current_thread")]
async fn the_daily_pace_holds_batches_back_for_an_hour() {
    let env = TestEnv::new();
    let token = env.owner_token().await;
    stored(&env, 800, "ann", "a.example").await;
    env.db.run(&crate::store::rate_limits::add("imports:rows", super::ROWS_PER_DAY, 24 * 3600 * 1000, env.clock.0.get())).await.unwrap();
    let import = upload(&env, &token, "muting", "merge", "", "ann@a.example\n").await;
    let batch = env.jobs.take();
    crate::federation::handle(&env.ctx(), &batch[0]).await.unwrap();
    assert_eq!(env.jobs.take(), batch, "the same batch, queued again (an hour later)");
    let (_, shown) = send(&env, &token, Method::Get, &format!("/api/v1/topi/imports/{}", import["id"].as_str().unwrap()), None).await;
    assert_eq!(shown["processed_items"], 0);
    // A day later the batch goes through.
    env.advance(24 * 3600 * 1000);
    crate::federation::handle(&env.ctx(), &batch[0]).await.unwrap();
    assert_eq!(relationship(&env, &token, 800).await["muting"], true);
}

#[tokio::test(flavor = "current_thread")]
async fn uploads_are_checked_before_anything_is_stored() {
    let env = TestEnv::new();
    let token = env.owner_token().await;
    let blocks_only = env.owner_token_with("write:blocks read:blocks").await;
    let post = |token: &str, fields: Vec<(&'static str, &'static str)>, file: Option<&'static str>| {
        let env = &env;
        let token = token.to_string();
        async move { send(env, &token, Method::Post, "/api/v1/topi/imports", Some(multipart(&fields, file.map(|f| ("f.csv", f))))).await }
    };
    let cases = [
        (post(&token, vec![("type", "nonsense")], Some("a@a.example")).await, 422, "type must be one of"),
        (post(&token, vec![("type", "following"), ("mode", "replace")], Some("a@a.example")).await, 422, "mode must be"),
        (post(&token, vec![("type", "following")], None).await, 422, "data is required"),
        (post(&token, vec![("type", "following")], Some("\n\n")).await, 422, "Empty CSV file"),
        (post(&token, vec![("type", "domain_blocking")], Some("Account address\na@a.example\n")).await, 422, "Incompatible"),
        (post(&blocks_only, vec![("type", "following")], Some("a@a.example")).await, 403, "outside the authorized scopes"),
        (post("nope", vec![("type", "following")], Some("a@a.example")).await, 401, "invalid"),
    ];
    for ((response, body), status, message) in cases {
        assert_eq!(response.status, status, "{body}");
        assert!(body["error"].as_str().unwrap().contains(message), "{body}");
    }
    assert!(env.jobs.take().is_empty());
    let (response, _) = post(&blocks_only, vec![("type", "domain_blocking")], Some("spam.example")).await;
    assert_eq!(response.status, 200);
    // A read scope of another kind cannot export blocks.
    let follows_only = env.owner_token_with("read:follows").await;
    assert_eq!(send(&env, &follows_only, Method::Get, "/settings/exports/blocks.csv", None).await.0.status, 403);
    assert_eq!(send(&env, &follows_only, Method::Get, "/settings/exports/follows.csv", None).await.0.status, 200);
    assert_eq!(send(&env, &follows_only, Method::Get, "/settings/exports/statuses.csv", None).await.0.status, 404);
    // GoToSocial's endpoint and names.
    let (response, body) = send(&env, &token, Method::Post, "/api/v1/import", Some(multipart(&[("type", "blocks")], Some(("b.csv", "a@a.example"))))).await;
    assert_eq!((response.status, body), (202, json!({"status": "accepted"})));
}

#[tokio::test(flavor = "current_thread")]
async fn a_long_export_comes_in_parts_that_make_the_whole_file() {
    let env = TestEnv::new();
    let token = env.owner_token().await;
    let total = crate::app::exports::MAX_ROWS + 3;
    env.db
        .run(&query!(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1) \
             INSERT INTO domain_blocks (id, account_id, domain, created_at) \
             SELECT i, (SELECT id FROM accounts WHERE domain IS NULL), 'd' || i || '.example', 0 FROM n",
            total as i64
        ))
        .await
        .unwrap();
    let (first, _) = send(&env, &token, Method::Get, "/settings/exports/domain_blocks.csv", None).await;
    assert_eq!(first.status, 200, "{}", String::from_utf8_lossy(&first.body));
    let link = first.header_value("link").unwrap().to_string();
    assert_eq!(link, format!("<https://social.example/settings/exports/domain_blocks.csv?cursor={}>; rel=\"next\"", crate::app::exports::MAX_ROWS));
    let next = link.trim_start_matches("<https://social.example").split('>').next().unwrap().to_string();
    let (second, _) = send(&env, &token, Method::Get, &next, None).await;
    assert!(second.header_value("link").is_none());
    let whole = String::from_utf8(first.body).unwrap() + &String::from_utf8(second.body).unwrap();
    let expected: String = (1..=total).map(|i| format!("d{i}.example\n")).collect();
    assert_eq!(whole, expected);
}

/// Pages of 1,000 rows join without a gap or a repeat, for the kinds with a key of their own
/// (follows, newest first) and lists (a list and a member).
#[tokio::test(flavor = "current_thread")]
async fn pages_of_follows_and_of_lists_join_exactly() {
    let env = TestEnv::new();
    let token = env.owner_token().await;
    let owner = crate::app::owner::account(&env.ctx()).await.unwrap().id;
    let n = crate::app::exports::PAGE_ROWS + 5;
    env.db
        .batch(&[
            query!(
                "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ?1) \
                 INSERT INTO accounts (id, username, domain, uri, created_at, updated_at) \
                 SELECT 10000 + i, 'u' || i, 'r.example', 'https://r.example/u/' || i, 0, 0 FROM s",
                n
            ),
            query!(
                "INSERT INTO follows (id, account_id, target_account_id, accepted_at, created_at) SELECT id, ?1, id, 1, 0 FROM accounts WHERE id BETWEEN 10001 AND ?2",
                owner, 10000 + n
            ),
            query!("INSERT INTO lists (id, account_id, title, created_at) VALUES (1, ?1, 'a', 0), (2, ?1, 'b', 0)", owner),
            query!(
                "INSERT INTO list_accounts (list_id, account_id) SELECT CASE WHEN id % 2 = 0 THEN 1 ELSE 2 END, id FROM accounts \
                 WHERE id BETWEEN 10001 AND ?1 ORDER BY id DESC",
                10000 + n
            ),
        ])
        .await
        .unwrap();
    let body = |path: &'static str| {
        let (env, token) = (&env, token.clone());
        async move { String::from_utf8(send(env, &token, Method::Get, path, None).await.0.body).unwrap() }
    };
    let follows = body("/settings/exports/follows.csv").await;
    let expected: String = (1..=n).rev().map(|i| format!("u{i}@r.example,true,false,\n")).collect();
    assert!(follows.split_once('\n').unwrap().1 == expected, "the follows' pages do not join");
    // Lists in the order they were made, members in the order they were added (ids descending here).
    let lists = body("/settings/exports/lists.csv").await;
    let in_list = |even: bool| (1..=n).rev().filter(move |i| (i % 2 == 0) == even);
    let expected: String = in_list(true).map(|i| format!("a,u{i}@r.example\n")).chain(in_list(false).map(|i| format!("b,u{i}@r.example\n"))).collect();
    assert!(lists == expected, "the lists' pages do not join");
}
