//! Accounts: the owner and (later) every remote actor, one table, one row type.
use serde::Deserialize;

use super::db::{self, sqlite_bool, sqlite_id, sqlite_opt_id, Db, Query, StoreError};
use crate::query;

/// `SELECT` of every `AccountRow` column, ids cast to text (see `domain::ids`).
#[macro_export]
macro_rules! select_accounts {
    ($($where:expr),+) => {
        concat!(
            "SELECT CAST(a.id AS TEXT) AS id, a.username, a.domain, a.uri, a.url, a.display_name, ",
            "a.note, a.fields, a.avatar_remote_url, a.header_remote_url, a.locked, a.bot, a.group_actor, ",
            "a.discoverable, a.indexable, a.hide_collections, a.emojis, a.actor_type, a.inbox_url, ",
            "a.shared_inbox_url, a.public_key_id, a.public_key_pem, a.also_known_as, ",
            "CAST(a.moved_to_account_id AS TEXT) AS moved_to_account_id, a.followers_count, a.following_count, ",
            "a.statuses_count, a.last_status_at, a.fetched_at, a.created_at, a.updated_at, a.silenced_at FROM accounts a ",
            $($where),+
        )
    };
}

#[derive(Clone, Debug, Deserialize)]
pub struct AccountRow {
    #[serde(deserialize_with = "sqlite_id")]
    pub id: i64,
    pub username: String,
    pub domain: Option<String>,
    pub uri: String,
    pub url: Option<String>,
    pub display_name: String,
    pub note: String,
    pub fields: String,
    pub avatar_remote_url: Option<String>,
    pub header_remote_url: Option<String>,
    #[serde(deserialize_with = "sqlite_bool")]
    pub locked: bool,
    #[serde(deserialize_with = "sqlite_bool")]
    pub bot: bool,
    #[serde(deserialize_with = "sqlite_bool")]
    pub group_actor: bool,
    #[serde(deserialize_with = "sqlite_bool")]
    pub discoverable: bool,
    #[serde(deserialize_with = "sqlite_bool")]
    pub indexable: bool,
    #[serde(deserialize_with = "sqlite_bool")]
    pub hide_collections: bool,
    pub emojis: String,
    pub actor_type: String,
    pub inbox_url: Option<String>,
    pub shared_inbox_url: Option<String>,
    pub public_key_id: Option<String>,
    pub public_key_pem: Option<String>,
    pub also_known_as: String,
    #[serde(deserialize_with = "sqlite_opt_id")]
    pub moved_to_account_id: Option<i64>,
    pub followers_count: i64,
    pub following_count: i64,
    pub statuses_count: i64,
    pub last_status_at: Option<i64>,
    /// Remote accounts: when the actor document was last fetched.
    pub fetched_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    /// Limited by the admin (a report's action): see `limit`.
    #[serde(default)]
    pub silenced_at: Option<i64>,
}

impl AccountRow {
    pub fn is_local(&self) -> bool {
        self.domain.is_none()
    }
}

/// The secrets and settings beside a local account.
#[derive(Clone, Debug, Deserialize)]
pub struct LocalUserRow {
    #[serde(deserialize_with = "sqlite_id")]
    pub account_id: i64,
    pub email: String,
    pub role: String,
    pub note_source: String,
    pub fields_source: String,
    pub rsa_private_key_pem: String,
    pub ed25519_private_key: String,
    pub ed25519_public_key: String,
    pub default_privacy: String,
    #[serde(deserialize_with = "sqlite_bool")]
    pub default_sensitive: bool,
    pub default_language: Option<String>,
    pub expand_media: String,
    #[serde(deserialize_with = "sqlite_bool")]
    pub expand_spoilers: bool,
    pub created_at: i64,
}

pub async fn get(db: &dyn Db, id: i64) -> Result<Option<AccountRow>, StoreError> {
    db::first(db, &get_query(id)).await
}

/// `get` as a query, for a batch of reads.
pub fn get_query(id: i64) -> Query {
    query!(select_accounts!("WHERE a.id = ?1 AND a.suspended_at IS NULL"), id)
}

/// `get` of a status's author, by the status's id, for a batch of reads.
pub fn author_query(status_id: i64) -> Query {
    query!(select_accounts!("WHERE a.id = (SELECT account_id FROM statuses WHERE id = ?1) AND a.suspended_at IS NULL"), status_id)
}

pub async fn get_many(db: &dyn Db, ids: &[i64]) -> Result<Vec<AccountRow>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    db::all(db, &get_many_query(ids)).await
}

/// `get_many` as a query, for a batch of reads.
pub fn get_many_query(ids: &[i64]) -> Query {
    query!(select_accounts!("WHERE a.id IN (SELECT value FROM json_each(?1))"), db::id_list(ids))
}

/// The authors of the statuses `ids` and of those they reblog (`statuses::shown!`), for a
/// batch of reads.
pub fn shown_authors_query(ids: &[i64]) -> Query {
    query!(select_accounts!("WHERE a.id IN (SELECT account_id FROM statuses WHERE id IN ", super::statuses::shown!(1), ")"), db::id_list(ids))
}

pub async fn get_local_by_username(db: &dyn Db, username: &str) -> Result<Option<AccountRow>, StoreError> {
    db::first(
        db,
        &query!(select_accounts!("WHERE lower(a.username) = lower(?1) AND a.domain IS NULL"), username),
    )
    .await
}

pub async fn get_by_uri(db: &dyn Db, uri: &str) -> Result<Option<AccountRow>, StoreError> {
    db::first(db, &query!(select_accounts!("WHERE a.uri = ?1"), uri)).await
}

/// `get_by_uri`, only if the account is not suspended (what a search may show).
pub async fn get_active_by_uri(db: &dyn Db, uri: &str) -> Result<Option<AccountRow>, StoreError> {
    db::first(db, &query!(select_accounts!("WHERE a.uri = ?1 AND a.suspended_at IS NULL"), uri)).await
}

/// The ids of the accounts among `uris` that we know, in one statement.
pub async fn ids_by_uris(db: &dyn Db, uris: &[String]) -> Result<Vec<i64>, StoreError> {
    if uris.is_empty() {
        return Ok(Vec::new());
    }
    let uris = serde_json::to_string(uris).unwrap_or_else(|_| "[]".into());
    db::ids(db, &query!("SELECT CAST(id AS TEXT) AS id FROM accounts WHERE uri IN (SELECT value FROM json_each(?1))", uris)).await
}

/// The accounts we know among `handles` (`(username, domain)`, `None` for ours), in one statement
/// (an import's batch): each handle is looked up through the `accounts_handle` index.
pub async fn get_by_handles(db: &dyn Db, handles: &[(String, Option<String>)]) -> Result<Vec<AccountRow>, StoreError> {
    if handles.is_empty() {
        return Ok(Vec::new());
    }
    let handles = serde_json::Value::Array(handles.iter().map(|(user, domain)| serde_json::json!([user, domain.as_deref().unwrap_or("")])).collect());
    db::all(
        db,
        &query!(
            select_accounts!(
                "WHERE a.id IN (SELECT b.id FROM json_each(?1) j JOIN accounts b ON lower(b.username) = lower(json_extract(j.value, '$[0]')) ",
                "AND ifnull(lower(b.domain), '') = lower(json_extract(j.value, '$[1]')))"
            ),
            handles.to_string()
        ),
    )
    .await
}

/// A remote account by its handle (`domain` with port, as handles carry it).
pub async fn get_remote_by_handle(db: &dyn Db, username: &str, domain: &str) -> Result<Option<AccountRow>, StoreError> {
    db::first(
        db,
        &query!(select_accounts!("WHERE lower(a.username) = lower(?1) AND lower(a.domain) = lower(?2)"), username, domain),
    )
    .await
}

/// A remote actor as the store keeps it: the columns `upsert_remote` writes. The federation
/// layer fills it from the actor document, so that the store knows tables, not ActivityPub.
#[derive(Clone, Copy, Debug)]
pub struct RemoteAccount<'a> {
    /// The actor id.
    pub uri: &'a str,
    pub username: &'a str,
    /// With the port, as handles carry it.
    pub domain: &'a str,
    pub url: Option<&'a str>,
    pub display_name: &'a str,
    pub note: &'a str,
    /// JSON `[{name, value, verified_at}]`, as `AccountRow::fields`.
    pub fields: &'a str,
    pub avatar_remote_url: Option<&'a str>,
    pub header_remote_url: Option<&'a str>,
    pub locked: bool,
    pub bot: bool,
    pub group_actor: bool,
    pub discoverable: bool,
    pub indexable: bool,
    pub actor_type: &'a str,
    pub inbox_url: &'a str,
    pub shared_inbox_url: Option<&'a str>,
    pub outbox_url: Option<&'a str>,
    pub followers_url: Option<&'a str>,
    pub following_url: Option<&'a str>,
    pub featured_url: Option<&'a str>,
    pub public_key_id: Option<&'a str>,
    pub public_key_pem: Option<&'a str>,
    pub also_known_as: &'a [String],
    /// FEP-521a keys as (key id, `publicKeyMultibase`), as `assertion_keys` returns them.
    pub assertion_keys: &'a [(String, String)],
    /// JSON custom emoji of the name and bio, as `AccountRow::emojis`.
    pub emojis: &'a str,
    /// When the actor says it was created; the first fetch when it does not say.
    pub published: Option<i64>,
}

/// Creates or refreshes a remote account. The id is used only when the account is new. A
/// different actor that took over a handle (a server reinstalled) frees it first, as handles are
/// unique.
pub fn upsert_remote(id: i64, a: &RemoteAccount, now: i64) -> [Query; 2] {
    let json = |v: Result<String, serde_json::Error>| v.unwrap_or_else(|_| "[]".into());
    [
        query!(
            "UPDATE accounts SET username = username || '~' || id WHERE lower(username) = lower(?1) AND lower(domain) = lower(?2) AND uri <> ?3",
            a.username, a.domain, a.uri
        ),
        query!(
            "INSERT INTO accounts (id, username, domain, uri, url, display_name, note, fields, avatar_remote_url, header_remote_url, \
             locked, bot, group_actor, discoverable, indexable, actor_type, inbox_url, shared_inbox_url, outbox_url, followers_url, \
             following_url, featured_url, public_key_id, public_key_pem, also_known_as, fetched_at, created_at, updated_at, assertion_keys, emojis) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?26, ?28, ?29) \
             ON CONFLICT (uri) DO UPDATE SET username = ?2, domain = ?3, url = ?5, display_name = ?6, note = ?7, fields = ?8, \
             avatar_remote_url = ?9, header_remote_url = ?10, locked = ?11, bot = ?12, group_actor = ?13, discoverable = ?14, \
             indexable = ?15, actor_type = ?16, inbox_url = ?17, shared_inbox_url = ?18, outbox_url = ?19, followers_url = ?20, \
             following_url = ?21, featured_url = ?22, public_key_id = ?23, public_key_pem = ?24, also_known_as = ?25, \
             fetched_at = ?26, updated_at = ?26, assertion_keys = ?28, emojis = ?29, \
             suspended_at = CASE WHEN suspension_origin IS NULL THEN NULL ELSE suspended_at END",
            id, a.username, a.domain, a.uri, a.url, a.display_name, a.note, a.fields, a.avatar_remote_url, a.header_remote_url,
            a.locked, a.bot, a.group_actor, a.discoverable, a.indexable, a.actor_type, a.inbox_url, a.shared_inbox_url,
            a.outbox_url, a.followers_url, a.following_url, a.featured_url, a.public_key_id, a.public_key_pem,
            json(serde_json::to_string(a.also_known_as)), now, a.published.unwrap_or(now),
            json(serde_json::to_string(a.assertion_keys)), a.emojis
        ),
    ]
}

/// A remote actor's FEP-521a keys as (key id, `publicKeyMultibase`).
pub async fn assertion_keys(db: &dyn Db, account_id: i64) -> Result<Vec<(String, String)>, StoreError> {
    #[derive(Deserialize)]
    struct Keys {
        assertion_keys: String,
    }
    let row: Option<Keys> = db::first(db, &query!("SELECT assertion_keys FROM accounts WHERE id = ?1", account_id)).await?;
    Ok(row.and_then(|r| serde_json::from_str(&r.assertion_keys).ok()).unwrap_or_default())
}

/// A remote actor's `featured` collection (pinned posts), for Add/Remove.
pub async fn featured_url(db: &dyn Db, account_id: i64) -> Result<Option<String>, StoreError> {
    #[derive(Deserialize)]
    struct Featured {
        featured_url: Option<String>,
    }
    let row: Option<Featured> = db::first(db, &query!("SELECT featured_url FROM accounts WHERE id = ?1", account_id)).await?;
    Ok(row.and_then(|r| r.featured_url))
}

/// Marks a remote account moved to another.
pub fn set_moved(account_id: i64, moved_to: i64, now: i64) -> Query {
    query!("UPDATE accounts SET moved_to_account_id = ?2, updated_at = ?3 WHERE id = ?1", account_id, moved_to, now)
}

/// A remote account that was deleted at its origin: suspended here, its content with it.
pub fn remove_remote(account_id: i64, now: i64) -> Vec<Query> {
    vec![
        query!("UPDATE accounts SET suspended_at = ?2 WHERE id = ?1 AND domain IS NOT NULL", account_id, now),
        query!("UPDATE statuses SET deleted_at = ?2 WHERE account_id = ?1 AND deleted_at IS NULL", account_id, now),
        query!("DELETE FROM home_feed WHERE status_id IN (SELECT id FROM statuses WHERE account_id = ?1)", account_id),
        query!("DELETE FROM follows WHERE account_id = ?1 OR target_account_id = ?1", account_id),
        query!("DELETE FROM notifications WHERE from_account_id = ?1", account_id),
        query!("DELETE FROM favourites WHERE account_id = ?1", account_id),
    ]
}

#[derive(Deserialize)]
pub struct EmailRow {
    pub email: String,
}

/// A local account's e-mail address (the admin API shows the owner's).
pub fn email_query(account_id: i64) -> Query {
    query!("SELECT email FROM local_users WHERE account_id = ?1", account_id)
}

/// How many accounts the admin may suspend: every isolate keeps their actor ids in memory
/// (`app::moderation::policy`), as it keeps the domain blocks.
pub const MAX_SUSPENDED: i64 = 5_000;

#[derive(Deserialize)]
pub struct UriRow {
    pub uri: String,
}

/// The actor ids of the accounts the admin suspended (newest first, at most `MAX_SUSPENDED`).
pub fn locally_suspended_query() -> Query {
    query!("SELECT uri FROM accounts WHERE suspension_origin = 'local' ORDER BY suspended_at DESC LIMIT ?1", MAX_SUSPENDED)
}

/// Mastodon's "limit" of a remote account: its posts leave the public timelines (unless the
/// viewer follows it) and its follows wait for approval.
pub fn limit(account_id: i64, now: i64) -> Query {
    query!("UPDATE accounts SET silenced_at = ?2 WHERE id = ?1 AND domain IS NOT NULL AND silenced_at IS NULL", account_id, now)
}

/// The admin's suspension of a remote account: what `remove_remote` does, and it stays
/// suspended when its actor is fetched again (`upsert_remote` keeps a local suspension).
pub fn suspend(account_id: i64, now: i64) -> Vec<Query> {
    let mut queries = remove_remote(account_id, now);
    queries.push(query!("UPDATE accounts SET suspension_origin = 'local' WHERE id = ?1 AND domain IS NOT NULL", account_id));
    queries
}

pub async fn count_local(db: &dyn Db) -> Result<i64, StoreError> {
    #[derive(Deserialize)]
    struct Count {
        n: i64,
    }
    let row: Option<Count> = db::first(db, &query!("SELECT count(*) AS n FROM accounts WHERE domain IS NULL")).await?;
    Ok(row.map_or(0, |r| r.n))
}

/// `SELECT` of every `LocalUserRow` column, then the rest of the query.
macro_rules! select_local_users {
    ($($where:expr),+) => {
        concat!(
            "SELECT CAST(account_id AS TEXT) AS account_id, email, role, note_source, ",
            "fields_source, rsa_private_key_pem, ed25519_private_key, ed25519_public_key, default_privacy, ",
            "default_sensitive, default_language, expand_media, expand_spoilers, created_at FROM local_users ",
            $($where),+
        )
    };
}

pub async fn get_local_user(db: &dyn Db, account_id: i64) -> Result<Option<LocalUserRow>, StoreError> {
    db::first(db, &query!(select_local_users!("WHERE account_id = ?1"), account_id)).await
}

/// The local account named `username` (`AccountRow`) and its user (`LocalUserRow`), as two
/// queries for one batch of reads: the owner is loaded in one round trip.
pub fn local_by_username_queries(username: &str) -> [Query; 2] {
    [
        query!(select_accounts!("WHERE lower(a.username) = lower(?1) AND a.domain IS NULL"), username),
        query!(
            select_local_users!("WHERE account_id = (SELECT id FROM accounts WHERE lower(username) = lower(?1) AND domain IS NULL)"),
            username
        ),
    ]
}

pub struct NewLocalAccount<'a> {
    pub id: i64,
    pub username: &'a str,
    pub uri: &'a str,
    pub url: &'a str,
    pub inbox_url: &'a str,
    pub shared_inbox_url: &'a str,
    pub outbox_url: &'a str,
    pub followers_url: &'a str,
    pub following_url: &'a str,
    pub featured_url: &'a str,
    pub public_key_id: &'a str,
    pub public_key_pem: &'a str,
    pub email: &'a str,
    pub rsa_private_key_pem: &'a str,
    pub ed25519_private_key: &'a str,
    pub ed25519_public_key: &'a str,
    pub now: i64,
}

/// Inserts a local account and its secrets in one batch. Both inserts are no-ops when the
/// username exists already, so two isolates racing through first start leave exactly one owner.
/// No password hash is stored (`!` matches nothing): the owner's password is the ADMIN_PASSWORD
/// secret, because one PBKDF2 check costs more CPU than the free plan gives a request.
pub fn create_local(a: &NewLocalAccount) -> [Query; 2] {
    [
        query!(
            "INSERT OR IGNORE INTO accounts (id, username, domain, uri, url, inbox_url, shared_inbox_url, \
             outbox_url, followers_url, following_url, featured_url, public_key_id, public_key_pem, \
             created_at, updated_at) VALUES (?1, ?2, NULL, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?13)",
            a.id, a.username, a.uri, a.url, a.inbox_url, a.shared_inbox_url, a.outbox_url,
            a.followers_url, a.following_url, a.featured_url, a.public_key_id, a.public_key_pem, a.now
        ),
        query!(
            "INSERT OR IGNORE INTO local_users (account_id, email, password_hash, rsa_private_key_pem, \
             ed25519_private_key, ed25519_public_key, created_at) \
             SELECT ?1, ?2, '!', ?3, ?4, ?5, ?6 WHERE EXISTS (SELECT 1 FROM accounts WHERE id = ?1)",
            a.id, a.email, a.rsa_private_key_pem, a.ed25519_private_key,
            a.ed25519_public_key, a.now
        ),
    ]
}

/// A profile change from `update_credentials`, already validated and rendered.
#[derive(Debug, Default)]
pub struct ProfileUpdate {
    pub display_name: Option<String>,
    pub note_html: Option<String>,
    pub note_source: Option<String>,
    /// Rendered fields JSON and the source the owner typed.
    pub fields: Option<(String, String)>,
    pub locked: Option<bool>,
    pub bot: Option<bool>,
    pub discoverable: Option<bool>,
    pub indexable: Option<bool>,
    pub hide_collections: Option<bool>,
    pub default_privacy: Option<String>,
    pub default_sensitive: Option<bool>,
    /// An empty one clears it.
    pub default_language: Option<String>,
    pub expand_spoilers: Option<bool>,
    pub expand_media: Option<String>,
    /// URLs of newly uploaded images; an empty one clears it (the default picture).
    pub avatar_url: Option<String>,
    pub header_url: Option<String>,
    /// The custom emoji of the name and bio (JSON, as `AccountRow::emojis`).
    pub emojis: Option<String>,
}

/// Writes a profile change; `COALESCE` keeps every column the update leaves out.
pub fn update_profile(account_id: i64, u: &ProfileUpdate, now: i64) -> [Query; 2] {
    let (fields, fields_source) = match &u.fields {
        Some((fields, source)) => (Some(fields.clone()), Some(source.clone())),
        None => (None, None),
    };
    [
        query!(
            "UPDATE accounts SET display_name = COALESCE(?2, display_name), note = COALESCE(?3, note), \
             fields = COALESCE(?4, fields), locked = COALESCE(?5, locked), bot = COALESCE(?6, bot), \
             discoverable = COALESCE(?7, discoverable), indexable = COALESCE(?8, indexable), \
             hide_collections = COALESCE(?9, hide_collections), updated_at = ?10, \
             avatar_remote_url = CASE WHEN ?11 IS NULL THEN avatar_remote_url WHEN ?11 = '' THEN NULL ELSE ?11 END, \
             header_remote_url = CASE WHEN ?12 IS NULL THEN header_remote_url WHEN ?12 = '' THEN NULL ELSE ?12 END, \
             emojis = COALESCE(?13, emojis) WHERE id = ?1",
            account_id, u.display_name.clone(), u.note_html.clone(), fields, u.locked, u.bot,
            u.discoverable, u.indexable, u.hide_collections, now, u.avatar_url.clone(), u.header_url.clone(), u.emojis.clone()
        ),
        query!(
            "UPDATE local_users SET note_source = COALESCE(?2, note_source), \
             fields_source = COALESCE(?3, fields_source), default_privacy = COALESCE(?4, default_privacy), \
             default_sensitive = COALESCE(?5, default_sensitive), \
             default_language = CASE WHEN ?6 IS NULL THEN default_language WHEN ?6 = '' THEN NULL ELSE ?6 END, \
             expand_spoilers = COALESCE(?7, expand_spoilers), expand_media = COALESCE(?8, expand_media) \
             WHERE account_id = ?1",
            account_id, u.note_source.clone(), fields_source, u.default_privacy.clone(),
            u.default_sensitive, u.default_language.clone(), u.expand_spoilers, u.expand_media.clone()
        ),
    ]
}

/// The account's `alsoKnownAs` (a JSON array of actor ids).
pub fn set_aliases(account_id: i64, aliases_json: &str, now: i64) -> Query {
    query!("UPDATE accounts SET also_known_as = ?2, updated_at = ?3 WHERE id = ?1", account_id, aliases_json.to_string(), now)
}

/// The rendered fields, as verification left them (the source the owner typed is unchanged),
/// if they are still `read` (what the verification started from).
pub fn set_fields(account_id: i64, fields: &str, read: &str) -> Query {
    query!("UPDATE accounts SET fields = ?2 WHERE id = ?1 AND fields = ?3", account_id, fields.to_string(), read.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::testing::memory_db;

    fn owner(id: i64, username: &str) -> Vec<Query> {
        let uri = format!("https://social.example/users/{username}");
        create_local(&NewLocalAccount {
            id,
            username,
            uri: &uri,
            url: "https://social.example/@x",
            inbox_url: "i",
            shared_inbox_url: "s",
            outbox_url: "o",
            followers_url: "f",
            following_url: "g",
            featured_url: "h",
            public_key_id: "k",
            public_key_pem: "pem",
            email: "a@example.com",
            rsa_private_key_pem: "private",
            ed25519_private_key: "seed",
            ed25519_public_key: "pub",
            now: 1_700_000_000_000,
        })
        .to_vec()
    }

    #[tokio::test(flavor = "current_thread")]
    async fn ids_beyond_javascript_precision_round_trip() {
        let db = memory_db();
        let id = 7_300_000_000_000_000_123_i64; // > 2^53
        db.batch(&owner(id, "alice")).await.unwrap();
        let row = get_local_by_username(&db, "ALICE").await.unwrap().unwrap();
        assert_eq!(row.id, id);
        assert!(row.is_local() && !row.locked && row.discoverable);
        assert_eq!(get(&db, id).await.unwrap().unwrap().username, "alice");
        assert_eq!(get_local_user(&db, id).await.unwrap().unwrap().email, "a@example.com");
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_second_first_start_leaves_one_owner() {
        let db = memory_db();
        db.batch(&owner(1, "alice")).await.unwrap();
        db.batch(&owner(2, "alice")).await.unwrap();
        assert_eq!(count_local(&db).await.unwrap(), 1);
        assert_eq!(get_local_by_username(&db, "alice").await.unwrap().unwrap().id, 1);
        assert!(get_local_user(&db, 2).await.unwrap().is_none());
    }

    #[tokio::test(flavor = "current_thread")]
    async fn profile_update_keeps_what_it_leaves_out() {
        let db = memory_db();
        db.batch(&owner(1, "alice")).await.unwrap();
        let change = ProfileUpdate { display_name: Some("Alice".into()), locked: Some(true), ..Default::default() };
        db.batch(&update_profile(1, &change, 5)).await.unwrap();
        let change = ProfileUpdate { bot: Some(true), default_language: Some("fi".into()), ..Default::default() };
        db.batch(&update_profile(1, &change, 6)).await.unwrap();
        let row = get(&db, 1).await.unwrap().unwrap();
        assert_eq!((row.display_name.as_str(), row.locked, row.bot, row.updated_at), ("Alice", true, true, 6));
        assert_eq!(get_local_user(&db, 1).await.unwrap().unwrap().default_language.as_deref(), Some("fi"));
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_remote_account_is_refreshed_in_place_and_a_new_actor_takes_over_its_handle() {
        let db = memory_db();
        let keys = [("https://r.example/u/bob#k".to_string(), "z6Mk".to_string())];
        let bob = RemoteAccount {
            uri: "https://r.example/u/bob", username: "bob", domain: "r.example", url: None, display_name: "Bob", note: "",
            fields: "[]", avatar_remote_url: None, header_remote_url: None, locked: false, bot: false, group_actor: false,
            discoverable: true, indexable: false, actor_type: "Person", inbox_url: "https://r.example/u/bob/inbox",
            shared_inbox_url: None, outbox_url: None, followers_url: None, following_url: None, featured_url: Some("f"),
            public_key_id: None, public_key_pem: None, also_known_as: &[], assertion_keys: &keys, emojis: "[]", published: Some(3),
        };
        db.batch(&upsert_remote(10, &bob, 5)).await.unwrap();
        db.batch(&upsert_remote(11, &RemoteAccount { display_name: "Robert", ..bob }, 6)).await.unwrap();
        let row = get_by_uri(&db, bob.uri).await.unwrap().unwrap();
        assert_eq!((row.id, row.display_name.as_str(), row.created_at, row.fetched_at), (10, "Robert", 3, Some(6)));
        assert_eq!(assertion_keys(&db, 10).await.unwrap(), keys);
        assert_eq!(featured_url(&db, 10).await.unwrap().as_deref(), Some("f"));
        db.batch(&upsert_remote(12, &RemoteAccount { uri: "https://r.example/u/bob2", ..bob }, 7)).await.unwrap();
        assert_eq!(get_remote_by_handle(&db, "bob", "r.example").await.unwrap().unwrap().id, 12, "the handle moved");
        assert_eq!(get(&db, 10).await.unwrap().unwrap().username, "bob~10");
    }
}

/// A local account: its public row and its private settings and keys (the owner, today).
#[derive(Clone, Debug)]
pub struct LocalAccount {
    pub account: AccountRow,
    pub user: LocalUserRow,
}
