//! Hashtags: lookups, the owner's followed and featured tags, usage history and trends.
use serde::Deserialize;

use super::db::{self, sqlite_id, Arg, Db, Query, StoreError};
use super::keyset::keyset;
use crate::domain::paging::Page;
use crate::query;

#[derive(Clone, Debug, Deserialize)]
pub struct TagRow {
    #[serde(deserialize_with = "sqlite_id")]
    pub id: i64,
    pub name: String,
    pub followed_at: Option<i64>,
    pub featured_at: Option<i64>,
}

/// Whose view of the tags a read is for. Tags come into being with any post, direct ones too, and
/// with the owner following one; the public learns only of tags it can see used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum View {
    /// Every tag and every use.
    Owner,
    /// Tags used in a public or unlisted post, or featured on the profile; uses counted in public
    /// posts only, as Mastodon's history counts them.
    Public,
}

impl View {
    fn is_owner(self) -> bool {
        self == View::Owner
    }
}

/// Whether the tag `t` is known to the public (see `View::Public`).
macro_rules! publicly_known {
    () => {
        "(t.featured_at IS NOT NULL OR EXISTS (SELECT 1 FROM status_tags k JOIN statuses ks ON ks.id = k.status_id \
          WHERE k.tag_id = t.id AND ks.visibility IN ('public', 'unlisted') AND ks.deleted_at IS NULL))"
    };
}

pub async fn get(db: &dyn Db, name: &str, view: View) -> Result<Option<TagRow>, StoreError> {
    db::first(db, &get_query(name, view)).await
}

/// `get` as a query, for a batch of reads.
pub fn get_query(name: &str, view: View) -> Query {
    query!(
        concat!(
            "SELECT CAST(t.id AS TEXT) AS id, t.name, t.followed_at, t.featured_at FROM tags t \
             WHERE t.normalized = lower(?1) AND (?2 = 1 OR ",
            publicly_known!(),
            ")"
        ),
        name, view.is_owner()
    )
}

/// Creates the tag if it is new (following a tag nobody used yet is allowed).
pub fn ensure(id: i64, name: &str, now: i64) -> Query {
    query!("INSERT OR IGNORE INTO tags (id, name, normalized, created_at) VALUES (?1, ?2, lower(?2), ?3)", id, name, now)
}

pub fn set_followed(name: &str, at: Option<i64>) -> Query {
    query!("UPDATE tags SET followed_at = ?2 WHERE normalized = lower(?1)", name, at)
}

pub fn set_featured(name: &str, at: Option<i64>) -> Query {
    query!("UPDATE tags SET featured_at = ?2 WHERE normalized = lower(?1)", name, at)
}

pub async fn get_by_id(db: &dyn Db, id: i64) -> Result<Option<TagRow>, StoreError> {
    db::first(db, &query!("SELECT CAST(id AS TEXT) AS id, name, followed_at, featured_at FROM tags WHERE id = ?1", id)).await
}

/// Followed tags, paged by tag id. A tag carries the owner's follow itself, so the list has no
/// scope (`?1` is unused).
pub async fn followed(db: &dyn Db, page: &Page) -> Result<Vec<TagRow>, StoreError> {
    let statement = keyset!("id"; "SELECT CAST(id AS TEXT) AS id, name, followed_at, featured_at FROM tags WHERE followed_at IS NOT NULL");
    statement.fetch(db, Arg::Null, page, vec![]).await
}

pub async fn featured(db: &dyn Db) -> Result<Vec<TagRow>, StoreError> {
    db::all(db, &featured_query()).await
}

/// `featured` as a query, for a batch of reads.
pub fn featured_query() -> Query {
    query!("SELECT CAST(id AS TEXT) AS id, name, followed_at, featured_at FROM tags WHERE featured_at IS NOT NULL ORDER BY featured_at")
}

/// Tags whose name starts with `prefix`, most used first (in posts the view may see), as
/// `TagRow`s, for a batch of reads.
pub fn search_query(prefix: &str, limit: i64, offset: i64, view: View) -> Query {
    query!(
        concat!(
            "SELECT CAST(t.id AS TEXT) AS id, t.name, t.followed_at, t.featured_at FROM tags t \
             WHERE t.normalized >= lower(?1) AND t.normalized < lower(?1) || char(1114111) AND (?4 = 1 OR ",
            publicly_known!(),
            ") ORDER BY (SELECT count(*) FROM status_tags st JOIN statuses s ON s.id = st.status_id \
               WHERE st.tag_id = t.id AND (?4 = 1 OR s.visibility IN ('public', 'unlisted'))) DESC, \
             t.normalized LIMIT ?2 OFFSET ?3"
        ),
        prefix, limit, offset, view.is_owner()
    )
}

#[derive(Clone, Debug, Deserialize)]
pub struct DayUse {
    #[serde(deserialize_with = "sqlite_id")]
    pub tag_id: i64,
    /// Days since the Unix epoch.
    pub day: i64,
    pub uses: i64,
    pub accounts: i64,
}

/// Daily uses (`DayUse`) of each tag since `since` (ms), for `history`, for a batch of reads.
pub fn daily_uses_query(tag_ids: &[i64], since: i64, view: View) -> Query {
    query!(
        "SELECT CAST(st.tag_id AS TEXT) AS tag_id, s.created_at / 86400000 AS day, count(*) AS uses, \
         count(DISTINCT s.account_id) AS accounts FROM status_tags st JOIN statuses s ON s.id = st.status_id \
         WHERE st.tag_id IN (SELECT value FROM json_each(?1)) AND s.created_at >= ?2 AND s.deleted_at IS NULL \
         AND (?3 = 1 OR s.visibility = 'public') GROUP BY st.tag_id, day",
        db::id_list(tag_ids), since, view.is_owner()
    )
}

/// Tags used in public posts since `since`, by how many accounts and posts used them.
pub async fn trending(db: &dyn Db, since: i64, limit: i64, offset: i64) -> Result<Vec<TagRow>, StoreError> {
    db::all(
        db,
        &query!(
            "SELECT CAST(t.id AS TEXT) AS id, t.name, t.followed_at, t.featured_at FROM tags t \
             JOIN status_tags st ON st.tag_id = t.id JOIN statuses s ON s.id = st.status_id \
             WHERE s.created_at >= ?1 AND s.visibility = 'public' AND s.deleted_at IS NULL \
             GROUP BY t.id ORDER BY count(DISTINCT s.account_id) DESC, count(*) DESC, t.normalized LIMIT ?2 OFFSET ?3",
            since, limit, offset
        ),
    )
    .await
}

#[derive(Clone, Debug, Deserialize)]
pub struct FeaturedStats {
    #[serde(deserialize_with = "sqlite_id")]
    pub tag_id: i64,
    pub statuses_count: i64,
    pub last_status_at: Option<i64>,
}

/// How often `account_id` used each featured tag in public posts (featured tags show it), as
/// `FeaturedStats`, for a batch of reads.
pub fn featured_usage_query(account_id: i64) -> Query {
    query!(
        "SELECT CAST(st.tag_id AS TEXT) AS tag_id, count(*) AS statuses_count, max(s.created_at) AS last_status_at \
         FROM status_tags st JOIN statuses s ON s.id = st.status_id WHERE s.account_id = ?1 \
         AND st.tag_id IN (SELECT id FROM tags WHERE featured_at IS NOT NULL) AND s.visibility IN ('public', 'unlisted') \
         AND s.deleted_at IS NULL GROUP BY st.tag_id",
        account_id
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::testing::{assert_pages_like_mastodon, memory_db};

    /// `followed` walked only newest first: `min_id` gave the newest page.
    #[tokio::test(flavor = "current_thread")]
    async fn followed_tags_min_id_is_the_page_just_above() {
        let db = &memory_db();
        let ids: Vec<i64> = (10..16).rev().collect();
        for id in 9..17 {
            db.run(&ensure(id, &format!("Tag{id}"), 0)).await.unwrap();
        }
        for id in &ids {
            db.run(&set_followed(&format!("tag{id}"), Some(1))).await.unwrap();
        }
        assert_pages_like_mastodon(&ids, |page| async move { followed(db, &page).await.unwrap().iter().map(|t| t.id).collect() }).await;
    }
}
