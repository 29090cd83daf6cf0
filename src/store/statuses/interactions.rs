//! What an account does to a status — favourites, bookmarks, pins, muted conversations, boosts
//! (a boost is a status of its own, written by `writes`; here it is only looked up) — and the
//! lists those make. The lists page by the favourite's, bookmark's or boost's own id, the order
//! they were made in, not by the status id.
use serde::Deserialize;

use super::StatusRow;
use crate::domain::paging::Page;
use crate::query;
use crate::store::db::{self, sqlite_id, Db, Query, StoreError};
use crate::store::keyset::{keyset, PageQuery};

/// The viewer's existing reblog of a status, if any.
pub async fn reblog_by(db: &dyn Db, account_id: i64, status_id: i64) -> Result<Option<StatusRow>, StoreError> {
    db::first(
        db,
        &query!(
            select_statuses!("FROM statuses s WHERE s.account_id = ?1 AND s.reblog_of_id = ?2 AND s.deleted_at IS NULL"),
            account_id,
            status_id
        ),
    )
    .await
}

pub fn favourite(id: i64, account_id: i64, status_id: i64, now: i64) -> [Query; 2] {
    [
        query!(
            "UPDATE statuses SET favourites_count = favourites_count + 1 WHERE id = ?2 \
             AND NOT EXISTS (SELECT 1 FROM favourites WHERE account_id = ?1 AND status_id = ?2)",
            account_id, status_id
        ),
        query!(
            "INSERT OR IGNORE INTO favourites (id, account_id, status_id, created_at) VALUES (?1, ?2, ?3, ?4)",
            id, account_id, status_id, now
        ),
    ]
}

pub fn unfavourite(account_id: i64, status_id: i64) -> [Query; 2] {
    [
        query!(
            "UPDATE statuses SET favourites_count = max(favourites_count - 1, 0) WHERE id = ?2 \
             AND EXISTS (SELECT 1 FROM favourites WHERE account_id = ?1 AND status_id = ?2)",
            account_id, status_id
        ),
        query!("DELETE FROM favourites WHERE account_id = ?1 AND status_id = ?2", account_id, status_id),
    ]
}

pub fn bookmark(id: i64, account_id: i64, status_id: i64, now: i64) -> Query {
    query!(
        "INSERT OR IGNORE INTO bookmarks (id, account_id, status_id, created_at) VALUES (?1, ?2, ?3, ?4)",
        id, account_id, status_id, now
    )
}

pub fn unbookmark(account_id: i64, status_id: i64) -> Query {
    query!("DELETE FROM bookmarks WHERE account_id = ?1 AND status_id = ?2", account_id, status_id)
}

pub fn set_pinned(status_id: i64, pinned_at: Option<i64>) -> Query {
    query!("UPDATE statuses SET pinned_at = ?2 WHERE id = ?1", status_id, pinned_at)
}

pub async fn count_pinned(db: &dyn Db, account_id: i64) -> Result<i64, StoreError> {
    #[derive(Deserialize)]
    struct Count {
        n: i64,
    }
    let row: Option<Count> = db::first(
        db,
        &query!("SELECT count(*) AS n FROM statuses WHERE account_id = ?1 AND pinned_at IS NOT NULL AND deleted_at IS NULL", account_id),
    )
    .await?;
    Ok(row.map_or(0, |r| r.n))
}

pub fn mute_conversation(account_id: i64, conversation_id: i64) -> Query {
    query!("INSERT OR IGNORE INTO status_mutes (account_id, conversation_id) VALUES (?1, ?2)", account_id, conversation_id)
}

pub fn unmute_conversation(account_id: i64, conversation_id: i64) -> Query {
    query!("DELETE FROM status_mutes WHERE account_id = ?1 AND conversation_id = ?2", account_id, conversation_id)
}

/// A status id with the id of the row that put it in a list (favourite, bookmark), which is
/// what those lists page by.
#[derive(Clone, Debug, Deserialize)]
pub struct ListedStatus {
    #[serde(deserialize_with = "sqlite_id")]
    pub row_id: i64,
    #[serde(deserialize_with = "sqlite_id")]
    pub status_id: i64,
}

#[derive(Clone, Copy, Debug)]
pub enum StatusList {
    Favourites,
    Bookmarks,
}

/// The owner's favourites or bookmarks, newest first, paged by when each was made.
pub async fn listed(db: &dyn Db, list: StatusList, account_id: i64, page: &Page) -> Result<Vec<ListedStatus>, StoreError> {
    let statement = match list {
        StatusList::Favourites => keyset!("id";
            "SELECT CAST(id AS TEXT) AS row_id, CAST(status_id AS TEXT) AS status_id FROM favourites WHERE account_id = ?1"),
        StatusList::Bookmarks => keyset!("id";
            "SELECT CAST(id AS TEXT) AS row_id, CAST(status_id AS TEXT) AS status_id FROM bookmarks WHERE account_id = ?1"),
    };
    statement.fetch(db, account_id, page, vec![]).await
}

/// Accounts that favourited (or reblogged) a status, newest first.
#[derive(Clone, Debug, Deserialize)]
pub struct ActorRow {
    #[serde(deserialize_with = "sqlite_id")]
    pub row_id: i64,
    #[serde(deserialize_with = "sqlite_id")]
    pub account_id: i64,
}

pub fn favourited_by(status_id: i64, page: &Page) -> PageQuery<ActorRow> {
    let statement = keyset!("id";
        "SELECT CAST(id AS TEXT) AS row_id, CAST(account_id AS TEXT) AS account_id FROM favourites WHERE status_id = ?1");
    statement.page(status_id, page, vec![])
}

pub fn reblogged_by(status_id: i64, page: &Page) -> PageQuery<ActorRow> {
    let statement = keyset!("id";
        "SELECT CAST(id AS TEXT) AS row_id, CAST(account_id AS TEXT) AS account_id FROM statuses \
         WHERE reblog_of_id = ?1 AND deleted_at IS NULL");
    statement.page(status_id, page, vec![])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::statuses::{create, delete, get, home, NewStatus};
    use crate::store::testing::{assert_pages_like_mastodon, memory_db, seed_accounts, seed_statuses as seed, OWNER};

    #[tokio::test(flavor = "current_thread")]
    async fn favourites_count_once_and_deleting_undoes_counts() {
        let db = memory_db();
        let all = seed(&db, 1).await;
        db.batch(&favourite(77, OWNER, all[0], 5)).await.unwrap();
        db.batch(&favourite(78, OWNER, all[0], 6)).await.unwrap();
        let row = get(&db, Some(OWNER), all[0]).await.unwrap().unwrap();
        assert_eq!((row.favourites_count, row.favourited), (1, true));
        db.batch(&unfavourite(OWNER, all[0])).await.unwrap();
        db.batch(&unfavourite(OWNER, all[0])).await.unwrap();
        let row = get(&db, Some(OWNER), all[0]).await.unwrap().unwrap();
        assert_eq!((row.favourites_count, row.favourited), (0, false));
        db.batch(&delete(&row, 9)).await.unwrap();
        assert!(get(&db, Some(OWNER), all[0]).await.unwrap().is_none());
        assert!(home(&db, OWNER, &Page { limit: 40, ..Default::default() }).await.unwrap().is_empty());
    }


    /// Five favourites and five bookmarks made in another order than their statuses'.
    #[tokio::test(flavor = "current_thread")]
    async fn favourites_and_bookmarks_page_by_when_they_were_made() {
        let db = memory_db();
        let statuses = seed(&db, 5).await;
        let mut rows = Vec::new();
        for (n, status) in statuses.iter().rev().enumerate() {
            let row_id = 100 + n as i64;
            db.batch(&favourite(row_id, OWNER, *status, 1)).await.unwrap();
            db.run(&bookmark(row_id, OWNER, *status, 1)).await.unwrap();
            rows.push(row_id);
        }
        rows.reverse(); // newest first
        for list in [StatusList::Favourites, StatusList::Bookmarks] {
            let db = &db;
            assert_pages_like_mastodon(&rows, |page| async move {
                listed(db, list, OWNER, &page).await.unwrap().iter().map(|r| r.row_id).collect()
            })
            .await;
        }
    }

    /// `favourited_by` walked only newest first: `min_id` gave the newest page.
    #[tokio::test(flavor = "current_thread")]
    async fn favourited_by_min_id_is_the_page_just_above() {
        let db = memory_db();
        let status = seed(&db, 1).await[0];
        seed_accounts(&db, 20, 6).await;
        let mut rows: Vec<i64> = Vec::new();
        for account in 20..26 {
            let row_id = 300 - account; // favourite ids need not follow account ids
            db.batch(&favourite(row_id, account, status, 1)).await.unwrap();
            rows.push(row_id);
        }
        rows.sort_unstable_by(|a, b| b.cmp(a));
        assert_pages_like_mastodon(&rows, |page| {
            let db = &db;
            async move { favourited_by(status, &page).fetch(db).await.unwrap().iter().map(|r| r.row_id).collect() }
        })
        .await;
    }

    /// `reblogged_by` walked only newest first: `min_id` gave the newest page.
    #[tokio::test(flavor = "current_thread")]
    async fn reblogged_by_min_id_is_the_page_just_above() {
        let db = memory_db();
        let status = seed(&db, 1).await[0];
        let original = get(&db, None, status).await.unwrap().unwrap();
        seed_accounts(&db, 20, 6).await;
        let mut boosts = Vec::new();
        for account in 20..26 {
            let id = original.id + account;
            let uri = format!("https://r.example/boosts/{id}");
            db.batch(&create(&NewStatus::reblog(id, &uri, account, crate::domain::visibility::Visibility::Public, &original, 1), &[], &[], &[])).await.unwrap();
            boosts.push(id);
        }
        boosts.reverse();
        assert_pages_like_mastodon(&boosts, |page| {
            let db = &db;
            async move { reblogged_by(status, &page).fetch(db).await.unwrap().iter().map(|r| r.row_id).collect() }
        })
        .await;
    }
}
