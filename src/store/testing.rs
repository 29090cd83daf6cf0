//! A `Db` over in-memory SQLite with every migration applied, for native store and handler tests.
use async_trait::async_trait;
use rusqlite::types::{Value as SqlValue, ValueRef};
use serde_json::{Map, Number, Value};

use super::db::{Arg, Db, Query, Row, StoreError};
use super::statuses::{create, NewStatus};
use crate::domain::paging::Page;
use crate::query;

pub struct MemoryDb {
    conn: rusqlite::Connection,
    /// Statements run so far, as D1 would count them (each statement of a batch counts).
    pub statements: std::cell::Cell<u32>,
    /// Calls so far: what would be round trips to D1 (a batch is one).
    pub round_trips: std::cell::Cell<u32>,
    /// Rows changed by UPDATE statements so far. With the change in `entries`, what D1 counts as
    /// rows written (docs/free-plan.md, "D1 rows per day").
    pub rows_updated: std::cell::Cell<u64>,
}

pub fn memory_db() -> MemoryDb {
    let conn = rusqlite::Connection::open_in_memory().expect("in-memory SQLite opens");
    conn.execute_batch("PRAGMA foreign_keys = ON;").expect("pragma");
    // D1's own limit: a LIKE pattern over 50 bytes is an error there, so it is one here too.
    conn.set_limit(rusqlite::limits::Limit::SQLITE_LIMIT_LIKE_PATTERN_LENGTH, 50).expect("limit");
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/migrations");
    let mut files: Vec<_> = std::fs::read_dir(dir).expect("migrations/ exists").flatten().map(|e| e.path()).collect();
    files.sort();
    for file in files.iter().filter(|f| f.extension().is_some_and(|e| e == "sql")) {
        let sql = std::fs::read_to_string(file).expect("migration is readable");
        conn.execute_batch(&sql).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    }
    MemoryDb { conn, statements: std::cell::Cell::new(0), round_trips: std::cell::Cell::new(0), rows_updated: std::cell::Cell::new(0) }
}

impl MemoryDb {
    /// What scripts/provision.mjs does before the first request, with the fixed test keys.
    pub fn provision(&self) {
        use crate::crypto::testing::{TEST_RSA_PRIVATE_PEM, TEST_RSA_PUBLIC_PEM, TEST_VAPID_PRIVATE_PEM, TEST_VAPID_PUBLIC};
        self.conn
            .execute(
                "INSERT INTO instance_keys (id, rsa_private_key_pem, rsa_public_key_pem, vapid_private_key_pem, \
                 vapid_public_key, owner_rsa_private_key_pem, owner_rsa_public_key_pem, created_at) \
                 VALUES (1, ?1, ?2, ?3, ?4, ?1, ?2, 0)",
                rusqlite::params![
                    TEST_RSA_PRIVATE_PEM,
                    TEST_RSA_PUBLIC_PEM,
                    TEST_VAPID_PRIVATE_PEM,
                    TEST_VAPID_PUBLIC.trim()
                ],
            )
            .expect("test keys are stored");
    }
}

/// Bound as `platform::d1` binds for D1 (`db::is_safe_integer`), so that a query that only works
/// with integer binds fails here too.
fn to_sql(arg: &Arg) -> SqlValue {
    match arg {
        Arg::Null => SqlValue::Null,
        Arg::Int(i) if super::db::is_safe_integer(*i) => SqlValue::Integer(*i),
        Arg::Int(i) => SqlValue::Text(i.to_string()),
        Arg::Real(f) => SqlValue::Real(*f),
        Arg::Text(s) => SqlValue::Text(s.clone()),
    }
}

fn err(e: rusqlite::Error) -> StoreError {
    StoreError::Database(e.to_string())
}

impl MemoryDb {
    fn read(&self, q: &Query) -> Result<Vec<Row>, StoreError> {
        self.statements.set(self.statements.get() + 1);
        let mut stmt = self.conn.prepare(q.sql).map_err(err)?;
        let names: Vec<String> = stmt.column_names().iter().map(|s| s.to_string()).collect();
        let args: Vec<SqlValue> = q.args.iter().map(to_sql).collect();
        let mut rows = stmt.query(rusqlite::params_from_iter(args)).map_err(err)?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(err)? {
            let mut map = Map::new();
            for (i, name) in names.iter().enumerate() {
                let value = match row.get_ref(i).map_err(err)? {
                    ValueRef::Null => Value::Null,
                    ValueRef::Integer(n) => Value::from(n),
                    ValueRef::Real(f) => Number::from_f64(f).map_or(Value::Null, Value::Number),
                    ValueRef::Text(t) => Value::String(String::from_utf8_lossy(t).into_owned()),
                    ValueRef::Blob(_) => Value::Null,
                };
                map.insert(name.clone(), value);
            }
            out.push(map);
        }
        Ok(out)
    }

    fn execute(&self, q: &Query) -> Result<u64, StoreError> {
        self.statements.set(self.statements.get() + 1);
        let mut stmt = self.conn.prepare(q.sql).map_err(err)?;
        let args: Vec<SqlValue> = q.args.iter().map(to_sql).collect();
        let changed = stmt.execute(rusqlite::params_from_iter(args)).map_err(err)? as u64;
        if q.sql.trim_start().starts_with("UPDATE") {
            self.rows_updated.set(self.rows_updated.get() + changed);
        }
        Ok(changed)
    }

    /// The database's size, as D1 counts it: all its pages, free ones included.
    pub fn bytes(&self) -> i64 {
        self.conn.query_row("SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()", [], |r| r.get(0)).expect("pragma")
    }

    /// Entries of every b-tree (tables, indexes, FTS5's own tables) with the table each belongs
    /// to and its bytes. Inserting or deleting a row writes one entry in its table and one in
    /// each of its indexes, which is how D1 counts rows written.
    pub fn entries(&self) -> Vec<Entries> {
        // A rowid table keeps its rows in its leaves; an index (and a WITHOUT ROWID table) in
        // every page.
        let sql = "SELECT d.name, coalesce(m.tbl_name, d.name), \
                     sum(CASE WHEN d.pagetype = 'leaf' OR m.type = 'index' OR m.sql LIKE '%WITHOUT ROWID%' THEN d.ncell ELSE 0 END), \
                     sum(d.pgsize) \
                   FROM dbstat d LEFT JOIN sqlite_schema m ON m.name = d.name GROUP BY d.name ORDER BY d.name";
        let mut stmt = self.conn.prepare(sql).expect("dbstat");
        let rows = stmt.query_map([], |r| Ok(Entries { btree: r.get(0)?, table: r.get(1)?, entries: r.get(2)?, bytes: r.get(3)? }));
        rows.expect("dbstat").collect::<Result<_, _>>().expect("dbstat rows")
    }
}

/// One b-tree of the database (`MemoryDb::entries`).
#[derive(Clone, Debug)]
pub struct Entries {
    pub btree: String,
    pub table: String,
    pub entries: i64,
    pub bytes: i64,
}

#[async_trait(?Send)]
impl Db for MemoryDb {
    async fn rows(&self, q: &Query) -> Result<Vec<Row>, StoreError> {
        self.round_trips.set(self.round_trips.get() + 1);
        self.read(q)
    }

    async fn run(&self, q: &Query) -> Result<u64, StoreError> {
        self.round_trips.set(self.round_trips.get() + 1);
        self.execute(q)
    }

    async fn batch(&self, queries: &[Query]) -> Result<(), StoreError> {
        self.round_trips.set(self.round_trips.get() + 1);
        self.conn.execute_batch("BEGIN").map_err(err)?;
        for q in queries {
            if let Err(e) = self.execute(q) {
                let _ = self.conn.execute_batch("ROLLBACK");
                return Err(e);
            }
        }
        self.conn.execute_batch("COMMIT").map_err(err)
    }

    async fn batch_rows(&self, queries: &[Query]) -> Result<Vec<Vec<Row>>, StoreError> {
        self.round_trips.set(self.round_trips.get() + 1);
        queries.iter().map(|q| self.read(q)).collect()
    }
}


/// A `Db` whose every call first yields once to the executor, so that futures run side by side
/// (see `run_interleaved`) interleave between statements as concurrent Worker requests do.
pub struct Interleaved<'a>(pub &'a MemoryDb);

/// Returns `Pending` once, then `Ready`.
async fn yield_once() {
    let mut yielded = false;
    std::future::poll_fn(|cx| {
        if yielded {
            return std::task::Poll::Ready(());
        }
        yielded = true;
        cx.waker().wake_by_ref();
        std::task::Poll::Pending
    })
    .await;
}

#[async_trait(?Send)]
impl Db for Interleaved<'_> {
    async fn rows(&self, q: &Query) -> Result<Vec<Row>, StoreError> {
        yield_once().await;
        self.0.rows(q).await
    }

    async fn run(&self, q: &Query) -> Result<u64, StoreError> {
        yield_once().await;
        self.0.run(q).await
    }

    async fn batch(&self, queries: &[Query]) -> Result<(), StoreError> {
        yield_once().await;
        self.0.batch(queries).await
    }

    async fn batch_rows(&self, queries: &[Query]) -> Result<Vec<Vec<Row>>, StoreError> {
        yield_once().await;
        self.0.batch_rows(queries).await
    }
}

/// Runs the futures side by side on this thread, polling each in turn, and returns their outputs.
pub async fn run_interleaved<T>(futures: Vec<std::pin::Pin<Box<dyn std::future::Future<Output = T> + '_>>>) -> Vec<T> {
    let mut pending: Vec<_> = futures.into_iter().map(Some).collect();
    let mut outputs: Vec<Option<T>> = pending.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        for (slot, output) in pending.iter_mut().zip(outputs.iter_mut()) {
            if let Some(future) = slot {
                if let std::task::Poll::Ready(value) = future.as_mut().poll(cx) {
                    *output = Some(value);
                    *slot = None;
                }
            }
        }
        if pending.iter().all(Option::is_none) {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
    .await;
    outputs.into_iter().flatten().collect()
}

/// The account that owns the instance in seeded databases.
pub const OWNER: i64 = 1;

/// The owner (`alice`) and `n` posts of theirs in their home feed, one a millisecond: public but
/// every fifth (i = 4, 9, …) unlisted, tagged `Even` or `odd` by index and `three` every third.
/// Returns their ids, newest first.
pub async fn seed_statuses(db: &MemoryDb, n: i64) -> Vec<i64> {
    db.run(&query!("INSERT INTO accounts (id, username, uri, created_at, updated_at) VALUES (1, 'alice', 'u', 0, 0)")).await.unwrap();
    let mut ids = Vec::new();
    for i in 0..n {
        let id = crate::domain::ids::from_parts(1_700_000_000_000 + i as u64, 7);
        let uri = format!("https://s.example/users/alice/statuses/{id}");
        let visibility = if i % 5 == 4 { crate::domain::visibility::Visibility::Unlisted } else { crate::domain::visibility::Visibility::Public };
        let tags: Vec<(i64, String)> = if i % 2 == 0 { vec![(1000 + i, "Even".into())] } else { vec![(1000 + i, "odd".into())] };
        let tags = if i % 3 == 0 { [tags, vec![(5000 + i, "three".into())]].concat() } else { tags };
        let new = NewStatus {
            id, uri: &uri, url: None, account_id: OWNER, local: true, visibility, content: "<p>x</p>", text: Some("x"),
            spoiler_text: "", sensitive: false, language: None, in_reply_to: None, reblog_of_id: None,
            conversation_id: id, application_id: None, now: 1_700_000_000_000 + i,
        };
        db.batch(&create(&new, &tags, &[], &[OWNER])).await.unwrap();
        ids.push(id);
    }
    ids.reverse(); // newest first
    ids
}

/// Remote accounts `first..first + n` (`user{id}@r.example`), for lists of accounts.
pub async fn seed_accounts(db: &MemoryDb, first: i64, n: i64) {
    for id in first..first + n {
        db.run(&query!(
            "INSERT INTO accounts (id, username, domain, uri, created_at, updated_at) VALUES (?1, 'user' || ?1, 'r.example', 'https://r.example/u/' || ?1, 0, 0)",
            id
        ))
        .await
        .unwrap();
    }
}

/// Asserts that a paged list pages as Mastodon's do. `keys` are the keys the list pages by (at
/// least five), newest first; `fetch` returns the keys of one page. With a limit of two: no bound
/// gives the newest two; `max_id` the two below it; `since_id` the newest two above it; `min_id`
/// the two *just above* it — each newest first, and `min_id` also within a `max_id`.
pub async fn assert_pages_like_mastodon<F, Fut>(keys: &[i64], fetch: F)
where
    F: Fn(Page) -> Fut,
    Fut: std::future::Future<Output = Vec<i64>>,
{
    let n = keys.len();
    assert!(n >= 5, "five keys at least, to tell `min_id` from `since_id`");
    let page = |max_id, since_id, min_id| Page { max_id, since_id, min_id, limit: 2 };
    assert_eq!(fetch(page(None, None, None)).await, keys[..2], "no bound: the newest page");
    assert_eq!(fetch(page(Some(keys[0]), None, None)).await, keys[1..3], "max_id: the page below it");
    assert_eq!(fetch(page(None, Some(keys[n - 1]), None)).await, keys[..2], "since_id: the newest page above it");
    assert_eq!(fetch(page(None, None, Some(keys[n - 1]))).await, keys[n - 3..n - 1], "min_id: the page just above it");
    assert_eq!(fetch(page(Some(keys[0]), None, Some(keys[3]))).await, keys[1..3], "min_id below max_id");
    let all = Page { limit: 40, ..Default::default() };
    assert_eq!(fetch(all).await, keys, "every key once, newest first");
}
