//! OAuth apps, authorization codes and access tokens. Secrets, codes and tokens are stored only
//! as SHA-256 hashes: a leaked database holds nothing a client could present.
use serde::Deserialize;

use super::db::{self, id_list, sqlite_id, sqlite_opt_id, Db, Query, StoreError};
use super::statuses::shown;
use crate::query;

#[derive(Clone, Debug, Deserialize)]
pub struct AppRow {
    #[serde(deserialize_with = "sqlite_id")]
    pub id: i64,
    pub name: String,
    pub website: Option<String>,
    pub redirect_uris: String,
    pub scopes: String,
    pub client_id: String,
    pub client_secret_hash: String,
    pub created_at: i64,
}

impl AppRow {
    pub fn redirect_uri_list(&self) -> Vec<&str> {
        self.redirect_uris.lines().map(str::trim).filter(|u| !u.is_empty()).collect()
    }
}


pub fn create_app(app: &AppRow) -> Query {
    query!(
        "INSERT INTO oauth_apps (id, name, website, redirect_uris, scopes, client_id, client_secret_hash, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        app.id, app.name.clone(), app.website.clone(), app.redirect_uris.clone(), app.scopes.clone(),
        app.client_id.clone(), app.client_secret_hash.clone(), app.created_at
    )
}

pub async fn get_app_by_client_id(db: &dyn Db, client_id: &str) -> Result<Option<AppRow>, StoreError> {
    db::first(
        db,
        &query!(
            "SELECT CAST(id AS TEXT) AS id, name, website, redirect_uris, scopes, client_id, client_secret_hash, \
             created_at FROM oauth_apps WHERE client_id = ?1",
            client_id
        ),
    )
    .await
}

pub async fn get_app(db: &dyn Db, id: i64) -> Result<Option<AppRow>, StoreError> {
    db::first(
        db,
        &query!(
            "SELECT CAST(id AS TEXT) AS id, name, website, redirect_uris, scopes, client_id, client_secret_hash, \
             created_at FROM oauth_apps WHERE id = ?1",
            id
        ),
    )
    .await
}

/// What a status shows of the app that posted it.
#[derive(Clone, Debug, Deserialize)]
pub struct ApplicationRow {
    #[serde(deserialize_with = "sqlite_id")]
    pub id: i64,
    pub name: String,
    pub website: Option<String>,
}

/// The apps that posted those of the statuses `ids` (and of those they reblog,
/// `statuses::shown!`) that `viewer` wrote: only their author sees which app posted them, as in
/// Mastodon. For a batch of reads.
pub fn shown_apps_query(viewer: Option<i64>, ids: &[i64]) -> Query {
    query!(
        concat!(
            "SELECT CAST(id AS TEXT) AS id, name, website FROM oauth_apps WHERE id IN (SELECT application_id FROM statuses ",
            "WHERE account_id = ?1 AND id IN ", shown!(2), ")"
        ),
        viewer, id_list(ids)
    )
}

#[derive(Clone, Debug, Deserialize)]
pub struct CodeRow {
    #[serde(deserialize_with = "sqlite_id")]
    pub app_id: i64,
    #[serde(deserialize_with = "sqlite_id")]
    pub account_id: i64,
    pub redirect_uri: String,
    pub scopes: String,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
    pub expires_at: i64,
    pub used_at: Option<i64>,
}

pub struct NewCode<'a> {
    pub code_hash: &'a str,
    pub app_id: i64,
    pub account_id: i64,
    pub redirect_uri: &'a str,
    pub scopes: &'a str,
    pub code_challenge: Option<&'a str>,
    pub code_challenge_method: Option<&'a str>,
    pub expires_at: i64,
}

pub fn create_code(c: &NewCode) -> Query {
    query!(
        "INSERT INTO oauth_codes (code_hash, app_id, account_id, redirect_uri, scopes, code_challenge, \
         code_challenge_method, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        c.code_hash, c.app_id, c.account_id, c.redirect_uri, c.scopes, c.code_challenge,
        c.code_challenge_method, c.expires_at
    )
}

pub async fn get_code(db: &dyn Db, code_hash: &str) -> Result<Option<CodeRow>, StoreError> {
    db::first(
        db,
        &query!(
            "SELECT CAST(app_id AS TEXT) AS app_id, CAST(account_id AS TEXT) AS account_id, redirect_uri, scopes, \
             code_challenge, code_challenge_method, expires_at, used_at FROM oauth_codes WHERE code_hash = ?1",
            code_hash
        ),
    )
    .await
}

/// Marks a code used; returns a query that changes one row only if the code was still unused,
/// so that two concurrent exchanges of one code cannot both succeed.
pub fn use_code(code_hash: &str, now: i64) -> Query {
    query!("UPDATE oauth_codes SET used_at = ?2 WHERE code_hash = ?1 AND used_at IS NULL", code_hash, now)
}

/// Which of `ids` are tokens still live (the streaming hub drops sockets of the others).
pub async fn live_ids(db: &dyn Db, ids: &[i64]) -> Result<Vec<i64>, StoreError> {
    db::ids(
        db,
        &query!("SELECT CAST(id AS TEXT) AS id FROM oauth_tokens WHERE id IN (SELECT value FROM json_each(?1)) AND revoked_at IS NULL", id_list(ids)),
    )
    .await
}

/// RFC 6749 §4.1.2: when a code is presented twice, the tokens issued from it are revoked. We
/// don't link tokens to codes, so these are the app's live tokens for the account issued since
/// the code was first used.
pub async fn tokens_of_reused_code(db: &dyn Db, app_id: i64, account_id: i64, since: i64) -> Result<Vec<i64>, StoreError> {
    db::ids(
        db,
        &query!(
            "SELECT CAST(id AS TEXT) AS id FROM oauth_tokens WHERE app_id = ?1 AND account_id = ?2 AND created_at >= ?3 \
             AND revoked_at IS NULL",
            app_id, account_id, since
        ),
    )
    .await
}

/// Revokes the tokens `ids` (those still live).
pub fn revoke_tokens(ids: &[i64], now: i64) -> Query {
    query!(
        "UPDATE oauth_tokens SET revoked_at = ?2 WHERE id IN (SELECT value FROM json_each(?1)) AND revoked_at IS NULL",
        id_list(ids), now
    )
}

/// The live user tokens of `account_id`, of one app or of all: what the authorized-apps page
/// revokes.
pub async fn live_tokens_of(db: &dyn Db, account_id: i64, app_id: Option<i64>) -> Result<Vec<i64>, StoreError> {
    db::ids(
        db,
        &query!(
            "SELECT CAST(id AS TEXT) AS id FROM oauth_tokens WHERE account_id = ?1 AND (?2 IS NULL OR app_id = ?2) \
             AND revoked_at IS NULL",
            account_id, app_id
        ),
    )
    .await
}

/// An app that holds live tokens of the account, with what they allow and when one was last used.
#[derive(Clone, Debug, Deserialize)]
pub struct AuthorizedAppRow {
    #[serde(deserialize_with = "sqlite_id")]
    pub app_id: i64,
    pub name: String,
    pub website: Option<String>,
    /// Every live token's scopes, space-separated (repeats included).
    pub scopes: String,
    pub tokens: i64,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

pub async fn authorized_apps(db: &dyn Db, account_id: i64) -> Result<Vec<AuthorizedAppRow>, StoreError> {
    db::all(
        db,
        &query!(
            "SELECT CAST(a.id AS TEXT) AS app_id, a.name, a.website, GROUP_CONCAT(t.scopes, ' ') AS scopes, \
             COUNT(*) AS tokens, MIN(t.created_at) AS created_at, MAX(t.last_used_at) AS last_used_at \
             FROM oauth_tokens t JOIN oauth_apps a ON a.id = t.app_id \
             WHERE t.account_id = ?1 AND t.revoked_at IS NULL GROUP BY a.id ORDER BY MAX(COALESCE(t.last_used_at, t.created_at)) DESC",
            account_id
        ),
    )
    .await
}

/// Writes down a token's use, only if the stored one is no newer than `stale_before`: at most one
/// write an hour per token, not one per request.
pub fn touch_token(id: i64, now: i64, stale_before: i64) -> Query {
    query!(
        "UPDATE oauth_tokens SET last_used_at = ?2 WHERE id = ?1 AND (last_used_at IS NULL OR last_used_at <= ?3)",
        id, now, stale_before
    )
}

#[derive(Clone, Debug, Deserialize)]
pub struct TokenRow {
    #[serde(deserialize_with = "sqlite_id")]
    pub id: i64,
    #[serde(deserialize_with = "sqlite_id")]
    pub app_id: i64,
    #[serde(deserialize_with = "sqlite_opt_id")]
    pub account_id: Option<i64>,
    pub scopes: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

pub struct NewToken<'a> {
    pub id: i64,
    pub token_hash: &'a str,
    pub app_id: i64,
    pub account_id: Option<i64>,
    pub scopes: &'a str,
    pub now: i64,
}

pub fn create_token(t: &NewToken) -> Query {
    query!(
        "INSERT INTO oauth_tokens (id, token_hash, app_id, account_id, scopes, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        t.id, t.token_hash, t.app_id, t.account_id, t.scopes, t.now
    )
}

pub async fn get_live_token(db: &dyn Db, token_hash: &str) -> Result<Option<TokenRow>, StoreError> {
    db::first(
        db,
        &query!(
            "SELECT CAST(id AS TEXT) AS id, CAST(app_id AS TEXT) AS app_id, CAST(account_id AS TEXT) AS account_id, \
             scopes, created_at, last_used_at FROM oauth_tokens WHERE token_hash = ?1 AND revoked_at IS NULL",
            token_hash
        ),
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::testing::memory_db;

    async fn setup() -> crate::store::testing::MemoryDb {
        let db = memory_db();
        db.run(&query!(
            "INSERT INTO accounts (id, username, uri, created_at, updated_at) VALUES (1, 'alice', 'u', 0, 0)"
        ))
        .await
        .unwrap();
        let app = AppRow {
            id: 9_000_000_000_000_000_001,
            name: "App".into(),
            website: None,
            redirect_uris: "a://b\nurn:ietf:wg:oauth:2.0:oob".into(),
            scopes: "read write".into(),
            client_id: "cid".into(),
            client_secret_hash: "h".into(),
            created_at: 0,
        };
        db.run(&create_app(&app)).await.unwrap();
        db
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_code_can_be_used_once() {
        let db = setup().await;
        let app = get_app_by_client_id(&db, "cid").await.unwrap().unwrap();
        assert_eq!(app.redirect_uri_list(), ["a://b", "urn:ietf:wg:oauth:2.0:oob"]);
        let code = NewCode {
            code_hash: "c",
            app_id: app.id,
            account_id: 1,
            redirect_uri: "a://b",
            scopes: "read",
            code_challenge: None,
            code_challenge_method: None,
            expires_at: 100,
        };
        db.run(&create_code(&code)).await.unwrap();
        assert_eq!(db.run(&use_code("c", 5)).await.unwrap(), 1);
        assert_eq!(db.run(&use_code("c", 6)).await.unwrap(), 0);
        assert_eq!(get_code(&db, "c").await.unwrap().unwrap().used_at, Some(5));
    }

    #[tokio::test(flavor = "current_thread")]
    async fn revoked_tokens_are_not_live() {
        let db = setup().await;
        let app_id = 9_000_000_000_000_000_001;
        let token = NewToken { id: 5, token_hash: "t", app_id, account_id: Some(1), scopes: "read", now: 10 };
        db.run(&create_token(&token)).await.unwrap();
        assert_eq!(get_live_token(&db, "t").await.unwrap().unwrap().account_id, Some(1));
        assert_eq!(db.run(&revoke_tokens(&[5], 11)).await.unwrap(), 1);
        assert_eq!(db.run(&revoke_tokens(&[5], 12)).await.unwrap(), 0);
        assert!(get_live_token(&db, "t").await.unwrap().is_none());
    }
}
