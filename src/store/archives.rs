//! Archive exports (`app::archive`): the row of each export, the zip's directory records and the
//! uploaded parts kept beside it while it is written, and the reads of what goes into the zip
//! besides the posts (media, favourites, bookmarks).
use serde::Deserialize;
use serde_json::json;

use super::db::{self, sqlite_id, Db, Query, StoreError};
use crate::domain::zip::Entry;
use crate::query;

#[derive(Clone, Debug, Deserialize)]
pub struct ExportRow {
    #[serde(deserialize_with = "sqlite_id")]
    pub id: i64,
    pub state: String,
    pub step: i64,
    pub phase: String,
    #[serde(deserialize_with = "sqlite_id")]
    pub cursor: i64,
    pub entry: Option<String>,
    pub r2_key: String,
    pub upload_id: Option<String>,
    pub parts: i64,
    /// JSON: the sealed segments after the parts (`app::archive::export`).
    pub segments: String,
    pub pending: i64,
    pub carry_step: i64,
    pub entries: i64,
    pub statuses_total: i64,
    pub statuses_done: i64,
    pub media_done: i64,
    pub size: Option<i64>,
    pub error: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub finished_at: Option<i64>,
}

macro_rules! select_exports {
    ($($rest:expr),+) => {
        concat!(
            "SELECT CAST(id AS TEXT) AS id, state, step, phase, CAST(cursor AS TEXT) AS cursor, entry, r2_key, upload_id, parts, segments, ",
            "pending, carry_step, entries, statuses_total, statuses_done, media_done, size, error, created_at, updated_at, finished_at ",
            "FROM archive_exports ", $($rest),+
        )
    };
}

pub async fn get(db: &dyn Db, id: i64) -> Result<Option<ExportRow>, StoreError> {
    db::first(db, &query!(select_exports!("WHERE id = ?1"), id)).await
}

/// The newest export, whatever its state.
pub async fn latest(db: &dyn Db) -> Result<Option<ExportRow>, StoreError> {
    db::first(db, &query!(select_exports!("ORDER BY id DESC LIMIT 1"))).await
}

/// Every export but `keep`, for removing what they left in R2.
pub async fn others(db: &dyn Db, keep: i64) -> Result<Vec<ExportRow>, StoreError> {
    db::all(db, &query!(select_exports!("WHERE id != ?1"), keep)).await
}

/// Exports finished before `before`, to be removed (archives are kept a week, as Mastodon's).
pub async fn finished_before(db: &dyn Db, before: i64) -> Result<Vec<ExportRow>, StoreError> {
    db::all(db, &query!(select_exports!("WHERE finished_at IS NOT NULL AND finished_at < ?1 LIMIT 10"), before)).await
}

pub struct NewExport<'a> {
    pub id: i64,
    pub r2_key: &'a str,
    pub upload_id: &'a str,
    pub statuses_total: i64,
    pub now: i64,
}

pub fn create(e: &NewExport) -> Query {
    query!(
        "INSERT INTO archive_exports (id, state, phase, r2_key, upload_id, statuses_total, created_at, updated_at) \
         VALUES (?1, 'running', 'outbox', ?2, ?3, ?4, ?5, ?5)",
        e.id, e.r2_key, e.upload_id, e.statuses_total, e.now
    )
}

/// What one step changed. `step` is the step it ran: a duplicate of that step's message that
/// runs later finds the row moved on and changes nothing.
pub struct Progress<'a> {
    pub id: i64,
    pub step: i64,
    pub phase: &'a str,
    pub cursor: i64,
    pub entry: Option<String>,
    pub segments: String,
    pub parts: i64,
    pub pending: i64,
    pub carry_step: i64,
    pub entries: i64,
    pub statuses_done: i64,
    pub media_done: i64,
    pub now: i64,
}

impl<'a> Progress<'a> {
    /// The row as it is, for a step that changes only some of it.
    pub fn unchanged(row: &ExportRow, phase: &'a str, now: i64) -> Progress<'a> {
        Progress {
            id: row.id,
            step: row.step,
            phase,
            cursor: row.cursor,
            entry: row.entry.clone(),
            segments: row.segments.clone(),
            parts: row.parts,
            pending: row.pending,
            carry_step: row.carry_step,
            entries: row.entries,
            statuses_done: row.statuses_done,
            media_done: row.media_done,
            now,
        }
    }
}

pub fn advance(p: &Progress) -> Query {
    query!(
        "UPDATE archive_exports SET step = ?2 + 1, phase = ?3, cursor = ?4, entry = ?5, parts = ?6, pending = ?7, entries = ?8, \
         statuses_done = ?9, media_done = ?10, updated_at = ?11, segments = ?12, carry_step = ?13 WHERE id = ?1 AND step = ?2 AND state = 'running'",
        p.id, p.step, p.phase, p.cursor, p.entry.clone(), p.parts, p.pending, p.entries, p.statuses_done, p.media_done, p.now, p.segments.clone(),
        p.carry_step
    )
}

/// Directory records of entries finished in one step, numbered from `first_seq`: one statement
/// for any number of them (each statement counts against the 50 per invocation).
pub fn add_entries(archive_id: i64, first_seq: i64, entries: &[Entry]) -> Query {
    let rows: Vec<serde_json::Value> = entries
        .iter()
        .enumerate()
        .map(|(i, e)| json!([first_seq + i as i64, e.name, e.crc32, e.size, e.offset, e.flags]))
        .collect();
    query!(
        "INSERT OR REPLACE INTO archive_export_entries (archive_id, seq, name, crc32, size, offset, flags) \
         SELECT ?1, value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5 FROM json_each(?2)",
        archive_id, serde_json::Value::from(rows).to_string()
    )
}

#[derive(Deserialize)]
struct EntryRow {
    seq: i64,
    name: String,
    crc32: i64,
    size: i64,
    offset: i64,
    flags: i64,
}

/// Directory records from `after_seq` on, in order: `(seq, entry)`.
pub async fn entries(db: &dyn Db, archive_id: i64, after_seq: i64, limit: i64) -> Result<Vec<(i64, Entry)>, StoreError> {
    let rows: Vec<EntryRow> = db::all(
        db,
        &query!(
            "SELECT seq, name, crc32, size, offset, flags FROM archive_export_entries WHERE archive_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
            archive_id, after_seq, limit
        ),
    )
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let entry = Entry {
                name: r.name,
                method: 0,
                crc32: r.crc32 as u32,
                compressed_size: r.size as u64,
                size: r.size as u64,
                offset: r.offset as u64,
                flags: r.flags as u16,
            };
            (r.seq, entry)
        })
        .collect())
}

pub fn add_parts(archive_id: i64, parts: &[(u16, String)]) -> Query {
    let rows: Vec<serde_json::Value> = parts.iter().map(|(number, etag)| json!([number, etag])).collect();
    query!(
        "INSERT OR REPLACE INTO archive_export_parts (archive_id, number, etag) SELECT ?1, value ->> 0, value ->> 1 FROM json_each(?2)",
        archive_id, serde_json::Value::from(rows).to_string()
    )
}

#[derive(Deserialize)]
struct PartRow {
    number: i64,
    etag: String,
}

pub async fn parts(db: &dyn Db, archive_id: i64) -> Result<Vec<(u16, String)>, StoreError> {
    let rows: Vec<PartRow> = db::all(db, &query!("SELECT number, etag FROM archive_export_parts WHERE archive_id = ?1 ORDER BY number", archive_id)).await?;
    Ok(rows.into_iter().map(|r| (r.number as u16, r.etag)).collect())
}

/// The export is complete: its size, and its directory and parts forgotten.
pub fn finish(id: i64, step: i64, size: i64, entries: i64, statuses_done: i64, media_done: i64, now: i64) -> [Query; 3] {
    [
        query!(
            "UPDATE archive_exports SET state = 'done', step = ?2 + 1, phase = 'done', entry = NULL, size = ?3, entries = ?4, \
             statuses_done = ?5, media_done = ?6, pending = 0, segments = '[]', updated_at = ?7, finished_at = ?7 WHERE id = ?1 AND step = ?2",
            id, step, size, entries, statuses_done, media_done, now
        ),
        query!("DELETE FROM archive_export_entries WHERE archive_id = ?1", id),
        query!("DELETE FROM archive_export_parts WHERE archive_id = ?1", id),
    ]
}

pub fn fail(id: i64, error: &str, now: i64) -> [Query; 3] {
    [
        query!(
            "UPDATE archive_exports SET state = 'failed', error = ?2, updated_at = ?3, finished_at = ?3 WHERE id = ?1 AND state = 'running'",
            id, error, now
        ),
        query!("DELETE FROM archive_export_entries WHERE archive_id = ?1", id),
        query!("DELETE FROM archive_export_parts WHERE archive_id = ?1", id),
    ]
}

pub fn remove(id: i64) -> [Query; 3] {
    [
        query!("DELETE FROM archive_exports WHERE id = ?1", id),
        query!("DELETE FROM archive_export_entries WHERE archive_id = ?1", id),
        query!("DELETE FROM archive_export_parts WHERE archive_id = ?1", id),
    ]
}

/// How many posts the outbox will hold: the owner's statuses, boosts included.
pub async fn count_statuses(db: &dyn Db, account_id: i64) -> Result<i64, StoreError> {
    #[derive(Deserialize)]
    struct Count {
        n: i64,
    }
    let count: Option<Count> = db::first(db, &query!("SELECT COUNT(*) AS n FROM statuses WHERE account_id = ?1 AND deleted_at IS NULL", account_id)).await?;
    Ok(count.map_or(0, |c| c.n))
}

/// A stored file of the owner's posts, for `media_attachments/…`.
#[derive(Clone, Debug, Deserialize)]
pub struct FileRow {
    #[serde(deserialize_with = "sqlite_id")]
    pub id: i64,
    pub r2_key: String,
    pub file_size: Option<i64>,
}

/// The owner's stored files attached to posts that are not deleted, after `after` by id.
pub fn files_after(account_id: i64, after: i64, limit: i64) -> Query {
    query!(
        "SELECT CAST(m.id AS TEXT) AS id, m.r2_key, m.file_size FROM media_attachments m \
         WHERE m.account_id = ?1 AND m.id > ?2 AND m.r2_key IS NOT NULL \
         AND EXISTS (SELECT 1 FROM statuses s WHERE s.id = m.status_id AND s.deleted_at IS NULL) ORDER BY m.id LIMIT ?3",
        account_id, after, limit
    )
}

/// A favourite or bookmark's position and its post's id (`likes.json`, `bookmarks.json`).
#[derive(Clone, Debug, Deserialize)]
pub struct MarkedRow {
    #[serde(deserialize_with = "sqlite_id")]
    pub id: i64,
    pub uri: String,
}

pub fn favourites_after(account_id: i64, after: i64, limit: i64) -> Query {
    query!(
        "SELECT CAST(f.id AS TEXT) AS id, s.uri FROM favourites f JOIN statuses s ON s.id = f.status_id \
         WHERE f.account_id = ?1 AND f.id > ?2 ORDER BY f.id LIMIT ?3",
        account_id, after, limit
    )
}

pub fn bookmarks_after(account_id: i64, after: i64, limit: i64) -> Query {
    query!(
        "SELECT CAST(b.id AS TEXT) AS id, s.uri FROM bookmarks b JOIN statuses s ON s.id = b.status_id \
         WHERE b.account_id = ?1 AND b.id > ?2 ORDER BY b.id LIMIT ?3",
        account_id, after, limit
    )
}

/// The ids and ActivityPub ids of the posts these statuses reply to (their `inReplyTo`).
#[derive(Clone, Debug, Deserialize)]
pub struct UriRow {
    #[serde(deserialize_with = "sqlite_id")]
    pub id: i64,
    pub uri: String,
}

pub fn parent_uris(status_ids: &[i64]) -> Query {
    query!(
        "SELECT CAST(p.id AS TEXT) AS id, p.uri FROM statuses p WHERE p.id IN \
         (SELECT in_reply_to_id FROM statuses WHERE id IN (SELECT value FROM json_each(?1)) AND in_reply_to_id IS NOT NULL)",
        db::id_list(status_ids)
    )
}
