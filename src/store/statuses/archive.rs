//! The owner's statuses in the order they were written, for the archive's outbox (`app::archive`).
use super::super::db::Query;
use crate::query;

/// Up to `limit` of the account's statuses (boosts too, deleted ones not) after `after` by id,
/// oldest first, read with no viewer.
pub fn written_after_query(account_id: i64, after: i64, limit: i64) -> Query {
    query!(
        select_statuses!("FROM statuses s WHERE s.account_id = ?2 AND s.id > ?3 AND s.deleted_at IS NULL ORDER BY s.id LIMIT ?4"),
        None::<i64>,
        account_id,
        after,
        limit
    )
}
