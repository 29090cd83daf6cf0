//! A status's place in its thread. Ancestors and descendants walk `in_reply_to_id`; a remote
//! reply can arrive before its parent, so it keeps the parent's URI until the parent is stored
//! and its early replies are linked to it.
use serde::Deserialize;

use super::StatusRow;
use crate::query;
use crate::store::db::{self, Db, Query, StoreError};

/// Ancestors of a status, oldest first (at most 40 levels up), for a batch of reads.
pub fn ancestors_query(viewer: Option<i64>, id: i64) -> Query {
    query!(
        select_statuses!(
            "FROM statuses s JOIN (WITH RECURSIVE up(id, depth) AS ( \
               SELECT in_reply_to_id, 1 FROM statuses WHERE id = ?2 \
               UNION ALL SELECT p.in_reply_to_id, up.depth + 1 FROM statuses p JOIN up ON p.id = up.id WHERE up.depth < 40) \
             SELECT id FROM up WHERE id IS NOT NULL) a ON a.id = s.id \
             WHERE s.deleted_at IS NULL ORDER BY s.id"
        ),
        viewer,
        id
    )
}

/// Replies, replies to replies, … of a status, in thread order (by id), at most 40 levels
/// deep, for a batch of reads.
pub fn descendants_query(viewer: Option<i64>, id: i64) -> Query {
    query!(
        select_statuses!(
            "FROM statuses s JOIN (WITH RECURSIVE down(id, depth) AS ( \
               SELECT id, 1 FROM statuses WHERE in_reply_to_id = ?2 \
               UNION ALL SELECT c.id, down.depth + 1 FROM statuses c JOIN down ON c.in_reply_to_id = down.id WHERE down.depth < 40) \
             SELECT id FROM down) d ON d.id = s.id \
             WHERE s.deleted_at IS NULL ORDER BY s.id"
        ),
        viewer,
        id
    )
}

/// Keeps the id of a reply's parent that is not stored yet, so that thread backfill can link
/// them when it arrives.
pub fn remember_parent_uri(status_id: i64, parent_uri: &str) -> Query {
    query!("UPDATE statuses SET in_reply_to_uri = ?2 WHERE id = ?1", status_id, parent_uri)
}

/// Links the replies that arrived before `parent` (known to them only as `parent_uri`) to it.
pub fn link_replies(parent: &StatusRow, parent_uri: &str) -> Query {
    query!(
        "UPDATE statuses SET in_reply_to_id = ?1, in_reply_to_account_id = ?2, conversation_id = coalesce(?3, conversation_id) \
         WHERE in_reply_to_uri = ?4 AND in_reply_to_id IS NULL",
        parent.id, parent.account_id, parent.conversation_id, parent_uri
    )
}

/// The URI of a status's parent when the parent is not stored.
pub async fn missing_parent_uri(db: &dyn Db, status_id: i64) -> Result<Option<String>, StoreError> {
    #[derive(Deserialize)]
    struct Parent {
        in_reply_to_uri: Option<String>,
    }
    let row: Option<Parent> =
        db::first(db, &query!("SELECT in_reply_to_uri FROM statuses WHERE id = ?1 AND in_reply_to_id IS NULL", status_id)).await?;
    Ok(row.and_then(|r| r.in_reply_to_uri))
}
