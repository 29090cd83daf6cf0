//! Fixed-window counters in D1 (password attempts). D1 is the only state shared by every
//! isolate, so the count holds across them.
use serde::Deserialize;

use super::db::{self, Db, StoreError};
use crate::query;

/// Counts one event under `key` and returns the count within the current window.
pub async fn hit(db: &dyn Db, key: &str, window_ms: i64, now: i64) -> Result<i64, StoreError> {
    db.run(&query!(
        "INSERT INTO rate_limits (key, window_start, count) VALUES (?1, ?2, 1) \
         ON CONFLICT (key) DO UPDATE SET \
           count = CASE WHEN window_start <= ?2 - ?3 THEN 1 ELSE count + 1 END, \
           window_start = CASE WHEN window_start <= ?2 - ?3 THEN ?2 ELSE window_start END",
        key, now, window_ms
    ))
    .await?;
    count(db, key, window_ms, now).await
}

/// The count within the current window, without counting anything.
pub async fn count(db: &dyn Db, key: &str, window_ms: i64, now: i64) -> Result<i64, StoreError> {
    #[derive(Deserialize)]
    struct Count {
        count: i64,
    }
    let row: Option<Count> = db::first(
        db,
        &query!("SELECT count FROM rate_limits WHERE key = ?1 AND window_start > ?2 - ?3", key, now, window_ms),
    )
    .await?;
    Ok(row.map_or(0, |r| r.count))
}

pub async fn reset(db: &dyn Db, key: &str) -> Result<(), StoreError> {
    db.run(&query!("DELETE FROM rate_limits WHERE key = ?1", key)).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::testing::memory_db;

    #[tokio::test(flavor = "current_thread")]
    async fn counts_within_a_window_and_restarts_after_it() {
        let db = memory_db();
        assert_eq!(hit(&db, "k", 1000, 10).await.unwrap(), 1);
        assert_eq!(hit(&db, "k", 1000, 500).await.unwrap(), 2);
        assert_eq!(count(&db, "k", 1000, 900).await.unwrap(), 2);
        assert_eq!(count(&db, "k", 1000, 1010).await.unwrap(), 0);
        assert_eq!(hit(&db, "k", 1000, 1010).await.unwrap(), 1);
        reset(&db, "k").await.unwrap();
        assert_eq!(count(&db, "k", 1000, 1011).await.unwrap(), 0);
    }
}
