//! Web Push subscriptions: one per access token, read only while the token is live.
use serde::Deserialize;

use super::db::{self, sqlite_bool, sqlite_id, Db, Query, StoreError};
use crate::query;

#[derive(Clone, Debug, Deserialize)]
pub struct PushRow {
    #[serde(deserialize_with = "sqlite_id")]
    pub id: i64,
    #[serde(deserialize_with = "sqlite_id")]
    pub token_id: i64,
    #[serde(deserialize_with = "sqlite_id")]
    pub account_id: i64,
    pub endpoint: String,
    pub p256dh: String,
    pub auth: String,
    #[serde(deserialize_with = "sqlite_bool")]
    pub standard: bool,
    /// JSON `{"mention": true, ...}`.
    pub alerts: String,
    pub policy: String,
    pub access_token: String,
}

pub struct NewPush<'a> {
    pub id: i64,
    pub token_id: i64,
    pub account_id: i64,
    pub endpoint: &'a str,
    pub p256dh: &'a str,
    pub auth: &'a str,
    pub standard: bool,
    pub alerts: &'a str,
    pub policy: &'a str,
    pub access_token: &'a str,
    pub now: i64,
}

macro_rules! columns {
    () => {
        "SELECT CAST(p.id AS TEXT) AS id, CAST(p.token_id AS TEXT) AS token_id, CAST(p.account_id AS TEXT) AS account_id, \
         p.endpoint, p.p256dh, p.auth, p.standard, p.alerts, p.policy, p.access_token FROM push_subscriptions p "
    };
}

/// A token's subscription replaces the one it had (Mastodon: one per token).
pub fn subscribe(p: &NewPush<'_>) -> Query {
    query!(
        "INSERT INTO push_subscriptions (id, token_id, account_id, endpoint, p256dh, auth, standard, alerts, policy, access_token, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) \
         ON CONFLICT (token_id) DO UPDATE SET id = excluded.id, endpoint = excluded.endpoint, p256dh = excluded.p256dh, \
         auth = excluded.auth, standard = excluded.standard, alerts = excluded.alerts, policy = excluded.policy, \
         access_token = excluded.access_token, created_at = excluded.created_at",
        p.id, p.token_id, p.account_id, p.endpoint, p.p256dh, p.auth, p.standard, p.alerts, p.policy, p.access_token, p.now
    )
}

pub fn change(token_id: i64, alerts: &str, policy: &str) -> Query {
    query!("UPDATE push_subscriptions SET alerts = ?2, policy = ?3 WHERE token_id = ?1", token_id, alerts, policy)
}

pub fn unsubscribe(token_id: i64) -> Query {
    query!("DELETE FROM push_subscriptions WHERE token_id = ?1", token_id)
}

/// A push service said the subscription is gone (404/410).
pub fn forget(id: i64) -> Query {
    query!("DELETE FROM push_subscriptions WHERE id = ?1", id)
}

pub async fn of_token(db: &dyn Db, token_id: i64) -> Result<Option<PushRow>, StoreError> {
    db::first(db, &query!(concat!(columns!(), "WHERE p.token_id = ?1"), token_id)).await
}

/// The subscription `id`, while its token is live.
pub async fn live(db: &dyn Db, id: i64) -> Result<Option<PushRow>, StoreError> {
    db::first(db, &query!(concat!(columns!(), "JOIN oauth_tokens t ON t.id = p.token_id WHERE p.id = ?1 AND t.revoked_at IS NULL"), id)).await
}

/// Every live subscription of `account_id`.
pub async fn live_of(db: &dyn Db, account_id: i64) -> Result<Vec<PushRow>, StoreError> {
    db::all(
        db,
        &query!(concat!(columns!(), "JOIN oauth_tokens t ON t.id = p.token_id WHERE p.account_id = ?1 AND t.revoked_at IS NULL ORDER BY p.id"), account_id),
    )
    .await
}
