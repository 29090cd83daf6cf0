//! `Db` over a D1 binding, counting what each call costs (`ctx::Meter`): a statement or a batch
//! is one round trip; rows read and written come from D1's result `meta`. Results are read as
//! JavaScript values, not through `D1Result::meta()`, which decodes `last_row_id` as an i64 from a
//! JS number and fails for our ids above 2^53.
use async_trait::async_trait;
use js_sys::Reflect;
use wasm_bindgen::{JsCast, JsValue};
use worker::{D1Database, D1PreparedStatement};

use crate::ctx::Meter;
use crate::store::db::{is_safe_integer, Arg, Db, Query, Row, StoreError};

pub struct D1(pub D1Database, pub std::rc::Rc<Meter>);

/// JavaScript numbers hold integers exactly only up to 2^53; larger ids go as decimal text,
/// which the columns' INTEGER affinity turns back into integers (see `domain::ids`).
fn to_js(arg: &Arg) -> JsValue {
    match arg {
        Arg::Null => JsValue::NULL,
        Arg::Int(i) if is_safe_integer(*i) => JsValue::from_f64(*i as f64),
        Arg::Int(i) => JsValue::from_str(&i.to_string()),
        Arg::Real(f) => JsValue::from_f64(*f),
        Arg::Text(s) => JsValue::from_str(s),
    }
}

fn err(e: worker::Error) -> StoreError {
    match e {
        worker::Error::D1(d1) => StoreError::Database(format!("{d1}: {}", d1.cause())),
        other => StoreError::Database(other.to_string()),
    }
}

fn js_err(e: &JsValue) -> StoreError {
    let message = e.dyn_ref::<js_sys::Error>().map(|e| {
        let cause = e.cause().dyn_ref::<js_sys::Error>().map(|c| String::from(c.message())).unwrap_or_default();
        format!("{} {cause}", String::from(e.message()))
    });
    StoreError::Database(message.unwrap_or_else(|| format!("{e:?}")))
}

impl D1 {
    fn statement(&self, query: &Query) -> Result<D1PreparedStatement, StoreError> {
        let args: Vec<JsValue> = query.args.iter().map(to_js).collect();
        self.0.prepare(query.sql).bind(&args).map_err(err)
    }
}

/// The rows of one statement's result.
fn rows_of(result: &JsValue) -> Result<Vec<Row>, StoreError> {
    let rows = Reflect::get(result, &"results".into()).map_err(|e| js_err(&e))?;
    let rows: js_sys::Array = rows.dyn_into().unwrap_or_default();
    rows.iter().map(|row| serde_wasm_bindgen::from_value::<Row>(row).map_err(|e| StoreError::Database(e.to_string()))).collect()
}

/// A number in a result's `meta` (0 when D1 does not report it).
fn meta(result: &JsValue, key: &str) -> f64 {
    Reflect::get(result, &"meta".into()).and_then(|meta| Reflect::get(&meta, &key.into())).ok().and_then(|n| n.as_f64()).unwrap_or(0.0)
}

impl D1 {
    /// Counts one round trip of `statements` whose results are `results`.
    fn count(&self, statements: usize, results: &[JsValue]) {
        Meter::add(&self.1.d1_round_trips, 1);
        Meter::add(&self.1.d1_statements, statements as u32);
        let sum = |key| results.iter().map(|r| meta(r, key)).sum::<f64>() as u64;
        self.1.add_rows(sum("rows_read"), sum("rows_written"));
    }

    /// One D1 batch (one round trip, one transaction): each statement's result.
    async fn batch_results(&self, queries: &[Query]) -> Result<Vec<JsValue>, StoreError> {
        if queries.is_empty() {
            return Ok(Vec::new());
        }
        let statements: js_sys::Array = queries.iter().map(|q| self.statement(q).map(|s| JsValue::from(s.inner().clone()))).collect::<Result<_, _>>()?;
        let batch: js_sys::Function = Reflect::get(self.0.as_ref(), &"batch".into()).and_then(|f| f.dyn_into()).map_err(|e| js_err(&e))?;
        let promise = batch.call1(self.0.as_ref(), &statements).and_then(|p| p.dyn_into::<js_sys::Promise>());
        let results = Self::call(promise).await?;
        let results: Vec<JsValue> = results.dyn_into::<js_sys::Array>().map(|a| a.iter().collect()).unwrap_or_default();
        self.count(queries.len(), &results);
        Ok(results)
    }

    async fn call(promise: Result<js_sys::Promise, JsValue>) -> Result<JsValue, StoreError> {
        let promise = promise.map_err(|e| js_err(&e))?;
        wasm_bindgen_futures::JsFuture::from(promise).await.map_err(|e| js_err(&e))
    }
}

#[async_trait(?Send)]
impl Db for D1 {
    async fn rows(&self, query: &Query) -> Result<Vec<Row>, StoreError> {
        let result = Self::call(self.statement(query)?.inner().all()).await?;
        self.count(1, std::slice::from_ref(&result));
        rows_of(&result)
    }

    async fn run(&self, query: &Query) -> Result<u64, StoreError> {
        let result = Self::call(self.statement(query)?.inner().run()).await?;
        self.count(1, std::slice::from_ref(&result));
        Ok(meta(&result, "changes") as u64)
    }

    async fn batch(&self, queries: &[Query]) -> Result<(), StoreError> {
        self.batch_results(queries).await.map(|_| ())
    }

    async fn batch_rows(&self, queries: &[Query]) -> Result<Vec<Vec<Row>>, StoreError> {
        self.batch_results(queries).await?.iter().map(rows_of).collect()
    }
}
