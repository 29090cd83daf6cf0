//! CSV imports (`imports`, `import_rows`) and the set-wise writes an import batch makes. Those
//! touch other aggregates' tables (follows, blocks, mutes, domain blocks, bookmarks, lists,
//! outbox activities), whose own modules hold the one-row versions: here each statement takes a
//! JSON array of rows (`json_each`), so a batch of 25 rows is a handful of statements instead of
//! a hundred, inside the free plan's 50 D1 queries per invocation.
use serde::Deserialize;

use super::db::{self, id_list, sqlite_bool, sqlite_id, Db, Query, StoreError};
use crate::query;

/// One import, as the owner follows its progress.
#[derive(Clone, Debug, Deserialize)]
pub struct Import {
    #[serde(deserialize_with = "sqlite_id")]
    pub id: i64,
    #[serde(deserialize_with = "sqlite_id")]
    pub account_id: i64,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(deserialize_with = "sqlite_bool")]
    pub overwrite: bool,
    pub state: String,
    pub original_filename: String,
    #[serde(deserialize_with = "sqlite_bool")]
    pub likely_mismatched: bool,
    pub total_items: i64,
    /// Rows at positions below this one are processed.
    pub cursor: i64,
    pub failed_items: i64,
    #[serde(deserialize_with = "sqlite_bool")]
    pub pruned: bool,
    pub error: Option<String>,
    pub created_at: i64,
    pub finished_at: Option<i64>,
}

impl Import {
    pub fn processed_items(&self) -> i64 {
        (self.cursor - 1).clamp(0, self.total_items)
    }

    pub fn imported_items(&self) -> i64 {
        (self.processed_items() - self.failed_items).max(0)
    }

    pub fn finished(&self) -> bool {
        self.state == "finished"
    }
}

/// An import by id alone (the queue's messages carry no owner).
pub fn get_query(id: i64) -> Query {
    query!(
        "SELECT CAST(id AS TEXT) AS id, CAST(account_id AS TEXT) AS account_id, type, overwrite, state, \
         original_filename, likely_mismatched, total_items, cursor, failed_items, pruned, error, created_at, finished_at \
         FROM imports WHERE id = ?1",
        id
    )
}

pub async fn get(db: &dyn Db, owner: i64, id: i64) -> Result<Option<Import>, StoreError> {
    let import: Option<Import> = db::first(db, &get_query(id)).await?;
    Ok(import.filter(|i| i.account_id == owner))
}

/// The owner's imports, newest first.
pub async fn list(db: &dyn Db, owner: i64, limit: i64) -> Result<Vec<Import>, StoreError> {
    db::all(
        db,
        &query!(
            "SELECT CAST(i.id AS TEXT) AS id, CAST(i.account_id AS TEXT) AS account_id, i.type, i.overwrite, i.state, \
             i.original_filename, i.likely_mismatched, i.total_items, i.cursor, i.failed_items, i.pruned, i.error, i.created_at, i.finished_at \
             FROM imports i WHERE i.account_id = ?1 ORDER BY i.id DESC LIMIT ?2",
            owner, limit
        ),
    )
    .await
}

pub struct NewImport<'a> {
    pub id: i64,
    pub owner: i64,
    pub kind: &'a str,
    pub overwrite: bool,
    pub filename: &'a str,
    pub likely_mismatched: bool,
    pub now: i64,
}

/// One row of a file as stored: `data` is JSON text.
pub struct NewItem<'a> {
    pub line: u64,
    pub key: &'a str,
    pub data: String,
    pub error: Option<&'a str>,
}

/// A bound parameter of one statement stays under this many bytes: D1 refuses statements and
/// values past its limits, and a megabyte of rows goes as a dozen statements of one batch.
const CHUNK_BYTES: usize = 64 * 1024;

/// The import and all its rows (positions 1, 2, … in order), as statements of one batch: a row
/// table filled by `json_each` from chunks of rows, not a statement per row. Each chunk's JSON is
/// written once, as text (`data` is JSON already and goes in as it is): the upload of a file of
/// 2,000 rows must fit the free plan's 10 ms of CPU (measured 7.4 ms, p99 9.9).
pub fn create(import: &NewImport, items: &[NewItem]) -> Vec<Query> {
    let mut queries = vec![query!(
        "INSERT INTO imports (id, account_id, type, overwrite, original_filename, likely_mismatched, total_items, pruned, created_at, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)",
        import.id, import.owner, import.kind, import.overwrite, import.filename, import.likely_mismatched, items.len() as i64,
        !import.overwrite, import.now
    )];
    let text = |s: &str| serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into());
    let mut chunk = String::from("[");
    for (n, item) in items.iter().enumerate() {
        let error = item.error.map_or_else(|| "null".to_string(), text);
        let row = format!("[{},{},{},{},{}]", n + 1, item.line, text(item.key), item.data, error);
        if chunk.len() + row.len() > CHUNK_BYTES && chunk.len() > 1 {
            chunk.push(']');
            queries.push(insert_items(import.id, std::mem::replace(&mut chunk, String::from("["))));
        }
        if chunk.len() > 1 {
            chunk.push(',');
        }
        chunk.push_str(&row);
    }
    if chunk.len() > 1 {
        chunk.push(']');
        queries.push(insert_items(import.id, chunk));
    }
    queries
}

fn insert_items(import_id: i64, rows: String) -> Query {
    query!(
        "INSERT INTO import_rows (import_id, position, line, key, data, error) \
         SELECT ?1, json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]'), \
         json_extract(value, '$[3]'), json_extract(value, '$[4]') FROM json_each(?2)",
        import_id, rows
    )
}

/// An import and its rows, gone.
pub fn delete(owner: i64, id: i64) -> [Query; 2] {
    [
        query!("DELETE FROM import_rows WHERE import_id = (SELECT id FROM imports WHERE id = ?2 AND account_id = ?1)", owner, id),
        query!("DELETE FROM imports WHERE id = ?2 AND account_id = ?1", owner, id),
    ]
}

/// A row of an import file, as stored.
#[derive(Clone, Debug, Deserialize)]
pub struct Item {
    pub position: i64,
    pub line: i64,
    pub key: String,
    pub data: String,
    pub error: Option<String>,
}

/// The next `limit` rows to process.
pub fn pending_query(import_id: i64, limit: i64) -> Query {
    query!(
        "SELECT position, line, key, data, error FROM import_rows \
         WHERE import_id = ?1 AND position >= (SELECT cursor FROM imports WHERE id = ?1) ORDER BY position LIMIT ?2",
        import_id, limit
    )
}

/// Rows that failed, in the file's order, from `after` (a position) on.
pub async fn failures(db: &dyn Db, import_id: i64, after: i64, limit: i64) -> Result<Vec<Item>, StoreError> {
    db::all(
        db,
        &query!(
            "SELECT position, line, key, data, error FROM import_rows \
             WHERE import_id = ?1 AND position > ?2 AND error IS NOT NULL ORDER BY position LIMIT ?3",
            import_id, after, limit
        ),
    )
    .await
}

/// Rows processed: those that succeeded are deleted (as Mastodon deletes its rows), those that
/// failed keep why.
pub fn settle(import_id: i64, succeeded: &[i64], failed: &[(i64, String)]) -> Vec<Query> {
    let mut queries = Vec::new();
    if !succeeded.is_empty() {
        queries.push(query!(
            "DELETE FROM import_rows WHERE import_id = ?1 AND position IN (SELECT value FROM json_each(?2))",
            import_id, id_list(succeeded)
        ));
    }
    if !failed.is_empty() {
        let rows = serde_json::Value::Array(failed.iter().map(|(position, error)| serde_json::json!([position, error])).collect());
        queries.push(query!(
            "UPDATE import_rows SET error = (SELECT json_extract(j.value, '$[1]') FROM json_each(?2) j WHERE json_extract(j.value, '$[0]') = position) \
             WHERE import_id = ?1 AND position IN (SELECT json_extract(value, '$[0]') FROM json_each(?2))",
            import_id, rows.to_string()
        ));
    }
    queries
}

/// Moves the import past the rows processed, counting its failures; finished when `finished`.
pub fn advance(import_id: i64, cursor: i64, finished: bool, now: i64) -> Query {
    query!(
        "UPDATE imports SET cursor = max(cursor, ?2), \
         failed_items = (SELECT count(*) FROM import_rows WHERE import_id = ?1 AND position < max(cursor, ?2) AND error IS NOT NULL), \
         state = CASE WHEN ?3 THEN 'finished' ELSE 'in_progress' END, \
         finished_at = CASE WHEN ?3 THEN ?4 ELSE finished_at END, updated_at = ?4 WHERE id = ?1",
        import_id, cursor, finished, now
    )
}

/// An overwrite removed what the file leaves out: the rows come next.
pub fn mark_pruned(import_id: i64, now: i64) -> Query {
    query!("UPDATE imports SET pruned = 1, state = 'in_progress', updated_at = ?2 WHERE id = ?1", import_id, now)
}

/// Processing stopped for good (`reason` for the owner); the rows not reached stay unprocessed.
pub fn stop(import_id: i64, reason: &str, now: i64) -> Query {
    query!(
        "UPDATE imports SET state = 'finished', error = ?2, finished_at = ?3, updated_at = ?3 WHERE id = ?1 AND state <> 'finished'",
        import_id, reason, now
    )
}

// -- What an overwrite removes first ---------------------------------------------------------------

/// An account an overwrite stops following or blocking, with what the Undo needs.
#[derive(Clone, Debug, Deserialize)]
pub struct Dropped {
    #[serde(deserialize_with = "sqlite_id")]
    pub account_id: i64,
    /// The account's actor id, and its inbox (none for a local account).
    pub account_uri: String,
    pub inbox_url: Option<String>,
    /// The Follow activity's id, for a follow.
    pub activity_uri: Option<String>,
}

/// Accounts the owner follows (accepted, as Mastodon's `following`) or blocks that no row of the
/// import names, `limit` at most. An account's key is built as `formats::account_key` builds it.
pub async fn dropped(db: &dyn Db, owner: i64, import_id: i64, blocks: bool, handle_domain: &str, limit: i64) -> Result<Vec<Dropped>, StoreError> {
    let query = if blocks {
        query!(
            "SELECT CAST(a.id AS TEXT) AS account_id, a.uri AS account_uri, a.inbox_url, NULL AS activity_uri \
             FROM blocks x JOIN accounts a ON a.id = x.target_account_id WHERE x.account_id = ?1 \
             AND NOT EXISTS (SELECT 1 FROM import_rows r WHERE r.import_id = ?2 AND r.key = lower(a.username) || '@' || lower(ifnull(a.domain, ?3))) \
             ORDER BY x.id LIMIT ?4",
            owner, import_id, handle_domain, limit
        )
    } else {
        query!(
            "SELECT CAST(a.id AS TEXT) AS account_id, a.uri AS account_uri, a.inbox_url, x.uri AS activity_uri \
             FROM follows x JOIN accounts a ON a.id = x.target_account_id WHERE x.account_id = ?1 AND x.accepted_at IS NOT NULL \
             AND NOT EXISTS (SELECT 1 FROM import_rows r WHERE r.import_id = ?2 AND r.key = lower(a.username) || '@' || lower(ifnull(a.domain, ?3))) \
             ORDER BY x.id LIMIT ?4",
            owner, import_id, handle_domain, limit
        )
    };
    db::all(db, &query).await
}

/// Mutes, domain blocks or bookmarks that no row of the import names, removed in one statement
/// each (nothing to tell other servers); lists not named are deleted and every list emptied, as
/// Mastodon's overwrite of lists does.
pub fn drop_unnamed(kind: &str, owner: i64, import_id: i64, handle_domain: &str) -> Vec<Query> {
    match kind {
        "muting" => vec![query!(
            "DELETE FROM mutes WHERE account_id = ?1 AND NOT EXISTS (SELECT 1 FROM accounts a JOIN import_rows r ON r.import_id = ?2 \
             AND r.key = lower(a.username) || '@' || lower(ifnull(a.domain, ?3)) WHERE a.id = mutes.target_account_id)",
            owner, import_id, handle_domain
        )],
        "domain_blocking" => vec![query!(
            "DELETE FROM domain_blocks WHERE account_id = ?1 \
             AND NOT EXISTS (SELECT 1 FROM import_rows r WHERE r.import_id = ?2 AND r.key = lower(domain_blocks.domain))",
            owner, import_id
        )],
        "bookmarks" => vec![query!(
            "DELETE FROM bookmarks WHERE account_id = ?1 AND NOT EXISTS \
             (SELECT 1 FROM statuses s JOIN import_rows r ON r.import_id = ?2 AND r.key = s.uri WHERE s.id = bookmarks.status_id)",
            owner, import_id
        )],
        "lists" => vec![
            query!("DELETE FROM list_accounts WHERE list_id IN (SELECT id FROM lists WHERE account_id = ?1)", owner),
            query!(
                "DELETE FROM lists WHERE account_id = ?1 AND NOT EXISTS (SELECT 1 FROM import_rows r WHERE r.import_id = ?2 AND r.key = lists.title)",
                owner, import_id
            ),
        ],
        _ => Vec::new(),
    }
}

// -- Set-wise writes -----------------------------------------------------------------------------

/// One follow to write: a new one, or new options for one that exists (its id and uri are then
/// ignored).
pub struct FollowWrite {
    pub id: i64,
    pub target: i64,
    pub uri: String,
    pub show_reblogs: bool,
    pub notify: bool,
    /// JSON array of language codes, or none for all.
    pub languages: Option<String>,
}

/// Follows as `relationships::follow` writes one: requested until the other server accepts;
/// following again changes only the options.
pub fn follow_many(owner: i64, follows: &[FollowWrite], now: i64) -> Query {
    let rows: Vec<serde_json::Value> =
        follows.iter().map(|f| serde_json::json!([f.id, f.target, f.uri, f.show_reblogs, f.notify, f.languages])).collect();
    query!(
        "INSERT INTO follows (id, account_id, target_account_id, uri, show_reblogs, notify, languages, created_at) \
         SELECT json_extract(value, '$[0]'), ?1, json_extract(value, '$[1]'), json_extract(value, '$[2]'), json_extract(value, '$[3]'), \
         json_extract(value, '$[4]'), json_extract(value, '$[5]'), ?3 FROM json_each(?2) WHERE true \
         ON CONFLICT (account_id, target_account_id) DO UPDATE SET show_reblogs = excluded.show_reblogs, notify = excluded.notify, \
         languages = excluded.languages",
        owner, serde_json::Value::Array(rows).to_string(), now
    )
}

/// Removes the follows of `others` by `owner` (`owner_follows`) or of `owner` by `others`, with
/// the counts they held, as `relationships::unfollow` does for one.
pub fn unfollow_many(owner: i64, others: &[i64], owner_follows: bool) -> [Query; 3] {
    let ids = id_list(others);
    if owner_follows {
        [
            query!(
                "UPDATE accounts SET following_count = max(following_count - (SELECT count(*) FROM follows WHERE account_id = ?1 \
                 AND accepted_at IS NOT NULL AND target_account_id IN (SELECT value FROM json_each(?2))), 0) WHERE id = ?1",
                owner, ids.clone()
            ),
            query!(
                "UPDATE accounts SET followers_count = max(followers_count - 1, 0) WHERE id IN (SELECT target_account_id FROM follows \
                 WHERE account_id = ?1 AND accepted_at IS NOT NULL AND target_account_id IN (SELECT value FROM json_each(?2)))",
                owner, ids.clone()
            ),
            query!("DELETE FROM follows WHERE account_id = ?1 AND target_account_id IN (SELECT value FROM json_each(?2))", owner, ids),
        ]
    } else {
        [
            query!(
                "UPDATE accounts SET followers_count = max(followers_count - (SELECT count(*) FROM follows WHERE target_account_id = ?1 \
                 AND accepted_at IS NOT NULL AND account_id IN (SELECT value FROM json_each(?2))), 0) WHERE id = ?1",
                owner, ids.clone()
            ),
            query!(
                "UPDATE accounts SET following_count = max(following_count - 1, 0) WHERE id IN (SELECT account_id FROM follows \
                 WHERE target_account_id = ?1 AND accepted_at IS NOT NULL AND account_id IN (SELECT value FROM json_each(?2)))",
                owner, ids.clone()
            ),
            query!("DELETE FROM follows WHERE target_account_id = ?1 AND account_id IN (SELECT value FROM json_each(?2))", owner, ids),
        ]
    }
}

/// `(row id, target)` pairs as JSON, for the inserts below.
fn pairs(rows: &[(i64, i64)]) -> String {
    serde_json::Value::Array(rows.iter().map(|(a, b)| serde_json::json!([a, b])).collect()).to_string()
}

/// Blocks, and the follows either way they end, as `POST /api/v1/accounts/:id/block` does.
pub fn block_many(owner: i64, blocks: &[(i64, i64)], now: i64) -> Vec<Query> {
    let targets: Vec<i64> = blocks.iter().map(|(_, target)| *target).collect();
    let mut queries = vec![query!(
        "INSERT OR IGNORE INTO blocks (id, account_id, target_account_id, created_at) \
         SELECT json_extract(value, '$[0]'), ?1, json_extract(value, '$[1]'), ?3 FROM json_each(?2)",
        owner, pairs(blocks), now
    )];
    queries.extend(unfollow_many(owner, &targets, true));
    queries.extend(unfollow_many(owner, &targets, false));
    queries
}

pub fn unblock_many(owner: i64, targets: &[i64]) -> Query {
    query!("DELETE FROM blocks WHERE account_id = ?1 AND target_account_id IN (SELECT value FROM json_each(?2))", owner, id_list(targets))
}

/// Mutes `(id, target, hide notifications)`, without an end, as Mastodon's import makes them.
pub fn mute_many(owner: i64, mutes: &[(i64, i64, bool)], now: i64) -> Query {
    let rows: Vec<serde_json::Value> = mutes.iter().map(|(id, target, hide)| serde_json::json!([id, target, hide])).collect();
    query!(
        "INSERT INTO mutes (id, account_id, target_account_id, hide_notifications, created_at) \
         SELECT json_extract(value, '$[0]'), ?1, json_extract(value, '$[1]'), json_extract(value, '$[2]'), ?3 FROM json_each(?2) WHERE true \
         ON CONFLICT (account_id, target_account_id) DO UPDATE SET hide_notifications = excluded.hide_notifications, expires_at = NULL",
        owner, serde_json::Value::Array(rows).to_string(), now
    )
}

/// Domain blocks `(id, domain)`, stored lower-case as `domain_blocks::block_domain` stores one.
pub fn domain_block_many(owner: i64, domains: &[(i64, String)], now: i64) -> Query {
    let rows: Vec<serde_json::Value> = domains.iter().map(|(id, domain)| serde_json::json!([id, domain])).collect();
    query!(
        "INSERT OR IGNORE INTO domain_blocks (id, account_id, domain, created_at) \
         SELECT json_extract(value, '$[0]'), ?1, lower(json_extract(value, '$[1]')), ?3 FROM json_each(?2)",
        owner, serde_json::Value::Array(rows).to_string(), now
    )
}

/// Bookmarks `(id, status)`.
pub fn bookmark_many(owner: i64, bookmarks: &[(i64, i64)], now: i64) -> Query {
    query!(
        "INSERT OR IGNORE INTO bookmarks (id, account_id, status_id, created_at) \
         SELECT json_extract(value, '$[0]'), ?1, json_extract(value, '$[1]'), ?3 FROM json_each(?2)",
        owner, pairs(bookmarks), now
    )
}

/// New lists `(id, title)`, with Mastodon's defaults.
pub fn create_lists(owner: i64, lists: &[(i64, String)], now: i64) -> Query {
    let rows: Vec<serde_json::Value> = lists.iter().map(|(id, title)| serde_json::json!([id, title])).collect();
    query!(
        "INSERT INTO lists (id, account_id, title, replies_policy, exclusive, created_at) \
         SELECT json_extract(value, '$[0]'), ?1, json_extract(value, '$[1]'), 'list', 0, ?3 FROM json_each(?2)",
        owner, serde_json::Value::Array(rows).to_string(), now
    )
}

/// Members `(list, account)` of the owner's lists.
pub fn add_list_members(members: &[(i64, i64)]) -> Query {
    query!(
        "INSERT OR IGNORE INTO list_accounts (list_id, account_id) SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(?1)",
        pairs(members)
    )
}

/// Activities `(id, uri, body)` by the owner, stored for their deliveries; an activity whose uri
/// is stored already keeps its id. Returns `id` and `uri` of each (run it with `batch_rows`).
pub fn save_activities(actor: i64, activities: &[(i64, String, String)], now: i64) -> Query {
    let rows: Vec<serde_json::Value> = activities.iter().map(|(id, uri, body)| serde_json::json!([id, uri, body])).collect();
    query!(
        "INSERT INTO outbox_activities (id, uri, actor_account_id, body, created_at) \
         SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), ?1, json_extract(value, '$[2]'), ?3 FROM json_each(?2) WHERE true \
         ON CONFLICT (uri) DO UPDATE SET body = excluded.body RETURNING CAST(id AS TEXT) AS id, uri",
        actor, serde_json::Value::Array(rows).to_string(), now
    )
}

/// What `save_activities` returns.
#[derive(Clone, Debug, Deserialize)]
pub struct SavedActivity {
    #[serde(deserialize_with = "sqlite_id")]
    pub id: i64,
    pub uri: String,
}

#[cfg(test)]
#[path = "imports_tests.rs"]
mod tests;
