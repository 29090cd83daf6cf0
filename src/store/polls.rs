//! Polls attached to statuses, and votes on them.
use serde::Deserialize;

use super::db::{self, id_list, sqlite_bool, sqlite_id, Db, Query, StoreError};
use super::statuses::shown;
use crate::query;

#[derive(Clone, Debug, Deserialize)]
pub struct PollRow {
    #[serde(deserialize_with = "sqlite_id")]
    pub id: i64,
    #[serde(deserialize_with = "sqlite_id")]
    pub status_id: i64,
    /// JSON `[{"title": …, "votes_count": …}]`.
    pub options: String,
    #[serde(deserialize_with = "sqlite_bool")]
    pub multiple: bool,
    #[serde(deserialize_with = "sqlite_bool")]
    pub hide_totals: bool,
    pub votes_count: i64,
    pub voters_count: Option<i64>,
    pub expires_at: Option<i64>,
    pub closed_at: Option<i64>,
    /// The viewer's choices, as a JSON array (`[]` when none or anonymous).
    pub own_votes: String,
}

macro_rules! select_polls {
    ($($where:expr),+) => {
        concat!(
            "SELECT CAST(p.id AS TEXT) AS id, CAST(p.status_id AS TEXT) AS status_id, p.options, p.multiple, p.hide_totals, ",
            "p.votes_count, p.voters_count, p.expires_at, p.closed_at, ",
            "COALESCE((SELECT json_group_array(v.choice) FROM poll_votes v WHERE v.poll_id = p.id AND v.account_id = ?1), '[]') AS own_votes ",
            "FROM polls p ", $($where),+
        )
    };
}

pub async fn get(db: &dyn Db, viewer: Option<i64>, id: i64) -> Result<Option<PollRow>, StoreError> {
    db::first(db, &query!(select_polls!("WHERE p.id = ?2"), viewer, id)).await
}

pub async fn of_statuses(db: &dyn Db, viewer: Option<i64>, status_ids: &[i64]) -> Result<Vec<PollRow>, StoreError> {
    if status_ids.is_empty() {
        return Ok(Vec::new());
    }
    db::all(db, &query!(select_polls!("WHERE p.status_id IN (SELECT value FROM json_each(?2))"), viewer, id_list(status_ids))).await
}

/// Polls of the statuses `ids` and of those they reblog (`statuses::shown!`), for a batch of reads.
pub fn shown_query(viewer: Option<i64>, ids: &[i64]) -> Query {
    query!(select_polls!("WHERE p.status_id IN ", shown!(2)), viewer, id_list(ids))
}

pub struct NewPoll<'a> {
    pub id: i64,
    pub status_id: i64,
    pub options: &'a str,
    pub multiple: bool,
    pub hide_totals: bool,
    pub expires_at: i64,
    pub now: i64,
}

pub fn create(p: &NewPoll) -> [Query; 2] {
    [
        query!(
            "INSERT INTO polls (id, status_id, options, multiple, hide_totals, votes_count, voters_count, expires_at, created_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, 0, 0, ?6, ?7)",
            p.id, p.status_id, p.options, p.multiple, p.hide_totals, p.expires_at, p.now
        ),
        query!("UPDATE statuses SET poll_id = ?1 WHERE id = ?2", p.id, p.status_id),
    ]
}

/// Records `voter`'s choices and recounts the poll: options' counts, votes and voters.
pub fn vote(poll_id: i64, voter: i64, choices: &[(i64, i64)], now: i64) -> Vec<Query> {
    let mut queries: Vec<Query> = choices
        .iter()
        .map(|(id, choice)| {
            query!(
                "INSERT OR IGNORE INTO poll_votes (id, poll_id, account_id, choice, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                *id, poll_id, voter, *choice, now
            )
        })
        .collect();
    queries.push(recount(poll_id));
    queries
}

fn recount(poll_id: i64) -> Query {
    query!(
        "UPDATE polls SET \
           options = (SELECT json_group_array(json_object('title', json_extract(o.value, '$.title'), \
                      'votes_count', (SELECT count(*) FROM poll_votes v WHERE v.poll_id = polls.id AND v.choice = o.key))) \
                      FROM json_each(polls.options) o), \
           votes_count = (SELECT count(*) FROM poll_votes v WHERE v.poll_id = polls.id), \
           voters_count = (SELECT count(DISTINCT account_id) FROM poll_votes v WHERE v.poll_id = polls.id) \
         WHERE id = ?1",
        poll_id
    )
}

#[derive(Clone, Debug, Deserialize)]
pub struct EndedPoll {
    #[serde(deserialize_with = "sqlite_id")]
    pub id: i64,
    #[serde(deserialize_with = "sqlite_id")]
    pub status_id: i64,
    #[serde(deserialize_with = "sqlite_id")]
    pub author_id: i64,
}

/// Polls past their end that are not closed yet.
pub async fn due(db: &dyn Db, now: i64) -> Result<Vec<EndedPoll>, StoreError> {
    db::all(
        db,
        &query!(
            "SELECT CAST(p.id AS TEXT) AS id, CAST(p.status_id AS TEXT) AS status_id, CAST(s.account_id AS TEXT) AS author_id \
             FROM polls p JOIN statuses s ON s.id = p.status_id \
             WHERE p.closed_at IS NULL AND p.expires_at <= ?1 AND s.deleted_at IS NULL LIMIT 50",
            now
        ),
    )
    .await
}

pub fn close(poll_id: i64, now: i64) -> Query {
    query!("UPDATE polls SET closed_at = ?2 WHERE id = ?1 AND closed_at IS NULL", poll_id, now)
}

/// A remote poll's options and counts as its server reports them (votes are counted there).
pub fn set_remote_counts(status_id: i64, options: &str, votes: i64, voters: Option<i64>, closed_at: Option<i64>) -> Query {
    query!(
        "UPDATE polls SET options = ?2, votes_count = ?3, voters_count = ?4, closed_at = coalesce(closed_at, ?5) WHERE status_id = ?1",
        status_id, options, votes, voters, closed_at
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::testing::memory_db;

    #[tokio::test(flavor = "current_thread")]
    async fn votes_are_counted_per_option_and_voter() {
        let db = memory_db();
        db.run(&query!("INSERT INTO accounts (id, username, uri, created_at, updated_at) VALUES (1, 'alice', 'a', 0, 0)")).await.unwrap();
        db.run(&query!("INSERT INTO accounts (id, username, domain, uri, created_at, updated_at) VALUES (2, 'bob', 'r.example', 'b', 0, 0)")).await.unwrap();
        db.run(&query!("INSERT INTO statuses (id, uri, account_id, local, visibility, created_at, updated_at) VALUES (10, 's', 1, 1, 'public', 0, 0)")).await.unwrap();
        let options = r#"[{"title":"yes","votes_count":0},{"title":"no","votes_count":0},{"title":"maybe","votes_count":0}]"#;
        db.batch(&create(&NewPoll { id: 5, status_id: 10, options, multiple: true, hide_totals: false, expires_at: 100, now: 0 })).await.unwrap();
        db.batch(&vote(5, 2, &[(50, 0), (51, 2)], 1)).await.unwrap();
        let poll = get(&db, Some(2), 5).await.unwrap().unwrap();
        let counts: Vec<i64> = serde_json::from_str::<Vec<serde_json::Value>>(&poll.options).unwrap().iter().map(|o| o["votes_count"].as_i64().unwrap()).collect();
        assert_eq!(counts, [1, 0, 1]);
        assert_eq!((poll.votes_count, poll.voters_count), (2, Some(1)));
        assert_eq!(poll.own_votes, "[0,2]");
        assert_eq!(get(&db, Some(1), 5).await.unwrap().unwrap().own_votes, "[]");
        assert_eq!(due(&db, 100).await.unwrap().len(), 1);
        db.run(&close(5, 100)).await.unwrap();
        assert!(due(&db, 200).await.unwrap().is_empty());
    }
}
