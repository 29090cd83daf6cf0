//! Media attachments: rows here, files in R2 under `r2_key`.
use serde::Deserialize;

use super::db::{self, id_list, sqlite_id, sqlite_opt_id, Db, Query, StoreError};
use super::statuses::shown;
use crate::query;

#[derive(Clone, Debug, Deserialize)]
pub struct MediaRow {
    #[serde(deserialize_with = "sqlite_id")]
    pub id: i64,
    #[serde(deserialize_with = "sqlite_id")]
    pub account_id: i64,
    #[serde(deserialize_with = "sqlite_opt_id")]
    pub status_id: Option<i64>,
    #[serde(rename = "type")]
    pub kind: String,
    pub r2_key: Option<String>,
    pub remote_url: Option<String>,
    pub content_type: Option<String>,
    pub description: Option<String>,
    pub blurhash: Option<String>,
    /// JSON `{"width":…, "height":…}` when known.
    pub meta: String,
    pub focus_x: Option<f64>,
    pub focus_y: Option<f64>,
}

macro_rules! select_media {
    ($($where:expr),+) => {
        concat!(
            "SELECT CAST(id AS TEXT) AS id, CAST(account_id AS TEXT) AS account_id, CAST(status_id AS TEXT) AS status_id, ",
            "type, r2_key, remote_url, content_type, description, blurhash, meta, focus_x, focus_y FROM media_attachments ",
            $($where),+
        )
    };
}

pub async fn get(db: &dyn Db, id: i64) -> Result<Option<MediaRow>, StoreError> {
    db::first(db, &query!(select_media!("WHERE id = ?1"), id)).await
}

pub async fn get_many(db: &dyn Db, ids: &[i64]) -> Result<Vec<MediaRow>, StoreError> {
    db::all(db, &query!(select_media!("WHERE id IN (SELECT value FROM json_each(?1))"), id_list(ids))).await
}

pub async fn of_statuses(db: &dyn Db, status_ids: &[i64]) -> Result<Vec<MediaRow>, StoreError> {
    if status_ids.is_empty() {
        return Ok(Vec::new());
    }
    db::all(db, &query!(select_media!("WHERE status_id IN (SELECT value FROM json_each(?1)) ORDER BY id"), id_list(status_ids))).await
}

/// Media of the statuses `ids` and of those they reblog (`statuses::shown!`), for a batch of reads.
pub fn shown_query(ids: &[i64]) -> Query {
    query!(select_media!("WHERE status_id IN ", shown!(1), " ORDER BY id"), id_list(ids))
}

pub struct NewMedia<'a> {
    pub id: i64,
    pub account_id: i64,
    pub kind: &'a str,
    pub r2_key: &'a str,
    pub content_type: &'a str,
    pub file_size: i64,
    pub description: Option<&'a str>,
    pub meta: &'a str,
    pub focus: Option<(f64, f64)>,
    pub now: i64,
}

pub fn create(m: &NewMedia) -> Query {
    query!(
        "INSERT INTO media_attachments (id, account_id, type, r2_key, content_type, file_size, description, meta, focus_x, focus_y, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        m.id, m.account_id, m.kind, m.r2_key, m.content_type, m.file_size, m.description, m.meta,
        m.focus.map(|f| f.0), m.focus.map(|f| f.1), m.now
    )
}

pub fn update(id: i64, description: Option<&str>, focus: Option<(f64, f64)>) -> Query {
    query!(
        "UPDATE media_attachments SET description = COALESCE(?2, description), focus_x = COALESCE(?3, focus_x), \
         focus_y = COALESCE(?4, focus_y) WHERE id = ?1",
        id, description, focus.map(|f| f.0), focus.map(|f| f.1)
    )
}

/// Attaches media to a status, in the given order of ids (ids grow, so order is kept).
pub fn attach(status_id: i64, media_ids: &[i64]) -> Query {
    query!(
        "UPDATE media_attachments SET status_id = ?1 WHERE id IN (SELECT value FROM json_each(?2))",
        status_id, id_list(media_ids)
    )
}

/// Detaches a status's media that are not in `keep` (an edit removed them).
pub fn detach_all_but(status_id: i64, keep: &[i64]) -> Query {
    query!(
        "UPDATE media_attachments SET status_id = NULL WHERE status_id = ?1 AND id NOT IN (SELECT value FROM json_each(?2))",
        status_id, id_list(keep)
    )
}

/// A remote post's attachment: we link to the file where it is, we do not copy it.
pub struct RemoteMedia<'a> {
    pub id: i64,
    pub account_id: i64,
    pub status_id: i64,
    pub kind: &'a str,
    pub url: &'a str,
    pub content_type: Option<&'a str>,
    pub description: Option<&'a str>,
    pub blurhash: Option<&'a str>,
    pub meta: &'a str,
    pub now: i64,
}

pub fn create_remote(m: &RemoteMedia) -> Query {
    query!(
        "INSERT INTO media_attachments (id, account_id, status_id, type, remote_url, content_type, description, blurhash, meta, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        m.id, m.account_id, m.status_id, m.kind, m.url, m.content_type, m.description, m.blurhash, m.meta, m.now
    )
}
