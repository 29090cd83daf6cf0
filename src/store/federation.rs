//! Federation bookkeeping: activities we sent (so a delivery job carries only an id), where
//! they must go, deliveries that failed, peers that are down, and activities already applied.
use serde::Deserialize;

use super::db::{self, sqlite_id, Db, Query, StoreError};
use crate::query;

#[derive(Debug, Deserialize)]
pub struct ActivityRow {
    pub uri: String,
    #[serde(deserialize_with = "sqlite_id")]
    pub actor_account_id: i64,
    pub body: String,
}

/// Stores an activity we send under `id`, or updates the one stored before under its URI (an
/// event handled again); returns the id it is stored under, which its deliveries must carry.
pub async fn save_activity(db: &dyn Db, id: i64, uri: &str, actor: i64, body: &str, now: i64) -> Result<i64, StoreError> {
    #[derive(Deserialize)]
    struct Saved {
        #[serde(deserialize_with = "sqlite_id")]
        id: i64,
    }
    let saved: Option<Saved> = db::first(
        db,
        &query!(
            "INSERT INTO outbox_activities (id, uri, actor_account_id, body, created_at) VALUES (?1, ?2, ?3, ?4, ?5) \
             ON CONFLICT (uri) DO UPDATE SET body = ?4 RETURNING CAST(id AS TEXT) AS id",
            id, uri, actor, body, now
        ),
    )
    .await?;
    saved.map(|s| s.id).ok_or_else(|| StoreError::Database("activity upsert returned no row".into()))
}

pub async fn activity(db: &dyn Db, id: i64) -> Result<Option<ActivityRow>, StoreError> {
    db::first(
        db,
        &query!("SELECT uri, CAST(actor_account_id AS TEXT) AS actor_account_id, body FROM outbox_activities WHERE id = ?1", id),
    )
    .await
}

#[derive(Deserialize)]
struct Inbox {
    inbox: String,
}

/// Where the owner's followers receive: one entry per shared inbox, else per personal inbox.
pub async fn follower_inboxes(db: &dyn Db, owner: i64) -> Result<Vec<String>, StoreError> {
    let rows: Vec<Inbox> = db::all(
        db,
        &query!(
            "SELECT DISTINCT coalesce(a.shared_inbox_url, a.inbox_url) AS inbox FROM follows f JOIN accounts a ON a.id = f.account_id \
             WHERE f.target_account_id = ?1 AND f.accepted_at IS NOT NULL AND a.domain IS NOT NULL AND a.suspended_at IS NULL \
             AND coalesce(a.shared_inbox_url, a.inbox_url) IS NOT NULL",
            owner
        ),
    )
    .await?;
    Ok(rows.into_iter().map(|r| r.inbox).collect())
}

/// The inboxes of particular remote accounts (mentioned, replied to, followed…).
pub async fn inboxes_of(db: &dyn Db, accounts: &[i64], shared: bool) -> Result<Vec<String>, StoreError> {
    if accounts.is_empty() {
        return Ok(Vec::new());
    }
    let ids = db::id_list(accounts);
    let rows: Vec<Inbox> = db::all(
        db,
        &query!(
            "SELECT DISTINCT CASE WHEN ?2 THEN coalesce(shared_inbox_url, inbox_url) ELSE inbox_url END AS inbox FROM accounts \
             WHERE id IN (SELECT value FROM json_each(?1)) AND domain IS NOT NULL AND inbox_url IS NOT NULL",
            ids, shared
        ),
    )
    .await?;
    Ok(rows.into_iter().map(|r| r.inbox).collect())
}

/// Every remote inbox we know (for a profile update or a Delete of the owner): followers and
/// followed accounts.
pub async fn known_inboxes(db: &dyn Db, owner: i64) -> Result<Vec<String>, StoreError> {
    let rows: Vec<Inbox> = db::all(
        db,
        &query!(
            "SELECT DISTINCT coalesce(a.shared_inbox_url, a.inbox_url) AS inbox FROM follows f JOIN accounts a \
             ON a.id = CASE WHEN f.account_id = ?1 THEN f.target_account_id ELSE f.account_id END \
             WHERE (f.account_id = ?1 OR f.target_account_id = ?1) AND a.domain IS NOT NULL AND a.inbox_url IS NOT NULL",
            owner
        ),
    )
    .await?;
    Ok(rows.into_iter().map(|r| r.inbox).collect())
}

#[derive(Debug, Deserialize)]
pub struct InstanceRow {
    pub domain: String,
    pub unreachable_since: Option<i64>,
}

/// The known peers among `domains`, in one query (a delivery message goes to several).
pub async fn instances(db: &dyn Db, domains: &[String]) -> Result<Vec<InstanceRow>, StoreError> {
    let domains = serde_json::Value::from(domains.to_vec()).to_string();
    db::all(db, &query!("SELECT domain, unreachable_since FROM instances WHERE domain IN (SELECT value FROM json_each(?1))", domains)).await
}

pub fn mark_unreachable(domain: &str, error: &str, now: i64) -> Query {
    query!(
        "INSERT INTO instances (domain, unreachable_since, last_failure, created_at) VALUES (?1, ?3, ?2, ?3) \
         ON CONFLICT (domain) DO UPDATE SET unreachable_since = coalesce(unreachable_since, ?3), last_failure = ?2",
        domain, error, now
    )
}

/// A known peer is no longer held (nothing happens for a domain never met).
pub fn clear_unreachable(domain: &str) -> Query {
    query!("UPDATE instances SET unreachable_since = NULL WHERE domain = ?1", domain)
}

pub fn mark_reachable(domain: &str, now: i64) -> Query {
    query!(
        "INSERT INTO instances (domain, last_success_at, created_at) VALUES (?1, ?2, ?2) \
         ON CONFLICT (domain) DO UPDATE SET unreachable_since = NULL, last_success_at = ?2",
        domain, now
    )
}

pub struct Failure<'a> {
    pub id: i64,
    pub activity_id: i64,
    pub inbox: &'a str,
    pub status: Option<u16>,
    pub error: &'a str,
    /// Retries ran out (the dead-letter queue) rather than a permanent refusal or a deferral.
    pub dead_lettered: bool,
    pub now: i64,
}

pub fn record_failure(f: &Failure) -> Query {
    query!(
        "INSERT INTO delivery_failures (id, activity_id, inbox_url, attempts, last_status, last_error, dead_lettered, created_at) \
         VALUES (?1, ?2, ?3, 1, ?4, ?5, ?6, ?7)",
        f.id, f.activity_id, f.inbox, f.status.map(i64::from), f.error, f.dead_lettered, f.now
    )
}

#[derive(Debug, Deserialize)]
pub struct FailureRow {
    #[serde(deserialize_with = "sqlite_id")]
    pub id: i64,
    #[serde(deserialize_with = "sqlite_id")]
    pub activity_id: i64,
    pub inbox_url: String,
    pub last_error: Option<String>,
    pub dead_lettered: i64,
}

/// Deliveries held back because their peer was down, for peers whose outage began before
/// `probe_before` (worth trying again) and that are not older than `oldest` (given up). The
/// inbox's host is compared with `substr`, not LIKE (D1 refuses patterns over 50 bytes).
/// `domain`: only that peer's.
pub async fn deferred(db: &dyn Db, probe_before: i64, oldest: i64, limit: i64, domain: Option<&str>) -> Result<Vec<FailureRow>, StoreError> {
    db::all(
        db,
        &query!(
            "SELECT CAST(d.id AS TEXT) AS id, CAST(d.activity_id AS TEXT) AS activity_id, d.inbox_url, d.last_error, d.dead_lettered \
             FROM delivery_failures d JOIN instances i \
               ON substr(d.inbox_url, instr(d.inbox_url, '://') + 3, length(i.domain) + 1) = i.domain || '/' \
             WHERE (d.dead_lettered = 1 OR d.last_status IS NULL) AND d.created_at >= ?2 AND (i.unreachable_since IS NULL OR i.unreachable_since < ?1) \
             AND (?4 IS NULL OR i.domain = ?4) ORDER BY d.id LIMIT ?3",
            probe_before, oldest, limit, domain
        ),
    )
    .await
}

/// A peer as the federation health page shows it.
#[derive(Debug, Deserialize)]
pub struct PeerHealthRow {
    pub domain: String,
    pub software: Option<String>,
    pub unreachable_since: Option<i64>,
    pub last_failure: Option<String>,
    pub last_success_at: Option<i64>,
    pub failures: i64,
}

/// A recorded failed delivery, with the activity it carried.
#[derive(Debug, Deserialize)]
pub struct FailureView {
    pub created_at: i64,
    pub inbox_url: String,
    pub activity: Option<String>,
    pub last_status: Option<i64>,
    pub last_error: Option<String>,
    pub dead_lettered: i64,
}

#[derive(Debug, Deserialize)]
pub struct KeptSummary {
    pub kept: i64,
    pub oldest: Option<i64>,
}

/// What the federation health page reads, as one batch: peers down or with failed deliveries
/// (50 at most, the longest down first), the 50 latest failures, the messages the queue refused.
pub fn health_queries() -> [Query; 3] {
    [
        query!(
            "SELECT i.domain, i.software, i.unreachable_since, i.last_failure, i.last_success_at, \
             (SELECT count(*) FROM delivery_failures d \
               WHERE substr(d.inbox_url, instr(d.inbox_url, '://') + 3, length(i.domain) + 1) = i.domain || '/') AS failures \
             FROM instances i WHERE i.unreachable_since IS NOT NULL OR EXISTS (SELECT 1 FROM delivery_failures d \
               WHERE substr(d.inbox_url, instr(d.inbox_url, '://') + 3, length(i.domain) + 1) = i.domain || '/') \
             ORDER BY i.unreachable_since IS NULL, i.unreachable_since, i.domain LIMIT 50"
        ),
        query!(
            "SELECT d.created_at, d.inbox_url, o.uri AS activity, d.last_status, d.last_error, d.dead_lettered \
             FROM delivery_failures d LEFT JOIN outbox_activities o ON o.id = d.activity_id ORDER BY d.id DESC LIMIT 50"
        ),
        query!("SELECT count(*) AS kept, min(created_at) AS oldest FROM kept_jobs"),
    ]
}

pub async fn failures(db: &dyn Db, limit: i64) -> Result<Vec<FailureRow>, StoreError> {
    db::all(
        db,
        &query!(
            "SELECT CAST(id AS TEXT) AS id, CAST(activity_id AS TEXT) AS activity_id, inbox_url, last_error, dead_lettered \
             FROM delivery_failures ORDER BY id DESC LIMIT ?1",
            limit
        ),
    )
    .await
}

pub fn delete_failure(id: i64) -> Query {
    query!("DELETE FROM delivery_failures WHERE id = ?1", id)
}

/// Whether an inbound activity id was already applied.
/// Whether `sender` already had the activity `uri` applied.
pub async fn seen(db: &dyn Db, sender: i64, uri: &str) -> Result<bool, StoreError> {
    db::exists(db, &query!("SELECT 1 FROM inbox_seen WHERE account_id = ?1 AND uri = ?2", sender, uri)).await
}

pub fn remember_seen(sender: i64, uri: &str, now: i64) -> Query {
    query!("INSERT OR IGNORE INTO inbox_seen (account_id, uri, received_at) VALUES (?1, ?2, ?3)", sender, uri, now)
}

/// Forgets applied activity ids received before `cutoff`. Signed requests older than 12 hours
/// are refused anyway; the ids are kept far longer for activities that arrive by proof only.
pub fn forget_seen_before(cutoff: i64) -> Query {
    query!("DELETE FROM inbox_seen WHERE received_at < ?1", cutoff)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::store::testing::memory_db;

    #[tokio::test(flavor = "current_thread")]
    async fn deliveries_held_for_a_peer_with_a_long_domain_are_found() {
        let db = memory_db();
        let long = format!("{}.example", "a-peer-with-a-rather-long-name".repeat(2));
        let other = "other.example";
        for (id, domain) in [(1, long.as_str()), (2, other)] {
            let inbox = format!("https://{domain}/inbox");
            db.run(&record_failure(&Failure { id, activity_id: 9, inbox: &inbox, status: None, error: "down", dead_lettered: false, now: 100 })).await.unwrap();
        }
        db.run(&mark_unreachable(&long, "down", 50)).await.unwrap();
        db.run(&mark_unreachable(&format!("x.{other}"), "down", 50)).await.unwrap();
        let held = deferred(&db, 60, 0, 10, None).await.unwrap();
        assert_eq!(held.iter().map(|f| f.inbox_url.as_str()).collect::<Vec<_>>(), [format!("https://{long}/inbox")]);
        assert_eq!(deferred(&db, 60, 0, 10, Some(&long)).await.unwrap().len(), 1);
        assert!(deferred(&db, 60, 0, 10, Some("elsewhere.example")).await.unwrap().is_empty());
    }

    /// The health page's batch reads the peer down, its failure, and the kept messages.
    #[tokio::test(flavor = "current_thread")]
    async fn the_health_page_reads_peers_failures_and_kept_messages() {
        let db = memory_db();
        db.run(&record_failure(&Failure { id: 1, activity_id: 9, inbox: "https://down.example/inbox", status: None, error: "held", dead_lettered: false, now: 100 }))
            .await
            .unwrap();
        db.run(&mark_unreachable("down.example", "timeout", 50)).await.unwrap();
        db.run(&mark_reachable("fine.example", 60)).await.unwrap();
        let answers = db.batch_rows(&health_queries()).await.unwrap();
        let peers: Vec<PeerHealthRow> = db::decode(answers[0].clone()).unwrap();
        assert_eq!(peers.iter().map(|p| (p.domain.as_str(), p.failures)).collect::<Vec<_>>(), [("down.example", 1)]);
        let failures: Vec<FailureView> = db::decode(answers[1].clone()).unwrap();
        assert_eq!((failures.len(), failures[0].last_status), (1, None));
        let kept: Vec<KeptSummary> = db::decode(answers[2].clone()).unwrap();
        assert_eq!(kept[0].kept, 0);
        db.run(&clear_unreachable("down.example")).await.unwrap();
        db.run(&clear_unreachable("never-met.example")).await.unwrap();
        assert_eq!(instances(&db, &["down.example".into(), "never-met.example".into()]).await.unwrap().len(), 1, "nothing made up");
    }
}
