//! Poll (<https://docs.joinmastodon.org/entities/Poll/>).
use serde::Serialize;
use serde_json::Value;

use crate::domain::time::iso8601;
use crate::store::polls::PollRow;

#[derive(Debug, Serialize)]
pub struct PollOption {
    pub title: String,
    /// Hidden (null) while the author asked to hide totals and the poll runs.
    pub votes_count: Option<i64>,
}

#[derive(Debug, Serialize)]
pub struct Poll {
    pub id: String,
    pub expires_at: Option<String>,
    pub expired: bool,
    pub multiple: bool,
    pub votes_count: i64,
    pub voters_count: Option<i64>,
    pub options: Vec<PollOption>,
    pub emojis: Vec<Value>,
    /// The Android app requires both whenever the request was authenticated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub voted: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub own_votes: Option<Vec<i64>>,
}

impl Poll {
    /// `viewer` is whether the request was authenticated; `own_poll` whether the viewer wrote it.
    pub fn from_row(row: &PollRow, viewer: bool, own_poll: bool, now: i64) -> Poll {
        let expired = row.closed_at.is_some() || row.expires_at.is_some_and(|at| at <= now);
        let show_totals = !row.hide_totals || expired || own_poll;
        let options: Vec<Value> = serde_json::from_str(&row.options).unwrap_or_default();
        let own_votes: Vec<i64> = serde_json::from_str(&row.own_votes).unwrap_or_default();
        Poll {
            id: row.id.to_string(),
            expires_at: row.expires_at.map(iso8601),
            expired,
            multiple: row.multiple,
            votes_count: row.votes_count,
            voters_count: if row.multiple { row.voters_count } else { row.voters_count.or(Some(row.votes_count)) },
            options: options
                .iter()
                .map(|o| PollOption {
                    title: o["title"].as_str().unwrap_or_default().to_string(),
                    votes_count: show_totals.then(|| o["votes_count"].as_i64().unwrap_or(0)),
                })
                .collect(),
            emojis: Vec::new(),
            voted: viewer.then_some(own_poll || !own_votes.is_empty()),
            own_votes: viewer.then_some(own_votes),
        }
    }
}
