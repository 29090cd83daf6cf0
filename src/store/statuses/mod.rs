//! Statuses (local and remote, originals and reblogs): the row every status read returns, and
//! the reads of one status and of what hangs off it (tags, mentions, edits). Every read carries
//! the viewer (`?1`, NULL when anonymous) so that the viewer's flags come back in the same query
//! instead of one more query per status. The lists, threads, writes, the owner's interactions
//! and the retention of remote statuses live in the submodules; everything is re-exported here
//! so that `store::statuses::X` stays the one path callers need.
use serde::Deserialize;

use super::db::{self, id_list, sqlite_bool, sqlite_id, sqlite_opt_id, Db, Query, StoreError};
use crate::query;
use crate::domain::visibility::Visibility;

/// `SELECT` of every `StatusRow` column and the viewer's flags, then the rest of the query.
macro_rules! select_statuses {
    ($($rest:expr),+) => {
        concat!(
            "SELECT CAST(s.id AS TEXT) AS id, s.uri, s.url, CAST(s.account_id AS TEXT) AS account_id, s.local, ",
            "s.visibility, s.content, s.text, s.spoiler_text, s.sensitive, s.language, ",
            "CAST(s.in_reply_to_id AS TEXT) AS in_reply_to_id, CAST(s.in_reply_to_account_id AS TEXT) AS in_reply_to_account_id, ",
            "CAST(s.reblog_of_id AS TEXT) AS reblog_of_id, CAST(s.conversation_id AS TEXT) AS conversation_id, ",
            "CAST(s.application_id AS TEXT) AS application_id, s.replies_count, s.reblogs_count, s.favourites_count, ",
            "s.pinned_at, s.edited_at, s.created_at, s.emojis, ",
            "EXISTS (SELECT 1 FROM favourites f WHERE f.status_id = s.id AND f.account_id = ?1) AS favourited, ",
            "EXISTS (SELECT 1 FROM statuses r WHERE r.reblog_of_id = s.id AND r.account_id = ?1 AND r.deleted_at IS NULL) AS reblogged, ",
            "EXISTS (SELECT 1 FROM bookmarks b WHERE b.status_id = s.id AND b.account_id = ?1) AS bookmarked, ",
            "EXISTS (SELECT 1 FROM status_mutes m WHERE m.conversation_id = s.conversation_id AND m.account_id = ?1) AS muted ",
            $($rest),+
        )
    };
}

/// `(…)` of the statuses whose ids are the JSON list `?N`, and of the statuses they reblog: what
/// rendering them shows. Reads of what rendered statuses refer to (`shown_*`) take the page's
/// ids and find the reblogged ones here, so that they need not wait for a first read to learn
/// them and all go to D1 in one round trip.
macro_rules! shown {
    ($n:literal) => {
        concat!(
            "(SELECT value FROM json_each(?", $n, ") UNION ALL SELECT reblog_of_id FROM statuses ",
            "WHERE id IN (SELECT value FROM json_each(?", $n, ")) AND reblog_of_id IS NOT NULL)"
        )
    };
}
pub(crate) use shown;

// Declared after `select_statuses!` so that they can use it.
pub mod archive;
pub mod interactions;
pub mod retention;
pub mod threads;
pub mod timelines;
pub mod writes;

pub use interactions::{
    bookmark, count_pinned, favourite, favourited_by, listed, mute_conversation, reblog_by, reblogged_by, set_pinned, unbookmark,
    unfavourite, unmute_conversation, ActorRow, ListedStatus, StatusList,
};
pub use retention::{forget, forgettable, resume_retention_after, retention_window, RetentionWindow};
pub use threads::{ancestors_query, descendants_query, link_replies, missing_parent_uri, remember_parent_uri};
pub use timelines::{by_account, by_account_page, home, linking, list_timeline, pinned_public_query, placement, public, tagged, tagged_page, AccountFilter, Locality, Placement, TagFilter};
pub use writes::{by_idempotency_key, create, delete, edit, remember_idempotency_key, set_emojis, tombstone, Edit, NewStatus};

#[derive(Clone, Debug, Deserialize)]
pub struct StatusRow {
    #[serde(deserialize_with = "sqlite_id")]
    pub id: i64,
    /// JSON `[{shortcode, url, static_url, visible_in_picker}]`: a remote post's custom emoji.
    #[serde(default = "no_emojis")]
    pub emojis: String,
    pub uri: String,
    pub url: Option<String>,
    #[serde(deserialize_with = "sqlite_id")]
    pub account_id: i64,
    #[serde(deserialize_with = "sqlite_bool")]
    pub local: bool,
    pub visibility: Visibility,
    pub content: String,
    pub text: Option<String>,
    pub spoiler_text: String,
    #[serde(deserialize_with = "sqlite_bool")]
    pub sensitive: bool,
    pub language: Option<String>,
    #[serde(deserialize_with = "sqlite_opt_id")]
    pub in_reply_to_id: Option<i64>,
    #[serde(deserialize_with = "sqlite_opt_id")]
    pub in_reply_to_account_id: Option<i64>,
    #[serde(deserialize_with = "sqlite_opt_id")]
    pub reblog_of_id: Option<i64>,
    #[serde(deserialize_with = "sqlite_opt_id")]
    pub conversation_id: Option<i64>,
    #[serde(deserialize_with = "sqlite_opt_id")]
    pub application_id: Option<i64>,
    pub replies_count: i64,
    pub reblogs_count: i64,
    pub favourites_count: i64,
    pub pinned_at: Option<i64>,
    pub edited_at: Option<i64>,
    pub created_at: i64,
    #[serde(deserialize_with = "sqlite_bool")]
    pub favourited: bool,
    #[serde(deserialize_with = "sqlite_bool")]
    pub reblogged: bool,
    #[serde(deserialize_with = "sqlite_bool")]
    pub bookmarked: bool,
    #[serde(deserialize_with = "sqlite_bool")]
    pub muted: bool,
}

fn no_emojis() -> String {
    "[]".into()
}

pub async fn get(db: &dyn Db, viewer: Option<i64>, id: i64) -> Result<Option<StatusRow>, StoreError> {
    db::first(db, &get_query(viewer, id)).await
}

/// `get` as a query, for a batch of reads.
pub fn get_query(viewer: Option<i64>, id: i64) -> Query {
    query!(select_statuses!("FROM statuses s WHERE s.id = ?2 AND s.deleted_at IS NULL"), viewer, id)
}

/// Statuses by id, in no particular order; deleted ones are left out.
pub async fn get_many(db: &dyn Db, viewer: Option<i64>, ids: &[i64]) -> Result<Vec<StatusRow>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    db::all(db, &get_many_query(viewer, ids)).await
}

/// `get_many` as a query, for a batch of reads.
pub fn get_many_query(viewer: Option<i64>, ids: &[i64]) -> Query {
    query!(
        select_statuses!("FROM statuses s WHERE s.id IN (SELECT value FROM json_each(?2)) AND s.deleted_at IS NULL"),
        viewer,
        id_list(ids)
    )
}

/// The statuses `ids` and those they reblog (see `shown!`), in no particular order; deleted
/// ones are left out.
pub fn shown_query(viewer: Option<i64>, ids: &[i64]) -> Query {
    query!(select_statuses!("FROM statuses s WHERE s.id IN ", shown!(2), " AND s.deleted_at IS NULL"), viewer, id_list(ids))
}

/// A status (not deleted) by its ActivityPub id.
pub async fn get_by_uri(db: &dyn Db, viewer: Option<i64>, uri: &str) -> Result<Option<StatusRow>, StoreError> {
    db::first(db, &get_by_uri_query(viewer, uri)).await
}

/// `get_by_uri` as a query, for a batch of reads.
pub fn get_by_uri_query(viewer: Option<i64>, uri: &str) -> Query {
    query!(select_statuses!("FROM statuses s WHERE s.uri = ?2 AND s.deleted_at IS NULL"), viewer, uri)
}

/// The statuses (not deleted) among `uris` that we have: `(id, uri)` pairs, in one statement.
pub async fn ids_by_uris(db: &dyn Db, uris: &[String]) -> Result<Vec<(i64, String)>, StoreError> {
    #[derive(Deserialize)]
    struct Found {
        #[serde(deserialize_with = "sqlite_id")]
        id: i64,
        uri: String,
    }
    if uris.is_empty() {
        return Ok(Vec::new());
    }
    let uris = serde_json::to_string(uris).unwrap_or_else(|_| "[]".into());
    let rows: Vec<Found> = db::all(
        db,
        &query!("SELECT CAST(id AS TEXT) AS id, uri FROM statuses WHERE uri IN (SELECT value FROM json_each(?1)) AND deleted_at IS NULL", uris),
    )
    .await?;
    Ok(rows.into_iter().map(|f| (f.id, f.uri)).collect())
}

/// Whether a status with this ActivityPub id was ever stored, deleted or not (a Delete that
/// arrives before its Create must not let the Create in afterwards).
pub async fn uri_known(db: &dyn Db, uri: &str) -> Result<bool, StoreError> {
    db::exists(db, &query!("SELECT 1 FROM statuses WHERE uri = ?1", uri)).await
}

#[derive(Clone, Debug, Deserialize)]
pub struct TagRow {
    #[serde(deserialize_with = "sqlite_id")]
    pub status_id: i64,
    pub name: String,
}

/// Tags of the statuses in `$ids`, a parenthesised set of ids.
macro_rules! select_tags {
    ($ids:expr) => {
        concat!(
            "SELECT CAST(st.status_id AS TEXT) AS status_id, t.name FROM status_tags st JOIN tags t ON t.id = st.tag_id ",
            "WHERE st.status_id IN ", $ids, " ORDER BY t.name"
        )
    };
}

pub async fn tags_of(db: &dyn Db, status_ids: &[i64]) -> Result<Vec<TagRow>, StoreError> {
    db::all(db, &query!(select_tags!("(SELECT value FROM json_each(?1))"), id_list(status_ids))).await
}

/// Tags of the statuses `ids` and of those they reblog (`shown!`), for a batch of reads.
pub fn shown_tags_query(ids: &[i64]) -> Query {
    query!(select_tags!(shown!(1)), id_list(ids))
}

#[derive(Clone, Debug, Deserialize)]
pub struct MentionRow {
    #[serde(deserialize_with = "sqlite_id")]
    pub status_id: i64,
    #[serde(deserialize_with = "sqlite_id")]
    pub account_id: i64,
    pub username: String,
    pub domain: Option<String>,
    pub url: Option<String>,
    pub uri: String,
}

/// Mentions in the statuses in `$ids`, a parenthesised set of ids.
macro_rules! select_mentions {
    ($ids:expr) => {
        concat!(
            "SELECT CAST(m.status_id AS TEXT) AS status_id, CAST(a.id AS TEXT) AS account_id, a.username, a.domain, a.url, a.uri ",
            "FROM mentions m JOIN accounts a ON a.id = m.account_id WHERE m.status_id IN ", $ids
        )
    };
}

pub async fn mentions_of(db: &dyn Db, status_ids: &[i64]) -> Result<Vec<MentionRow>, StoreError> {
    db::all(db, &query!(select_mentions!("(SELECT value FROM json_each(?1))"), id_list(status_ids))).await
}

/// Mentions in the statuses `ids` and in those they reblog (`shown!`), for a batch of reads.
pub fn shown_mentions_query(ids: &[i64]) -> Query {
    query!(select_mentions!(shown!(1)), id_list(ids))
}

/// Whether `account_id` is mentioned in (addressed by) the status.
pub async fn mentions_account(db: &dyn Db, status_id: i64, account_id: i64) -> Result<bool, StoreError> {
    db::exists(db, &query!("SELECT 1 FROM mentions WHERE status_id = ?1 AND account_id = ?2", status_id, account_id)).await
}

#[derive(Clone, Debug, Deserialize)]
pub struct EditRow {
    pub content: String,
    pub spoiler_text: String,
    #[serde(deserialize_with = "sqlite_bool")]
    pub sensitive: bool,
    pub created_at: i64,
}

/// A status's earlier versions (`EditRow`s), oldest first, for a batch of reads.
pub fn edits_query(status_id: i64) -> Query {
    query!("SELECT content, spoiler_text, sensitive, created_at FROM status_edits WHERE status_id = ?1 ORDER BY id", status_id)
}
