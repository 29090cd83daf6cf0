//! Statuses scheduled for later, published by the cron trigger.
use serde::Deserialize;

use super::db::{self, sqlite_id, Db, Query, StoreError};
use crate::domain::paging::Page;
use crate::query;

#[derive(Clone, Debug, Deserialize)]
pub struct ScheduledRow {
    #[serde(deserialize_with = "sqlite_id")]
    pub id: i64,
    pub scheduled_at: i64,
    /// The create-status parameters as JSON, with `application_id` added.
    pub params: String,
}

pub fn create(id: i64, owner: i64, scheduled_at: i64, params: &str, now: i64) -> Query {
    query!(
        "INSERT INTO scheduled_statuses (id, account_id, scheduled_at, params, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        id, owner, scheduled_at, params, now
    )
}

pub async fn list(db: &dyn Db, owner: i64, page: &Page) -> Result<Vec<ScheduledRow>, StoreError> {
    db::all(
        db,
        &query!(
            "SELECT CAST(id AS TEXT) AS id, scheduled_at, params FROM scheduled_statuses WHERE account_id = ?1 \
             AND (?2 IS NULL OR id < ?2) AND (?3 IS NULL OR id > ?3) ORDER BY id DESC LIMIT ?4",
            owner, page.max_id, page.lower(), page.limit
        ),
    )
    .await
}

pub async fn get(db: &dyn Db, owner: i64, id: i64) -> Result<Option<ScheduledRow>, StoreError> {
    db::first(db, &query!("SELECT CAST(id AS TEXT) AS id, scheduled_at, params FROM scheduled_statuses WHERE account_id = ?1 AND id = ?2", owner, id)).await
}

pub fn reschedule(owner: i64, id: i64, scheduled_at: i64) -> Query {
    query!("UPDATE scheduled_statuses SET scheduled_at = ?3 WHERE account_id = ?1 AND id = ?2", owner, id, scheduled_at)
}

pub fn delete(id: i64) -> Query {
    query!("DELETE FROM scheduled_statuses WHERE id = ?1", id)
}

#[derive(Clone, Debug, Deserialize)]
pub struct DueRow {
    #[serde(deserialize_with = "sqlite_id")]
    pub id: i64,
    #[serde(deserialize_with = "sqlite_id")]
    pub account_id: i64,
    pub params: String,
}

pub async fn due(db: &dyn Db, now: i64, limit: i64) -> Result<Vec<DueRow>, StoreError> {
    db::all(
        db,
        &query!(
            "SELECT CAST(id AS TEXT) AS id, CAST(account_id AS TEXT) AS account_id, params FROM scheduled_statuses \
             WHERE scheduled_at <= ?1 ORDER BY scheduled_at LIMIT ?2",
            now, limit
        ),
    )
    .await
}
