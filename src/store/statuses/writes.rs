//! Writes of statuses. Each returns the queries of one change, for the use case to batch, so
//! that what a status drags along — its tags, mentions, home-feed rows, full-text entry, and the
//! reply, reblog and status counts — changes with it in one D1 transaction or not at all.
use serde::Deserialize;

use super::StatusRow;
use crate::query;
use crate::store::db::{self, sqlite_id, Db, Query, StoreError};
use crate::domain::visibility::Visibility;

/// A status about to be written, already rendered.
pub struct NewStatus<'a> {
    pub id: i64,
    pub uri: &'a str,
    pub url: Option<&'a str>,
    pub account_id: i64,
    pub local: bool,
    pub visibility: Visibility,
    pub content: &'a str,
    pub text: Option<&'a str>,
    pub spoiler_text: &'a str,
    pub sensitive: bool,
    pub language: Option<&'a str>,
    pub in_reply_to: Option<(i64, i64)>,
    pub reblog_of_id: Option<i64>,
    pub conversation_id: i64,
    pub application_id: Option<i64>,
    pub now: i64,
}

impl<'a> NewStatus<'a> {
    /// A remote account's boost of `original`: no content of its own, in the original's
    /// conversation (a local boost sets `local` and `application_id` over it).
    pub fn reblog(id: i64, uri: &'a str, account_id: i64, visibility: Visibility, original: &StatusRow, now: i64) -> Self {
        NewStatus {
            id,
            uri,
            url: None,
            account_id,
            local: false,
            visibility,
            content: "",
            text: None,
            spoiler_text: "",
            sensitive: false,
            language: None,
            in_reply_to: None,
            reblog_of_id: Some(original.id),
            conversation_id: original.conversation_id.unwrap_or(original.id),
            application_id: None,
            now,
        }
    }
}

/// Links a status to its hashtags, creating the tags that are new (`tags`: new id, name).
fn tag_queries(status_id: i64, tags: &[(i64, String)], now: i64) -> Vec<Query> {
    tags.iter()
        .flat_map(|(tag_id, name)| {
            [
                query!("INSERT OR IGNORE INTO tags (id, name, normalized, created_at) VALUES (?1, ?2, lower(?2), ?3)", *tag_id, name.clone(), now),
                query!(
                    "INSERT OR IGNORE INTO status_tags (tag_id, status_id) SELECT id, ?1 FROM tags WHERE normalized = lower(?2)",
                    status_id, name.clone()
                ),
            ]
        })
        .collect()
}

/// Writes a status with everything that hangs off it. `tags` are (new tag id, name); existing
/// tags keep their id. `home_of` lists the accounts whose home feed gets it.
pub fn create(s: &NewStatus, tags: &[(i64, String)], mentioned: &[i64], home_of: &[i64]) -> Vec<Query> {
    let mut queries = vec![query!(
        "INSERT INTO statuses (id, uri, url, account_id, local, visibility, content, text, spoiler_text, sensitive, language, \
         in_reply_to_id, in_reply_to_account_id, reblog_of_id, conversation_id, application_id, created_at, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?17)",
        s.id, s.uri, s.url, s.account_id, s.local, s.visibility.as_str(), s.content, s.text, s.spoiler_text, s.sensitive,
        s.language, s.in_reply_to.map(|r| r.0), s.in_reply_to.map(|r| r.1), s.reblog_of_id, s.conversation_id,
        s.application_id, s.now
    )];
    queries.extend(tag_queries(s.id, tags, s.now));
    for account_id in mentioned {
        queries.push(query!("INSERT OR IGNORE INTO mentions (status_id, account_id) VALUES (?1, ?2)", s.id, *account_id));
    }
    for account_id in home_of {
        queries.push(query!(
            "INSERT OR IGNORE INTO home_feed (account_id, status_id, reblog_of_id) VALUES (?1, ?2, ?3)",
            *account_id, s.id, s.reblog_of_id
        ));
    }
    if let Some((parent, _)) = s.in_reply_to {
        queries.push(query!("UPDATE statuses SET replies_count = replies_count + 1 WHERE id = ?1", parent));
    }
    // Mastodon counts every status but direct ones, boosts included.
    if s.visibility != Visibility::Direct {
        queries.push(query!(
            "UPDATE accounts SET statuses_count = statuses_count + 1, last_status_at = ?2 WHERE id = ?1",
            s.account_id, s.now
        ));
    }
    if let Some(original) = s.reblog_of_id {
        queries.push(query!("UPDATE statuses SET reblogs_count = reblogs_count + 1 WHERE id = ?1", original));
    } else {
        if let Some(text) = s.text {
            queries.push(query!("INSERT INTO statuses_fts (rowid, text) VALUES (?1, ?2)", s.id, format!("{} {text}", s.spoiler_text)));
        }
    }
    queries
}

/// Marks a status deleted (the row stays as a tombstone for federation) and undoes its counts.
/// Reblogs of it go with it.
pub fn delete(status: &StatusRow, now: i64) -> Vec<Query> {
    let mut queries = vec![
        // The boosts that go with it leave their authors' counts first.
        query!(
            "UPDATE accounts SET statuses_count = max(statuses_count - (SELECT count(*) FROM statuses b \
               WHERE b.reblog_of_id = ?1 AND b.deleted_at IS NULL AND b.visibility <> 'direct' AND b.account_id = accounts.id), 0) \
             WHERE id IN (SELECT account_id FROM statuses WHERE reblog_of_id = ?1 AND deleted_at IS NULL)",
            status.id
        ),
        query!("UPDATE statuses SET deleted_at = ?2 WHERE id = ?1 OR (reblog_of_id = ?1 AND deleted_at IS NULL)", status.id, now),
        query!("DELETE FROM home_feed WHERE status_id = ?1 OR reblog_of_id = ?1", status.id),
        query!("DELETE FROM status_tags WHERE status_id = ?1", status.id),
    ];
    if let Some(parent) = status.in_reply_to_id {
        queries.push(query!("UPDATE statuses SET replies_count = max(replies_count - 1, 0) WHERE id = ?1", parent));
    }
    if status.visibility != Visibility::Direct {
        queries.push(query!("UPDATE accounts SET statuses_count = max(statuses_count - 1, 0) WHERE id = ?1", status.account_id));
    }
    match status.reblog_of_id {
        Some(original) => queries.push(query!(
            "UPDATE statuses SET reblogs_count = max(reblogs_count - 1, 0) WHERE id = ?1",
            original
        )),
        None => {
            if status.text.is_some() {
                queries.push(query!(
                    "INSERT INTO statuses_fts (statuses_fts, rowid, text) VALUES ('delete', ?1, ?2)",
                    status.id,
                    format!("{} {}", status.spoiler_text, status.text.clone().unwrap_or_default())
                ));
            }
        }
    }
    queries
}

pub struct Edit<'a> {
    pub content: &'a str,
    pub text: &'a str,
    pub spoiler_text: &'a str,
    pub sensitive: bool,
    pub language: Option<&'a str>,
}

/// Applies an edit and records versions: the first edit also records the original.
pub fn edit(before: &StatusRow, after: &Edit, version_ids: (i64, i64), tags: &[(i64, String)], now: i64) -> Vec<Query> {
    let mut queries = Vec::new();
    if before.edited_at.is_none() {
        queries.push(query!(
            "INSERT INTO status_edits (id, status_id, content, spoiler_text, sensitive, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            version_ids.0, before.id, before.content.clone(), before.spoiler_text.clone(), before.sensitive, before.created_at
        ));
    }
    queries.push(query!(
        "INSERT INTO status_edits (id, status_id, content, spoiler_text, sensitive, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        version_ids.1, before.id, after.content, after.spoiler_text, after.sensitive, now
    ));
    queries.push(query!(
        "UPDATE statuses SET content = ?2, text = ?3, spoiler_text = ?4, sensitive = ?5, language = ?6, edited_at = ?7, updated_at = ?7 \
         WHERE id = ?1",
        before.id, after.content, after.text, after.spoiler_text, after.sensitive, after.language, now
    ));
    queries.push(query!("DELETE FROM status_tags WHERE status_id = ?1", before.id));
    queries.extend(tag_queries(before.id, tags, now));
    if let Some(old_text) = &before.text {
        queries.push(query!(
            "INSERT INTO statuses_fts (statuses_fts, rowid, text) VALUES ('delete', ?1, ?2)",
            before.id, format!("{} {old_text}", before.spoiler_text)
        ));
    }
    queries.push(query!("INSERT INTO statuses_fts (rowid, text) VALUES (?1, ?2)", before.id, format!("{} {}", after.spoiler_text, after.text)));
    queries
}

/// Remembers a deleted remote status's id with no content, so that it stays deleted.
pub fn tombstone(id: i64, uri: &str, account_id: i64, now: i64) -> Query {
    query!(
        "INSERT OR IGNORE INTO statuses (id, uri, account_id, local, visibility, created_at, updated_at, deleted_at) \
         VALUES (?1, ?2, ?3, 0, 'direct', ?4, ?4, ?4)",
        id, uri, account_id, now
    )
}

/// Sets a post's custom emoji (JSON, as `StatusRow::emojis`).
pub fn set_emojis(status_id: i64, emojis: &str) -> Query {
    query!("UPDATE statuses SET emojis = ?2 WHERE id = ?1", status_id, emojis)
}

/// Idempotency: the status an earlier request with the same key created within `since`.
pub async fn by_idempotency_key(db: &dyn Db, account_id: i64, key: &str, since: i64) -> Result<Option<i64>, StoreError> {
    #[derive(Deserialize)]
    struct Hit {
        #[serde(deserialize_with = "sqlite_id")]
        status_id: i64,
    }
    let hit: Option<Hit> = db::first(
        db,
        &query!(
            "SELECT CAST(status_id AS TEXT) AS status_id FROM idempotency_keys WHERE account_id = ?1 AND key = ?2 AND created_at > ?3",
            account_id, key, since
        ),
    )
    .await?;
    Ok(hit.map(|h| h.status_id))
}

pub fn remember_idempotency_key(account_id: i64, key: &str, status_id: i64, now: i64) -> Query {
    query!(
        "INSERT OR REPLACE INTO idempotency_keys (account_id, key, status_id, created_at) VALUES (?1, ?2, ?3, ?4)",
        account_id, key, status_id, now
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::statuses::get;
    use crate::store::testing::{memory_db, seed_accounts, seed_statuses, OWNER};

    async fn statuses_count(db: &crate::store::testing::MemoryDb, account: i64) -> i64 {
        crate::store::accounts::get(db, account).await.unwrap().unwrap().statuses_count
    }

    #[tokio::test(flavor = "current_thread")]
    async fn counts_follow_boosts_and_deletes() {
        let db = memory_db();
        let original = seed_statuses(&db, 1).await[0];
        seed_accounts(&db, 20, 1).await;
        let direct = NewStatus {
            id: original + 1, uri: "d", url: None, account_id: OWNER, local: true, visibility: crate::domain::visibility::Visibility::Direct, content: "", text: None,
            spoiler_text: "", sensitive: false, language: None, in_reply_to: None, reblog_of_id: None,
            conversation_id: original + 1, application_id: None, now: 2,
        };
        db.batch(&create(&direct, &[], &[], &[])).await.unwrap();
        let row = get(&db, None, original).await.unwrap().unwrap();
        db.batch(&create(&NewStatus::reblog(original + 2, "b", 20, crate::domain::visibility::Visibility::Public, &row, 3), &[], &[], &[])).await.unwrap();
        assert_eq!(statuses_count(&db, OWNER).await, 1, "not the direct message");
        assert_eq!(statuses_count(&db, 20).await, 1, "the boost");
        let row = get(&db, None, original).await.unwrap().unwrap();
        assert_eq!(row.reblogs_count, 1);
        db.batch(&delete(&row, 4)).await.unwrap();
        assert_eq!((statuses_count(&db, OWNER).await, statuses_count(&db, 20).await), (0, 0), "the boost went with the post");
        assert!(get(&db, None, original + 2).await.unwrap().is_none());
    }

    /// Drives the whole router (`TestEnv`), so it is an API test, not a store test: the same
    /// counts as `counts_follow_boosts_and_deletes`, through `POST /api/v1/statuses`.
    #[tokio::test(flavor = "current_thread")]
    async fn statuses_count_has_boosts_and_not_direct_messages() {
        use crate::edge::http::Method;
        let env = crate::testing::TestEnv::new();
        let token = env.owner_token().await;
        let count = || async { env.send_as(&token, Method::Get, "/api/v1/accounts/verify_credentials", "").await.1["statuses_count"].clone() };
        let (_, public) = env.send_as(&token, Method::Post, "/api/v1/statuses", "status=hello").await;
        env.send_as(&token, Method::Post, "/api/v1/statuses", "status=psst&visibility=direct").await;
        let id = public["id"].as_str().unwrap();
        let (response, body) = env.send_as(&token, Method::Post, &format!("/api/v1/statuses/{id}/reblog"), "").await;
        assert_eq!(response.status, 200, "{body}");
        assert_eq!(count().await, 2, "the post and its boost; not the direct message");
        env.send_as(&token, Method::Delete, &format!("/api/v1/statuses/{id}"), "").await;
        assert_eq!(count().await, 0, "the boost went with the post");
    }
}
