//! Queue messages the queue refused, kept until the cron sends them again (`app::jobs`).
use serde::Deserialize;

use super::db::{self, Db, Query, StoreError};
use crate::query;

#[derive(Debug, Deserialize)]
pub struct KeptRow {
    pub id: i64,
    /// The message as JSON text.
    pub body: String,
}

/// Keeps `messages` (JSON texts), in their order, to be read from `not_before` on. One statement
/// for any number of them: each statement of a batch counts against the free plan's 50 D1
/// queries per invocation, and a refused fan-out can be dozens of messages.
pub fn keep(messages: &[String], not_before: i64, now: i64) -> Query {
    let texts = serde_json::Value::from(messages.to_vec()).to_string();
    query!(
        "INSERT INTO kept_jobs (body, not_before, created_at) SELECT value, ?2, ?3 FROM json_each(?1) ORDER BY key",
        texts, not_before, now
    )
}

/// Up to `limit` messages due by `now`, oldest first.
pub async fn due(db: &dyn Db, now: i64, limit: i64) -> Result<Vec<KeptRow>, StoreError> {
    db::all(db, &query!("SELECT id, body FROM kept_jobs WHERE not_before <= ?1 ORDER BY id LIMIT ?2", now, limit)).await
}

/// Forgets messages the queue took.
pub fn forget(ids: &[i64]) -> Query {
    query!("DELETE FROM kept_jobs WHERE id IN (SELECT value FROM json_each(?1))", db::id_list(ids))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::store::testing::memory_db;

    #[tokio::test(flavor = "current_thread")]
    async fn kept_messages_come_back_in_their_order_once_due_and_go_when_forgotten() {
        let db = memory_db();
        let first: Vec<String> = (0..3).map(|i| format!("{{\"event\":\"n\",\"i\":{i}}}")).collect();
        db.run(&keep(&first, 100, 50)).await.unwrap();
        db.run(&keep(&["{\"later\":true}".to_string()], 200, 60)).await.unwrap();
        db.run(&keep(&["{\"event\":\"n\",\"i\":3}".to_string()], 100, 70)).await.unwrap();
        let due_now = due(&db, 150, 10).await.unwrap();
        let bodies: Vec<&str> = due_now.iter().map(|r| r.body.as_str()).collect();
        assert_eq!(bodies, [first[0].as_str(), &first[1], &first[2], "{\"event\":\"n\",\"i\":3}"]);
        assert_eq!(due(&db, 150, 2).await.unwrap().len(), 2);
        db.run(&forget(&due_now.iter().map(|r| r.id).collect::<Vec<_>>())).await.unwrap();
        let left = due(&db, 250, 10).await.unwrap();
        assert_eq!(left.iter().map(|r| r.body.as_str()).collect::<Vec<_>>(), ["{\"later\":true}"]);
    }
}
