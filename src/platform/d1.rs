//! `Db` over a D1 binding.
use async_trait::async_trait;
use js_sys::Reflect;
use wasm_bindgen::{JsCast, JsValue};
use worker::{D1Database, D1PreparedStatement};

use crate::store::db::{Arg, Db, Query, Row, StoreError};

pub struct D1(pub D1Database);

/// JavaScript numbers hold integers exactly only up to 2^53; larger ids go as decimal text,
/// which the columns' INTEGER affinity turns back into integers (see `domain::ids`).
fn to_js(arg: &Arg) -> JsValue {
    const MAX_SAFE: i64 = (1 << 53) - 1;
    match arg {
        Arg::Null => JsValue::NULL,
        Arg::Int(i) if (-MAX_SAFE..=MAX_SAFE).contains(i) => JsValue::from_f64(*i as f64),
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

#[async_trait(?Send)]
impl Db for D1 {
    async fn rows(&self, query: &Query) -> Result<Vec<Row>, StoreError> {
        let result = self.statement(query)?.all().await.map_err(err)?;
        result.results::<Row>().map_err(err)
    }

    async fn run(&self, query: &Query) -> Result<u64, StoreError> {
        // Not `D1Result::meta()`: it decodes `last_row_id` as an i64 from a JS number, which
        // fails for our ids above 2^53. Only `meta.changes` is needed.
        let statement = self.statement(query)?;
        let promise = statement.inner().run().map_err(|e| js_err(&e))?;
        let result = wasm_bindgen_futures::JsFuture::from(promise).await.map_err(|e| js_err(&e))?;
        let changes = Reflect::get(&result, &"meta".into())
            .and_then(|meta| Reflect::get(&meta, &"changes".into()))
            .ok()
            .and_then(|changes| changes.as_f64())
            .unwrap_or(0.0);
        Ok(changes as u64)
    }

    async fn batch(&self, queries: &[Query]) -> Result<(), StoreError> {
        let statements = queries.iter().map(|q| self.statement(q)).collect::<Result<Vec<_>, _>>()?;
        self.0.batch(statements).await.map_err(err)?;
        Ok(())
    }
}
