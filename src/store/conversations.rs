//! Direct-message threads. A thread is derived from its direct statuses (its id is the id of
//! its first status), so that it cannot drift from them; a `conversations` row keeps only what
//! the owner did to a thread: read up to a status, or removed it until a newer message arrives.
use serde::Deserialize;

use super::db::{self, id_list, sqlite_id, sqlite_opt_id, Db, Query, StoreError};
use super::keyset::keyset;
use crate::domain::paging::Page;
use crate::query;

#[derive(Clone, Debug, Deserialize)]
pub struct ConversationRow {
    /// The conversation id is the id of the thread's first status.
    #[serde(deserialize_with = "sqlite_id")]
    pub id: i64,
    #[serde(deserialize_with = "sqlite_id")]
    pub last_status_id: i64,
    /// Read up to this status (`conversations.last_status_id`), if ever read.
    #[serde(deserialize_with = "sqlite_opt_id")]
    pub read_up_to: Option<i64>,
    #[serde(deserialize_with = "sqlite_id")]
    pub last_author_id: i64,
}

/// Direct-message threads, newest activity first, paged by their last status id.
pub async fn conversations(db: &dyn Db, owner: i64, page: &Page) -> Result<Vec<ConversationRow>, StoreError> {
    let statement = keyset!("t.last_id";
        "SELECT CAST(t.conversation_id AS TEXT) AS id, CAST(t.last_id AS TEXT) AS last_status_id, \
         CAST(c.last_status_id AS TEXT) AS read_up_to, \
         CAST((SELECT account_id FROM statuses WHERE id = t.last_id) AS TEXT) AS last_author_id \
         FROM (SELECT conversation_id, max(id) AS last_id FROM statuses \
               WHERE visibility = 'direct' AND deleted_at IS NULL AND conversation_id IS NOT NULL GROUP BY conversation_id) t \
         LEFT JOIN conversations c ON c.id = t.conversation_id AND c.account_id = ?1 \
         WHERE (c.removed_at IS NULL OR t.last_id > c.last_status_id)"
    );
    statement.fetch(db, owner, page, vec![]).await
}

/// Marks a thread read up to `last_status_id`, or removes it until a newer message arrives.
pub fn touch_conversation(owner: i64, id: i64, last_status_id: i64, removed: bool, now: i64) -> Query {
    query!(
        "INSERT INTO conversations (id, account_id, last_status_id, unread, removed_at, updated_at) VALUES (?2, ?1, ?3, 0, ?4, ?5) \
         ON CONFLICT (id) DO UPDATE SET last_status_id = ?3, unread = 0, removed_at = ?4, updated_at = ?5",
        owner, id, last_status_id, removed.then_some(now), now
    )
}

/// `(conversation_id, id)` of everyone who wrote or was addressed in the threads whose ids are
/// the JSON list `?1`: authors and mentioned accounts of their direct statuses.
macro_rules! participants_of {
    () => {
        "SELECT conversation_id, account_id AS id FROM statuses \
         WHERE conversation_id IN (SELECT value FROM json_each(?1)) AND visibility = 'direct' AND deleted_at IS NULL \
         UNION SELECT s.conversation_id, m.account_id FROM mentions m JOIN statuses s ON s.id = m.status_id \
         WHERE s.conversation_id IN (SELECT value FROM json_each(?1)) AND s.visibility = 'direct' AND s.deleted_at IS NULL"
    };
}

/// Someone who wrote or was addressed in a thread.
#[derive(Clone, Debug, Deserialize)]
pub struct Participant {
    #[serde(deserialize_with = "sqlite_id")]
    pub conversation_id: i64,
    #[serde(deserialize_with = "sqlite_id")]
    pub account_id: i64,
}

/// Accounts taking part in a thread: authors and mentioned accounts of its direct statuses.
pub async fn participants(db: &dyn Db, conversation_id: i64) -> Result<Vec<i64>, StoreError> {
    let rows: Vec<Participant> = db::all(db, &participants_query(&[conversation_id])).await?;
    Ok(rows.into_iter().map(|p| p.account_id).collect())
}

/// The `Participant`s of these threads, for a batch of reads: one query for a whole page.
pub fn participants_query(conversation_ids: &[i64]) -> Query {
    query!(
        concat!(
            "SELECT DISTINCT CAST(conversation_id AS TEXT) AS conversation_id, CAST(id AS TEXT) AS account_id FROM (",
            participants_of!(),
            ")"
        ),
        id_list(conversation_ids)
    )
}

/// The accounts of everyone but `owner` taking part in these threads, for a batch of reads.
pub fn participant_accounts_query(conversation_ids: &[i64], owner: i64) -> Query {
    query!(
        crate::select_accounts!("WHERE a.id IN (SELECT id FROM (", participants_of!(), ")) AND a.id != ?2"),
        id_list(conversation_ids),
        owner
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::statuses::{create, NewStatus};
    use crate::store::testing::{assert_pages_like_mastodon, memory_db, seed_statuses, OWNER};

    /// Six direct threads, one message each but the third from last, which gets a newer reply
    /// (so threads page by their last message, not by their id).
    #[tokio::test(flavor = "current_thread")]
    async fn pages_by_last_message_and_min_id_is_the_page_just_above() {
        let db = &memory_db();
        seed_statuses(db, 0).await;
        let direct = |id: i64, conversation_id: i64| NewStatus {
            id, uri: "", url: None, account_id: OWNER, local: true, visibility: crate::domain::visibility::Visibility::Direct, content: "", text: None,
            spoiler_text: "", sensitive: false, language: None, in_reply_to: None, reblog_of_id: None,
            conversation_id, application_id: None, now: id,
        };
        for id in 10..16 {
            let uri = format!("d{id}");
            db.batch(&create(&NewStatus { uri: &uri, ..direct(id, id) }, &[], &[], &[])).await.unwrap();
        }
        db.batch(&create(&NewStatus { uri: "reply", ..direct(20, 12) }, &[], &[], &[])).await.unwrap();
        let last_ids = [20, 15, 14, 13, 11, 10];
        // `conversations` walked only newest first: `min_id` gave the newest page.
        assert_pages_like_mastodon(&last_ids, |page| async move {
            conversations(db, OWNER, &page).await.unwrap().iter().map(|c| c.last_status_id).collect()
        })
        .await;
        let newest = &conversations(db, OWNER, &Page { limit: 1, ..Default::default() }).await.unwrap()[0];
        assert_eq!((newest.id, newest.last_author_id, newest.read_up_to), (12, OWNER, None));
        db.run(&touch_conversation(OWNER, 12, 20, true, 30)).await.unwrap();
        assert_eq!(conversations(db, OWNER, &Page { limit: 40, ..Default::default() }).await.unwrap().len(), 5, "removed");
        assert_eq!(participants(db, 12).await.unwrap(), [OWNER]);
    }

    /// Real ids are snowflakes above 2^53, which D1 receives as text: the bounds must still
    /// compare as numbers with `max(id)`, a key without column affinity (found by the e2e suite).
    #[tokio::test(flavor = "current_thread")]
    async fn snowflake_ids_bound_as_text_page_like_small_ones() {
        let db = &memory_db();
        seed_statuses(db, 0).await;
        const BASE: i64 = 1 << 60;
        for n in 0..5 {
            let (id, uri) = (BASE + n, format!("s{n}"));
            let status = NewStatus {
                id, uri: &uri, url: None, account_id: OWNER, local: true, visibility: crate::domain::visibility::Visibility::Direct, content: "", text: None,
                spoiler_text: "", sensitive: false, language: None, in_reply_to: None, reblog_of_id: None,
                conversation_id: id, application_id: None, now: n,
            };
            db.batch(&create(&status, &[], &[], &[])).await.unwrap();
        }
        let last_ids: Vec<i64> = (0..5).rev().map(|n| BASE + n).collect();
        assert_pages_like_mastodon(&last_ids, |page| async move {
            conversations(db, OWNER, &page).await.unwrap().iter().map(|c| c.last_status_id).collect()
        })
        .await;
    }
}
