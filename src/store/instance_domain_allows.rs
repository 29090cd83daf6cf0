//! The allow-list mode (migration 0022): the allowed domains, and whether the mode is on (a
//! column of the one `site_settings` row, which may not exist yet).
use serde::Deserialize;

use super::db::{self, sqlite_bool, sqlite_id, Db, Query, StoreError};
use crate::query;

/// As many as blocks: every isolate keeps them all in memory.
pub const MAX_ALLOWS: i64 = 1_000;

#[derive(Clone, Debug, Deserialize)]
pub struct AllowRow {
    #[serde(deserialize_with = "sqlite_id")]
    pub id: i64,
    pub domain: String,
    pub created_at: i64,
}

#[derive(Clone, Copy, Debug, Deserialize)]
pub struct ModeRow {
    #[serde(deserialize_with = "sqlite_bool")]
    pub allow_list_mode: bool,
}

/// Every allowed domain, newest first.
pub fn all_query() -> Query {
    query!("SELECT CAST(id AS TEXT) AS id, domain, created_at FROM instance_domain_allows ORDER BY id DESC LIMIT ?1", MAX_ALLOWS)
}

pub async fn all(db: &dyn Db) -> Result<Vec<AllowRow>, StoreError> {
    db::all(db, &all_query()).await
}

pub async fn get(db: &dyn Db, id: i64) -> Result<Option<AllowRow>, StoreError> {
    db::first(db, &query!("SELECT CAST(id AS TEXT) AS id, domain, created_at FROM instance_domain_allows WHERE id = ?1", id)).await
}

/// Whether the mode is on: no row means off.
pub fn mode_query() -> Query {
    query!("SELECT allow_list_mode FROM site_settings WHERE id = 1")
}

pub fn insert(row: &AllowRow) -> Query {
    query!("INSERT INTO instance_domain_allows (id, domain, created_at) VALUES (?1, ?2, ?3)", row.id, row.domain.clone(), row.created_at)
}

pub fn delete(id: i64) -> Query {
    query!("DELETE FROM instance_domain_allows WHERE id = ?1", id)
}

pub fn set_mode(on: bool, now: i64) -> Query {
    query!(
        "INSERT INTO site_settings (id, allow_list_mode, updated_at) VALUES (1, ?1, ?2) \
         ON CONFLICT (id) DO UPDATE SET allow_list_mode = ?1, updated_at = ?2",
        on, now
    )
}
