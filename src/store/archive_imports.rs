//! Imports of a Mastodon archive (`app::archive::import`): the import's row, the zip's
//! directory, the files still to copy, and the set-wise writes of a batch of imported posts —
//! one statement per table for any number of posts, since every statement of a batch counts
//! against the free plan's 50 D1 queries per invocation.
use serde::Deserialize;
use serde_json::Value;

use super::db::{self, id_list, sqlite_id, sqlite_opt_id, Db, Query, StoreError};
use crate::query;

#[derive(Clone, Debug, Deserialize)]
pub struct ImportRow {
    #[serde(deserialize_with = "sqlite_id")]
    pub id: i64,
    pub state: String,
    pub step: i64,
    pub phase: String,
    pub r2_key: String,
    pub upload_id: Option<String>,
    pub size: i64,
    /// JSON `[[number, etag]]`.
    pub chunks: String,
    /// JSON: where `outbox.json` is and how far it was read (`app::archive::import`).
    pub outbox: Option<String>,
    #[serde(deserialize_with = "sqlite_id")]
    pub cursor: i64,
    /// JSON: a large deflated file being inflated across steps (`app::archive::import_files`).
    pub file: Option<String>,
    pub posts_total: Option<i64>,
    pub posts_created: i64,
    pub posts_existing: i64,
    pub posts_skipped: i64,
    pub media_copied: i64,
    pub media_skipped: i64,
    /// JSON `[[item, reason]]`.
    pub skipped: String,
    pub day: Option<String>,
    pub day_posts: i64,
    pub error: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub finished_at: Option<i64>,
}

macro_rules! select_imports {
    ($($rest:expr),+) => {
        concat!(
            "SELECT CAST(id AS TEXT) AS id, state, step, phase, r2_key, upload_id, size, chunks, outbox, CAST(cursor AS TEXT) AS cursor, file, ",
            "posts_total, posts_created, posts_existing, posts_skipped, media_copied, media_skipped, skipped, day, day_posts, error, ",
            "created_at, updated_at, finished_at FROM archive_imports ", $($rest),+
        )
    };
}

pub async fn get(db: &dyn Db, id: i64) -> Result<Option<ImportRow>, StoreError> {
    db::first(db, &query!(select_imports!("WHERE id = ?1"), id)).await
}

pub async fn latest(db: &dyn Db) -> Result<Option<ImportRow>, StoreError> {
    db::first(db, &query!(select_imports!("ORDER BY id DESC LIMIT 1"))).await
}

/// Imports still uploading or running, to refuse a second one.
pub async fn active(db: &dyn Db) -> Result<Option<ImportRow>, StoreError> {
    db::first(db, &query!(select_imports!("WHERE state IN ('uploading', 'importing', 'paused') ORDER BY id DESC LIMIT 1"))).await
}

pub fn create(id: i64, r2_key: &str, upload_id: &str, size: i64, now: i64) -> Query {
    query!(
        "INSERT INTO archive_imports (id, state, r2_key, upload_id, size, created_at, updated_at) VALUES (?1, 'uploading', ?2, ?3, ?4, ?5, ?5)",
        id, r2_key, upload_id, size, now
    )
}

/// A chunk received: its etag kept under its number (a chunk sent again replaces it). The
/// number is cast because D1 binds a JavaScript number as REAL, which `json_array` writes `1.0`.
pub fn add_chunk(id: i64, number: i64, etag: &str, now: i64) -> Query {
    query!(
        "UPDATE archive_imports SET chunks = (SELECT json_group_array(json(c.value)) FROM \
           (SELECT value FROM json_each(chunks) WHERE value ->> 0 != CAST(?2 AS INTEGER) UNION ALL SELECT json_array(CAST(?2 AS INTEGER), ?3) AS value) c), \
         updated_at = ?4 WHERE id = ?1 AND state = 'uploading'",
        id, number, etag, now
    )
}

/// The upload is complete: the import starts reading it.
pub fn start(id: i64, now: i64) -> Query {
    query!("UPDATE archive_imports SET state = 'importing', phase = 'open', step = 0, updated_at = ?2 WHERE id = ?1 AND state = 'uploading'", id, now)
}

/// The row as a step left it (a copy of the one it started from, changed as it went); `step`
/// is the step it ran, so a duplicate changes nothing.
pub fn advance(p: &ImportRow, now: i64) -> Query {
    query!(
        "UPDATE archive_imports SET step = ?2 + 1, state = ?3, phase = ?4, outbox = ?5, cursor = ?6, posts_total = ?7, posts_created = ?8, \
         posts_existing = ?9, posts_skipped = ?10, media_copied = ?11, media_skipped = ?12, skipped = ?13, day = ?14, day_posts = ?15, \
         updated_at = ?16, finished_at = CASE WHEN ?3 IN ('done', 'failed') THEN ?16 END, file = ?17 \
         WHERE id = ?1 AND step = ?2 AND state IN ('importing', 'paused')",
        p.id, p.step, p.state.clone(), p.phase.clone(), p.outbox.clone(), p.cursor, p.posts_total, p.posts_created, p.posts_existing,
        p.posts_skipped, p.media_copied, p.media_skipped, p.skipped.clone(), p.day.clone(), p.day_posts, now, p.file.clone()
    )
}

pub fn fail(id: i64, error: &str, now: i64) -> Query {
    query!(
        "UPDATE archive_imports SET state = 'failed', error = ?2, updated_at = ?3, finished_at = ?3 WHERE id = ?1 AND state IN ('uploading', 'importing', 'paused')",
        id, error, now
    )
}

/// What an import no longer needs once it is over: its directory and the copies still listed.
pub fn forget_files(id: i64) -> [Query; 3] {
    [
        query!("DELETE FROM archive_import_files WHERE import_id = ?1", id),
        query!("DELETE FROM archive_import_media WHERE import_id = ?1", id),
        query!("DELETE FROM archive_import_boosts WHERE import_id = ?1", id),
    ]
}

/// Directory records of the zip: `[name, method, offset, compressed size, size]` each.
pub fn add_files(id: i64, files: &[Value]) -> Query {
    query!(
        "INSERT OR REPLACE INTO archive_import_files (import_id, name, method, offset, compressed_size, size) \
         SELECT ?1, value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4 FROM json_each(?2)",
        id, Value::from(files.to_vec()).to_string()
    )
}

#[derive(Clone, Debug, Deserialize)]
pub struct FileRow {
    pub name: String,
    pub method: i64,
    pub offset: i64,
    pub compressed_size: i64,
    pub size: i64,
}

pub fn files_named(id: i64, names: &[String]) -> Query {
    query!(
        "SELECT name, method, offset, compressed_size, size FROM archive_import_files WHERE import_id = ?1 \
         AND name IN (SELECT value FROM json_each(?2))",
        id, Value::from(names.to_vec()).to_string()
    )
}

pub async fn file(db: &dyn Db, id: i64, name: &str) -> Result<Option<FileRow>, StoreError> {
    db::first(db, &query!("SELECT name, method, offset, compressed_size, size FROM archive_import_files WHERE import_id = ?1 AND name = ?2", id, name)).await
}

/// A post already here for an archive item or a parent: by the id it had in the archive
/// (imported before) or its own id (a post of this server).
#[derive(Clone, Debug, Deserialize)]
pub struct KnownRow {
    pub source: String,
    #[serde(deserialize_with = "sqlite_id")]
    pub status_id: i64,
    #[serde(deserialize_with = "sqlite_id")]
    pub account_id: i64,
    #[serde(deserialize_with = "sqlite_opt_id")]
    pub conversation_id: Option<i64>,
}

pub fn known(sources: &[String]) -> Query {
    query!(
        "SELECT p.source, CAST(s.id AS TEXT) AS status_id, CAST(s.account_id AS TEXT) AS account_id, CAST(s.conversation_id AS TEXT) AS conversation_id \
         FROM archive_imported_posts p JOIN statuses s ON s.id = p.status_id WHERE p.source IN (SELECT value FROM json_each(?1)) \
         UNION ALL SELECT s.uri, CAST(s.id AS TEXT), CAST(s.account_id AS TEXT), CAST(s.conversation_id AS TEXT) FROM statuses s \
         WHERE s.uri IN (SELECT value FROM json_each(?1))",
        Value::from(sources.to_vec()).to_string()
    )
}

/// The rows of a batch of imported posts, as JSON arrays (the column order of each statement).
#[derive(Default)]
pub struct Batch {
    /// `[id, uri, url, visibility, content, text, spoiler_text, sensitive, language,
    /// in_reply_to_id, in_reply_to_account_id, in_reply_to_uri, conversation_id, poll_id,
    /// created_at, emojis]`
    pub statuses: Vec<Value>,
    /// `[status id, text]` for the search index.
    pub search: Vec<Value>,
    /// `[new tag id, name]`, and `[status id, name]`.
    pub tags: Vec<Value>,
    pub status_tags: Vec<Value>,
    /// `[status id, actor id]` of mentioned accounts known here.
    pub mentions: Vec<Value>,
    /// `[id, status id, type, r2 key, content type, size, description, blurhash, meta, focus x, focus y, created_at]`
    pub media: Vec<Value>,
    /// `[media id, name in the zip]`
    pub copies: Vec<Value>,
    /// `[id, status id, options, multiple, votes, voters, expires_at, closed_at, created_at]`
    pub polls: Vec<Value>,
    /// `[source, status id]`
    pub sources: Vec<Value>,
    /// `[boost's id to be, source, original's URI, created_at, visibility]`
    pub boosts: Vec<Value>,
    /// Parents replied to, once per reply.
    pub parents: Vec<i64>,
    /// Posts that count in the owner's statuses_count (not direct), and the newest one's time.
    pub counted: i64,
    pub newest: i64,
}

impl Batch {
    pub fn is_empty(&self) -> bool {
        self.statuses.is_empty() && self.boosts.is_empty()
    }

    /// The writes, one statement per table that has rows.
    pub fn queries(&self, owner: i64, import_id: i64, now: i64) -> Vec<Query> {
        let json = |rows: &[Value]| Value::from(rows.to_vec()).to_string();
        let mut queries = Vec::new();
        if !self.boosts.is_empty() {
            queries.push(query!(
                "INSERT OR IGNORE INTO archive_import_boosts (import_id, status_id, source, object, created_at, visibility) \
                 SELECT ?1, value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4 FROM json_each(?2)",
                import_id, json(&self.boosts)
            ));
        }
        if self.statuses.is_empty() {
            return queries;
        }
        queries.push(query!(
            "INSERT OR IGNORE INTO statuses (id, uri, url, account_id, local, visibility, content, text, spoiler_text, sensitive, language, \
             in_reply_to_id, in_reply_to_account_id, in_reply_to_uri, conversation_id, poll_id, created_at, updated_at, emojis) \
             SELECT value ->> 0, value ->> 1, value ->> 2, ?1, 1, value ->> 3, value ->> 4, value ->> 5, value ->> 6, value ->> 7, value ->> 8, \
             value ->> 9, value ->> 10, value ->> 11, value ->> 12, value ->> 13, value ->> 14, value ->> 14, value ->> 15 FROM json_each(?2)",
            owner, json(&self.statuses)
        ));
        queries.push(query!(
            "INSERT OR IGNORE INTO home_feed (account_id, status_id, reblog_of_id) SELECT ?1, value ->> 0, NULL FROM json_each(?2)",
            owner, json(&self.statuses)
        ));
        queries.push(query!("INSERT INTO statuses_fts (rowid, text) SELECT value ->> 0, value ->> 1 FROM json_each(?1)", json(&self.search)));
        queries.push(query!(
            "INSERT OR IGNORE INTO archive_imported_posts (source, status_id) SELECT value ->> 0, value ->> 1 FROM json_each(?1)",
            json(&self.sources)
        ));
        if !self.tags.is_empty() {
            queries.push(query!(
                "INSERT OR IGNORE INTO tags (id, name, normalized, created_at) SELECT value ->> 0, value ->> 1, lower(value ->> 1), ?2 FROM json_each(?1)",
                json(&self.tags), now
            ));
            queries.push(query!(
                "INSERT OR IGNORE INTO status_tags (tag_id, status_id) SELECT t.id, j.value ->> 0 FROM json_each(?1) j \
                 JOIN tags t ON t.normalized = lower(j.value ->> 1)",
                json(&self.status_tags)
            ));
        }
        if !self.mentions.is_empty() {
            queries.push(query!(
                "INSERT OR IGNORE INTO mentions (status_id, account_id) SELECT j.value ->> 0, a.id FROM json_each(?1) j JOIN accounts a ON a.uri = j.value ->> 1",
                json(&self.mentions)
            ));
        }
        if !self.media.is_empty() {
            queries.push(query!(
                "INSERT OR IGNORE INTO media_attachments (id, account_id, status_id, type, r2_key, content_type, file_size, description, blurhash, meta, \
                 focus_x, focus_y, created_at) SELECT value ->> 0, ?1, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5, value ->> 6, \
                 value ->> 7, value ->> 8, value ->> 9, value ->> 10, value ->> 11 FROM json_each(?2)",
                owner, json(&self.media)
            ));
            queries.push(query!(
                "INSERT OR IGNORE INTO archive_import_media (import_id, media_id, name) SELECT ?1, value ->> 0, value ->> 1 FROM json_each(?2)",
                import_id, json(&self.copies)
            ));
        }
        if !self.polls.is_empty() {
            queries.push(query!(
                "INSERT OR IGNORE INTO polls (id, status_id, options, multiple, hide_totals, votes_count, voters_count, expires_at, closed_at, created_at) \
                 SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, 0, value ->> 4, value ->> 5, value ->> 6, value ->> 7, value ->> 8 FROM json_each(?1)",
                json(&self.polls)
            ));
        }
        if !self.parents.is_empty() {
            queries.push(query!(
                "UPDATE statuses SET replies_count = replies_count + (SELECT COUNT(*) FROM json_each(?1) WHERE value = statuses.id) \
                 WHERE id IN (SELECT value FROM json_each(?1))",
                id_list(&self.parents)
            ));
        }
        if self.counted > 0 {
            queries.push(query!(
                "UPDATE accounts SET statuses_count = statuses_count + ?2, last_status_at = max(coalesce(last_status_at, 0), ?3) WHERE id = ?1",
                owner, self.counted, self.newest
            ));
        }
        queries
    }
}

/// A file to copy: the media row it is for and where the file is in the zip.
#[derive(Clone, Debug, Deserialize)]
pub struct CopyRow {
    #[serde(deserialize_with = "sqlite_id")]
    pub media_id: i64,
    pub name: String,
    pub method: i64,
    pub offset: i64,
    pub compressed_size: i64,
    pub size: i64,
    pub r2_key: String,
    pub content_type: Option<String>,
}

pub fn copies_after(import_id: i64, after: i64, limit: i64) -> Query {
    query!(
        "SELECT CAST(c.media_id AS TEXT) AS media_id, c.name, f.method, f.offset, f.compressed_size, f.size, m.r2_key, m.content_type \
         FROM archive_import_media c JOIN archive_import_files f ON f.import_id = c.import_id AND f.name = c.name \
         JOIN media_attachments m ON m.id = c.media_id WHERE c.import_id = ?1 AND c.media_id > ?2 ORDER BY c.media_id LIMIT ?3",
        import_id, after, limit
    )
}

/// A boost waiting for its original.
#[derive(Clone, Debug, Deserialize)]
pub struct BoostRow {
    #[serde(deserialize_with = "sqlite_id")]
    pub status_id: i64,
    pub source: String,
    pub object: String,
    pub created_at: i64,
    pub visibility: String,
}

/// Qualified: an unqualified `ORDER BY status_id` would sort by the TEXT alias, and an id of
/// 18 digits before one of 17.
pub fn boosts_after(import_id: i64, after: i64, limit: i64) -> Query {
    query!(
        "SELECT CAST(b.status_id AS TEXT) AS status_id, b.source, b.object, b.created_at, b.visibility FROM archive_import_boosts b \
         WHERE b.import_id = ?1 AND b.status_id > ?2 ORDER BY b.status_id LIMIT ?3",
        import_id, after, limit
    )
}

/// Boosts of stored originals, `[boost id, source, visibility, created_at, original's id]`
/// each, as the owner's: set-wise, like the posts. Nothing is delivered and nobody notified.
pub fn boosts(owner: i64, rows: &[Value]) -> Vec<Query> {
    if rows.is_empty() {
        return Vec::new();
    }
    let rows = Value::from(rows.to_vec()).to_string();
    vec![
        query!(
            "INSERT OR IGNORE INTO statuses (id, uri, account_id, local, visibility, content, spoiler_text, sensitive, reblog_of_id, \
             conversation_id, created_at, updated_at) \
             SELECT j.value ->> 0, a.uri || '/statuses/' || (j.value ->> 0) || '/activity', ?1, 1, j.value ->> 2, '', '', 0, o.id, \
             coalesce(o.conversation_id, o.id), j.value ->> 3, j.value ->> 3 \
             FROM json_each(?2) j JOIN statuses o ON o.id = j.value ->> 4 JOIN accounts a ON a.id = ?1",
            owner, rows.clone()
        ),
        query!(
            "INSERT OR IGNORE INTO home_feed (account_id, status_id, reblog_of_id) SELECT ?1, value ->> 0, value ->> 4 FROM json_each(?2)",
            owner, rows.clone()
        ),
        query!(
            "UPDATE statuses SET reblogs_count = reblogs_count + (SELECT COUNT(*) FROM json_each(?1) WHERE value ->> 4 = statuses.id) \
             WHERE id IN (SELECT value ->> 4 FROM json_each(?1))",
            rows.clone()
        ),
        query!(
            "INSERT OR IGNORE INTO archive_imported_posts (source, status_id) SELECT value ->> 1, value ->> 0 FROM json_each(?1)",
            rows.clone()
        ),
        query!(
            "UPDATE accounts SET statuses_count = statuses_count + (SELECT COUNT(*) FROM json_each(?2)), \
             last_status_at = max(coalesce(last_status_at, 0), (SELECT max(value ->> 3) FROM json_each(?2))) WHERE id = ?1",
            owner, rows
        ),
    ]
}
