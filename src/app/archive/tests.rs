//! The export end to end over the native seams: posts, files and marks made through the API,
//! the queue's steps run one by one (each checked against the per-invocation budget), and the
//! zip read back with its directory, CRCs and Mastodon's layout.
#![allow(clippy::unwrap_used)]
use serde_json::Value;

use super::export;
use crate::app::jobs::{Job, Task};
use crate::ctx::Blobs;
use crate::store::db::Db;
use crate::domain::zip;
use crate::edge::http::Method::{Get, Post};
use crate::store::media::{self, NewMedia};
use crate::testing::TestEnv;

/// A PNG the upload checks accept: a real header, then `len` bytes of anything.
fn png(len: usize, seed: u8) -> Vec<u8> {
    let mut bytes = include_bytes!("../../../frontend/static/missing.png").to_vec();
    bytes.extend((0..len).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)));
    bytes
}

/// A stored file of the owner's, as `POST /api/v2/media` leaves one, with its alt text.
async fn stored_file(env: &TestEnv, owner: i64, bytes: Vec<u8>, alt: &str) -> i64 {
    let ctx = env.ctx();
    let id = ctx.new_id();
    let key = format!("media/{id}/original.png");
    let size = bytes.len() as i64;
    env.blobs.put(&key, bytes, "image/png").await.unwrap();
    let new = NewMedia { id, account_id: owner, kind: "image", r2_key: &key, content_type: "image/png", file_size: size, description: Some(alt), meta: "{\"width\":1,\"height\":1}", focus: None, now: ctx.now_ms() };
    env.db.run(&media::create(&new)).await.unwrap();
    id
}

async fn owner_id(env: &TestEnv, token: &str) -> i64 {
    let (_, me) = env.send_as(token, Get, "/api/v1/accounts/verify_credentials", "").await;
    me["id"].as_str().unwrap().parse().unwrap()
}

/// What one step spent of the invocation's budget.
#[derive(Debug, Default)]
struct Spent {
    steps: usize,
    most_statements: u32,
    /// Bytes between the Worker and R2: the most in one step, and in all.
    most_moved: u64,
    moved: u64,
}

/// Requests an export and runs its queue steps until none is left; the archive's id.
async fn export_all(env: &TestEnv, token: &str) -> (String, Spent) {
    let (response, archive) = env.send_as(token, Post, "/api/v1/topi/archive", "").await;
    assert_eq!(response.status, 202, "{archive}");
    let id = archive["id"].as_str().unwrap().to_string();
    let spent = run_steps(env).await;
    (id, spent)
}

async fn run_steps(env: &TestEnv) -> Spent {
    let mut spent = Spent::default();
    loop {
        let steps: Vec<(String, i64)> = env
            .jobs
            .take()
            .into_iter()
            .filter_map(|job| match job {
                Job::Task(Task::ArchiveExport { archive_id, step }) => Some((archive_id, step)),
                _ => None,
            })
            .collect();
        if steps.is_empty() {
            return spent;
        }
        for (id, step) in steps {
            let (before, moved) = (env.db.statements.get(), env.blobs.moved.get());
            export::step(&env.ctx(), &id, step).await.unwrap();
            spent.steps += 1;
            spent.most_statements = spent.most_statements.max(env.db.statements.get() - before);
            let step_moved = env.blobs.moved.get() - moved;
            spent.most_moved = spent.most_moved.max(step_moved);
            spent.moved += step_moved;
        }
    }
}

/// The finished zip's entries and bytes, every CRC checked.
async fn read_zip(env: &TestEnv, token: &str, id: &str) -> (Vec<zip::Entry>, Vec<u8>) {
    let (response, archive) = env.send_as(token, Get, &format!("/api/v1/topi/archive/{id}"), "").await;
    assert_eq!((response.status, archive["state"].as_str()), (200, Some("done")), "{archive}");
    let (download, _) = env.send_as(token, Get, &format!("/settings/exports/archive/{id}"), "").await;
    let blob = download.blob.clone().unwrap();
    let bytes = env.blobs.bytes(&blob.key).unwrap();
    assert_eq!((blob.offset, blob.length, archive["size"].as_i64()), (0, bytes.len() as u64, Some(bytes.len() as i64)));
    assert_eq!(download.header_value("content-type"), Some("application/zip"));
    let tail = &bytes[bytes.len().saturating_sub(zip::TAIL_BYTES as usize)..];
    let (offset, size, count) = zip::find_directory(tail, bytes.len() as u64).unwrap();
    let entries = zip::read_directory(&bytes[offset as usize..(offset + size) as usize]).unwrap();
    assert_eq!(entries.len() as u64, count);
    for entry in &entries {
        let data = data_of(&bytes, entry);
        assert_eq!(zip::crc32(data), entry.crc32, "{}", entry.name);
    }
    (entries, bytes)
}

fn data_of<'a>(zip_bytes: &'a [u8], entry: &zip::Entry) -> &'a [u8] {
    let start = entry.offset + zip::data_start(&zip_bytes[entry.offset as usize..]).unwrap();
    &zip_bytes[start as usize..(start + entry.size) as usize]
}

fn json_of(zip_bytes: &[u8], entries: &[zip::Entry], name: &str) -> Value {
    let entry = entries.iter().find(|e| e.name == name).unwrap_or_else(|| panic!("{name} is missing"));
    serde_json::from_slice(data_of(zip_bytes, entry)).unwrap()
}

#[tokio::test(flavor = "current_thread")]
async fn an_archive_holds_every_post_file_and_mark_as_mastodon_lays_them_out() {
    let env = TestEnv::new();
    let token = env.owner_token().await;
    let owner = owner_id(&env, &token).await;
    let image = png(300, 1);
    let file = stored_file(&env, owner, image.clone(), "a red square").await;
    let (_, first) = env.send_as(&token, Post, "/api/v1/statuses", "status=Hello+%23topi&spoiler_text=cw&language=de").await;
    let first_id = first["id"].as_str().unwrap();
    let reply = format!("status=me+again&visibility=unlisted&in_reply_to_id={first_id}&media_ids[]={file}");
    let (_, second) = env.send_as(&token, Post, "/api/v1/statuses", &reply).await;
    env.send_as(&token, Post, "/api/v1/statuses", "status=secret&visibility=direct").await;
    env.send_as(&token, Post, "/api/v1/statuses", "status=pick&poll[options][]=a&poll[options][]=b&poll[expires_in]=300").await;
    env.send_as(&token, Post, &format!("/api/v1/statuses/{first_id}/reblog"), "").await;
    env.send_as(&token, Post, &format!("/api/v1/statuses/{first_id}/favourite"), "").await;
    env.send_as(&token, Post, &format!("/api/v1/statuses/{}/bookmark", second["id"].as_str().unwrap()), "").await;
    let avatar = png(50, 9);
    env.blobs.put("media/42/original.png", avatar.clone(), "image/png").await.unwrap();
    let avatar_url = env.config.url("/media/media/42/original.png");
    env.db.run(&crate::query!("UPDATE accounts SET avatar_remote_url = ?2 WHERE id = ?1", owner, avatar_url)).await.unwrap();
    crate::app::owner::invalidate(&env.ctx());

    let (id, spent) = export_all(&env, &token).await;
    assert!(spent.most_statements <= 30, "{spent:?}");
    let (entries, bytes) = read_zip(&env, &token, &id).await;
    let path = super::media_path(file, &format!("media/{file}/original.png"));
    let names: Vec<&str> = entries.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["outbox.json", path.as_str(), "likes.json", "bookmarks.json", "avatar.png", "actor.json"]);
    let file_entry = entries.iter().find(|e| e.name == path).unwrap();
    assert_eq!(data_of(&bytes, file_entry), image.as_slice());
    assert_eq!(data_of(&bytes, &entries[4]), avatar.as_slice());

    let outbox = json_of(&bytes, &entries, "outbox.json");
    assert_eq!((outbox["id"].as_str(), outbox["type"].as_str(), outbox["totalItems"].as_i64()), (Some("outbox.json"), Some("OrderedCollection"), Some(5)));
    assert!(outbox["@context"][0] == crate::activitypub::ACTIVITYSTREAMS);
    let items = outbox["orderedItems"].as_array().unwrap();
    let kinds: Vec<&str> = items.iter().map(|i| i["type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["Create", "Create", "Create", "Create", "Announce"], "oldest first");
    let hello = &items[0]["object"];
    assert_eq!((hello["summary"].as_str(), hello["contentMap"]["de"].is_string()), (Some("cw"), true));
    assert!(hello.get("@context").is_none());
    assert_eq!(hello["tag"][0]["name"], "#topi");
    let again = &items[1]["object"];
    assert_eq!(again["inReplyTo"], hello["id"]);
    assert_eq!((again["attachment"][0]["url"].as_str(), again["attachment"][0]["name"].as_str()), (Some(path.as_str()), Some("a red square")));
    assert_eq!(again["cc"][0], crate::activitypub::vocab::PUBLIC, "unlisted");
    assert!(items[2]["object"]["to"].as_array().unwrap().iter().all(|to| to != crate::activitypub::vocab::PUBLIC), "direct");
    assert_eq!(items[3]["object"]["type"], "Question");
    assert_eq!(items[3]["object"]["oneOf"].as_array().map(Vec::len), Some(2));
    assert_eq!(items[4]["object"], hello["id"]);

    let likes = json_of(&bytes, &entries, "likes.json");
    assert_eq!((likes["id"].as_str(), likes["orderedItems"].clone()), (Some("likes.json"), serde_json::json!([hello["id"]])));
    let bookmarks = json_of(&bytes, &entries, "bookmarks.json");
    assert_eq!(bookmarks["orderedItems"], serde_json::json!([again["id"]]));
    let actor = json_of(&bytes, &entries, "actor.json");
    assert_eq!((actor["type"].as_str(), actor["outbox"].as_str(), actor["likes"].as_str()), (Some("Person"), Some("outbox.json"), Some("likes.json")));
    assert_eq!((actor["icon"]["url"].as_str(), actor.get("image")), (Some("avatar.png"), None), "no header was set");
    // Nothing is left in R2 but the files and the archive.
    let keys = env.blobs.keys();
    assert!(keys.iter().all(|k| k.starts_with("media/") || k.ends_with(".zip")), "{keys:?}");
}

#[tokio::test(flavor = "current_thread")]
async fn a_large_archive_is_written_in_equal_parts_within_each_steps_budget() {
    let env = TestEnv::new();
    let token = env.owner_token().await;
    let owner = owner_id(&env, &token).await;
    // A 10 MiB file spans steps (and parts); small ones share steps.
    let big = png(10 * 1024 * 1024, 3);
    let big_id = stored_file(&env, owner, big.clone(), "big").await;
    env.send_as(&token, Post, "/api/v1/statuses", &format!("status=big&media_ids[]={big_id}")).await;
    let mut small = Vec::new();
    for i in 0..30u8 {
        let id = stored_file(&env, owner, png(40_000, i), "small").await;
        env.send_as(&token, Post, "/api/v1/statuses", &format!("status=small+{i}&media_ids[]={id}")).await;
        small.push(id);
    }
    for i in 0..120 {
        env.send_as(&token, Post, "/api/v1/statuses", &format!("status=post+number+{i}+%23many")).await;
    }
    let (id, spent) = export_all(&env, &token).await;
    assert!(spent.steps >= 6, "{spent:?}");
    assert!(spent.most_statements <= 30, "{spent:?}");
    eprintln!("{spent:?}");
    let (entries, bytes) = read_zip(&env, &token, &id).await;
    assert!(bytes.len() > 2 * super::PART_BYTES, "{} bytes: more than two parts", bytes.len());
    // A byte of the zip is written to R2 once (R2 joins the segments into parts): what a step
    // moves is what it copies (its file read, its segment written) and what it carries.
    let carry = export::CARRY_BYTES as u64;
    let copied = export::STEP_UNITS * export::BYTES_PER_UNIT;
    assert!(spent.most_moved <= 2 * (copied + carry) + (64 << 10), "{spent:?}");
    assert!(spent.moved <= 2 * bytes.len() as u64 + spent.steps as u64 * 2 * carry, "{spent:?}");
    assert_eq!(entries.len(), 1 + 31 + 3);
    let big_entry = entries.iter().find(|e| e.name.ends_with(&format!("/{big_id}.png"))).unwrap();
    assert_eq!(data_of(&bytes, big_entry), big.as_slice());
    let outbox = json_of(&bytes, &entries, "outbox.json");
    let items = outbox["orderedItems"].as_array().unwrap();
    assert_eq!(items.len(), 151);
    let contents: Vec<&str> = items.iter().map(|i| i["object"]["content"].as_str().unwrap()).collect();
    assert!(contents[0].contains("big") && contents[150].contains("post number 119"));
    // The export's directory and parts are gone from D1 once it is done.
    let left = env.db.rows(&crate::query!("SELECT (SELECT COUNT(*) FROM archive_export_entries) + (SELECT COUNT(*) FROM archive_export_parts) AS n")).await.unwrap();
    assert_eq!(left[0]["n"], 0);
}

#[tokio::test(flavor = "current_thread")]
async fn one_export_runs_at_a_time_and_a_finished_one_replaces_the_last() {
    let env = TestEnv::new();
    let token = env.owner_token().await;
    env.send_as(&token, Post, "/api/v1/statuses", "status=one").await;
    let (_, first) = env.send_as(&token, Post, "/api/v1/topi/archive", "").await;
    let (_, again) = env.send_as(&token, Post, "/api/v1/topi/archive", "").await;
    assert_eq!(first["id"], again["id"]);
    assert_eq!((first["state"].as_str(), first["url"].clone()), (Some("running"), Value::Null));
    // A step's message delivered twice: the second finds the export moved on.
    let queued = env.jobs.take();
    env.jobs.sent.borrow_mut().extend(queued.iter().cloned().chain(queued.iter().cloned()));
    run_steps(&env).await;
    let (_, done) = env.send_as(&token, Get, "/api/v1/topi/archive", "").await;
    assert_eq!((done["state"].as_str(), done["statuses_done"].as_i64()), (Some("done"), Some(1)));
    let first_key = export::download(&env.ctx(), first["id"].as_str().unwrap()).await.unwrap().0;
    read_zip(&env, &token, first["id"].as_str().unwrap()).await;

    let (second, _) = export_all(&env, &token).await;
    assert_ne!(second, first["id"].as_str().unwrap());
    assert!(env.blobs.bytes(&first_key).is_none(), "the older archive is removed");
    let (response, _) = env.send_as(&token, Get, &format!("/api/v1/topi/archive/{}", first["id"].as_str().unwrap()), "").await;
    assert_eq!(response.status, 404);
    // A week later the cron removes it.
    env.advance(export::KEPT_MS + 1);
    assert_eq!(export::expire(&env.ctx()).await.unwrap(), 1);
    assert_eq!(env.send_as(&token, Get, "/api/v1/topi/archive", "").await.0.status, 404);
}

#[tokio::test(flavor = "current_thread")]
async fn the_archive_needs_the_whole_read_scope_and_downloads_in_ranges() {
    let env = TestEnv::new();
    let token = env.owner_token().await;
    let statuses_only = env.owner_token_with("read:statuses write").await;
    assert_eq!(env.send_as(&statuses_only, Post, "/api/v1/topi/archive", "").await.0.status, 403);
    assert_eq!(env.send(Get, "/api/v1/topi/archive", "").await.0.status, 401);
    assert_eq!(env.send_as(&token, Get, "/api/v1/topi/archive", "").await.0.status, 404);
    let (id, _) = export_all(&env, &token).await;
    let path = format!("/settings/exports/archive/{id}");
    let size = env.send_as(&token, Get, &format!("/api/v1/topi/archive/{id}"), "").await.1["size"].as_u64().unwrap();
    let ranged = |range: &str| {
        let headers = [("authorization", format!("Bearer {token}")), ("range", range.to_string())];
        let env = &env;
        let path = path.clone();
        async move { env.send_with(Get, &path, &headers, "").await.0 }
    };
    let tail = ranged("bytes=10-").await;
    assert_eq!(tail.status, 206);
    assert_eq!((tail.blob.as_ref().map(|b| (b.offset, b.length))), Some((10, size - 10)));
    assert_eq!(tail.header_value("content-range"), Some(format!("bytes 10-{}/{size}", size - 1).as_str()));
    assert_eq!(ranged(&format!("bytes={size}-")).await.status, 416);
    assert_eq!(env.send(Get, &path, "").await.0.status, 401);
}

/// Entries per b-tree and rows updated so far (as `app::remote::footprint` counts them).
fn snapshot(env: &TestEnv) -> (std::collections::HashMap<String, i64>, u64) {
    (env.db.entries().into_iter().map(|e| (e.btree, e.entries)).collect(), env.db.rows_updated.get())
}

/// Rows written between two snapshots as D1 counts them: every entry added to or removed from a
/// table or index, and every row updated (no UPDATE here changes an indexed column).
fn rows_written(before: &(std::collections::HashMap<String, i64>, u64), after: &(std::collections::HashMap<String, i64>, u64)) -> i64 {
    let entries: i64 = after.0.iter().map(|(name, n)| (n - before.0.get(name).copied().unwrap_or(0)).abs()).sum();
    entries + (after.1 - before.1) as i64
}

/// What an export costs (docs/free-plan.md, "Archives"): 1,000 posts of ~300 characters, one in
/// five with a 300 kB picture, 100 favourites and 50 bookmarks. Prints the steps (three queue
/// operations each), D1 rows written, R2 operations by class and bytes; pins upper bounds.
#[tokio::test(flavor = "current_thread")]
async fn what_an_export_of_a_thousand_posts_costs() {
    let env = TestEnv::new();
    let token = env.owner_token().await;
    let owner = owner_id(&env, &token).await;
    let words = "a post about bread and bicycles and the weather, with a few more words to make it as long as posts are ".repeat(3);
    let mut ids = Vec::new();
    for i in 0..1000u32 {
        let media = match i % 5 {
            0 => format!("&media_ids[]={}", stored_file(&env, owner, png(300_000, i as u8), "alt text").await),
            _ => String::new(),
        };
        let (_, post) = env.send_as(&token, Post, "/api/v1/statuses", &format!("status={i}+{words}+%23tag{}{media}", i % 7)).await;
        ids.push(post["id"].as_str().unwrap().to_string());
    }
    for (i, id) in ids.iter().enumerate().take(100) {
        env.send_as(&token, Post, &format!("/api/v1/statuses/{id}/favourite"), "").await;
        if i % 2 == 0 {
            env.send_as(&token, Post, &format!("/api/v1/statuses/{id}/bookmark"), "").await;
        }
    }
    env.jobs.take();
    let (class_a, class_b) = (env.blobs.class_a.get(), env.blobs.class_b.get());
    let (_, requested) = env.send_as(&token, Post, "/api/v1/topi/archive", "").await;
    let mut rows = 0;
    let mut steps = 0;
    let mut most_statements = 0;
    loop {
        let queued: Vec<(String, i64)> = env.jobs.take().into_iter().filter_map(|job| match job {
            Job::Task(Task::ArchiveExport { archive_id, step }) => Some((archive_id, step)),
            _ => None,
        }).collect();
        let Some((id, step)) = queued.into_iter().next() else { break };
        let (before, statements) = (snapshot(&env), env.db.statements.get());
        export::step(&env.ctx(), &id, step).await.unwrap();
        rows += rows_written(&before, &snapshot(&env));
        most_statements = most_statements.max(env.db.statements.get() - statements);
        steps += 1;
    }
    let id = requested["id"].as_str().unwrap();
    let (entries, bytes) = read_zip(&env, &token, id).await;
    let (a, b) = (env.blobs.class_a.get() - class_a, env.blobs.class_b.get() - class_b);
    eprintln!(
        "export of 1,000 posts (200 pictures of 300 kB): {} entries, {} bytes; {steps} steps ({} queue operations), \
         {rows} D1 rows written, R2 class A {a} and class B {b} operations; at most {most_statements} D1 statements a step",
        entries.len(), bytes.len(), 3 * steps
    );
    assert_eq!(entries.len(), 200 + 4, "the files, outbox, likes, bookmarks and actor");
    assert!(steps <= 120, "{steps} steps");
    assert!(rows <= 1_000, "{rows} rows");
    assert!(a + b <= 1_000, "{a} + {b} R2 operations");
    assert!(most_statements <= 30);
}
