//! Announcements of the instance (written on the admin's page, `app::announcements`) and which
//! of them the owner dismissed.
use serde::Deserialize;

use super::db::{self, sqlite_bool, sqlite_id, Db, Query, StoreError};
use crate::query;

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

/// Published announcements (their time has come) that have not ended, with whether the owner dismissed each.
pub async fn announcements(db: &dyn Db, owner: i64, now: i64) -> Result<Vec<AnnouncementRow>, StoreError> {
    db::all(
        db,
        &query!(
            "SELECT CAST(a.id AS TEXT) AS id, a.content, a.starts_at, a.ends_at, a.all_day, a.published_at, a.updated_at, \
             EXISTS (SELECT 1 FROM announcement_reads r WHERE r.announcement_id = a.id AND r.account_id = ?1) AS read \
             FROM announcements a WHERE a.published_at <= ?2 AND (a.ends_at IS NULL OR a.ends_at > ?2) ORDER BY a.id DESC",
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

/// An announcement as the admin's page edits it.
#[derive(Clone, Debug, Deserialize)]
pub struct DraftRow {
    #[serde(deserialize_with = "sqlite_id")]
    pub id: i64,
    pub text: String,
    pub content: String,
    pub starts_at: Option<i64>,
    pub ends_at: Option<i64>,
    #[serde(deserialize_with = "sqlite_bool")]
    pub all_day: bool,
    pub published_at: Option<i64>,
    pub updated_at: i64,
}

/// How many announcements the admin's page lists (the newest).
pub const MAX_LISTED: i64 = 100;

/// Every announcement, drafts and ended ones too, newest first.
pub async fn all(db: &dyn Db) -> Result<Vec<DraftRow>, StoreError> {
    db::all(
        db,
        &query!(
            "SELECT CAST(id AS TEXT) AS id, text, content, starts_at, ends_at, all_day, published_at, updated_at \
             FROM announcements ORDER BY id DESC LIMIT ?1",
            MAX_LISTED
        ),
    )
    .await
}

pub fn save(row: &DraftRow) -> Query {
    query!(
        "INSERT INTO announcements (id, text, content, starts_at, ends_at, all_day, published_at, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (id) DO UPDATE SET text = excluded.text, \
         content = excluded.content, starts_at = excluded.starts_at, ends_at = excluded.ends_at, all_day = excluded.all_day, \
         published_at = excluded.published_at, updated_at = excluded.updated_at",
        row.id, row.text.clone(), row.content.clone(), row.starts_at, row.ends_at, row.all_day, row.published_at, row.updated_at
    )
}

pub fn delete(id: i64) -> Query {
    query!("DELETE FROM announcements WHERE id = ?1", id)
}

/// When an announcement was published: `None` if there is no such announcement.
pub async fn published_at(db: &dyn Db, id: i64) -> Result<Option<Option<i64>>, StoreError> {
    #[derive(Deserialize)]
    struct Published {
        published_at: Option<i64>,
    }
    let row: Option<Published> = db::first(db, &query!("SELECT published_at FROM announcements WHERE id = ?1", id)).await?;
    Ok(row.map(|r| r.published_at))
}
