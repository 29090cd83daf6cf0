//! Reports the owner files against accounts (and those remote servers forward to us): kept for
//! the record, and forwarded to the reported account's server when asked to.
use super::db::Query;
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
