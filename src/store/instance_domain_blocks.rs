//! Instance-level domain blocks (migration 0016): the rows, and what a suspension or a media
//! rejection does to what was stored from a domain. The rules (which accounts a block covers)
//! are `domain::moderation::covers`; `covered_by!` is the same rule in SQL.
use serde::Deserialize;

use super::db::{self, sqlite_bool, sqlite_id, Db, Query, StoreError};
use crate::query;

/// SQL: whether the account domain `$account` (host or host:port) is covered by the block
/// domain `$block`, as `domain::moderation::covers` decides.
#[macro_export]
macro_rules! covered_by {
    ($account:literal, $block:literal) => {
        concat!(
            "(", $account, " = ", $block, " OR (instr(", $block, ", ':') = 0 AND ((CASE WHEN instr(", $account, ", ':') > 0 ",
            "THEN substr(", $account, ", 1, instr(", $account, ", ':') - 1) ELSE ", $account, " END) = ", $block,
            " OR substr(CASE WHEN instr(", $account, ", ':') > 0 THEN substr(", $account, ", 1, instr(", $account, ", ':') - 1) ",
            "ELSE ", $account, " END, -length(", $block, ") - 1) = '.' || ", $block, ")))"
        )
    };
}

/// How many blocks an instance may hold: every isolate keeps them all in memory.
pub const MAX_BLOCKS: i64 = 1_000;

#[derive(Clone, Debug, Deserialize)]
pub struct BlockRow {
    #[serde(deserialize_with = "sqlite_id")]
    pub id: i64,
    pub domain: String,
    pub severity: String,
    #[serde(deserialize_with = "sqlite_bool")]
    pub reject_media: bool,
    #[serde(deserialize_with = "sqlite_bool")]
    pub reject_reports: bool,
    pub private_comment: Option<String>,
    pub public_comment: Option<String>,
    #[serde(deserialize_with = "sqlite_bool")]
    pub obfuscate: bool,
    pub created_at: i64,
}

macro_rules! select_blocks {
    ($rest:literal) => {
        concat!(
            "SELECT CAST(id AS TEXT) AS id, domain, severity, reject_media, reject_reports, private_comment, ",
            "public_comment, obfuscate, created_at FROM instance_domain_blocks ", $rest
        )
    };
}

/// The ids of the remote accounts a block of any domain of the JSON array `?1` covers.
macro_rules! covered_accounts {
    () => {
        concat!(
            "SELECT id FROM accounts WHERE domain IS NOT NULL AND EXISTS (SELECT 1 FROM json_each(?1) j WHERE ",
            covered_by!("domain", "j.value"),
            ")"
        )
    };
}

/// Domains as the JSON array `covered_accounts!` reads.
fn domain_list(domains: &[&str]) -> String {
    serde_json::to_string(domains).unwrap_or_else(|_| "[]".into())
}

/// Every block, newest first (at most `MAX_BLOCKS`).
pub async fn all(db: &dyn Db) -> Result<Vec<BlockRow>, StoreError> {
    db::all(db, &all_query()).await
}

/// `all` as a query, for a batch of reads.
pub fn all_query() -> Query {
    query!(select_blocks!("ORDER BY id DESC LIMIT ?1"), MAX_BLOCKS)
}

pub async fn get(db: &dyn Db, id: i64) -> Result<Option<BlockRow>, StoreError> {
    db::first(db, &query!(select_blocks!("WHERE id = ?1"), id)).await
}

pub fn insert(row: &BlockRow) -> Query {
    query!(
        "INSERT INTO instance_domain_blocks (id, domain, severity, reject_media, reject_reports, private_comment, \
         public_comment, obfuscate, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        row.id, row.domain.clone(), row.severity.clone(), row.reject_media, row.reject_reports,
        row.private_comment.clone(), row.public_comment.clone(), row.obfuscate, row.created_at
    )
}

/// Several blocks in one statement (an imported blocklist: D1 counts statements per invocation).
pub fn insert_all(rows: &[BlockRow]) -> Query {
    let list: Vec<serde_json::Value> = rows
        .iter()
        .map(|r| {
            serde_json::json!({
                "id": r.id.to_string(), "domain": r.domain, "severity": r.severity, "reject_media": r.reject_media,
                "reject_reports": r.reject_reports, "private_comment": r.private_comment, "public_comment": r.public_comment,
                "obfuscate": r.obfuscate, "created_at": r.created_at,
            })
        })
        .collect();
    query!(
        "INSERT INTO instance_domain_blocks (id, domain, severity, reject_media, reject_reports, private_comment, public_comment, \
         obfuscate, created_at) SELECT json_extract(value, '$.id'), json_extract(value, '$.domain'), json_extract(value, '$.severity'), \
         json_extract(value, '$.reject_media'), json_extract(value, '$.reject_reports'), json_extract(value, '$.private_comment'), \
         json_extract(value, '$.public_comment'), json_extract(value, '$.obfuscate'), json_extract(value, '$.created_at') \
         FROM json_each(?1)",
        serde_json::Value::Array(list).to_string()
    )
}

pub fn update(row: &BlockRow) -> Query {
    query!(
        "UPDATE instance_domain_blocks SET severity = ?2, reject_media = ?3, reject_reports = ?4, private_comment = ?5, \
         public_comment = ?6, obfuscate = ?7 WHERE id = ?1",
        row.id, row.severity.clone(), row.reject_media, row.reject_reports, row.private_comment.clone(),
        row.public_comment.clone(), row.obfuscate
    )
}

pub fn delete(id: i64) -> Query {
    query!("DELETE FROM instance_domain_blocks WHERE id = ?1", id)
}

/// A suspension of `domain` at `now`: its accounts suspended, their posts and everything they
/// did here removed, follows both ways severed (as Mastodon's domain suspension does; lifting
/// the block does not bring the content back).
pub fn suspend(domain: &str, now: i64) -> Vec<Query> {
    suspend_all(&[domain], now)
}

/// `suspend` of several domains at once, in as many statements as one.
pub fn suspend_all(domains: &[&str], now: i64) -> Vec<Query> {
    let domain = domain_list(domains);
    vec![
        query!(concat!("UPDATE statuses SET deleted_at = ?2 WHERE deleted_at IS NULL AND account_id IN (", covered_accounts!(), ")"), domain.clone(), now),
        query!(concat!("DELETE FROM home_feed WHERE status_id IN (SELECT id FROM statuses WHERE account_id IN (", covered_accounts!(), "))"), domain.clone()),
        query!(concat!("DELETE FROM follows WHERE account_id IN (", covered_accounts!(), ") OR target_account_id IN (", covered_accounts!(), ")"), domain.clone()),
        query!(concat!("DELETE FROM notifications WHERE from_account_id IN (", covered_accounts!(), ")"), domain.clone()),
        query!(concat!("DELETE FROM favourites WHERE account_id IN (", covered_accounts!(), ")"), domain.clone()),
        query!(concat!("UPDATE accounts SET suspended_at = ?2 WHERE suspended_at IS NULL AND id IN (", covered_accounts!(), ")"), domain, now),
    ]
}

/// The block of `domain` made at `since` was lifted (or softened): the accounts it suspended
/// may be seen again, refreshed from their origin the next time they are met.
pub fn unsuspend(domain: &str, since: i64) -> Query {
    query!(
        concat!("UPDATE accounts SET suspended_at = NULL, fetched_at = NULL WHERE domain IS NOT NULL AND suspended_at >= ?2 AND ",
                covered_by!("domain", "?1")),
        domain, since
    )
}

/// Media from `domain` is rejected: what was stored of it goes (attachments, avatars, headers).
pub fn reject_media(domain: &str) -> Vec<Query> {
    reject_media_all(&[domain])
}

/// `reject_media` of several domains at once.
pub fn reject_media_all(domains: &[&str]) -> Vec<Query> {
    let domain = domain_list(domains);
    vec![
        query!(concat!("DELETE FROM media_attachments WHERE status_id IN (SELECT id FROM statuses WHERE account_id IN (", covered_accounts!(), "))"), domain.clone()),
        query!(concat!("UPDATE accounts SET avatar_remote_url = NULL, header_remote_url = NULL WHERE id IN (", covered_accounts!(), ")"), domain),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::moderation::covers;
    use crate::store::testing::memory_db;

    /// `covered_by!` decides as `covers` does, for every pair of these.
    #[tokio::test(flavor = "current_thread")]
    async fn the_sql_rule_is_the_rust_rule() {
        let db = memory_db();
        let authorities = ["example.com", "example.com:8443", "media.example.com", "notexample.com", "127.0.0.1:8101", "127.0.0.1:8102", "127.0.0.1"];
        let blocks = ["example.com", "127.0.0.1:8101", "127.0.0.1", "com"];
        #[derive(Deserialize)]
        struct Covered {
            covered: i64,
        }
        for block in blocks {
            for authority in authorities {
                let row: Covered = db::first(&db, &query!(concat!("SELECT ", covered_by!("?1", "?2"), " AS covered"), authority, block))
                    .await
                    .unwrap()
                    .unwrap();
                assert_eq!(row.covered == 1, covers(block, authority), "{block} covers {authority}");
            }
        }
    }
}
