//! The owner's browser sessions and two-factor authentication (`migrations/0015_web_sessions.sql`).
//! Session tokens and recovery codes are stored only as SHA-256 hashes.
use serde::Deserialize;

use super::db::{self, sqlite_bool, sqlite_id, Db, Query, StoreError};
use crate::query;

#[derive(Clone, Debug, Deserialize)]
pub struct SessionRow {
    #[serde(deserialize_with = "sqlite_id")]
    pub id: i64,
    #[serde(deserialize_with = "sqlite_id")]
    pub account_id: i64,
    pub user_agent: String,
    pub created_at: i64,
    pub last_used_at: i64,
    #[serde(deserialize_with = "sqlite_bool")]
    pub awaiting_second_factor: bool,
}

/// A session read, `WHERE …` appended.
macro_rules! select_sessions {
    ($filter:literal) => {
        concat!(
            "SELECT CAST(id AS TEXT) AS id, CAST(account_id AS TEXT) AS account_id, user_agent, created_at, last_used_at, ",
            "awaiting_second_factor FROM web_sessions ",
            $filter
        )
    };
}

pub struct NewSession<'a> {
    pub id: i64,
    pub token_hash: &'a str,
    pub account_id: i64,
    pub user_agent: &'a str,
    pub awaiting_second_factor: bool,
    pub now: i64,
}

pub fn create(s: &NewSession) -> Query {
    query!(
        "INSERT INTO web_sessions (id, token_hash, account_id, user_agent, created_at, last_used_at, awaiting_second_factor) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6)",
        s.id, s.token_hash, s.account_id, s.user_agent, s.now, i64::from(s.awaiting_second_factor)
    )
}

pub async fn get_by_token(db: &dyn Db, token_hash: &str) -> Result<Option<SessionRow>, StoreError> {
    db::first(db, &query!(select_sessions!("WHERE token_hash = ?1"), token_hash)).await
}

/// The account's sessions past the second factor, most recently used first.
pub async fn list(db: &dyn Db, account_id: i64) -> Result<Vec<SessionRow>, StoreError> {
    let sql = select_sessions!("WHERE account_id = ?1 AND awaiting_second_factor = 0 ORDER BY last_used_at DESC, id DESC");
    db::all(db, &query!(sql, account_id)).await
}

/// Writes down a use, only if the stored one is no newer than `stale_before` (another request may
/// have written it meanwhile).
pub fn touch(id: i64, now: i64, stale_before: i64) -> Query {
    query!("UPDATE web_sessions SET last_used_at = ?2 WHERE id = ?1 AND last_used_at <= ?3", id, now, stale_before)
}

pub fn delete(id: i64, account_id: i64) -> Query {
    query!("DELETE FROM web_sessions WHERE id = ?1 AND account_id = ?2", id, account_id)
}

pub fn delete_by_token(token_hash: &str) -> Query {
    query!("DELETE FROM web_sessions WHERE token_hash = ?1", token_hash)
}

pub fn delete_all_but(id: i64, account_id: i64) -> Query {
    query!("DELETE FROM web_sessions WHERE account_id = ?1 AND id <> ?2", account_id, id)
}

/// Sessions that ended (idle, past their absolute lifetime, or a second factor never given):
/// nothing reads them again; the cron clears them.
pub fn delete_expired(idle_before: i64, created_before: i64, pending_before: i64) -> Query {
    query!(
        "DELETE FROM web_sessions WHERE (awaiting_second_factor = 0 AND (last_used_at < ?1 OR created_at < ?2)) \
         OR (awaiting_second_factor = 1 AND created_at < ?3)",
        idle_before, created_before, pending_before
    )
}

#[derive(Clone, Debug, Deserialize)]
pub struct OtpRow {
    pub secret: String,
    pub last_used_step: i64,
}

pub async fn get_otp(db: &dyn Db, account_id: i64) -> Result<Option<OtpRow>, StoreError> {
    db::first(db, &query!("SELECT secret, last_used_step FROM otp_secrets WHERE account_id = ?1", account_id)).await
}

/// Enables two-factor authentication (once: a second setup racing the first changes nothing).
pub fn enable_otp(account_id: i64, secret: &str, step: i64, now: i64) -> Query {
    query!(
        "INSERT INTO otp_secrets (account_id, secret, last_used_step, enabled_at) VALUES (?1, ?2, ?3, ?4) \
         ON CONFLICT (account_id) DO NOTHING",
        account_id, secret, step, now
    )
}

/// Records that the code of `step` was used; changes nothing (0 rows) if that step or a later
/// one already was, so that two requests with one code cannot both pass.
pub fn use_step(account_id: i64, step: i64) -> Query {
    query!("UPDATE otp_secrets SET last_used_step = ?2 WHERE account_id = ?1 AND last_used_step < ?2", account_id, step)
}

pub fn disable_otp(account_id: i64) -> [Query; 2] {
    [
        query!("DELETE FROM otp_secrets WHERE account_id = ?1", account_id),
        query!("DELETE FROM otp_recovery_codes WHERE account_id = ?1", account_id),
    ]
}

pub fn add_recovery_code(account_id: i64, code_hash: &str) -> Query {
    query!("INSERT INTO otp_recovery_codes (code_hash, account_id) VALUES (?1, ?2)", code_hash, account_id)
}

/// Uses a recovery code; 1 row if it was unused.
pub fn use_recovery_code(account_id: i64, code_hash: &str, now: i64) -> Query {
    query!(
        "UPDATE otp_recovery_codes SET used_at = ?3 WHERE account_id = ?1 AND code_hash = ?2 AND used_at IS NULL",
        account_id, code_hash, now
    )
}

pub async fn unused_recovery_codes(db: &dyn Db, account_id: i64) -> Result<i64, StoreError> {
    #[derive(Deserialize)]
    struct Count {
        n: i64,
    }
    let row: Option<Count> =
        db::first(db, &query!("SELECT COUNT(*) AS n FROM otp_recovery_codes WHERE account_id = ?1 AND used_at IS NULL", account_id))
            .await?;
    Ok(row.map_or(0, |r| r.n))
}
