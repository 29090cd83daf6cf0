//! What remote posts cost in D1 (docs/free-plan.md): ten thousand realistic posts by 200
//! followed accounts arrive as the inbox applies them; the test prints the bytes they take, the
//! rows each Create writes, and the rows the retention writes to forget them, and pins generous
//! upper bounds. D1 is SQLite, so the in-memory database's pages approximate D1's size.
#![allow(clippy::unwrap_used)]
use std::collections::HashMap;

use serde_json::{json, Value};

use crate::app::remote::Outcome;
use crate::app::retention;
use crate::crypto::testing::TEST_RSA_PUBLIC_PEM;
use crate::store::db::Db;
use crate::store::relationships::{self, NewFollow};
use crate::store::testing::MemoryDb;
use crate::testing::TestEnv;

const AUTHORS: usize = 200;
const POSTS: usize = 10_000;

/// A small deterministic generator (xorshift), so that every run measures the same posts.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }

    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    /// A word: frequent ones often, rare ones now and then (what a full-text index sees).
    fn word(&mut self) -> String {
        const SYLLABLES: [&str; 16] = ["ka", "lo", "mi", "ne", "ru", "ta", "shi", "po", "an", "el", "or", "un", "ber", "den", "fa", "go"];
        let rank = self.below(20_000) * self.below(20_000) / 20_000;
        let mut word = String::new();
        let mut n = rank + 16;
        while n > 0 {
            word.push_str(SYLLABLES[n % 16]);
            n /= 16;
        }
        word
    }
}

fn author(i: usize) -> String {
    format!("https://h{}.example/users/u{i}", i % 20)
}

/// An actor document as Mastodon serves one: bio, fields, images, key, endpoints.
fn actor_document(i: usize) -> Value {
    let id = author(i);
    let host = format!("h{}.example", i % 20);
    json!({
        "id": id, "type": "Person", "preferredUsername": format!("u{i}"), "name": format!("Person Number {i} :blobcat:"),
        "summary": "<p>Writes about bicycles, bread and the weather. Opinions mine. Posts in English and sometimes in Finnish. <a href=\"https://example.org\" rel=\"nofollow noopener\">example.org</a></p>",
        "url": format!("https://{host}/@u{i}"), "inbox": format!("{id}/inbox"), "outbox": format!("{id}/outbox"),
        "followers": format!("{id}/followers"), "following": format!("{id}/following"), "featured": format!("{id}/collections/featured"),
        "endpoints": {"sharedInbox": format!("https://{host}/inbox")}, "manuallyApprovesFollowers": false, "discoverable": true,
        "published": "2022-11-05T00:00:00Z",
        "attachment": [{"type": "PropertyValue", "name": "Website", "value": "<a href=\"https://example.org\">example.org</a>"},
                       {"type": "PropertyValue", "name": "Pronouns", "value": "they/them"}],
        "icon": {"type": "Image", "mediaType": "image/png", "url": format!("https://files.{host}/accounts/avatars/000/000/{i:03}/original/a1b2c3d4e5f6a7b8.png")},
        "image": {"type": "Image", "mediaType": "image/jpeg", "url": format!("https://files.{host}/accounts/headers/000/000/{i:03}/original/0f1e2d3c4b5a6978.jpg")},
        "tag": [{"type": "Emoji", "name": ":blobcat:", "icon": {"type": "Image", "url": format!("https://files.{host}/custom_emojis/blobcat.png")}}],
        "publicKey": {"id": format!("{id}#main-key"), "owner": id, "publicKeyPem": TEST_RSA_PUBLIC_PEM},
    })
}

/// The `n`th post of the stream: a Create of a Note shaped like Mastodon's (a quarter replies
/// with a mention, some links, hashtags, images with alt text, content warnings, polls), or
/// one in seven an Announce of an earlier post.
fn activity(rng: &mut Rng, n: usize, earlier: &[(usize, String)]) -> (usize, Value) {
    let by = rng.below(AUTHORS);
    let actor = author(by);
    let host = format!("h{}.example", by % 20);
    if !earlier.is_empty() && rng.chance(15) {
        let (_, original) = &earlier[earlier.len() - 1 - rng.below(earlier.len().min(500))];
        return (by, json!({"id": format!("{actor}/statuses/{n}/activity"), "type": "Announce", "actor": actor, "object": original,
            "to": ["https://www.w3.org/ns/activitystreams#Public"], "cc": [format!("{actor}/followers")]}));
    }
    let id = format!("{actor}/statuses/{n}");
    let mut tags = Vec::new();
    let mut html = String::from("<p>");
    let mut in_reply_to = Value::Null;
    if !earlier.is_empty() && rng.chance(25) {
        let (parent_author, parent) = &earlier[earlier.len() - 1 - rng.below(earlier.len().min(500))];
        in_reply_to = json!(parent);
        let href = author(*parent_author);
        html.push_str(&format!(
            "<span class=\"h-card\" translate=\"no\"><a href=\"https://h{}.example/@u{parent_author}\" class=\"u-url mention\">@<span>u{parent_author}</span></a></span> ",
            parent_author % 20
        ));
        tags.push(json!({"type": "Mention", "href": href, "name": format!("@u{parent_author}@h{}.example", parent_author % 20)}));
    }
    let words = 5 + rng.below(60);
    for i in 0..words {
        if i > 0 && rng.chance(3) {
            html.push_str("</p><p>");
        }
        html.push_str(&rng.word());
        html.push(' ');
    }
    if rng.chance(30) {
        let slug = format!("{}-{}-{}", rng.word(), rng.word(), rng.word());
        html.push_str(&format!(
            "<a href=\"https://news.example/2023/11/{slug}\" target=\"_blank\" rel=\"nofollow noopener noreferrer\" translate=\"no\">\
             <span class=\"invisible\">https://</span><span class=\"ellipsis\">news.example/2023/11/{slug}</span><span class=\"invisible\"></span></a>"
        ));
    }
    if rng.chance(20) {
        for _ in 0..1 + rng.below(3) {
            let tag = format!("tag{}", rng.below(300));
            html.push_str(&format!(" <a href=\"https://{host}/tags/{tag}\" class=\"mention hashtag\" rel=\"tag\">#<span>{tag}</span></a>"));
            tags.push(json!({"type": "Hashtag", "href": format!("https://{host}/tags/{tag}"), "name": format!("#{tag}")}));
        }
    }
    html.push_str("</p>");
    let mut attachments = Vec::new();
    if rng.chance(20) {
        for _ in 0..1 + rng.below(2) {
            let file = format!("{:016x}", rng.below(usize::MAX));
            let alt: Vec<String> = (0..rng.below(2) * (5 + rng.below(20))).map(|_| rng.word()).collect();
            attachments.push(json!({"type": "Document", "mediaType": "image/jpeg",
                "url": format!("https://files.{host}/media_attachments/files/111/{n:03}/{by:03}/original/{file}.jpg"),
                "name": (!alt.is_empty()).then(|| alt.join(" ")), "blurhash": "UBL_:rOpGG-;~qRjxuxu00of%Mj[-;ayRjt7", "width": 1200, "height": 900}));
        }
    }
    let mut note = json!({"id": id, "type": "Note", "attributedTo": actor, "content": html, "contentMap": {"en": html},
        "url": format!("https://{host}/@u{by}/{n}"), "inReplyTo": in_reply_to, "sensitive": false,
        "to": ["https://www.w3.org/ns/activitystreams#Public"], "cc": [format!("{actor}/followers")], "tag": tags, "attachment": attachments});
    if rng.chance(5) {
        note["summary"] = json!("food, meta");
        note["sensitive"] = json!(true);
    }
    if rng.chance(2) {
        note["type"] = json!("Question");
        note["endTime"] = json!("2023-12-01T00:00:00Z");
        note["oneOf"] = json!((0..2 + rng.below(3)).map(|o| json!({"type": "Note", "name": format!("option {o}"), "replies": {"totalItems": o}})).collect::<Vec<_>>());
    }
    (by, json!({"id": format!("{id}/activity"), "type": "Create", "actor": actor, "object": note}))
}

/// Bytes of each table with its indexes (the full-text index's tables as one), largest first,
/// down to 100 kB.
fn bytes_by_table(db: &MemoryDb) -> Vec<(String, i64)> {
    let mut by_table: HashMap<String, i64> = HashMap::new();
    for e in db.entries() {
        let table = if e.table.starts_with("statuses_fts") { "statuses_fts".to_string() } else { e.table };
        *by_table.entry(table).or_default() += e.bytes;
    }
    let mut by_table: Vec<_> = by_table.into_iter().filter(|(_, b)| *b >= 100_000).collect();
    by_table.sort_by_key(|(_, b)| -b);
    by_table
}

/// Entries per b-tree and rows updated so far.
fn snapshot(db: &MemoryDb) -> (HashMap<String, i64>, u64) {
    (db.entries().into_iter().map(|e| (e.btree, e.entries)).collect(), db.rows_updated.get())
}

/// Rows written between two snapshots as D1 counts them: every entry added to or removed from a
/// table or index, and every row updated (no UPDATE here changes an indexed column).
fn rows_written(before: &(HashMap<String, i64>, u64), after: &(HashMap<String, i64>, u64)) -> i64 {
    let entries: i64 = after.0.iter().map(|(name, n)| (n - before.0.get(name).copied().unwrap_or(0)).abs()).sum();
    entries + (after.1 - before.1) as i64
}

/// Stores `count` posts as the inbox applies them, and remembers their activity ids as it does.
async fn receive(env: &TestEnv, rng: &mut Rng, first: usize, count: usize, accounts: &[crate::store::accounts::AccountRow], earlier: &mut Vec<(usize, String)>) {
    for n in first..first + count {
        let (by, activity) = activity(rng, n, earlier);
        let ctx = env.ctx();
        let outcome = crate::federation::inbound::apply(&ctx, &accounts[by], &activity).await.unwrap();
        assert_eq!(outcome, Outcome::Applied, "{activity}");
        let id = activity["id"].as_str().unwrap();
        ctx.db.run(&crate::store::federation::remember_seen(accounts[by].id, id, ctx.now_ms())).await.unwrap();
        if let Some(object) = activity["object"].get("id").and_then(Value::as_str) {
            earlier.push((by, object.to_string()));
        }
        env.advance(30_000);
    }
}

#[tokio::test(flavor = "current_thread")]
async fn what_ten_thousand_remote_posts_cost_in_bytes_and_rows_written() {
    let env = TestEnv::new();
    let ctx = env.ctx();
    let owner = crate::app::owner::account(&ctx).await.unwrap().id;
    let mut accounts = Vec::new();
    for i in 0..AUTHORS {
        let account = crate::app::remote::actors::save_document(&ctx, &actor_document(i), &author(i)).await.unwrap();
        let follow = NewFollow {
            id: ctx.new_id(), follower: owner, target: account.id, uri: format!("{}#follow", author(i)), show_reblogs: true,
            notify: false, languages: None, now: ctx.now_ms(),
        };
        ctx.db.run(&relationships::follow(follow)).await.unwrap();
        ctx.db.batch(&relationships::accept_follow(owner, account.id, ctx.now_ms())).await.unwrap();
        accounts.push(account);
    }
    let empty = env.db.bytes();
    let rng = &mut Rng(0x5eed_1234_abcd_0001);
    let mut earlier = Vec::new();
    let before = snapshot(&env.db);
    receive(&env, rng, 0, POSTS, &accounts, &mut earlier).await;
    let after = snapshot(&env.db);
    let bytes = env.db.bytes() - empty;
    let per_create = rows_written(&before, &after) as f64 / POSTS as f64;

    eprintln!("{POSTS} remote posts by {AUTHORS} accounts: {:.1} MB ({} bytes a post); {per_create:.1} rows written per activity",
        bytes as f64 / 1e6, bytes / POSTS as i64);
    eprintln!("by table, its indexes included: {:?}", bytes_by_table(&env.db));

    // Forgetting them all, a month later.
    env.advance(31 * 24 * 60 * 60 * 1000);
    let before = snapshot(&env.db);
    let (mut runs, mut forgotten) = (0, 0);
    loop {
        let n = retention::forget_old_remote_posts(&env.ctx()).await.unwrap();
        forgotten += n;
        runs += 1;
        let remote = env.db.rows(&crate::query!("SELECT count(*) AS n FROM statuses WHERE local = 0")).await.unwrap()[0]["n"].as_i64().unwrap();
        if remote == 0 {
            break;
        }
        assert!(runs < 5 * POSTS, "the sweep does not end: {remote} left");
    }

    // Each run also moves its cursor: an upsert, one row.
    let per_forgotten = (rows_written(&before, &snapshot(&env.db)) + runs as i64) as f64 / forgotten as f64;
    let freed = env.db.rows(&crate::query!("SELECT freelist_count * page_size AS n FROM pragma_freelist_count(), pragma_page_size()")).await.unwrap()[0]["n"].as_i64().unwrap();
    eprintln!("forgotten in {runs} runs: {per_forgotten:.1} rows written per post; {:.1} MB of pages free for reuse", freed as f64 / 1e6);
    // A contentless full-text index records deletions and drops them when its segments merge.
    eprintln!("left: {:?}", bytes_by_table(&env.db));

    // The file does not shrink, but the next posts fill the freed pages before it grows.
    earlier.clear();
    let full = env.db.bytes();
    receive(&env, rng, POSTS, POSTS / 5, &accounts, &mut earlier).await;
    let grown = env.db.bytes() - full;
    eprintln!("{} more posts grew the database by {:.1} MB", POSTS / 5, grown as f64 / 1e6);

    assert!(bytes < 60_000_000, "{bytes} bytes for {POSTS} posts");
    assert!(per_create < 40.0 && per_forgotten < 40.0, "{per_create} rows per Create, {per_forgotten} per forgotten post");
    assert!(grown < bytes / 10, "freed pages are reused: grew {grown}");
}
