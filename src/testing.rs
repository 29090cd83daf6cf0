//! A native `Ctx` for handler tests: in-memory SQLite with the real migrations, plain-Rust
//! crypto, and a clock the test moves.
use std::cell::Cell;

use crate::config::{self, Config};
use crate::crypto::testing::NativeCrypto;
use crate::ctx::{Clock, Ctx, IsolateCache};
use crate::domain::ids::IdGenerator;
use crate::federation::testing::RecordedJobs;
use crate::router::http::{Method, Request, Response};
use crate::store::testing::{memory_db, MemoryDb};

pub struct TestClock(pub Cell<i64>);

impl Clock for TestClock {
    fn now_ms(&self) -> i64 {
        self.0.get()
    }
}

pub struct TestEnv {
    pub config: Config,
    pub db: MemoryDb,
    pub crypto: NativeCrypto,
    pub clock: TestClock,
    pub ids: IdGenerator,
    pub cache: IsolateCache,
    pub jobs: RecordedJobs,
}

impl TestEnv {
    pub fn new() -> TestEnv {
        TestEnv {
            config: config::for_tests(),
            db: memory_db(),
            crypto: NativeCrypto::default(),
            clock: TestClock(Cell::new(1_700_000_000_000)),
            ids: IdGenerator::new(0),
            cache: IsolateCache::default(),
            jobs: RecordedJobs::default(),
        }
    }

    pub fn ctx(&self) -> Ctx<'_> {
        Ctx { config: &self.config, db: &self.db, crypto: &self.crypto, clock: &self.clock, ids: &self.ids, cache: &self.cache, jobs: &self.jobs }
    }

    pub fn advance(&self, ms: i64) {
        self.clock.0.set(self.clock.0.get() + ms);
    }

    pub async fn send(&self, method: Method, path_and_query: &str, form: &str) -> (Response, serde_json::Value) {
        let (path, query) = path_and_query.split_once('?').unwrap_or((path_and_query, ""));
        let request = Request {
            method,
            path: path.to_string(),
            query: query.to_string(),
            headers: vec![("content-type".into(), "application/x-www-form-urlencoded".into())],
            body: form.as_bytes().to_vec(),
        };
        let response = crate::router::dispatch(&self.ctx(), request).await;
        let json = serde_json::from_slice(&response.body).unwrap_or(serde_json::Value::Null);
        (response, json)
    }
}
