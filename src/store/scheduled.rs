//! Statuses scheduled for later, published by the cron trigger.
use serde::Deserialize;

use super::db::{self, sqlite_id, Db, Query, StoreError};
use super::keyset::keyset;
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

/// The owner's scheduled statuses, paged by id (newest scheduled first, not soonest due).
pub async fn list(db: &dyn Db, owner: i64, page: &Page) -> Result<Vec<ScheduledRow>, StoreError> {
    let statement = keyset!("id"; "SELECT CAST(id AS TEXT) AS id, scheduled_at, params FROM scheduled_statuses WHERE account_id = ?1");
    statement.fetch(db, owner, page, vec![]).await
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::testing::{assert_pages_like_mastodon, memory_db, seed_statuses, OWNER};

    /// `list` walked only newest first: `min_id` gave the newest page.
    #[tokio::test(flavor = "current_thread")]
    async fn min_id_is_the_page_just_above() {
        let db = &memory_db();
        seed_statuses(db, 0).await;
        let ids: Vec<i64> = (10..16).rev().collect();
        for id in &ids {
            db.run(&create(*id, OWNER, 100 - id, "{}", 0)).await.unwrap(); // due in the other order
        }
        assert_pages_like_mastodon(&ids, |page| async move { list(db, OWNER, &page).await.unwrap().iter().map(|s| s.id).collect() }).await;
    }
}
