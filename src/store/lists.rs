//! The owner's lists of accounts, and the list timeline.
use serde::Deserialize;

use super::db::{self, id_list, sqlite_bool, sqlite_id, Db, Query, StoreError};
use super::accounts::AccountRow;
use super::keyset::{keyset, PageQuery};
use crate::domain::paging::Page;
use crate::query;

#[derive(Clone, Debug, Deserialize)]
pub struct ListRow {
    #[serde(deserialize_with = "sqlite_id")]
    pub id: i64,
    pub title: String,
    pub replies_policy: String,
    #[serde(deserialize_with = "sqlite_bool")]
    pub exclusive: bool,
}

pub async fn all(db: &dyn Db, owner: i64) -> Result<Vec<ListRow>, StoreError> {
    db::all(db, &query!("SELECT CAST(id AS TEXT) AS id, title, replies_policy, exclusive FROM lists WHERE account_id = ?1 ORDER BY lower(title), id", owner)).await
}

pub async fn get(db: &dyn Db, owner: i64, id: i64) -> Result<Option<ListRow>, StoreError> {
    db::first(db, &get_query(owner, id)).await
}

/// `get` as a query, for a batch of reads.
pub fn get_query(owner: i64, id: i64) -> Query {
    query!("SELECT CAST(id AS TEXT) AS id, title, replies_policy, exclusive FROM lists WHERE account_id = ?1 AND id = ?2", owner, id)
}

/// Lists of the owner's that contain `member`.
pub async fn containing(db: &dyn Db, owner: i64, member: i64) -> Result<Vec<ListRow>, StoreError> {
    db::all(
        db,
        &query!(
            "SELECT CAST(l.id AS TEXT) AS id, l.title, l.replies_policy, l.exclusive FROM lists l \
             JOIN list_accounts la ON la.list_id = l.id WHERE l.account_id = ?1 AND la.account_id = ?2 ORDER BY lower(l.title)",
            owner, member
        ),
    )
    .await
}

pub fn create(owner: i64, list: &ListRow, now: i64) -> Query {
    query!(
        "INSERT INTO lists (id, account_id, title, replies_policy, exclusive, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        list.id, owner, list.title.clone(), list.replies_policy.clone(), list.exclusive, now
    )
}

pub fn update(owner: i64, list: &ListRow) -> Query {
    query!(
        "UPDATE lists SET title = ?3, replies_policy = ?4, exclusive = ?5 WHERE account_id = ?1 AND id = ?2",
        owner, list.id, list.title.clone(), list.replies_policy.clone(), list.exclusive
    )
}

pub fn delete(owner: i64, id: i64) -> [Query; 2] {
    [
        query!("DELETE FROM list_accounts WHERE list_id = (SELECT id FROM lists WHERE account_id = ?1 AND id = ?2)", owner, id),
        query!("DELETE FROM lists WHERE account_id = ?1 AND id = ?2", owner, id),
    ]
}

/// A list's members, paged by account id (the ids in `page` are account ids).
pub fn members(list_id: i64, page: &Page) -> PageQuery<AccountRow> {
    let statement = keyset!("la.account_id"; crate::select_accounts!("JOIN list_accounts la ON la.account_id = a.id WHERE la.list_id = ?1"));
    statement.page(list_id, page, vec![])
}

pub fn add_members(list_id: i64, accounts: &[i64]) -> Query {
    query!(
        "INSERT OR IGNORE INTO list_accounts (list_id, account_id) SELECT ?1, value FROM json_each(?2)",
        list_id, id_list(accounts)
    )
}

pub fn remove_members(list_id: i64, accounts: &[i64]) -> Query {
    query!(
        "DELETE FROM list_accounts WHERE list_id = ?1 AND account_id IN (SELECT value FROM json_each(?2))",
        list_id, id_list(accounts)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::testing::{assert_pages_like_mastodon, memory_db, seed_accounts, seed_statuses};

    /// `members` took only `max_id`: `since_id` and `min_id` were dropped.
    #[tokio::test(flavor = "current_thread")]
    async fn members_page_by_account_id_and_min_id_is_the_page_just_above() {
        let db = &memory_db();
        seed_statuses(db, 0).await;
        seed_accounts(db, 20, 6).await;
        db.run(&crate::query!("INSERT INTO lists (id, account_id, title, replies_policy, exclusive, created_at) VALUES (7, 1, 'l', 'list', 0, 0)")).await.unwrap();
        let ids: Vec<i64> = (20..26).rev().collect();
        db.run(&add_members(7, &ids)).await.unwrap();
        assert_pages_like_mastodon(&ids, |page| async move { members(7, &page).fetch(db).await.unwrap().iter().map(|a| a.id).collect() }).await;
    }
}
