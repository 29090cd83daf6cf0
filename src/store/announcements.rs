//! Announcements of the instance and which of them the owner dismissed. Nothing in the API
//! writes announcements yet (see docs/api.md), so there are only reads and dismissals here.
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
