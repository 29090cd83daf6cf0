//! Reports the owner files against accounts (and those remote servers forward to us): kept for
//! the record, and forwarded to the reported account's server when asked to; the admin's queue
//! of them (`/admin/reports`, `app::reports`).
use serde::Deserialize;

use super::db::{self, sqlite_bool, sqlite_id, Db, Query, StoreError};
use crate::query;

pub struct NewReport<'a> {
    pub id: i64,
    pub reporter: i64,
    pub target: i64,
    pub status_ids: &'a str,
    pub rule_ids: &'a str,
    pub comment: &'a str,
    pub category: &'a str,
    pub forward: bool,
    pub now: i64,
}

pub fn create_report(r: &NewReport) -> Query {
    query!(
        "INSERT INTO reports (id, account_id, target_account_id, status_ids, rule_ids, comment, category, forwarded, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        r.id, r.reporter, r.target, r.status_ids, r.rule_ids, r.comment, r.category, r.forward, r.now
    )
}

/// How many reports a page of the queue holds.
pub const PAGE_SIZE: i64 = 20;

/// How many reported posts of one report are shown (a remote `Flag` may name any number).
pub const MAX_SHOWN_STATUSES: i64 = 20;

/// A report as the admin's queue shows it, with both accounts' names and moderation states.
#[derive(Clone, Debug, Deserialize)]
pub struct ReportRow {
    #[serde(deserialize_with = "sqlite_id")]
    pub id: i64,
    #[serde(deserialize_with = "sqlite_id")]
    pub account_id: i64,
    #[serde(deserialize_with = "sqlite_id")]
    pub target_account_id: i64,
    pub status_ids: String,
    pub rule_ids: String,
    pub comment: String,
    pub category: String,
    #[serde(deserialize_with = "sqlite_bool")]
    pub forwarded: bool,
    pub action_taken: Option<String>,
    pub action_taken_at: Option<i64>,
    pub created_at: i64,
    pub reporter_username: String,
    pub reporter_domain: Option<String>,
    pub reporter_uri: String,
    pub target_username: String,
    pub target_domain: Option<String>,
    pub target_uri: String,
    pub target_silenced_at: Option<i64>,
    pub target_suspended_at: Option<i64>,
    pub reporter_silenced_at: Option<i64>,
    pub reporter_suspended_at: Option<i64>,
}

impl ReportRow {
    /// The ids of the reported posts, as stored (JSON strings or numbers; junk is skipped).
    pub fn statuses(&self) -> Vec<i64> {
        json_ids(&self.status_ids)
    }

    pub fn rules(&self) -> Vec<i64> {
        json_ids(&self.rule_ids)
    }
}

fn json_ids(text: &str) -> Vec<i64> {
    let values: Vec<serde_json::Value> = serde_json::from_str(text).unwrap_or_default();
    values
        .iter()
        .filter_map(|v| v.as_str().and_then(crate::domain::ids::parse).or_else(|| v.as_i64()))
        .collect()
}

macro_rules! select_reports {
    ($rest:expr) => {
        concat!(
            "SELECT CAST(r.id AS TEXT) AS id, CAST(r.account_id AS TEXT) AS account_id, ",
            "CAST(r.target_account_id AS TEXT) AS target_account_id, r.status_ids, r.rule_ids, r.comment, r.category, ",
            "r.forwarded, r.action_taken, r.action_taken_at, r.created_at, ",
            "ra.username AS reporter_username, ra.domain AS reporter_domain, ra.uri AS reporter_uri, ",
            "ta.username AS target_username, ta.domain AS target_domain, ta.uri AS target_uri, ",
            "ta.silenced_at AS target_silenced_at, ta.suspended_at AS target_suspended_at, ",
            "ra.silenced_at AS reporter_silenced_at, ra.suspended_at AS reporter_suspended_at ",
            "FROM reports r JOIN accounts ra ON ra.id = r.account_id JOIN accounts ta ON ta.id = r.target_account_id ",
            $rest
        )
    };
}

/// Which reports a queue page lists: `?1` 0 open, 1 resolved; `?2` the page's upper id bound
/// (exclusive); `?3` the page size. Newest first (a single owner gets few reports: no index).
macro_rules! queue_where {
    () => {
        "WHERE (?1 = 1) = (r.action_taken_at IS NOT NULL) AND r.id < ?2 ORDER BY r.id DESC LIMIT ?3"
    };
}

/// Which reports the queue shows: the open ones (the page's default) or the resolved ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Filter {
    Open,
    Resolved,
}

impl Filter {
    fn code(self) -> i64 {
        match self {
            Filter::Open => 0,
            Filter::Resolved => 1,
        }
    }
}

/// The columns of a reported post, for `ReportedStatus`.
macro_rules! select_reported {
    ($rest:expr) => {
        concat!(
            "SELECT CAST(s.id AS TEXT) AS id, s.uri, s.url, s.content, s.spoiler_text, s.sensitive, s.visibility, s.created_at, ",
            "s.deleted_at FROM statuses s WHERE s.id IN (SELECT CAST(j.value AS INTEGER) FROM ", $rest, ")"
        )
    };
}

/// A page of the queue (`before`: the last id of the page before, for the next one), and the
/// posts those reports name (the first `MAX_SHOWN_STATUSES` of each), in one round trip.
pub fn queue_queries(filter: Filter, before: Option<i64>, limit: i64) -> [Query; 2] {
    let before = before.unwrap_or(i64::MAX);
    [
        query!(select_reports!(queue_where!()), filter.code(), before, limit),
        query!(
            select_reported!(concat!("(SELECT r.status_ids FROM reports r ", queue_where!(), ") q, json_each(q.status_ids) j WHERE j.key < ?4")),
            filter.code(), before, limit, MAX_SHOWN_STATUSES
        ),
    ]
}

/// One report and the posts it names.
pub fn get_queries(id: i64) -> [Query; 2] {
    [
        query!(select_reports!("WHERE r.id = ?1"), id),
        query!(select_reported!("reports r, json_each(r.status_ids) j WHERE r.id = ?1 AND j.key < ?2"), id, MAX_SHOWN_STATUSES),
    ]
}

pub async fn get(db: &dyn Db, id: i64) -> Result<Option<ReportRow>, StoreError> {
    db::first(db, &query!(select_reports!("WHERE r.id = ?1"), id)).await
}

/// A reported post as the queue shows it: removed ones too (`deleted_at`), so that the admin
/// sees that it is gone.
#[derive(Clone, Debug, Deserialize)]
pub struct ReportedStatus {
    #[serde(deserialize_with = "sqlite_id")]
    pub id: i64,
    pub uri: String,
    pub url: Option<String>,
    pub content: String,
    pub spoiler_text: String,
    #[serde(deserialize_with = "sqlite_bool")]
    pub sensitive: bool,
    pub visibility: String,
    pub created_at: i64,
    pub deleted_at: Option<i64>,
}

/// The report closed with `action` at `now`.
pub fn resolve(id: i64, action: &str, now: i64) -> Query {
    query!("UPDATE reports SET action_taken = ?2, action_taken_at = ?3 WHERE id = ?1", id, action.to_string(), now)
}

pub fn reopen(id: i64) -> Query {
    query!("UPDATE reports SET action_taken = NULL, action_taken_at = NULL WHERE id = ?1", id)
}
