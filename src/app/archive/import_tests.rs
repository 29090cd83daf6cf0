//! Importing archives over the native seams: Topi's own export into a fresh instance (stored
//! entries, chunks of 8 MiB), a Mastodon-shaped archive with deflated entries read across many
//! steps, and the same archive twice.
#![allow(clippy::unwrap_used)]
use serde_json::{json, Value};

use super::import;
use crate::app::jobs::{Job, Task};
use crate::ctx::Blobs;
use crate::store::db::Db;
use crate::domain::zip::{self, DosTime, Entry, FLAG_UTF8};
use crate::edge::http::Method::{Get, Post, Put};
use crate::edge::http::Request;
use crate::testing::TestEnv;

/// Uploads `zip` in chunks, finishes, and runs the import's steps; the import as the API shows it.
async fn import_zip(env: &TestEnv, token: &str, zip: &[u8]) -> (Value, usize) {
    let (response, created) = env.send_as(token, Post, "/api/v1/topi/archive_imports", &format!("size={}", zip.len())).await;
    assert_eq!(response.status, 200, "{created}");
    let id = created["id"].as_str().unwrap().to_string();
    let chunk = created["chunk_size"].as_u64().unwrap() as usize;
    assert_eq!(created["chunks_total"].as_u64().unwrap() as usize, zip.len().div_ceil(chunk));
    // Sent last first, and one twice: order does not matter, a repeat replaces itself.
    let mut numbers: Vec<usize> = (1..=zip.len().div_ceil(chunk)).rev().collect();
    numbers.push(1);
    for n in numbers {
        let body = zip[(n - 1) * chunk..(n * chunk).min(zip.len())].to_vec();
        let request = Request {
            method: Put,
            path: format!("/api/v1/topi/archive_imports/{id}/chunks/{n}"),
            query: String::new(),
            headers: vec![("authorization".into(), format!("Bearer {token}")), ("content-length".into(), body.len().to_string())],
            body,
        };
        let response = crate::router::dispatch(&env.ctx(), request).await;
        assert_eq!(response.status, 200, "{}", String::from_utf8_lossy(&response.body));
    }
    let (response, started) = env.send_as(token, Post, &format!("/api/v1/topi/archive_imports/{id}/finish"), "").await;
    assert_eq!((response.status, started["state"].as_str()), (202, Some("importing")), "{started}");
    let mut steps = 0;
    loop {
        let queued: Vec<(String, i64)> = env
            .jobs
            .take()
            .into_iter()
            .filter_map(|job| match job {
                Job::Task(Task::ArchiveImport { import_id, step }) => Some((import_id, step)),
                _ => None,
            })
            .collect();
        let Some((import_id, step)) = queued.into_iter().next() else { break };
        import::step(&env.ctx(), &import_id, step).await.unwrap();
        steps += 1;
        assert!(steps < 10_000);
    }
    let (_, done) = env.send_as(token, Get, &format!("/api/v1/topi/archive_imports/{id}"), "").await;
    (done, steps)
}

async fn owner_statuses(env: &TestEnv, token: &str) -> Vec<Value> {
    let (_, me) = env.send_as(token, Get, "/api/v1/accounts/verify_credentials", "").await;
    let path = format!("/api/v1/accounts/{}/statuses?limit=40", me["id"].as_str().unwrap());
    let (_, statuses) = env.send_as(token, Get, &path, "").await;
    statuses.as_array().unwrap().clone()
}

fn text_of(html: &Value) -> String {
    crate::content::sanitize::to_plain_text(html.as_str().unwrap_or_default())
}

fn png(len: usize, seed: u8) -> Vec<u8> {
    let mut bytes = include_bytes!("../../../frontend/static/missing.png").to_vec();
    bytes.extend((0..len).map(|i| (i as u8).wrapping_mul(29).wrapping_add(seed)));
    bytes
}

#[tokio::test(flavor = "current_thread")]
async fn an_export_imported_into_a_fresh_instance_gives_back_the_posts_and_files() {
    // The instance the archive comes from.
    let from = TestEnv::new();
    let token = from.owner_token().await;
    let (_, me) = from.send_as(&token, Get, "/api/v1/accounts/verify_credentials", "").await;
    let owner: i64 = me["id"].as_str().unwrap().parse().unwrap();
    let picture = png(9 * 1024 * 1024, 4);
    let ctx = from.ctx();
    let media_id = ctx.new_id();
    let key = format!("media/{media_id}/original.png");
    from.blobs.put(&key, picture.clone(), "image/png").await.unwrap();
    let new = crate::store::media::NewMedia { id: media_id, account_id: owner, kind: "image", r2_key: &key, content_type: "image/png", file_size: picture.len() as i64, description: Some("a big one"), meta: "{\"width\":1,\"height\":1}", focus: None, now: ctx.now_ms() };
    from.db.run(&crate::store::media::create(&new)).await.unwrap();
    let (_, first) = from.send_as(&token, Post, "/api/v1/statuses", "status=Hello+%23Archives&spoiler_text=cw&language=de&visibility=unlisted").await;
    from.advance(60_000);
    let reply = format!("status=a+picture&in_reply_to_id={}&media_ids[]={media_id}", first["id"].as_str().unwrap());
    from.send_as(&token, Post, "/api/v1/statuses", &reply).await;
    from.advance(60_000);
    from.send_as(&token, Post, "/api/v1/statuses", "status=choose&poll[options][]=yes&poll[options][]=no&poll[expires_in]=300").await;
    from.send_as(&token, Post, "/api/v1/statuses", "status=secret&visibility=direct").await;
    from.send_as(&token, Post, &format!("/api/v1/statuses/{}/reblog", first["id"].as_str().unwrap()), "").await;
    let (_, requested) = from.send_as(&token, Post, "/api/v1/topi/archive", "").await;
    loop {
        let steps: Vec<(String, i64)> = from.jobs.take().into_iter().filter_map(|j| match j {
            Job::Task(Task::ArchiveExport { archive_id, step }) => Some((archive_id, step)),
            _ => None,
        }).collect();
        let Some((id, step)) = steps.into_iter().next() else { break };
        super::export::step(&from.ctx(), &id, step).await.unwrap();
    }
    let (key, ..) = super::export::download(&from.ctx(), requested["id"].as_str().unwrap()).await.unwrap();
    let archive = from.blobs.bytes(&key).unwrap();
    assert!(archive.len() > import::CHUNK_BYTES as usize, "two chunks");
    let before = owner_statuses(&from, &token).await;

    // A fresh instance, a day later.
    let to = TestEnv::new();
    to.advance(86_400_000);
    let token = to.owner_token().await;
    let (done, steps) = import_zip(&to, &token, &archive).await;
    // Four posts and the boost of one of them.
    assert_eq!((done["state"].as_str(), done["posts_created"].as_i64(), done["media_copied"].as_i64()), (Some("done"), Some(5), Some(1)), "{done}");
    assert_eq!(done["posts_skipped"].as_i64(), Some(0), "{done}");
    assert!(steps >= 3, "{steps}");
    let everything = owner_statuses(&to, &token).await;
    assert_eq!(everything.len(), before.len());
    for (old, new) in before.iter().zip(&everything) {
        assert_eq!((&old["created_at"], old["reblog"].is_null()), (&new["created_at"], new["reblog"].is_null()), "in their order");
    }
    let after: Vec<Value> = everything.iter().filter(|s| s["reblog"].is_null()).cloned().collect();
    let originals: Vec<&Value> = before.iter().filter(|s| s["reblog"].is_null()).collect();
    assert_eq!(after.len(), originals.len());
    for (old, new) in originals.iter().zip(&after) {
        for field in ["created_at", "spoiler_text", "visibility", "language", "sensitive"] {
            assert_eq!(old[field], new[field], "{field} of {}", old["content"]);
        }
        // The HTML went through the sanitizer remote posts go through (links get rel and target).
        assert_eq!(text_of(&old["content"]), text_of(&new["content"]));
        assert_ne!(old["id"], new["id"]);
        assert_eq!(old["tags"].as_array().map(Vec::len), new["tags"].as_array().map(Vec::len));
    }
    let picture_post = after.iter().find(|s| s["content"].as_str().unwrap().contains("picture")).unwrap();
    let hello = after.iter().find(|s| s["content"].as_str().unwrap().contains("Hello")).unwrap();
    assert_eq!(picture_post["in_reply_to_id"], hello["id"], "threaded");
    let attachment = &picture_post["media_attachments"][0];
    assert_eq!(attachment["description"], "a big one");
    let served = attachment["url"].as_str().unwrap().split("/media/").nth(1).unwrap().to_string();
    assert!(to.blobs.bytes(&served).unwrap() == picture, "the file, copied");
    let boost = everything.iter().find(|s| !s["reblog"].is_null()).unwrap();
    assert_eq!(boost["reblog"]["id"], hello["id"], "the boost of an own post, re-linked");
    let poll = &after.iter().find(|s| s["content"].as_str().unwrap().contains("choose")).unwrap()["poll"];
    assert_eq!((poll["expired"].as_bool(), poll["options"].as_array().map(Vec::len)), (Some(true), Some(2)), "{poll}");
    // Nothing was delivered, and nothing is left of the upload.
    assert!(to.jobs.take().is_empty());
    assert!(to.blobs.keys().iter().all(|k| k.starts_with("media/")), "{:?}", to.blobs.keys());

    // The same archive again: nothing new.
    let (again, _) = import_zip(&to, &token, &archive).await;
    assert_eq!((again["posts_created"].as_i64(), again["posts_existing"].as_i64()), (Some(0), Some(5)), "{again}");
    assert_eq!(owner_statuses(&to, &token).await.len(), everything.len());
}

/// A zip whose entries are deflated, as Mastodon's (rubyzip) are.
fn deflated_zip(files: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let time = DosTime::from_unix_ms(1_700_000_000_000);
    let mut out = Vec::new();
    let mut entries = Vec::new();
    for (name, data) in files {
        let compressed = miniz_oxide::deflate::compress_to_vec(data, 6);
        let offset = out.len() as u64;
        let mut header = zip::local_header(name, Some((zip::crc32(data), data.len() as u64)), time);
        header[8] = 8; // method: deflated
        header[18..22].copy_from_slice(&(compressed.len() as u32).to_le_bytes());
        out.extend(header);
        out.extend(&compressed);
        entries.push(Entry { name: name.to_string(), method: 8, crc32: zip::crc32(data), compressed_size: compressed.len() as u64, size: data.len() as u64, offset, flags: FLAG_UTF8 });
    }
    let at = out.len() as u64;
    for entry in &entries {
        out.extend(zip::central_record(entry, time));
    }
    let size = out.len() as u64 - at;
    out.extend(zip::end_records(entries.len() as u64, at, size));
    out
}

#[tokio::test(flavor = "current_thread")]
async fn a_mastodon_archive_with_deflated_entries_is_read_across_steps() {
    let env = TestEnv::new();
    let token = env.owner_token().await;
    let actor = "https://mastodon.example/users/alice";
    let mut items = Vec::new();
    for i in 0..300 {
        let published = format!("2020-01-{:02}T10:{:02}:00Z", 1 + i / 60, i % 60);
        let mut object = json!({
            "id": format!("{actor}/statuses/{}", 1000 + i), "type": "Note", "attributedTo": actor, "published": published,
            "to": ["https://www.w3.org/ns/activitystreams#Public"], "cc": [format!("{actor}/followers")],
            // Words, and digits that do not compress: the outbox takes many deflate blocks.
            "content": format!("<p>post {i}: {} {}</p>", "with many words to make the outbox long enough ".repeat(8),
                (0..40u64).map(|k| ((i as u64 + 1) * 2_654_435_761 * (k + 1) % 1_000_003).to_string()).collect::<Vec<_>>().join(" ")),
            "contentMap": {"en": "…"}, "sensitive": false, "summary": null, "attachment": [],
            "tag": [{"type": "Hashtag", "name": "#old", "href": "https://mastodon.example/tags/old"}],
        });
        if i == 1 {
            object["inReplyTo"] = json!(format!("{actor}/statuses/1000"));
            object["attachment"] = json!([{"type": "Document", "mediaType": "image/png", "url": "media_attachments/files/000/000/001/original/a.png", "name": "alt"}]);
        }
        if i == 2 {
            object["attachment"] = json!([{"type": "Document", "mediaType": "image/png", "url": "media_attachments/files/000/000/002/original/missing.png"}]);
        }
        items.push(json!({"id": format!("{actor}/statuses/{}/activity", 1000 + i), "type": "Create", "actor": actor, "published": published, "object": object}));
    }
    items.push(json!({"id": format!("{actor}/statuses/9/activity"), "type": "Announce", "actor": actor, "object": "https://elsewhere.example/1"}));
    let outbox = json!({"@context": "https://www.w3.org/ns/activitystreams", "id": "outbox.json", "type": "OrderedCollection", "totalItems": items.len(), "orderedItems": items});
    let picture = png(200_000, 7);
    let zip = deflated_zip(&[
        ("outbox.json", outbox.to_string().into_bytes()),
        ("media_attachments/files/000/000/001/original/a.png", picture.clone()),
        ("actor.json", b"{}".to_vec()),
    ]);
    let (done, steps) = import_zip(&env, &token, &zip).await;
    assert_eq!((done["state"].as_str(), done["posts_total"].as_i64(), done["posts_created"].as_i64()), (Some("done"), Some(301), Some(300)), "{done}");
    assert_eq!((done["media_copied"].as_i64(), done["media_skipped"].as_i64(), done["posts_skipped"].as_i64()), (Some(1), Some(1), Some(1)), "{done}");
    let reasons: Vec<&str> = done["skipped"].as_array().unwrap().iter().map(|s| s["reason"].as_str().unwrap()).collect();
    assert!(reasons.iter().any(|r| r.contains("could not be fetched")), "the boost of a post nobody serves: {reasons:?}");
    assert!(steps >= 300 / import::POSTS_PER_STEP, "{steps} steps");
    let statuses = owner_statuses(&env, &token).await;
    assert_eq!(statuses[0]["created_at"], "2020-01-05T10:59:00.000Z", "newest first, at their own dates");
    let reply = env.send_as(&token, Get, "/api/v2/search?q=post+1%3A&type=statuses", "").await.1;
    assert!(reply["statuses"].as_array().is_some_and(|s| !s.is_empty()), "searchable: {reply}");
    let (_, tag) = env.send_as(&token, Get, "/api/v1/timelines/tag/old?limit=40", "").await;
    assert_eq!(tag.as_array().map(Vec::len), Some(40));
}

#[tokio::test(flavor = "current_thread")]
async fn chunks_must_have_their_length_and_an_unfinished_upload_says_what_is_missing() {
    let env = TestEnv::new();
    let token = env.owner_token().await;
    let size = import::CHUNK_BYTES + 10;
    let (_, created) = env.send_as(&token, Post, "/api/v1/topi/archive_imports", &format!("size={size}")).await;
    let id = created["id"].as_str().unwrap();
    let put = |n: u64, length: usize| Request {
        method: Put,
        path: format!("/api/v1/topi/archive_imports/{id}/chunks/{n}"),
        query: String::new(),
        headers: vec![("authorization".into(), format!("Bearer {token}")), ("content-length".into(), length.to_string())],
        body: vec![0; length],
    };
    assert_eq!(crate::router::dispatch(&env.ctx(), put(2, 9)).await.status, 422, "the last chunk is 10 bytes");
    assert_eq!(crate::router::dispatch(&env.ctx(), put(3, 10)).await.status, 422, "there are two");
    assert_eq!(crate::router::dispatch(&env.ctx(), put(2, 10)).await.status, 200);
    let (response, unfinished) = env.send_as(&token, Post, &format!("/api/v1/topi/archive_imports/{id}/finish"), "").await;
    assert_eq!(response.status, 422);
    assert!(unfinished["error"].as_str().unwrap().contains("1 chunks are missing: 1"), "{unfinished}");
    let (_, state) = env.send_as(&token, Get, &format!("/api/v1/topi/archive_imports/{id}"), "").await;
    assert_eq!(state["chunks_received"], json!([2]));
    let (response, _) = env.send_as(&token, Post, "/api/v1/topi/archive_imports", "size=100").await;
    assert_eq!(response.status, 422, "one import at a time");
    let read_only = env.owner_token_with("read write:statuses").await;
    assert_eq!(env.send_as(&read_only, Get, "/api/v1/topi/archive_imports", "").await.0.status, 403);
}

/// Runs an import's queued steps with no upload (the zip put in place as `finish` leaves it).
async fn import_in_place(env: &TestEnv, token: &str, zip: &[u8]) -> Value {
    let (_, created) = env.send_as(token, Post, "/api/v1/topi/archive_imports", &format!("size={}", zip.len())).await;
    let id = created["id"].as_str().unwrap().to_string();
    let chunk = created["chunk_size"].as_u64().unwrap() as usize;
    for (n, body) in zip.chunks(chunk).enumerate() {
        import::receive_chunk(&env.ctx(), &id, n as u64 + 1, body.to_vec()).await.unwrap();
    }
    import::finish_upload(&env.ctx(), &id).await.unwrap();
    while let Some((import_id, step)) = env.jobs.take().into_iter().find_map(|job| match job {
        Job::Task(Task::ArchiveImport { import_id, step }) => Some((import_id, step)),
        _ => None,
    }) {
        import::step(&env.ctx(), &import_id, step).await.unwrap();
    }
    env.send_as(token, Get, &format!("/api/v1/topi/archive_imports/{id}"), "").await.1
}

fn outbox_of(items: Vec<Value>) -> Vec<u8> {
    json!({"@context": "https://www.w3.org/ns/activitystreams", "id": "outbox.json", "type": "OrderedCollection", "totalItems": items.len(), "orderedItems": items})
        .to_string()
        .into_bytes()
}

fn note(i: usize, content: &str) -> Value {
    let actor = "https://mastodon.example/users/alice";
    json!({"id": format!("{actor}/statuses/{i}/activity"), "type": "Create", "actor": actor, "object": {
        "id": format!("{actor}/statuses/{i}"), "type": "Note", "attributedTo": actor, "published": "2021-03-04T05:06:07Z",
        "to": ["https://www.w3.org/ns/activitystreams#Public"], "content": content}})
}

#[test]
fn a_directory_of_bombs_traps_and_too_many_files_is_refused() {
    let entry = |name: &str, method: u16, compressed: u64, size: u64| Entry { name: name.into(), method, crc32: 0, compressed_size: compressed, size, offset: 0, flags: 0 };
    let kept = import::admitted(vec![entry("outbox.json", 8, 1000, 9000), entry("../etc/passwd", 0, 1, 1), entry("/abs", 0, 1, 1), entry("dir/", 0, 0, 0), entry("a\\..\\b", 0, 1, 1)], 10_000).unwrap();
    assert_eq!(kept.iter().map(|e| e.name.as_str()).collect::<Vec<_>>(), ["outbox.json"], "paths that leave the archive are not files of it");
    let bomb = import::admitted(vec![entry("outbox.json", 8, 10_000, 10_000 * (import::MAX_RATIO + 1))], 20_000).unwrap_err();
    assert!(bomb.to_string().contains("inflates more than"), "{bomb}");
    assert!(import::admitted(vec![entry("a", 0, 100, 100)], 50).is_err(), "past the end");
    let many = (0..=import::MAX_ENTRIES).map(|i| entry(&format!("f{i}"), 0, 1, 1)).collect();
    assert!(import::admitted(many, 1 << 30).is_err());
    let huge = (0..20).map(|i| entry(&format!("f{i}"), 0, 1 << 30, 1 << 30)).collect();
    assert!(import::admitted(huge, 1 << 40).unwrap_err().to_string().contains("GiB"));
}

#[tokio::test(flavor = "current_thread")]
async fn a_bad_archive_fails_with_its_reason_and_creates_nothing() {
    let env = TestEnv::new();
    let token = env.owner_token().await;
    let before = owner_statuses(&env, &token).await.len();
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (b"not a zip, only text that is long enough to look for an end record in".to_vec(), "end of central directory"),
        (deflated_zip(&[("actor.json", b"{}".to_vec())]), "no outbox.json"),
        // 20 MiB of spaces deflate to ~20 KiB: a bomb by its ratio.
        (deflated_zip(&[("outbox.json", vec![b' '; 20 << 20])]), "inflates more than"),
        (deflated_zip(&[("outbox.json", outbox_of(vec![note(1, &(0..import::MAX_ITEM_BYTES as u64 / 8 + 10).map(|k| format!("{:08x}", k.wrapping_mul(2_654_435_761) ^ (k >> 3))).collect::<String>())]))]), "longer than"),
    ];
    for (zip, reason) in cases {
        let done = import_in_place(&env, &token, &zip).await;
        assert_eq!(done["state"], "failed", "{done}");
        assert!(done["error"].as_str().unwrap().contains(reason), "{reason}: {done}");
        assert!(env.blobs.keys().iter().all(|k| !k.starts_with("imports/")), "{:?}", env.blobs.keys());
    }
    assert_eq!(owner_statuses(&env, &token).await.len(), before);
    // Items that are not posts, or not JSON, or too deep, are left out one by one.
    let mut deep = String::new();
    for _ in 0..200 {
        deep.push('[');
    }
    for _ in 0..200 {
        deep.push(']');
    }
    let outbox = format!(
        r#"{{"type":"OrderedCollection","orderedItems":[{deep},{{"type":"Like"}},{},{{"type":"Create","object":{{"id":"javascript:alert(1)","type":"Note","content":"x"}}}},{}]}}"#,
        note(1, "<p>kept <script>alert(1)</script><a href=\"javascript:alert(2)\">link</a></p>"),
        {
            let mut with_video = note(2, "second");
            with_video["object"]["attachment"] = json!([{"type": "Document", "mediaType": "video/mp4", "url": "media_attachments/v.mp4"},
                {"type": "Document", "mediaType": "text/html", "url": "media_attachments/page.html"}]);
            with_video
        }
    );
    // Deflated and larger than a step may inflate: inflated across steps into a multipart
    // upload of 5 MiB parts.
    let video: Vec<u8> = (0..11u32 << 20).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8 ^ (i >> 7) as u8).collect();
    let page = b"<script>alert(document.cookie)</script>".to_vec();
    let zip = deflated_zip(&[("outbox.json", outbox.into_bytes()), ("media_attachments/v.mp4", video.clone()), ("media_attachments/page.html", page)]);
    let done = import_in_place(&env, &token, &zip).await;
    assert_eq!((done["state"].as_str(), done["posts_created"].as_i64(), done["posts_skipped"].as_i64()), (Some("done"), Some(2), Some(3)), "{done}");
    assert_eq!((done["media_copied"].as_i64(), done["media_skipped"].as_i64()), (Some(2), Some(0)), "{done}");
    let copied: Vec<String> = env.blobs.keys().into_iter().filter(|k| k.starts_with("media/")).collect();
    assert_eq!(copied.len(), 2, "the files, and nothing left of their pieces: {:?}", env.blobs.keys());
    let video_key = copied.iter().find(|k| k.ends_with(".mp4")).unwrap();
    assert!(env.blobs.bytes(video_key).unwrap() == video, "inflated whole");
    // Served from this origin, HTML would run there: it is served as bytes to download.
    let html_key = copied.iter().find(|k| k.ends_with(".html")).unwrap();
    let (served, _) = env.send(Get, &format!("/media/{html_key}"), "").await;
    assert_eq!(served.header_value("content-type"), Some("application/octet-stream"));
    let kept = owner_statuses(&env, &token).await;
    let html = kept.iter().find(|s| s["content"].as_str().unwrap().contains("kept")).unwrap()["content"].as_str().unwrap().to_string();
    assert!(!html.contains("script") && !html.contains("javascript"), "sanitized as remote posts are: {html}");
}

/// What an import costs (docs/free-plan.md, "Archives (import)"): 10,000 posts of ~300
/// characters (a fifth with a hashtag, a tenth replying to an earlier one, a twentieth a boost of
/// an earlier one) and 500 pictures of 100 kB, deflated as Mastodon's zips are. Counts the steps
/// (three queue operations each), the D1 rows written as D1 counts them, the days it is paced
/// over, and the most D1 statements one step makes.
#[tokio::test(flavor = "current_thread")]
async fn what_an_import_of_ten_thousand_posts_and_five_hundred_pictures_costs() {
    let env = TestEnv::new();
    let token = env.owner_token().await;
    let actor = "https://mastodon.example/users/alice";
    let words = "a post about bread and bicycles and the weather, with a few more words to make it as long as posts are ".repeat(3);
    let mut items = Vec::new();
    let mut files = Vec::new();
    for i in 0..10_000usize {
        let published = crate::domain::time::iso8601(1_500_000_000_000 + i as i64 * 3_600_000);
        if i % 20 == 19 {
            items.push(json!({"id": format!("{actor}/statuses/{i}/activity"), "type": "Announce", "actor": actor, "published": published,
                "to": ["https://www.w3.org/ns/activitystreams#Public"], "object": format!("{actor}/statuses/{}", i - 5)}));
            continue;
        }
        let mut object = json!({"id": format!("{actor}/statuses/{i}"), "type": "Note", "attributedTo": actor, "published": published,
            "to": ["https://www.w3.org/ns/activitystreams#Public"], "cc": [format!("{actor}/followers")], "content": format!("<p>{i} {words}</p>"),
            "contentMap": {"en": ""}, "tag": []});
        if i % 5 == 0 {
            object["tag"] = json!([{"type": "Hashtag", "name": format!("#tag{}", i % 7)}]);
        }
        if i % 10 == 3 {
            object["inReplyTo"] = json!(format!("{actor}/statuses/{}", i - 1));
        }
        if i % 20 == 1 {
            let path = format!("media_attachments/files/000/{:03}/{:03}/original/p.png", i / 1000, i % 1000);
            object["attachment"] = json!([{"type": "Document", "mediaType": "image/png", "url": path, "name": "alt text"}]);
            files.push((path, png(100_000, i as u8)));
        }
        items.push(json!({"id": format!("{actor}/statuses/{i}/activity"), "type": "Create", "actor": actor, "published": published, "object": object}));
    }
    assert_eq!(files.len(), 500);
    let mut entries: Vec<(&str, Vec<u8>)> = vec![("outbox.json", outbox_of(items))];
    entries.extend(files.iter().map(|(p, b)| (p.as_str(), b.clone())));
    let zip = deflated_zip(&entries);
    let (_, created) = env.send_as(&token, Post, "/api/v1/topi/archive_imports", &format!("size={}", zip.len())).await;
    let id = created["id"].as_str().unwrap().to_string();
    for (n, body) in zip.chunks(import::CHUNK_BYTES as usize).enumerate() {
        import::receive_chunk(&env.ctx(), &id, n as u64 + 1, body.to_vec()).await.unwrap();
    }
    import::finish_upload(&env.ctx(), &id).await.unwrap();
    let (mut steps, mut rows, mut most_statements, mut days, mut rows_today, mut most_rows_a_day) = (0, 0, 0, 1, 0, 0);
    while let Some((import_id, step)) = env.jobs.take().into_iter().find_map(|job| match job {
        Job::Task(Task::ArchiveImport { import_id, step }) => Some((import_id, step)),
        _ => None,
    }) {
        let (before, statements) = (snapshot(&env), env.db.statements.get());
        import::step(&env.ctx(), &import_id, step).await.unwrap();
        let written = rows_written(&before, &snapshot(&env));
        rows += written;
        rows_today += written;
        most_statements = most_statements.max(env.db.statements.get() - statements);
        steps += 1;
        let (_, state) = env.send_as(&token, Get, &format!("/api/v1/topi/archive_imports/{id}"), "").await;
        if state["state"] == "paused" {
            // The next step comes the next UTC day.
            env.advance(86_400_000);
            (days, most_rows_a_day, rows_today) = (days + 1, most_rows_a_day.max(rows_today), 0);
        }
    }
    let most_rows_a_day = most_rows_a_day.max(rows_today);
    let (_, done) = env.send_as(&token, Get, &format!("/api/v1/topi/archive_imports/{id}"), "").await;
    eprintln!(
        "import of 10,000 posts (500 boosts) and 500 pictures of 100 kB, a {} byte zip: {steps} steps ({} queue operations), \
         {rows} D1 rows written ({} a post), over {days} days (at most {most_rows_a_day} rows a day); at most {most_statements} D1 statements a step",
        zip.len(), 3 * steps, rows / 10_000
    );
    assert_eq!((done["state"].as_str(), done["posts_created"].as_i64(), done["media_copied"].as_i64()), (Some("done"), Some(10_000), Some(500)), "{done}");
    assert!(3 * steps <= 10_000 / 2, "{steps} steps");
    assert!(most_rows_a_day <= 60_000, "{most_rows_a_day} rows in a day");
    assert!(most_statements <= 40, "{most_statements} statements");
}

/// Entries per b-tree and rows updated so far (as `app::remote::footprint` counts them).
fn snapshot(env: &TestEnv) -> (std::collections::HashMap<String, i64>, u64) {
    (env.db.entries().into_iter().map(|e| (e.btree, e.entries)).collect(), env.db.rows_updated.get())
}

fn rows_written(before: &(std::collections::HashMap<String, i64>, u64), after: &(std::collections::HashMap<String, i64>, u64)) -> i64 {
    let entries: i64 = after.0.iter().map(|(name, n)| (n - before.0.get(name).copied().unwrap_or(0)).abs()).sum();
    entries + (after.1 - before.1) as i64
}


#[tokio::test(flavor = "current_thread")]
async fn an_import_given_up_halfway_through_a_large_file_leaves_nothing_in_r2() {
    let env = TestEnv::new();
    let token = env.owner_token().await;
    let mut post = note(1, "with a video");
    post["object"]["attachment"] = json!([{"type": "Document", "mediaType": "video/mp4", "url": "v.mp4"}]);
    let video: Vec<u8> = (0..9u32 << 20).map(|i| (i.wrapping_mul(2_654_435_761) >> 11) as u8 ^ (i >> 9) as u8).collect();
    let zip = deflated_zip(&[("outbox.json", outbox_of(vec![post])), ("v.mp4", video)]);
    let (_, created) = env.send_as(&token, Post, "/api/v1/topi/archive_imports", &format!("size={}", zip.len())).await;
    let id = created["id"].as_str().unwrap().to_string();
    for (n, body) in zip.chunks(import::CHUNK_BYTES as usize).enumerate() {
        import::receive_chunk(&env.ctx(), &id, n as u64 + 1, body.to_vec()).await.unwrap();
    }
    import::finish_upload(&env.ctx(), &id).await.unwrap();
    // Steps until a piece of the video is in R2 and more remain.
    loop {
        let (import_id, step) = env.jobs.take().into_iter().find_map(|job| match job {
            Job::Task(Task::ArchiveImport { import_id, step }) => Some((import_id, step)),
            _ => None,
        }).unwrap();
        import::step(&env.ctx(), &import_id, step).await.unwrap();
        if env.blobs.keys().iter().any(|k| k.contains(".file-")) {
            break;
        }
    }
    import::give_up(&env.ctx(), &id).await.unwrap();
    let (_, state) = env.send_as(&token, Get, &format!("/api/v1/topi/archive_imports/{id}"), "").await;
    assert_eq!((state["state"].as_str(), state["error"].as_str()), (Some("failed"), Some("given up")), "{state}");
    assert!(env.blobs.keys().iter().all(|k| !k.starts_with("imports/") && !k.starts_with("media/")), "{:?}", env.blobs.keys());
}
