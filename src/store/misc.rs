//! Smaller aggregates of the owner's: blocked domains, reports, announcements, conversations.
use serde::Deserialize;

use super::db::{self, sqlite_bool, sqlite_id, sqlite_opt_id, Db, Query, StoreError};
use crate::domain::paging::Page;
use crate::query;

// Domain blocks --------------------------------------------------------------------------------

#[derive(Clone, Debug, Deserialize)]
pub struct DomainBlockRow {
    #[serde(deserialize_with = "sqlite_id")]
    pub id: i64,
    pub domain: String,
}

pub async fn domain_blocks(db: &dyn Db, owner: i64, page: &Page) -> Result<Vec<DomainBlockRow>, StoreError> {
    db::all(
        db,
        &query!(
            "SELECT CAST(id AS TEXT) AS id, domain FROM domain_blocks WHERE account_id = ?1 \
             AND (?2 IS NULL OR id < ?2) AND (?3 IS NULL OR id > ?3) ORDER BY id DESC LIMIT ?4",
            owner, page.max_id, page.lower(), page.limit
        ),
    )
    .await
}

pub fn block_domain(id: i64, owner: i64, domain: &str, now: i64) -> Query {
    query!("INSERT OR IGNORE INTO domain_blocks (id, account_id, domain, created_at) VALUES (?1, ?2, lower(?3), ?4)", id, owner, domain, now)
}

pub fn unblock_domain(owner: i64, domain: &str) -> Query {
    query!("DELETE FROM domain_blocks WHERE account_id = ?1 AND domain = lower(?2)", owner, domain)
}

// Reports ----------------------------------------------------------------------------------------

pub struct NewReport<'a> {
    pub id: i64,
    pub reporter: i64,
    pub target: i64,
    pub status_ids: &'a str,
    pub rule_ids: &'a str,
    pub comment: &'a str,
    pub category: &'a str,
    pub forward: bool,
    pub now: i64,
}

pub fn create_report(r: &NewReport) -> Query {
    query!(
        "INSERT INTO reports (id, account_id, target_account_id, status_ids, rule_ids, comment, category, forwarded, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        r.id, r.reporter, r.target, r.status_ids, r.rule_ids, r.comment, r.category, r.forward, r.now
    )
}

// Announcements ----------------------------------------------------------------------------------

#[derive(Clone, Debug, Deserialize)]
pub struct AnnouncementRow {
    #[serde(deserialize_with = "sqlite_id")]
    pub id: i64,
    pub content: String,
    pub starts_at: Option<i64>,
    pub ends_at: Option<i64>,
    #[serde(deserialize_with = "sqlite_bool")]
    pub all_day: bool,
    pub published_at: Option<i64>,
    pub updated_at: i64,
    #[serde(deserialize_with = "sqlite_bool")]
    pub read: bool,
}

/// Published announcements that have not ended, with whether the owner dismissed each.
pub async fn announcements(db: &dyn Db, owner: i64, now: i64) -> Result<Vec<AnnouncementRow>, StoreError> {
    db::all(
        db,
        &query!(
            "SELECT CAST(a.id AS TEXT) AS id, a.content, a.starts_at, a.ends_at, a.all_day, a.published_at, a.updated_at, \
             EXISTS (SELECT 1 FROM announcement_reads r WHERE r.announcement_id = a.id AND r.account_id = ?1) AS read \
             FROM announcements a WHERE a.published_at IS NOT NULL AND (a.ends_at IS NULL OR a.ends_at > ?2) ORDER BY a.id DESC",
            owner, now
        ),
    )
    .await
}

pub fn dismiss_announcement(owner: i64, id: i64) -> Query {
    query!(
        "INSERT OR IGNORE INTO announcement_reads (announcement_id, account_id) SELECT id, ?1 FROM announcements WHERE id = ?2",
        owner, id
    )
}

// Conversations (direct messages) ----------------------------------------------------------------

#[derive(Clone, Debug, Deserialize)]
pub struct ConversationRow {
    /// The conversation id is the id of the thread's first status.
    #[serde(deserialize_with = "sqlite_id")]
    pub id: i64,
    #[serde(deserialize_with = "sqlite_id")]
    pub last_status_id: i64,
    /// Read up to this status (`conversations.last_status_id`), if ever read.
    #[serde(deserialize_with = "sqlite_opt_id")]
    pub read_up_to: Option<i64>,
    #[serde(deserialize_with = "sqlite_id")]
    pub last_author_id: i64,
}

/// Direct-message threads, newest activity first, paged by their last status id. Derived from
/// the statuses themselves; `conversations` rows only keep what the owner did to a thread
/// (read up to, removed).
pub async fn conversations(db: &dyn Db, owner: i64, page: &Page) -> Result<Vec<ConversationRow>, StoreError> {
    db::all(
        db,
        &query!(
            "SELECT CAST(t.conversation_id AS TEXT) AS id, CAST(t.last_id AS TEXT) AS last_status_id, \
             CAST(c.last_status_id AS TEXT) AS read_up_to, \
             CAST((SELECT account_id FROM statuses WHERE id = t.last_id) AS TEXT) AS last_author_id \
             FROM (SELECT conversation_id, max(id) AS last_id FROM statuses \
                   WHERE visibility = 'direct' AND deleted_at IS NULL AND conversation_id IS NOT NULL GROUP BY conversation_id) t \
             LEFT JOIN conversations c ON c.id = t.conversation_id AND c.account_id = ?1 \
             WHERE (c.removed_at IS NULL OR t.last_id > c.last_status_id) \
             AND (?2 IS NULL OR t.last_id < ?2) AND (?3 IS NULL OR t.last_id > ?3) \
             ORDER BY t.last_id DESC LIMIT ?4",
            owner, page.max_id, page.lower(), page.limit
        ),
    )
    .await
}

/// Marks a thread read up to `last_status_id`, or removes it until a newer message arrives.
pub fn touch_conversation(owner: i64, id: i64, last_status_id: i64, removed: bool, now: i64) -> Query {
    query!(
        "INSERT INTO conversations (id, account_id, last_status_id, unread, removed_at, updated_at) VALUES (?2, ?1, ?3, 0, ?4, ?5) \
         ON CONFLICT (id) DO UPDATE SET last_status_id = ?3, unread = 0, removed_at = ?4, updated_at = ?5",
        owner, id, last_status_id, removed.then_some(now), now
    )
}

/// Accounts taking part in a thread: authors and mentioned accounts of its direct statuses.
pub async fn participants(db: &dyn Db, conversation_id: i64) -> Result<Vec<i64>, StoreError> {
    #[derive(Deserialize)]
    struct P {
        #[serde(deserialize_with = "sqlite_id")]
        id: i64,
    }
    let rows: Vec<P> = db::all(
        db,
        &query!(
            "SELECT DISTINCT CAST(id AS TEXT) AS id FROM ( \
               SELECT account_id AS id FROM statuses WHERE conversation_id = ?1 AND visibility = 'direct' AND deleted_at IS NULL \
               UNION SELECT m.account_id FROM mentions m JOIN statuses s ON s.id = m.status_id \
               WHERE s.conversation_id = ?1 AND s.visibility = 'direct' AND s.deleted_at IS NULL)",
            conversation_id
        ),
    )
    .await?;
    Ok(rows.into_iter().map(|p| p.id).collect())
}
