//! Follows, blocks, mutes, endorsements and notes between the owner and other accounts.
use serde::Deserialize;

use super::db::{self, id_list, sqlite_bool, sqlite_id, Db, Query, StoreError};
use super::keyset::{keyset, PageQuery};
use crate::domain::paging::Page;
use crate::query;

#[derive(Clone, Debug, Deserialize)]
pub struct RelationshipRow {
    #[serde(deserialize_with = "sqlite_id")]
    pub id: i64,
    #[serde(deserialize_with = "sqlite_bool")]
    pub following: bool,
    #[serde(deserialize_with = "sqlite_bool")]
    pub showing_reblogs: bool,
    #[serde(deserialize_with = "sqlite_bool")]
    pub notifying: bool,
    pub languages: Option<String>,
    #[serde(deserialize_with = "sqlite_bool")]
    pub followed_by: bool,
    #[serde(deserialize_with = "sqlite_bool")]
    pub blocking: bool,
    #[serde(deserialize_with = "sqlite_bool")]
    pub blocked_by: bool,
    #[serde(deserialize_with = "sqlite_bool")]
    pub muting: bool,
    #[serde(deserialize_with = "sqlite_bool")]
    pub muting_notifications: bool,
    #[serde(deserialize_with = "sqlite_bool")]
    pub requested: bool,
    #[serde(deserialize_with = "sqlite_bool")]
    pub requested_by: bool,
    #[serde(deserialize_with = "sqlite_bool")]
    pub domain_blocking: bool,
    #[serde(deserialize_with = "sqlite_bool")]
    pub endorsed: bool,
    pub note: String,
}

/// The owner's relationship to each of `targets` that exists, in one query.
pub async fn relationships(db: &dyn Db, owner: i64, targets: &[i64]) -> Result<Vec<RelationshipRow>, StoreError> {
    db::all(
        db,
        &query!(
            "SELECT CAST(a.id AS TEXT) AS id, \
             EXISTS (SELECT 1 FROM follows f WHERE f.account_id = ?1 AND f.target_account_id = a.id AND f.accepted_at IS NOT NULL) AS following, \
             COALESCE((SELECT f.show_reblogs FROM follows f WHERE f.account_id = ?1 AND f.target_account_id = a.id), 0) AS showing_reblogs, \
             COALESCE((SELECT f.notify FROM follows f WHERE f.account_id = ?1 AND f.target_account_id = a.id), 0) AS notifying, \
             (SELECT f.languages FROM follows f WHERE f.account_id = ?1 AND f.target_account_id = a.id) AS languages, \
             EXISTS (SELECT 1 FROM follows f WHERE f.account_id = a.id AND f.target_account_id = ?1 AND f.accepted_at IS NOT NULL) AS followed_by, \
             EXISTS (SELECT 1 FROM blocks b WHERE b.account_id = ?1 AND b.target_account_id = a.id) AS blocking, \
             EXISTS (SELECT 1 FROM blocks b WHERE b.account_id = a.id AND b.target_account_id = ?1) AS blocked_by, \
             EXISTS (SELECT 1 FROM mutes m WHERE m.account_id = ?1 AND m.target_account_id = a.id) AS muting, \
             EXISTS (SELECT 1 FROM mutes m WHERE m.account_id = ?1 AND m.target_account_id = a.id AND m.hide_notifications = 1) AS muting_notifications, \
             EXISTS (SELECT 1 FROM follows f WHERE f.account_id = ?1 AND f.target_account_id = a.id AND f.accepted_at IS NULL) AS requested, \
             EXISTS (SELECT 1 FROM follows f WHERE f.account_id = a.id AND f.target_account_id = ?1 AND f.accepted_at IS NULL) AS requested_by, \
             EXISTS (SELECT 1 FROM domain_blocks d WHERE d.account_id = ?1 AND d.domain = a.domain) AS domain_blocking, \
             EXISTS (SELECT 1 FROM endorsements e WHERE e.account_id = ?1 AND e.target_account_id = a.id) AS endorsed, \
             COALESCE((SELECT n.comment FROM account_notes n WHERE n.account_id = ?1 AND n.target_account_id = a.id), '') AS note \
             FROM accounts a WHERE a.id IN (SELECT value FROM json_each(?2))",
            owner,
            id_list(targets)
        ),
    )
    .await
}

/// One row of a list of accounts, with the key the list pages by.
#[derive(Clone, Debug, Deserialize)]
pub struct Listed {
    #[serde(deserialize_with = "sqlite_id")]
    pub row_id: i64,
    #[serde(deserialize_with = "sqlite_id")]
    pub account_id: i64,
}

/// Which list of accounts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccountList {
    /// Accounts that follow `subject`.
    Followers,
    /// Accounts `subject` follows.
    Following,
    /// Accounts waiting for `subject` to accept their follow.
    FollowRequests,
    Blocks,
    Mutes,
    Endorsements,
}

/// A page of one list of accounts, each list by the key it pages by (the follow's, block's or
/// mute's row id; endorsements by account id).
pub async fn list(db: &dyn Db, which: AccountList, subject: i64, page: &Page) -> Result<Vec<Listed>, StoreError> {
    list_page(which, subject, page).fetch(db).await
}

/// `list` as a statement, to read beside other reads in one round trip.
pub fn list_page(which: AccountList, subject: i64, page: &Page) -> PageQuery<Listed> {
    let statement = match which {
        AccountList::Followers => keyset!("id";
            "SELECT CAST(id AS TEXT) AS row_id, CAST(account_id AS TEXT) AS account_id \
             FROM follows WHERE target_account_id = ?1 AND accepted_at IS NOT NULL"),
        AccountList::Following => keyset!("id";
            "SELECT CAST(id AS TEXT) AS row_id, CAST(target_account_id AS TEXT) AS account_id \
             FROM follows WHERE account_id = ?1 AND accepted_at IS NOT NULL"),
        AccountList::FollowRequests => keyset!("id";
            "SELECT CAST(id AS TEXT) AS row_id, CAST(account_id AS TEXT) AS account_id \
             FROM follows WHERE target_account_id = ?1 AND accepted_at IS NULL"),
        AccountList::Blocks => keyset!("id";
            "SELECT CAST(id AS TEXT) AS row_id, CAST(target_account_id AS TEXT) AS account_id FROM blocks WHERE account_id = ?1"),
        AccountList::Mutes => keyset!("id";
            "SELECT CAST(id AS TEXT) AS row_id, CAST(target_account_id AS TEXT) AS account_id FROM mutes WHERE account_id = ?1"),
        AccountList::Endorsements => keyset!("target_account_id";
            "SELECT CAST(target_account_id AS TEXT) AS row_id, CAST(target_account_id AS TEXT) AS account_id \
             FROM endorsements WHERE account_id = ?1"),
    };
    statement.page(subject, page, vec![])
}

pub struct NewFollow {
    pub id: i64,
    pub follower: i64,
    pub target: i64,
    /// The Follow activity's id.
    pub uri: String,
    pub show_reblogs: bool,
    pub notify: bool,
    /// JSON array of language codes, or none for all.
    pub languages: Option<String>,
    pub now: i64,
}

/// Starts following: requested until the other server accepts. Following again only changes
/// the options.
pub fn follow(f: NewFollow) -> Query {
    let NewFollow { id, follower, target, uri, show_reblogs, notify, languages, now } = f;
    query!(
        "INSERT INTO follows (id, account_id, target_account_id, uri, show_reblogs, notify, languages, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (account_id, target_account_id) \
         DO UPDATE SET show_reblogs = ?5, notify = ?6, languages = ?7",
        id, follower, target, uri, show_reblogs, notify, languages, now
    )
}

/// A remote account's Follow of the owner, pending until accepted; a repeated Follow only
/// updates its activity id.
pub fn follow_requested(id: i64, follower: i64, target: i64, uri: Option<&str>, now: i64) -> Query {
    query!(
        "INSERT INTO follows (id, account_id, target_account_id, uri, created_at) VALUES (?1, ?2, ?3, ?4, ?5) \
         ON CONFLICT (account_id, target_account_id) DO UPDATE SET uri = ?4",
        id, follower, target, uri, now
    )
}

/// Removes a follow either way round (`follower` → `followed`), with the counts it held.
pub fn unfollow(follower: i64, followed: i64) -> [Query; 3] {
    [
        query!(
            "UPDATE accounts SET following_count = max(following_count - 1, 0) WHERE id = ?1 AND EXISTS \
             (SELECT 1 FROM follows WHERE account_id = ?1 AND target_account_id = ?2 AND accepted_at IS NOT NULL)",
            follower, followed
        ),
        query!(
            "UPDATE accounts SET followers_count = max(followers_count - 1, 0) WHERE id = ?2 AND EXISTS \
             (SELECT 1 FROM follows WHERE account_id = ?1 AND target_account_id = ?2 AND accepted_at IS NOT NULL)",
            follower, followed
        ),
        query!("DELETE FROM follows WHERE account_id = ?1 AND target_account_id = ?2", follower, followed),
    ]
}

/// Accepts a pending follow of `followed` by `follower`, counting it on both accounts.
pub fn accept_follow(follower: i64, followed: i64, now: i64) -> [Query; 3] {
    [
        query!(
            "UPDATE accounts SET following_count = following_count + 1 WHERE id = ?1 AND EXISTS \
             (SELECT 1 FROM follows WHERE account_id = ?1 AND target_account_id = ?2 AND accepted_at IS NULL)",
            follower, followed
        ),
        query!(
            "UPDATE accounts SET followers_count = followers_count + 1 WHERE id = ?2 AND EXISTS \
             (SELECT 1 FROM follows WHERE account_id = ?1 AND target_account_id = ?2 AND accepted_at IS NULL)",
            follower, followed
        ),
        query!(
            "UPDATE follows SET accepted_at = ?3 WHERE account_id = ?1 AND target_account_id = ?2 AND accepted_at IS NULL",
            follower, followed, now
        ),
    ]
}

pub fn block(id: i64, owner: i64, target: i64, now: i64) -> Query {
    query!("INSERT OR IGNORE INTO blocks (id, account_id, target_account_id, created_at) VALUES (?1, ?2, ?3, ?4)", id, owner, target, now)
}

pub fn unblock(owner: i64, target: i64) -> Query {
    query!("DELETE FROM blocks WHERE account_id = ?1 AND target_account_id = ?2", owner, target)
}

pub fn mute(id: i64, owner: i64, target: i64, hide_notifications: bool, expires_at: Option<i64>, now: i64) -> Query {
    query!(
        "INSERT INTO mutes (id, account_id, target_account_id, hide_notifications, expires_at, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (account_id, target_account_id) \
         DO UPDATE SET hide_notifications = ?4, expires_at = ?5",
        id, owner, target, hide_notifications, expires_at, now
    )
}

pub fn unmute(owner: i64, target: i64) -> Query {
    query!("DELETE FROM mutes WHERE account_id = ?1 AND target_account_id = ?2", owner, target)
}

pub fn endorse(owner: i64, target: i64, now: i64) -> Query {
    query!("INSERT OR IGNORE INTO endorsements (account_id, target_account_id, created_at) VALUES (?1, ?2, ?3)", owner, target, now)
}

pub fn unendorse(owner: i64, target: i64) -> Query {
    query!("DELETE FROM endorsements WHERE account_id = ?1 AND target_account_id = ?2", owner, target)
}

/// Accounts that follow the owner whom the owner does not follow (yet), most followed first.
pub async fn suggestions(db: &dyn Db, owner: i64, limit: i64) -> Result<Vec<i64>, StoreError> {
    #[derive(Deserialize)]
    struct S {
        #[serde(deserialize_with = "sqlite_id")]
        id: i64,
    }
    let rows: Vec<S> = db::all(
        db,
        &query!(
            "SELECT CAST(a.id AS TEXT) AS id FROM follows f JOIN accounts a ON a.id = f.account_id \
             WHERE f.target_account_id = ?1 AND f.accepted_at IS NOT NULL AND a.suspended_at IS NULL \
             AND NOT EXISTS (SELECT 1 FROM follows g WHERE g.account_id = ?1 AND g.target_account_id = a.id) \
             AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.account_id = ?1 AND b.target_account_id = a.id) \
             ORDER BY a.followers_count DESC LIMIT ?2",
            owner, limit
        ),
    )
    .await?;
    Ok(rows.into_iter().map(|s| s.id).collect())
}

/// For each target, the accounts the owner follows that follow it too.
pub async fn familiar_followers(db: &dyn Db, owner: i64, targets: &[i64]) -> Result<Vec<(i64, i64)>, StoreError> {
    #[derive(Deserialize)]
    struct Pair {
        #[serde(deserialize_with = "sqlite_id")]
        target: i64,
        #[serde(deserialize_with = "sqlite_id")]
        follower: i64,
    }
    let rows: Vec<Pair> = db::all(
        db,
        &query!(
            "SELECT CAST(theirs.target_account_id AS TEXT) AS target, CAST(theirs.account_id AS TEXT) AS follower \
             FROM follows theirs JOIN follows mine ON mine.target_account_id = theirs.account_id \
             WHERE mine.account_id = ?1 AND mine.accepted_at IS NOT NULL AND theirs.accepted_at IS NOT NULL \
             AND theirs.target_account_id IN (SELECT value FROM json_each(?2))",
            owner, id_list(targets)
        ),
    )
    .await?;
    Ok(rows.into_iter().map(|p| (p.target, p.follower)).collect())
}

pub fn set_note(owner: i64, target: i64, comment: &str) -> Query {
    query!(
        "INSERT INTO account_notes (account_id, target_account_id, comment) VALUES (?1, ?2, ?3) \
         ON CONFLICT (account_id, target_account_id) DO UPDATE SET comment = ?3",
        owner, target, comment
    )
}

/// The ActivityPub id of the follow of `target` by `follower`, when it exists.
pub async fn follow_uri(db: &dyn Db, follower: i64, target: i64) -> Result<Option<String>, StoreError> {
    #[derive(Deserialize)]
    struct Uri {
        uri: Option<String>,
    }
    let row: Option<Uri> =
        db::first(db, &query!("SELECT uri FROM follows WHERE account_id = ?1 AND target_account_id = ?2", follower, target)).await?;
    Ok(row.and_then(|r| r.uri))
}

/// Whether `owner` blocked `account` or its domain (or a domain it is under), in one query:
/// every inbound activity asks. Suffixes are compared with `substr`: D1 refuses LIKE patterns
/// over 50 bytes, and `_` in a domain would be a LIKE wildcard.
pub async fn is_blocked(db: &dyn Db, owner: i64, account: i64, domain: Option<&str>) -> Result<bool, StoreError> {
    let host = domain.map(|d| d.split(':').next().unwrap_or(d).to_ascii_lowercase());
    db::exists(
        db,
        &query!(
            "SELECT 1 WHERE EXISTS (SELECT 1 FROM blocks WHERE account_id = ?1 AND target_account_id = ?2) \
             OR EXISTS (SELECT 1 FROM domain_blocks WHERE account_id = ?1 \
               AND (lower(domain) = ?3 OR substr(?3, -length(domain) - 1) = '.' || lower(domain)))",
            owner, account, host
        ),
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::testing::{assert_pages_like_mastodon, memory_db};

    #[tokio::test(flavor = "current_thread")]
    async fn relationship_flags_come_from_the_tables() {
        let db = memory_db();
        for (id, name, domain) in [(1, "alice", None), (2, "bob", Some("remote.example"))] {
            db.run(&query!(
                "INSERT INTO accounts (id, username, domain, uri, created_at, updated_at) VALUES (?1, ?2, ?3, ?2, 0, 0)",
                id as i64, name, domain
            ))
            .await
            .unwrap();
        }
        db.run(&query!("INSERT INTO follows (id, account_id, target_account_id, accepted_at, created_at) VALUES (10, 2, 1, 5, 5)")).await.unwrap();
        db.run(&query!("INSERT INTO follows (id, account_id, target_account_id, created_at) VALUES (11, 1, 2, 5)")).await.unwrap();
        db.run(&set_note(1, 2, "met at a conference")).await.unwrap();
        let rows = relationships(&db, 1, &[2, 99]).await.unwrap();
        assert_eq!(rows.len(), 1);
        let r = &rows[0];
        assert!(r.followed_by && r.requested && !r.following && !r.blocking && r.showing_reblogs, "a requested follow shows reblogs by default");
        assert_eq!(r.note, "met at a conference");
        let followers = list(&db, AccountList::Followers, 1, &Page { limit: 40, ..Default::default() }).await.unwrap();
        assert_eq!(followers.iter().map(|l| l.account_id).collect::<Vec<_>>(), [2]);
        assert!(list(&db, AccountList::Following, 1, &Page { limit: 40, ..Default::default() }).await.unwrap().is_empty());
    }

    /// Every list of accounts, six entries each, made in the other order than the accounts' ids.
    #[tokio::test(flavor = "current_thread")]
    async fn every_list_of_accounts_pages_like_mastodon() {
        let db = &memory_db();
        crate::store::testing::seed_statuses(db, 0).await;
        crate::store::testing::seed_accounts(db, 20, 6).await;
        for (n, other) in (20..26).rev().enumerate() {
            let row = 100 + 10 * n as i64;
            for (id, sql) in [
                (row, "INSERT INTO follows (id, account_id, target_account_id, accepted_at, created_at) VALUES (?1, ?2, 1, 1, 1)"),
                (row + 1, "INSERT INTO follows (id, account_id, target_account_id, accepted_at, created_at) VALUES (?1, 1, ?2, 1, 1)"),
                (row + 2, "INSERT INTO blocks (id, account_id, target_account_id, created_at) VALUES (?1, 1, ?2, 1)"),
                (row + 3, "INSERT INTO mutes (id, account_id, target_account_id, created_at) VALUES (?1, 1, ?2, 1)"),
            ] {
                db.run(&Query { sql, args: vec![id.into(), other.into()] }).await.unwrap();
            }
            db.run(&query!("INSERT INTO endorsements (account_id, target_account_id, created_at) VALUES (1, ?1, 1)", other)).await.unwrap();
        }
        crate::store::testing::seed_accounts(db, 30, 6).await;
        for (n, other) in (30..36).rev().enumerate() {
            let row = 104 + 10 * n as i64;
            db.run(&query!("INSERT INTO follows (id, account_id, target_account_id, created_at) VALUES (?1, ?2, 1, 1)", row, other)).await.unwrap();
        }
        let rows = |offset: i64| (0..6).map(|n| 100 + 10 * n + offset).rev().collect::<Vec<i64>>();
        let accounts: Vec<i64> = (20..26).rev().collect();
        for (which, keys) in [
            (AccountList::Followers, rows(0)),
            (AccountList::Following, rows(1)),
            (AccountList::Blocks, rows(2)),
            (AccountList::Mutes, rows(3)),
            (AccountList::FollowRequests, rows(4)),
            (AccountList::Endorsements, accounts),
        ] {
            assert_pages_like_mastodon(&keys, |page| async move {
                list(db, which, 1, &page).await.unwrap().iter().map(|l| l.row_id).collect()
            })
            .await;
        }
    }

    #[tokio::test(flavor = "current_thread")]
    async fn long_blocked_domains_and_their_subdomains_match_without_wildcards() {
        let db = memory_db();
        db.run(&query!("INSERT INTO accounts (id, username, uri, created_at, updated_at) VALUES (1, 'alice', 'a', 0, 0)")).await.unwrap();
        let long = format!("{}.example", "very-long-peer-name".repeat(4));
        for (id, domain) in [(1, long.as_str()), (2, "a_b.example")] {
            db.run(&query!("INSERT INTO domain_blocks (id, account_id, domain, created_at) VALUES (?1, 1, ?2, 0)", id as i64, domain)).await.unwrap();
        }
        assert!(is_blocked(&db, 1, 2, Some(&long)).await.unwrap());
        assert!(is_blocked(&db, 1, 2, Some(&format!("media.{long}:8443"))).await.unwrap());
        assert!(!is_blocked(&db, 1, 2, Some(&format!("not{long}"))).await.unwrap());
        assert!(is_blocked(&db, 1, 2, Some("a_b.example")).await.unwrap());
        assert!(!is_blocked(&db, 1, 2, Some("axb.example")).await.unwrap(), "`_` is not a wildcard");
    }
}

/// Of the authors of the statuses `status_ids`, those whose posts the owner's public pages leave
/// out (as rows of `id`): accounts the owner blocked, or whose domain (or a domain it is under)
/// the owner blocked, and suspended ones. For a batch of reads.
pub fn hidden_authors_query(owner: i64, status_ids: &[i64]) -> Query {
    query!(
        "SELECT CAST(a.id AS TEXT) AS id FROM accounts a \
         WHERE a.id IN (SELECT account_id FROM statuses WHERE id IN (SELECT value FROM json_each(?2))) \
         AND (a.suspended_at IS NOT NULL \
           OR EXISTS (SELECT 1 FROM blocks b WHERE b.account_id = ?1 AND b.target_account_id = a.id) \
           OR (a.domain IS NOT NULL AND EXISTS (SELECT 1 FROM domain_blocks d WHERE d.account_id = ?1 \
             AND (lower(d.domain) = lower(a.domain) \
               OR lower(d.domain) = lower(substr(a.domain, 1, instr(a.domain || ':', ':') - 1)) \
               OR substr(lower(substr(a.domain, 1, instr(a.domain || ':', ':') - 1)), -length(d.domain) - 1) = '.' || lower(d.domain)))))",
        owner, db::id_list(status_ids)
    )
}

/// An account's id, as `hidden_authors_query` answers.
#[derive(Debug, Deserialize)]
pub struct AccountId {
    #[serde(deserialize_with = "sqlite_id")]
    pub id: i64,
}
