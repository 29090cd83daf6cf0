//! The database seam: D1 in the Worker (`platform::d1`), rusqlite in native tests.
use async_trait::async_trait;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};

/// One bound parameter. Ids are `Int`; `platform::d1` binds integers beyond JavaScript's
/// safe range as decimal strings (see `domain::ids`).
#[derive(Clone, Debug, PartialEq)]
pub enum Arg {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
}

impl From<i64> for Arg {
    fn from(v: i64) -> Self {
        Arg::Int(v)
    }
}
impl From<bool> for Arg {
    fn from(v: bool) -> Self {
        Arg::Int(i64::from(v))
    }
}
impl From<&str> for Arg {
    fn from(v: &str) -> Self {
        Arg::Text(v.to_string())
    }
}
impl From<String> for Arg {
    fn from(v: String) -> Self {
        Arg::Text(v)
    }
}
impl From<&String> for Arg {
    fn from(v: &String) -> Self {
        Arg::Text(v.clone())
    }
}
impl From<f64> for Arg {
    fn from(v: f64) -> Self {
        Arg::Real(v)
    }
}
impl<T: Into<Arg>> From<Option<T>> for Arg {
    fn from(v: Option<T>) -> Self {
        v.map_or(Arg::Null, Into::into)
    }
}

/// Whether D1's JavaScript API holds this integer exactly (a JS number, up to 2^53). Larger
/// ones (our snowflake ids) are bound as decimal text, which INTEGER columns turn back into
/// integers; `store::testing` binds the same way, so that native tests meet what D1 does.
pub fn is_safe_integer(i: i64) -> bool {
    const MAX_SAFE: i64 = (1 << 53) - 1;
    (-MAX_SAFE..=MAX_SAFE).contains(&i)
}

#[derive(Clone, Debug)]
pub struct Query {
    pub sql: &'static str,
    pub args: Vec<Arg>,
}

/// `query!("SELECT … WHERE id = ?1", id)`: a statement with positional arguments.
#[macro_export]
macro_rules! query {
    ($sql:expr $(, $arg:expr)* $(,)?) => {
        $crate::store::db::Query { sql: $sql, args: vec![$($crate::store::db::Arg::from($arg)),*] }
    };
}

pub type Row = Map<String, Value>;

/// A JSON array of ids for `json_each`, which keeps 64-bit integers exact (D1 binds only text
/// and doubles, and a variable-length `IN (?, ?, …)` cannot be a static statement).
pub fn id_list(ids: &[i64]) -> String {
    format!("[{}]", ids.iter().map(i64::to_string).collect::<Vec<_>>().join(","))
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Database(String),
    #[error("decoding a row: {0}")]
    Decode(#[from] serde_json::Error),
}

#[async_trait(?Send)]
pub trait Db {
    async fn rows(&self, query: &Query) -> Result<Vec<Row>, StoreError>;
    /// Runs a write and returns the number of rows it changed.
    async fn run(&self, query: &Query) -> Result<u64, StoreError>;
    /// All or nothing: D1 runs a batch as one transaction (it has no BEGIN/COMMIT).
    async fn batch(&self, queries: &[Query]) -> Result<(), StoreError>;
    /// Reads that do not depend on each other, in one round trip (a D1 batch); each query's
    /// rows, in order. On Cloudflare every round trip goes to the database's region.
    async fn batch_rows(&self, queries: &[Query]) -> Result<Vec<Vec<Row>>, StoreError>;
}

/// Rows decoded, as `all` does for one query (for `Db::batch_rows`).
pub fn decode<T: DeserializeOwned>(rows: Vec<Row>) -> Result<Vec<T>, StoreError> {
    rows.into_iter().map(|row| serde_json::from_value(Value::Object(row)).map_err(StoreError::from)).collect()
}

/// Typed reads on top of any `Db`.
pub async fn all<T: DeserializeOwned>(db: &dyn Db, query: &Query) -> Result<Vec<T>, StoreError> {
    decode(db.rows(query).await?)
}

/// The `id` column of every row (selected `CAST(… AS TEXT) AS id`, as ids pass 2^53).
pub async fn ids(db: &dyn Db, query: &Query) -> Result<Vec<i64>, StoreError> {
    #[derive(Deserialize)]
    struct Id {
        #[serde(deserialize_with = "sqlite_id")]
        id: i64,
    }
    Ok(all::<Id>(db, query).await?.into_iter().map(|r| r.id).collect())
}

/// Whether a query returns any row (`SELECT 1 … WHERE …`).
pub async fn exists(db: &dyn Db, query: &Query) -> Result<bool, StoreError> {
    Ok(!db.rows(query).await?.is_empty())
}

pub async fn first<T: DeserializeOwned>(db: &dyn Db, query: &Query) -> Result<Option<T>, StoreError> {
    Ok(all(db, query).await?.into_iter().next())
}

/// SQLite has no boolean type: columns hold 0/1, which serde must read as `bool`.
pub fn sqlite_bool<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Bool(b) => b,
        Value::Number(n) => n.as_f64().is_some_and(|n| n != 0.0),
        Value::String(s) => s != "0" && !s.is_empty(),
        _ => false,
    })
}

/// Ids come back as text (`CAST(id AS TEXT)`); this reads them into `i64`.
pub fn sqlite_id<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    let value = Value::deserialize(d)?;
    id_from_value(&value).ok_or_else(|| serde::de::Error::custom(format!("not an id: {value}")))
}

pub fn sqlite_opt_id<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    let value = Value::deserialize(d)?;
    if value.is_null() {
        return Ok(None);
    }
    id_from_value(&value).map(Some).ok_or_else(|| serde::de::Error::custom(format!("not an id: {value}")))
}

fn id_from_value(value: &Value) -> Option<i64> {
    match value {
        Value::String(s) => s.parse().ok(),
        Value::Number(n) => n.as_i64(),
        _ => None,
    }
}
