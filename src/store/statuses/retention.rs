//! Forgetting remote statuses nobody here needs any more (the cron's retention, `app::retention`).
//! A run looks at a window of the oldest remote statuses stored before the cutoff, starting
//! after where the previous run stopped (`housekeeping_cursors`), so that the posts kept for a
//! reason are not examined again on every run; past the last one it starts over, because a post
//! can stop being needed (an unfavourite, or its last reply forgotten).
//!
//! A forgotten status is deleted, not marked: what the schema cascades goes with it (mentions,
//! tag links, edits, its poll and the poll's votes), and the rows that point at it without a
//! foreign key (media, notifications, the home feed, filter entries, its full-text entry) are
//! removed in the same batch. Counts are left alone: the post still exists on its server.
use serde::Deserialize;

use crate::query;
use crate::store::db::{self, id_list, sqlite_opt_id, Db, Query, StoreError};

/// The sweep's row in `housekeeping_cursors`.
const TASK: &str = "remote_content";

/// Whether nobody here needs the remote status `s` any more, for the owner `?1`: not pinned; no
/// status still stored replies to it or boosts it (so a thread is forgotten from its leaves up
/// and the ancestors of the owner's replies stay, and a boost never loses its original); the
/// owner did not favourite, bookmark or vote in it and took no part in its conversation (wrote
/// in it or was mentioned in it; a post is part of its own conversation, so this keeps the posts
/// that mention the owner); and no notification the owner still has refers to it.
macro_rules! forgettable {
    () => {
        "s.local = 0 AND s.pinned_at IS NULL \
         AND NOT EXISTS (SELECT 1 FROM statuses c WHERE c.in_reply_to_id = s.id AND c.deleted_at IS NULL) \
         AND NOT EXISTS (SELECT 1 FROM statuses c WHERE c.reblog_of_id = s.id AND c.deleted_at IS NULL) \
         AND NOT EXISTS (SELECT 1 FROM favourites f WHERE f.account_id = ?1 AND f.status_id = s.id) \
         AND NOT EXISTS (SELECT 1 FROM bookmarks b WHERE b.account_id = ?1 AND b.status_id = s.id) \
         AND NOT EXISTS (SELECT 1 FROM polls p JOIN poll_votes v ON v.poll_id = p.id WHERE p.status_id = s.id AND v.account_id = ?1) \
         AND NOT EXISTS (SELECT 1 FROM statuses c WHERE c.conversation_id = s.conversation_id AND c.deleted_at IS NULL \
              AND (c.account_id = ?1 OR EXISTS (SELECT 1 FROM mentions m WHERE m.status_id = c.id AND m.account_id = ?1))) \
         AND NOT EXISTS (SELECT 1 FROM notifications n WHERE n.status_id = s.id AND n.account_id = ?1 AND n.dismissed_at IS NULL)"
    };
}

/// The remote statuses a run looks at: the oldest stored before the cutoff, after the cursor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetentionWindow {
    pub first: i64,
    pub last: i64,
    pub len: i64,
}

/// Up to `limit` remote statuses with ids below `before_id` (stored before the cutoff), after
/// the cursor; `None` when there are none.
pub async fn retention_window(db: &dyn Db, before_id: i64, limit: i64) -> Result<Option<RetentionWindow>, StoreError> {
    #[derive(Deserialize)]
    struct Bounds {
        #[serde(deserialize_with = "sqlite_opt_id")]
        first: Option<i64>,
        #[serde(deserialize_with = "sqlite_opt_id")]
        last: Option<i64>,
        len: i64,
    }
    let bounds: Option<Bounds> = db::first(
        db,
        &query!(
            "SELECT CAST(min(id) AS TEXT) AS first, CAST(max(id) AS TEXT) AS last, count(*) AS len FROM ( \
               SELECT id FROM statuses WHERE local = 0 AND id < ?1 \
               AND id > coalesce((SELECT after_id FROM housekeeping_cursors WHERE task = ?3), 0) ORDER BY id LIMIT ?2)",
            before_id, limit, TASK
        ),
    )
    .await?;
    Ok(bounds.and_then(|b| Some(RetentionWindow { first: b.first?, last: b.last?, len: b.len })))
}

/// The oldest `limit` statuses of the window that nobody needs (`forgettable!`), oldest first.
pub async fn forgettable(db: &dyn Db, owner: i64, window: &RetentionWindow, limit: i64) -> Result<Vec<i64>, StoreError> {
    db::ids(
        db,
        &query!(
            concat!("SELECT CAST(s.id AS TEXT) AS id FROM statuses s WHERE s.id BETWEEN ?2 AND ?3 AND ", forgettable!(), " ORDER BY s.id LIMIT ?4"),
            owner, window.first, window.last, limit
        ),
    )
    .await
}

/// Deletes the statuses `ids` that are still forgettable (the owner may have acted since they
/// were read) with everything that refers to them; nothing when `ids` is empty.
pub fn forget(owner: i64, ids: &[i64]) -> Vec<Query> {
    if ids.is_empty() {
        return Vec::new();
    }
    let ids = id_list(ids);
    // The statuses deleted below: each statement of the batch sees the same rows, so this
    // selects the same ones every time until the DELETE.
    macro_rules! doomed {
        () => {
            concat!("SELECT s.id FROM statuses s WHERE s.id IN (SELECT value FROM json_each(?2)) AND ", forgettable!())
        };
    }
    // Rows pointing at one of `ids` (`?1` here) whose status is gone.
    macro_rules! orphans {
        ($column:literal) => {
            concat!($column, " IN (SELECT value FROM json_each(?1)) AND NOT EXISTS (SELECT 1 FROM statuses WHERE id = ", $column, ")")
        };
    }
    vec![
        // A contentless full-text index forgets an entry only when told its text, which
        // `statuses::create` and `edit` indexed as spoiler and text; statuses deleted by their
        // authors already left it, and boosts never had one.
        query!(
            concat!(
                "INSERT INTO statuses_fts (statuses_fts, rowid, text) SELECT 'delete', id, spoiler_text || ' ' || text FROM statuses \
                 WHERE id IN (", doomed!(), ") AND deleted_at IS NULL AND reblog_of_id IS NULL AND text IS NOT NULL"
            ),
            owner, ids.clone()
        ),
        query!(concat!("DELETE FROM statuses WHERE id IN (", doomed!(), ")"), owner, ids.clone()),
        // Remote media are links (no R2 object), so their rows go alone.
        query!(concat!("DELETE FROM media_attachments WHERE ", orphans!("status_id")), ids.clone()),
        query!(concat!("DELETE FROM notifications WHERE ", orphans!("status_id")), ids.clone()),
        // The feed is keyed by account first: naming the owner's walks its primary key.
        query!(concat!("DELETE FROM home_feed WHERE account_id = ?2 AND ", orphans!("status_id")), ids.clone(), owner),
        query!(concat!("DELETE FROM filter_statuses WHERE ", orphans!("status_id")), ids),
    ]
}

/// Where the next run starts: after `id`, or (`None`) from the oldest remote status again.
pub fn resume_retention_after(id: Option<i64>) -> Query {
    match id {
        Some(id) => query!(
            "INSERT INTO housekeeping_cursors (task, after_id) VALUES (?1, ?2) ON CONFLICT (task) DO UPDATE SET after_id = ?2",
            TASK, id
        ),
        None => query!("DELETE FROM housekeeping_cursors WHERE task = ?1", TASK),
    }
}
