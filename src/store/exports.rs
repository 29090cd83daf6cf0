//! The owner's CSV exports, written by SQLite: each page is one row holding its CSV lines, as
//! Mastodon writes them (Ruby's quoting, `true`/`false`, `\n`). Why in SQL: in the Worker every
//! value and every character handed from JavaScript to Rust costs CPU (rows one by one, 5,000
//! follows took 32 ms; as one JSON text, 17 ms; the free plan allows 10), and the lines
//! themselves are the least text that can cross. `domain::csv::write` is the same writer in Rust
//! (header rows and the failures files); a test holds the two to the same bytes.
//!
//! A page's lines are concatenated in the order of its subquery (`ORDER BY … LIMIT`), which
//! SQLite's aggregate reads in order: the cursor (`last`) is the page's last key.
use serde::Deserialize;

use super::db::{self, Db, StoreError};
use crate::query;

/// `expr` (SQL text) as one CSV field, as Ruby's `CSV::Writer#quote` writes it: NULL (Ruby's
/// `nil`) as nothing, `''` as `""`, a value holding a comma, a quote, CR or LF quoted with its
/// quotes doubled, anything else as it is.
macro_rules! csv_field {
    ($e:literal) => {
        concat!(
            "(CASE WHEN (", $e, ") IS NULL THEN '' WHEN (", $e, ") = '' OR instr(", $e, ", ',') OR instr(", $e, ", '\"') ",
            "OR instr(", $e, ", char(10)) OR instr(", $e, ", char(13)) THEN '\"' || replace(", $e, ", '\"', '\"\"') || '\"' ELSE (", $e, ") END)"
        )
    };
}

/// A Ruby boolean.
macro_rules! csv_bool {
    ($e:literal) => {
        concat!("(CASE WHEN ", $e, " THEN 'true' ELSE 'false' END)")
    };
}

/// One page: its lines, how many, and the key of the last (the cursor of the next page).
#[derive(Clone, Debug, Default, Deserialize)]
pub struct Page {
    pub csv: Option<String>,
    pub rows: i64,
    pub last: Option<String>,
}

async fn page(db: &dyn Db, query: crate::store::db::Query) -> Result<Page, StoreError> {
    Ok(db::first(db, &query).await?.unwrap_or_default())
}

/// Accepted follows (as Mastodon's `following`), newest first, below the follow `before`:
/// `user@domain,true,false,"en, de"`. `handle_domain` stands for ours.
pub async fn following(db: &dyn Db, owner: i64, handle_domain: &str, before: i64, limit: i64) -> Result<Page, StoreError> {
    page(
        db,
        query!(
            concat!(
                "SELECT group_concat(line, '') AS csv, count(*) AS rows, CAST(min(id) AS TEXT) AS last FROM (SELECT f.id, ",
                csv_field!("a.username || '@' || ifnull(a.domain, ?2)"), " || ',' || ", csv_bool!("f.show_reblogs"), " || ',' || ",
                csv_bool!("f.notify"), " || ',' || ",
                // Ruby's `languages&.join(', ')`: none is nil, a list is joined (an empty one is "").
                "(CASE WHEN f.languages IS NULL OR NOT json_valid(f.languages) THEN '' ELSE ",
                csv_field!("ifnull((SELECT group_concat(value, ', ') FROM json_each(f.languages)), '')"), " END) || char(10) AS line ",
                "FROM follows f JOIN accounts a ON a.id = f.target_account_id ",
                "WHERE f.account_id = ?1 AND f.accepted_at IS NOT NULL AND f.id < ?3 ORDER BY f.id DESC LIMIT ?4)"
            ),
            owner, handle_domain, before, limit
        ),
    )
    .await
}

/// Blocked accounts, newest first, below the block `before`: `user@domain`.
pub async fn blocks(db: &dyn Db, owner: i64, handle_domain: &str, before: i64, limit: i64) -> Result<Page, StoreError> {
    page(
        db,
        query!(
            concat!(
                "SELECT group_concat(line, '') AS csv, count(*) AS rows, CAST(min(id) AS TEXT) AS last FROM (SELECT x.id, ",
                csv_field!("a.username || '@' || ifnull(a.domain, ?2)"), " || char(10) AS line ",
                "FROM blocks x JOIN accounts a ON a.id = x.target_account_id WHERE x.account_id = ?1 AND x.id < ?3 ORDER BY x.id DESC LIMIT ?4)"
            ),
            owner, handle_domain, before, limit
        ),
    )
    .await
}

/// Muted accounts, newest first, below the mute `before`: `user@domain,true`.
pub async fn mutes(db: &dyn Db, owner: i64, handle_domain: &str, before: i64, limit: i64) -> Result<Page, StoreError> {
    page(
        db,
        query!(
            concat!(
                "SELECT group_concat(line, '') AS csv, count(*) AS rows, CAST(min(id) AS TEXT) AS last FROM (SELECT x.id, ",
                csv_field!("a.username || '@' || ifnull(a.domain, ?2)"), " || ',' || ", csv_bool!("x.hide_notifications"), " || char(10) AS line ",
                "FROM mutes x JOIN accounts a ON a.id = x.target_account_id WHERE x.account_id = ?1 AND x.id < ?3 ORDER BY x.id DESC LIMIT ?4)"
            ),
            owner, handle_domain, before, limit
        ),
    )
    .await
}

/// Blocked domains in the order they were blocked, after the block `after`.
pub async fn domain_blocks(db: &dyn Db, owner: i64, after: i64, limit: i64) -> Result<Page, StoreError> {
    page(
        db,
        query!(
            concat!(
                "SELECT group_concat(line, '') AS csv, count(*) AS rows, CAST(max(id) AS TEXT) AS last FROM (SELECT d.id, ",
                csv_field!("d.domain"), " || char(10) AS line ",
                "FROM domain_blocks d WHERE d.account_id = ?1 AND d.id > ?2 ORDER BY d.id LIMIT ?3)"
            ),
            owner, after, limit
        ),
    )
    .await
}

/// Bookmarked posts' URIs, newest bookmark first, below the bookmark `before`; bookmarks of
/// deleted posts are left out, as Mastodon leaves them out.
pub async fn bookmarks(db: &dyn Db, owner: i64, before: i64, limit: i64) -> Result<Page, StoreError> {
    page(
        db,
        query!(
            concat!(
                "SELECT group_concat(line, '') AS csv, count(*) AS rows, CAST(min(id) AS TEXT) AS last FROM (SELECT b.id, ",
                csv_field!("s.uri"), " || char(10) AS line ",
                "FROM bookmarks b JOIN statuses s ON s.id = b.status_id ",
                "WHERE b.account_id = ?1 AND s.deleted_at IS NULL AND b.id < ?2 ORDER BY b.id DESC LIMIT ?3)"
            ),
            owner, before, limit
        ),
    )
    .await
}

/// Members of the owner's lists, list by list in the order the lists were made and members in
/// the order they were added, after `(list, member)`: `list name,user@domain`. The cursor is
/// `list.member`.
pub async fn lists(db: &dyn Db, owner: i64, handle_domain: &str, after: (i64, i64), limit: i64) -> Result<Page, StoreError> {
    page(
        db,
        query!(
            concat!(
                "WITH page AS (SELECT l.id AS list_id, la.rowid AS member, ",
                csv_field!("l.title"), " || ',' || ", csv_field!("a.username || '@' || ifnull(a.domain, ?2)"), " || char(10) AS line ",
                "FROM lists l JOIN list_accounts la ON la.list_id = l.id JOIN accounts a ON a.id = la.account_id ",
                "WHERE l.account_id = ?1 AND (l.id, la.rowid) > (?3, ?4) ORDER BY l.id, la.rowid LIMIT ?5) ",
                "SELECT group_concat(line, '') AS csv, count(*) AS rows, ",
                "(SELECT CAST(list_id AS TEXT) || '.' || member FROM page ORDER BY list_id DESC, member DESC LIMIT 1) AS last FROM page"
            ),
            owner, handle_domain, after.0, after.1, limit
        ),
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::csv;
    use crate::store::testing::memory_db;

    /// SQLite's quoting is Ruby's, as `domain::csv::write` writes it, on values that need it.
    #[tokio::test(flavor = "current_thread")]
    async fn sqlite_quotes_fields_as_the_rust_writer_does() {
        let db = memory_db();
        for value in [None, Some(""), Some("plain"), Some("a,b"), Some("say \"hi\""), Some("two\nlines"), Some("cr\rhere"), Some(" spaced "), Some("日本,語")] {
            let rows = db.rows(&query!(concat!("SELECT ", csv_field!("?1"), " AS field"), value)).await.unwrap();
            let mut expected = String::new();
            csv::write(&mut expected, &[value]);
            assert_eq!(format!("{}\n", rows[0]["field"].as_str().unwrap()), expected, "{value:?}");
        }
    }
}
