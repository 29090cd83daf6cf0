//! The owner's content filters (v2: a filter has keywords and statuses; v1 filters are keywords).
use serde::Deserialize;

use super::db::{decode, sqlite_bool, sqlite_id, Db, Query, Row, StoreError};
use crate::query;

#[derive(Clone, Debug, Deserialize)]
pub struct FilterRow {
    #[serde(deserialize_with = "sqlite_id")]
    pub id: i64,
    pub title: String,
    /// JSON array of contexts.
    pub contexts: String,
    pub action: String,
    pub expires_at: Option<i64>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct KeywordRow {
    #[serde(deserialize_with = "sqlite_id")]
    pub id: i64,
    #[serde(deserialize_with = "sqlite_id")]
    pub filter_id: i64,
    pub keyword: String,
    #[serde(deserialize_with = "sqlite_bool")]
    pub whole_word: bool,
}

#[derive(Clone, Debug, Deserialize)]
pub struct FilteredStatusRow {
    #[serde(deserialize_with = "sqlite_id")]
    pub id: i64,
    #[serde(deserialize_with = "sqlite_id")]
    pub filter_id: i64,
    #[serde(deserialize_with = "sqlite_id")]
    pub status_id: i64,
}

/// A filter with its keywords and statuses.
#[derive(Clone, Debug)]
pub struct Filter {
    pub row: FilterRow,
    pub keywords: Vec<KeywordRow>,
    pub statuses: Vec<FilteredStatusRow>,
}

/// All of the owner's filters, with expired ones left out when `now` is given.
pub async fn all(db: &dyn Db, owner: i64, now: Option<i64>) -> Result<Vec<Filter>, StoreError> {
    from_rows(db.batch_rows(&all_queries(owner, now)).await?)
}

/// `all` as queries, for a batch of reads; `from_rows` makes filters of their answers.
pub fn all_queries(owner: i64, now: Option<i64>) -> [Query; 3] {
    [
        query!(
            "SELECT CAST(id AS TEXT) AS id, title, contexts, action, expires_at FROM filters \
             WHERE account_id = ?1 AND (?2 IS NULL OR expires_at IS NULL OR expires_at > ?2) ORDER BY id",
            owner, now
        ),
        query!(
            "SELECT CAST(k.id AS TEXT) AS id, CAST(k.filter_id AS TEXT) AS filter_id, k.keyword, k.whole_word \
             FROM filter_keywords k JOIN filters f ON f.id = k.filter_id WHERE f.account_id = ?1 ORDER BY k.id",
            owner
        ),
        query!(
            "SELECT CAST(s.id AS TEXT) AS id, CAST(s.filter_id AS TEXT) AS filter_id, CAST(s.status_id AS TEXT) AS status_id \
             FROM filter_statuses s JOIN filters f ON f.id = s.filter_id WHERE f.account_id = ?1 ORDER BY s.id",
            owner
        ),
    ]
}

/// The filters in the answers to `all_queries`, in their order.
pub fn from_rows(answers: Vec<Vec<Row>>) -> Result<Vec<Filter>, StoreError> {
    let mut answers = answers.into_iter();
    let mut next = || answers.next().unwrap_or_default();
    let rows: Vec<FilterRow> = decode(next())?;
    let keywords: Vec<KeywordRow> = decode(next())?;
    let statuses: Vec<FilteredStatusRow> = decode(next())?;
    Ok(rows
        .into_iter()
        .map(|row| Filter {
            keywords: keywords.iter().filter(|k| k.filter_id == row.id).cloned().collect(),
            statuses: statuses.iter().filter(|s| s.filter_id == row.id).cloned().collect(),
            row,
        })
        .collect())
}

pub async fn get(db: &dyn Db, owner: i64, id: i64) -> Result<Option<Filter>, StoreError> {
    Ok(all(db, owner, None).await?.into_iter().find(|f| f.row.id == id))
}

pub fn create(owner: i64, f: &FilterRow, now: i64) -> Query {
    query!(
        "INSERT INTO filters (id, account_id, title, contexts, action, expires_at, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        f.id, owner, f.title.clone(), f.contexts.clone(), f.action.clone(), f.expires_at, now
    )
}

pub fn update(owner: i64, f: &FilterRow) -> Query {
    query!(
        "UPDATE filters SET title = ?3, contexts = ?4, action = ?5, expires_at = ?6 WHERE account_id = ?1 AND id = ?2",
        owner, f.id, f.title.clone(), f.contexts.clone(), f.action.clone(), f.expires_at
    )
}

pub fn delete(owner: i64, id: i64) -> [Query; 3] {
    [
        query!("DELETE FROM filter_keywords WHERE filter_id = (SELECT id FROM filters WHERE account_id = ?1 AND id = ?2)", owner, id),
        query!("DELETE FROM filter_statuses WHERE filter_id = (SELECT id FROM filters WHERE account_id = ?1 AND id = ?2)", owner, id),
        query!("DELETE FROM filters WHERE account_id = ?1 AND id = ?2", owner, id),
    ]
}

pub fn add_keyword(k: &KeywordRow) -> Query {
    query!(
        "INSERT INTO filter_keywords (id, filter_id, keyword, whole_word) VALUES (?1, ?2, ?3, ?4)",
        k.id, k.filter_id, k.keyword.clone(), k.whole_word
    )
}

pub fn update_keyword(k: &KeywordRow) -> Query {
    query!("UPDATE filter_keywords SET keyword = ?2, whole_word = ?3 WHERE id = ?1", k.id, k.keyword.clone(), k.whole_word)
}

pub fn delete_keyword(id: i64) -> Query {
    query!("DELETE FROM filter_keywords WHERE id = ?1", id)
}

pub fn add_status(s: &FilteredStatusRow) -> Query {
    query!("INSERT INTO filter_statuses (id, filter_id, status_id) VALUES (?1, ?2, ?3)", s.id, s.filter_id, s.status_id)
}

pub fn delete_status(id: i64) -> Query {
    query!("DELETE FROM filter_statuses WHERE id = ?1", id)
}
