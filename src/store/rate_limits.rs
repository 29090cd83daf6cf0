//! Fixed-window counters in D1 (password attempts). D1 is the only state shared by every
//! isolate, so the count holds across them.
use serde::Deserialize;

use super::db::{self, Db, StoreError};
use crate::query;

/// Counts one event under `key` and returns the count within the current window, this event
/// included. One statement increments and reads, so concurrent requests each get a different
/// count: reading first and incrementing after let 79 of 100 parallel guesses through a limit
/// of 10, as every one of them read the same count.
pub async fn hit(db: &dyn Db, key: &str, window_ms: i64, now: i64) -> Result<i64, StoreError> {
    #[derive(Deserialize)]
    struct Count {
        count: i64,
    }
    let row: Option<Count> = db::first(
        db,
        &query!(
            "INSERT INTO rate_limits (key, window_start, count) VALUES (?1, ?2, 1) \
             ON CONFLICT (key) DO UPDATE SET \
               count = CASE WHEN window_start <= ?2 - ?3 THEN 1 ELSE count + 1 END, \
               window_start = CASE WHEN window_start <= ?2 - ?3 THEN ?2 ELSE window_start END \
             RETURNING count",
            key, now, window_ms
        ),
    )
    .await?;
    row.map(|r| r.count).ok_or_else(|| StoreError::Database("rate limit upsert returned no row".into()))
}

/// A counter's window and count, to read beside other reads (`Window`); no row: nothing counted.
pub fn window_query(key: &str) -> crate::store::db::Query {
    query!("SELECT window_start, count FROM rate_limits WHERE key = ?1", key)
}

#[derive(Clone, Copy, Debug, Deserialize)]
pub struct Window {
    pub window_start: i64,
    pub count: i64,
}

impl Window {
    /// What the window counts at `now`: nothing once it is over.
    pub fn count_at(&self, window_ms: i64, now: i64) -> i64 {
        if self.window_start <= now - window_ms {
            0
        } else {
            self.count
        }
    }
}

/// Counts `n` events under `key` (a write for a batch; `hit` counts one and reads the count).
pub fn add(key: &str, n: i64, window_ms: i64, now: i64) -> crate::store::db::Query {
    query!(
        "INSERT INTO rate_limits (key, window_start, count) VALUES (?1, ?2, ?4) \
         ON CONFLICT (key) DO UPDATE SET \
           count = CASE WHEN window_start <= ?2 - ?3 THEN ?4 ELSE count + ?4 END, \
           window_start = CASE WHEN window_start <= ?2 - ?3 THEN ?2 ELSE window_start END",
        key, now, window_ms, n
    )
}

pub async fn reset(db: &dyn Db, key: &str) -> Result<(), StoreError> {
    db.run(&query!("DELETE FROM rate_limits WHERE key = ?1", key)).await?;
    Ok(())
}

/// Takes back one event counted under `key` (an attempt that turned out not to be a failure).
pub async fn give_back(db: &dyn Db, key: &str) -> Result<(), StoreError> {
    db.run(&query!("UPDATE rate_limits SET count = max(count - 1, 0) WHERE key = ?1", key)).await?;
    Ok(())
}

/// Forgets counters whose window began before `cutoff`: they count nothing any more.
pub fn forget_before(cutoff: i64) -> crate::store::db::Query {
    query!("DELETE FROM rate_limits WHERE window_start < ?1", cutoff)
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
        assert_eq!(hit(&db, "other", 1000, 500).await.unwrap(), 1);
        assert_eq!(hit(&db, "k", 1000, 1010).await.unwrap(), 1);
        reset(&db, "k").await.unwrap();
        assert_eq!(hit(&db, "k", 1000, 1011).await.unwrap(), 1);
    }
}
