//! Domains the owner blocks: an aggregate of their own, not a relationship to one account, since
//! a block names a domain whose accounts may not be known yet. Stored lower-case, as domain names
//! compare; `relationships::is_blocked` refuses what comes from them and their subdomains.
use serde::Deserialize;

use super::db::{sqlite_id, Db, Query, StoreError};
use super::keyset::keyset;
use crate::domain::paging::Page;
use crate::query;

#[derive(Clone, Debug, Deserialize)]
pub struct DomainBlockRow {
    #[serde(deserialize_with = "sqlite_id")]
    pub id: i64,
    pub domain: String,
}

/// The owner's blocked domains, newest block first.
pub async fn domain_blocks(db: &dyn Db, owner: i64, page: &Page) -> Result<Vec<DomainBlockRow>, StoreError> {
    let statement = keyset!("id"; "SELECT CAST(id AS TEXT) AS id, domain FROM domain_blocks WHERE account_id = ?1");
    statement.fetch(db, owner, page, vec![]).await
}

pub fn block_domain(id: i64, owner: i64, domain: &str, now: i64) -> Query {
    query!("INSERT OR IGNORE INTO domain_blocks (id, account_id, domain, created_at) VALUES (?1, ?2, lower(?3), ?4)", id, owner, domain, now)
}

pub fn unblock_domain(owner: i64, domain: &str) -> Query {
    query!("DELETE FROM domain_blocks WHERE account_id = ?1 AND domain = lower(?2)", owner, domain)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::testing::{assert_pages_like_mastodon, memory_db, seed_statuses, OWNER};

    /// `domain_blocks` walked only newest first: `min_id` gave the newest page.
    #[tokio::test(flavor = "current_thread")]
    async fn min_id_is_the_page_just_above() {
        let db = &memory_db();
        seed_statuses(db, 0).await;
        let ids: Vec<i64> = (10..16).rev().collect();
        for id in &ids {
            db.run(&block_domain(*id, OWNER, &format!("D{id}.example"), 0)).await.unwrap();
        }
        assert_pages_like_mastodon(&ids, |page| async move {
            domain_blocks(db, OWNER, &page).await.unwrap().iter().map(|r| r.id).collect()
        })
        .await;
        assert_eq!(domain_blocks(db, OWNER, &Page { limit: 1, ..Default::default() }).await.unwrap()[0].domain, "d15.example");
        db.run(&unblock_domain(OWNER, "D15.EXAMPLE")).await.unwrap();
        assert_eq!(domain_blocks(db, OWNER, &Page { limit: 40, ..Default::default() }).await.unwrap().len(), 5);
    }
}
