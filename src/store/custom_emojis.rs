//! The instance's own custom emoji (`domain IS NULL`): rows here, images in R2 under `r2_key`.
//! Remote emoji are not rows: a remote post or profile keeps its own as JSON (`emojis`).
use serde::Deserialize;

use super::db::{self, sqlite_bool, sqlite_id, Db, Query, StoreError};
use crate::query;

#[derive(Clone, Debug, Deserialize)]
pub struct EmojiRow {
    #[serde(deserialize_with = "sqlite_id")]
    pub id: i64,
    pub shortcode: String,
    pub uri: Option<String>,
    pub image_url: String,
    pub r2_key: Option<String>,
    pub content_type: Option<String>,
    pub category: Option<String>,
    #[serde(deserialize_with = "sqlite_bool")]
    pub visible_in_picker: bool,
    #[serde(deserialize_with = "sqlite_bool")]
    pub disabled: bool,
    pub created_at: i64,
    pub updated_at: Option<i64>,
}

macro_rules! select_emoji {
    ($($rest:expr),+) => {
        concat!(
            "SELECT CAST(id AS TEXT) AS id, shortcode, uri, image_url, r2_key, content_type, category, visible_in_picker, \
             disabled, created_at, updated_at FROM custom_emojis WHERE domain IS NULL",
            $($rest),+
        )
    };
}

/// Every local emoji, enabled or not (the admin's page).
pub async fn all(db: &dyn Db) -> Result<Vec<EmojiRow>, StoreError> {
    db::all(db, &query!(select_emoji!(" ORDER BY category IS NOT NULL, category, shortcode"))).await
}

/// The emoji apps may offer (`/api/v1/custom_emojis`).
pub async fn enabled(db: &dyn Db) -> Result<Vec<EmojiRow>, StoreError> {
    db::all(db, &query!(select_emoji!(" AND disabled = 0 ORDER BY shortcode"))).await
}

/// The enabled emoji among `shortcodes` (a bounded list, `content::emoji::MAX_SHORTCODES`), in
/// one query whatever their number.
pub fn enabled_named(shortcodes: &[&str]) -> Query {
    let list = serde_json::to_string(shortcodes).unwrap_or_else(|_| "[]".into());
    query!(select_emoji!(" AND disabled = 0 AND shortcode IN (SELECT value FROM json_each(?1)) ORDER BY shortcode"), list)
}

pub async fn get(db: &dyn Db, id: i64) -> Result<Option<EmojiRow>, StoreError> {
    db::first(db, &query!(select_emoji!(" AND id = ?1"), id)).await
}

pub async fn shortcode_taken(db: &dyn Db, shortcode: &str) -> Result<bool, StoreError> {
    db::exists(db, &query!("SELECT 1 FROM custom_emojis WHERE domain IS NULL AND shortcode = ?1", shortcode)).await
}

pub struct NewEmoji<'a> {
    pub id: i64,
    pub shortcode: &'a str,
    pub uri: &'a str,
    pub image_url: &'a str,
    pub r2_key: &'a str,
    pub content_type: &'a str,
    pub category: Option<&'a str>,
    pub now: i64,
}

/// Fails on the `UNIQUE (shortcode, domain)`… except that SQLite lets NULL domains repeat, so
/// the caller checks `shortcode_taken` first; `WHERE NOT EXISTS` keeps a race from doubling it.
pub fn create(e: &NewEmoji) -> Query {
    query!(
        "INSERT INTO custom_emojis (id, shortcode, domain, uri, image_url, r2_key, content_type, category, visible_in_picker, disabled, created_at, updated_at) \
         SELECT ?1, ?2, NULL, ?3, ?4, ?5, ?6, ?7, 1, 0, ?8, ?8 \
         WHERE NOT EXISTS (SELECT 1 FROM custom_emojis WHERE domain IS NULL AND shortcode = ?2)",
        e.id, e.shortcode, e.uri, e.image_url, e.r2_key, e.content_type, e.category, e.now
    )
}

/// Changes what the admin may change after upload; `None` keeps a value.
pub fn update(id: i64, disabled: Option<bool>, visible_in_picker: Option<bool>, category: Option<Option<&str>>) -> Query {
    let (set_category, category) = match category {
        Some(category) => (1, category),
        None => (0, None),
    };
    query!(
        "UPDATE custom_emojis SET disabled = COALESCE(?2, disabled), visible_in_picker = COALESCE(?3, visible_in_picker), \
         category = CASE WHEN ?4 = 1 THEN ?5 ELSE category END WHERE id = ?1 AND domain IS NULL",
        id, disabled, visible_in_picker, set_category, category
    )
}

pub fn delete(id: i64) -> Query {
    query!("DELETE FROM custom_emojis WHERE id = ?1 AND domain IS NULL", id)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::store::testing::memory_db;

    fn new(id: i64, shortcode: &str) -> NewEmoji<'_> {
        NewEmoji { id, shortcode, uri: "u", image_url: "i", r2_key: "k", content_type: "image/png", category: None, now: 5 }
    }

    #[tokio::test(flavor = "current_thread")]
    async fn shortcodes_are_unique_and_disabled_ones_are_not_used() {
        let db = memory_db();
        db.run(&create(&new(1, "blob"))).await.unwrap();
        assert_eq!(db.run(&create(&new(2, "blob"))).await.unwrap(), 0);
        db.run(&create(&new(3, "cat"))).await.unwrap();
        assert!(shortcode_taken(&db, "blob").await.unwrap());
        db.run(&update(1, Some(true), None, Some(Some("Blobs")))).await.unwrap();
        let named: Vec<EmojiRow> = db::all(&db, &enabled_named(&["blob", "cat", "dog"])).await.unwrap();
        assert_eq!(named.iter().map(|e| e.shortcode.as_str()).collect::<Vec<_>>(), vec!["cat"]);
        assert_eq!(enabled(&db).await.unwrap().len(), 1);
        let blob = get(&db, 1).await.unwrap().unwrap();
        assert!(blob.disabled && blob.visible_in_picker);
        assert_eq!(blob.category.as_deref(), Some("Blobs"));
        db.run(&update(1, None, Some(false), Some(None))).await.unwrap();
        let blob = get(&db, 1).await.unwrap().unwrap();
        assert!(blob.disabled && !blob.visible_in_picker && blob.category.is_none());
        db.run(&delete(1)).await.unwrap();
        assert_eq!(all(&db).await.unwrap().len(), 1);
    }
}
