//! Full-text search over statuses (SQLite FTS5; `statuses_fts` rowid = status id) and prefix
//! search over accounts, as queries that a search reads in one batch.
use serde::Deserialize;

use super::db::{sqlite_id, Query};
use crate::query;

/// An FTS5 query that matches every word of `text` as a prefix, with FTS syntax neutralised:
/// each word becomes a quoted string (quotes doubled) followed by `*`.
pub fn fts_query(text: &str) -> Option<String> {
    let terms: Vec<String> = text
        .split_whitespace()
        .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()))
        .filter(|w| !w.is_empty())
        .take(10)
        .map(|w| format!("\"{}\"*", w.replace('"', "\"\"")))
        .collect();
    (!terms.is_empty()).then(|| terms.join(" "))
}

/// A status that matched a full-text search.
#[derive(Clone, Debug, Deserialize)]
pub struct Hit {
    #[serde(deserialize_with = "sqlite_id")]
    pub id: i64,
}

/// `Hit`s of statuses matching `fts`, newest first, optionally by one account, for a batch of
/// reads. Ordered by the FTS rowid (= status id), which FTS5 walks in order without sorting
/// every match.
pub fn statuses_query(fts: &str, account_id: Option<i64>, limit: i64, offset: i64) -> Query {
    query!(
        "SELECT CAST(s.id AS TEXT) AS id FROM statuses_fts f JOIN statuses s ON s.id = f.rowid \
         WHERE statuses_fts MATCH ?1 AND s.deleted_at IS NULL AND (?2 IS NULL OR s.account_id = ?2) \
         ORDER BY f.rowid DESC LIMIT ?3 OFFSET ?4",
        fts, account_id, limit, offset
    )
}

/// How an account search matches.
pub enum AccountQuery<'a> {
    /// Username or display name starts with this.
    Prefix(&'a str),
    /// Exactly this handle; domain `None` for a local account.
    Exact(&'a str, Option<&'a str>),
}

/// Accounts matching `q`; `following_of` keeps only accounts that account follows. For a batch
/// of reads. Prefixes are compared with `substr`, not `LIKE`: D1 refuses LIKE patterns over 50
/// bytes.
pub fn accounts_query(q: &AccountQuery<'_>, following_of: Option<i64>, limit: i64, offset: i64) -> Query {
    let (prefix, exact_user, exact_domain) = match q {
        AccountQuery::Prefix(p) => (Some(p.to_string()), None, None),
        AccountQuery::Exact(user, domain) => (None, Some(user.to_string()), Some(domain.unwrap_or("").to_string())),
    };
    query!(
        crate::select_accounts!(
            "WHERE a.suspended_at IS NULL AND (",
            "  (?1 IS NOT NULL AND (substr(lower(a.username), 1, length(?1)) = lower(?1) OR substr(lower(a.display_name), 1, length(?1)) = lower(?1)))",
            "  OR (?2 IS NOT NULL AND lower(a.username) = lower(?2) AND ifnull(lower(a.domain), '') = lower(?3))) ",
            "AND (?4 IS NULL OR EXISTS (SELECT 1 FROM follows f WHERE f.account_id = ?4 AND f.target_account_id = a.id AND f.accepted_at IS NOT NULL)) ",
            "ORDER BY a.domain IS NOT NULL, a.followers_count DESC, a.username LIMIT ?5 OFFSET ?6"
        ),
        prefix, exact_user, exact_domain, following_of, limit, offset
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fts_queries_quote_every_word() {
        assert_eq!(fts_query("hello wörld").as_deref(), Some("\"hello\"* \"wörld\"*"));
        assert_eq!(fts_query("a\"b OR c").as_deref(), Some("\"a\"\"b\"* \"OR\"* \"c\"*"));
        assert_eq!(fts_query("  ** "), None);
    }
}
