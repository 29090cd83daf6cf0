//! Keyset paging, written once. Every list the API pages (`max_id`, `since_id`, `min_id`) goes
//! through `Keyset`, so that `min_id` — the page *just above* an id, unlike `since_id`, the
//! newest page above it — cannot again be forgotten by one query that spells the bounds itself.
//!
//! A paged statement has two orders: newest first, and oldest first for `min_id`, whose rows
//! are reversed so that every response is newest first. `keyset!` writes both from one text at
//! compile time (D1 statements are `&'static str`), and `Keyset::fetch` runs the right one.
use std::marker::PhantomData;

use serde::de::DeserializeOwned;

use super::db::{decode, Arg, Db, Query, Row, StoreError};
use crate::domain::paging::Page;

/// The bounds are cast to INTEGER: D1 binds ids above 2^53 as text (`platform::d1`), and a key
/// without column affinity (`max(id)` of a subquery) would compare every integer below any text,
/// so the bounds would select everything or nothing.
///
/// One paged statement in both orders; build it with `keyset!`. Its arguments: `?1` whose list
/// it is (owner, viewer, subject account, status…), `?2` `max_id`, `?3` the lower bound (`min_id`,
/// else `since_id`), `?4` the limit — the last three written by `keyset!` — and the statement's
/// own from `?5` on, in the order given to `fetch`, which checks in debug builds (every native
/// test) that the text reads exactly as many as it is given.
#[derive(Clone, Copy, Debug)]
pub struct Keyset {
    pub newest_first: &'static str,
    pub oldest_first: &'static str,
}

/// `keyset!("s.id"; "SELECT … WHERE …", more_text…)`: the statement up to the end of its
/// conditions, paged by the column `key`.
macro_rules! keyset {
    ($key:literal; $($sql:expr),+ $(,)?) => {
        $crate::store::keyset::Keyset {
            newest_first: concat!(
                $($sql),+,
                " AND (?2 IS NULL OR ", $key, " < CAST(?2 AS INTEGER)) AND (?3 IS NULL OR ", $key, " > CAST(?3 AS INTEGER)) ORDER BY ", $key, " DESC LIMIT ?4"
            ),
            oldest_first: concat!(
                $($sql),+,
                " AND (?2 IS NULL OR ", $key, " < CAST(?2 AS INTEGER)) AND (?3 IS NULL OR ", $key, " > CAST(?3 AS INTEGER)) ORDER BY ", $key, " ASC LIMIT ?4"
            ),
        }
    };
}
pub(crate) use keyset;

impl Keyset {
    /// One page, newest first. `scope` binds `?1`, `own` binds `?5` onwards. With `min_id` the
    /// statement walks up from it and the rows are reversed.
    pub async fn fetch<T: DeserializeOwned>(&self, db: &dyn Db, scope: impl Into<Arg>, page: &Page, own: Vec<Arg>) -> Result<Vec<T>, StoreError> {
        self.page(scope, page, own).fetch(db).await
    }

    /// One page as a statement, to run beside other reads in one round trip.
    pub fn page<T: DeserializeOwned>(&self, scope: impl Into<Arg>, page: &Page, own: Vec<Arg>) -> PageQuery<T> {
        let ascending = page.ascending();
        let sql = if ascending { self.oldest_first } else { self.newest_first };
        let mut args = vec![scope.into(), page.max_id.into(), page.lower().into(), page.limit.into()];
        args.extend(own);
        debug_assert_eq!(highest_placeholder(sql), args.len(), "a paged statement's arguments do not match its text: {sql}");
        PageQuery { query: Query { sql, args }, ascending, row: PhantomData }
    }
}

/// A page's statement (`Keyset::page`). Its answer is put newest first by `rows`, so a page read
/// in a batch (`Db::batch_rows`) comes out as `fetch` gives it.
pub struct PageQuery<T> {
    pub query: Query,
    ascending: bool,
    row: PhantomData<fn() -> T>,
}

impl<T: DeserializeOwned> PageQuery<T> {
    pub async fn fetch(&self, db: &dyn Db) -> Result<Vec<T>, StoreError> {
        self.rows(db.rows(&self.query).await?)
    }

    /// The page's rows from the statement's answer, newest first.
    pub fn rows(&self, rows: Vec<Row>) -> Result<Vec<T>, StoreError> {
        let mut rows = decode(rows)?;
        if self.ascending {
            rows.reverse();
        }
        Ok(rows)
    }
}

/// The highest `?N` in a statement: what it expects to be given (SQLite counts up to it).
fn highest_placeholder(sql: &str) -> usize {
    sql.split('?').skip(1).filter_map(|rest| rest.split(|c: char| !c.is_ascii_digit()).next()?.parse().ok()).max().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_macro_writes_both_orders_with_the_bounds_in_their_places() {
        const K: Keyset = keyset!("id"; "SELECT id FROM t WHERE a = ?1", " AND b = ?5");
        let bounds = " AND (?2 IS NULL OR id < CAST(?2 AS INTEGER)) AND (?3 IS NULL OR id > CAST(?3 AS INTEGER)) ORDER BY id";
        assert_eq!(K.newest_first, format!("SELECT id FROM t WHERE a = ?1 AND b = ?5{bounds} DESC LIMIT ?4"));
        assert_eq!(K.oldest_first, format!("SELECT id FROM t WHERE a = ?1 AND b = ?5{bounds} ASC LIMIT ?4"));
        assert_eq!(highest_placeholder(K.newest_first), 5);
        assert_eq!(highest_placeholder("SELECT 1"), 0);
    }
}
