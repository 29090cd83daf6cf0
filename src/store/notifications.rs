//! Notifications for the owner, and reading markers.
use serde::Deserialize;

use super::db::{self, sqlite_id, sqlite_opt_id, Db, Query, StoreError};
use super::keyset::keyset;
use crate::domain::paging::Page;
use crate::query;

#[derive(Clone, Debug, Deserialize)]
pub struct NotificationRow {
    #[serde(deserialize_with = "sqlite_id")]
    pub id: i64,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(deserialize_with = "sqlite_id")]
    pub from_account_id: i64,
    #[serde(deserialize_with = "sqlite_opt_id")]
    pub status_id: Option<i64>,
    pub group_key: String,
    pub created_at: i64,
}

/// Filters of `GET /api/v1/notifications`, as JSON arrays of type names.
pub struct Filter {
    pub types: String,
    pub exclude_types: String,
    pub account_id: Option<i64>,
}

pub async fn list(db: &dyn Db, account_id: i64, page: &Page, filter: &Filter) -> Result<Vec<NotificationRow>, StoreError> {
    let statement = keyset!("id";
        "SELECT CAST(id AS TEXT) AS id, type, CAST(from_account_id AS TEXT) AS from_account_id, \
         CAST(status_id AS TEXT) AS status_id, group_key, created_at FROM notifications \
         WHERE account_id = ?1 AND dismissed_at IS NULL \
         AND (?5 = '[]' OR type IN (SELECT value FROM json_each(?5))) \
         AND type NOT IN (SELECT value FROM json_each(?6)) \
         AND (?7 IS NULL OR from_account_id = ?7)"
    );
    let own = vec![filter.types.clone().into(), filter.exclude_types.clone().into(), filter.account_id.into()];
    statement.fetch(db, account_id, page, own).await
}

/// Notifications of one group (newest first), for `/api/v2/notifications/:group_key`.
pub async fn group(db: &dyn Db, account_id: i64, group_key: &str, limit: i64) -> Result<Vec<NotificationRow>, StoreError> {
    db::all(
        db,
        &query!(
            "SELECT CAST(id AS TEXT) AS id, type, CAST(from_account_id AS TEXT) AS from_account_id, \
             CAST(status_id AS TEXT) AS status_id, group_key, created_at FROM notifications \
             WHERE account_id = ?1 AND group_key = ?2 AND dismissed_at IS NULL ORDER BY id DESC LIMIT ?3",
            account_id, group_key, limit
        ),
    )
    .await
}

#[derive(Clone, Debug, Deserialize)]
pub struct GroupCount {
    pub group_key: String,
    pub n: i64,
}

/// How many notifications each group holds in all (not just on one page), as `GroupCount`
/// rows, for a batch of reads.
pub fn group_counts_query(account_id: i64, keys: &[String]) -> Query {
    query!(
        "SELECT group_key, count(*) AS n FROM notifications WHERE account_id = ?1 AND dismissed_at IS NULL \
         AND group_key IN (SELECT value FROM json_each(?2)) GROUP BY group_key",
        account_id, serde_json::to_string(keys).unwrap_or_else(|_| "[]".into())
    )
}

pub fn dismiss_group(account_id: i64, group_key: &str, now: i64) -> Query {
    query!(
        "UPDATE notifications SET dismissed_at = ?3 WHERE account_id = ?1 AND group_key = ?2 AND dismissed_at IS NULL",
        account_id, group_key, now
    )
}

/// Notifications newer than `after` (the notifications marker), up to `limit`.
pub async fn count_after(db: &dyn Db, account_id: i64, after: Option<i64>, limit: i64) -> Result<i64, StoreError> {
    #[derive(Deserialize)]
    struct Count {
        n: i64,
    }
    let row: Option<Count> = db::first(
        db,
        &query!(
            "SELECT count(*) AS n FROM (SELECT 1 FROM notifications WHERE account_id = ?1 AND dismissed_at IS NULL \
             AND (?2 IS NULL OR id > ?2) LIMIT ?3)",
            account_id, after, limit
        ),
    )
    .await?;
    Ok(row.map_or(0, |r| r.n))
}

/// A new notification. `group_key` groups favourites and boosts of one status, and follows of
/// one day, as Mastodon 4.3 does; everything else stands alone.
pub fn create(id: i64, account_id: i64, from: i64, kind: &str, status_id: Option<i64>, now: i64) -> Query {
    let group_key = match (kind, status_id) {
        ("favourite" | "reblog", Some(status)) => format!("{kind}-{status}"),
        ("follow", _) => format!("follow-{}", now / 86_400_000),
        _ => format!("ungrouped-{id}"),
    };
    query!(
        "INSERT INTO notifications (id, account_id, from_account_id, type, status_id, group_key, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        id, account_id, from, kind, status_id, group_key, now
    )
}

pub async fn get(db: &dyn Db, account_id: i64, id: i64) -> Result<Option<NotificationRow>, StoreError> {
    db::first(
        db,
        &query!(
            "SELECT CAST(id AS TEXT) AS id, type, CAST(from_account_id AS TEXT) AS from_account_id, \
             CAST(status_id AS TEXT) AS status_id, group_key, created_at FROM notifications \
             WHERE account_id = ?1 AND id = ?2 AND dismissed_at IS NULL",
            account_id, id
        ),
    )
    .await
}

pub fn dismiss(account_id: i64, id: i64, now: i64) -> Query {
    query!("UPDATE notifications SET dismissed_at = ?3 WHERE account_id = ?1 AND id = ?2", account_id, id, now)
}

pub fn clear(account_id: i64, now: i64) -> Query {
    query!("UPDATE notifications SET dismissed_at = ?2 WHERE account_id = ?1 AND dismissed_at IS NULL", account_id, now)
}

#[derive(Clone, Debug, Deserialize)]
pub struct MarkerRow {
    pub timeline: String,
    #[serde(deserialize_with = "sqlite_id")]
    pub last_read_id: i64,
    pub version: i64,
    pub updated_at: i64,
}

pub async fn markers(db: &dyn Db, account_id: i64, timelines: &[String]) -> Result<Vec<MarkerRow>, StoreError> {
    let names = serde_json::to_string(timelines).unwrap_or_else(|_| "[]".into());
    db::all(
        db,
        &query!(
            "SELECT timeline, CAST(last_read_id AS TEXT) AS last_read_id, version, updated_at FROM markers \
             WHERE account_id = ?1 AND timeline IN (SELECT value FROM json_each(?2))",
            account_id, names
        ),
    )
    .await
}

/// Sets a marker; `version` counts the changes, as Mastodon's optimistic locking does.
pub fn set_marker(account_id: i64, timeline: &str, last_read_id: i64, now: i64) -> Query {
    query!(
        "INSERT INTO markers (account_id, timeline, last_read_id, version, updated_at) VALUES (?1, ?2, ?3, 1, ?4) \
         ON CONFLICT (account_id, timeline) DO UPDATE SET last_read_id = ?3, version = version + 1, updated_at = ?4",
        account_id, timeline, last_read_id, now
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::testing::{assert_pages_like_mastodon, memory_db, seed_accounts, seed_statuses, OWNER};

    #[tokio::test(flavor = "current_thread")]
    async fn notifications_page_like_mastodon_within_their_filters() {
        let db = &memory_db();
        seed_statuses(db, 0).await;
        seed_accounts(db, 20, 2).await;
        for id in 10..22 {
            let (kind, from) = if id % 2 == 0 { ("follow", 20) } else { ("mention", 21) };
            db.run(&create(id, OWNER, from, kind, None, id)).await.unwrap();
        }
        let follows: Vec<i64> = (10..22).rev().filter(|id| id % 2 == 0).collect();
        let filter = &Filter { types: r#"["follow"]"#.into(), exclude_types: "[]".into(), account_id: None };
        assert_pages_like_mastodon(&follows, |page| async move { list(db, OWNER, &page, filter).await.unwrap().iter().map(|n| n.id).collect() }).await;
        let filter = &Filter { types: "[]".into(), exclude_types: r#"["mention"]"#.into(), account_id: Some(20) };
        assert_pages_like_mastodon(&follows, |page| async move { list(db, OWNER, &page, filter).await.unwrap().iter().map(|n| n.id).collect() }).await;
    }
}
