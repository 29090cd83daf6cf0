//! `Ctx`: every seam a use case or handler may touch, as small traits (`Db`, `Queue`, `Blobs`,
//! `HttpClient`, `Crypto`, `Clock`) plus the isolate cache. `platform/` builds it from the
//! Worker's bindings; native tests build it over rusqlite, plain Rust crypto and recorded jobs.
use std::cell::RefCell;

use async_trait::async_trait;

use crate::config::Config;
use crate::domain::ids::IdGenerator;
use crate::store::db::Db;

pub struct Ctx<'a> {
    pub config: &'a Config,
    pub db: &'a dyn Db,
    pub crypto: &'a dyn crate::crypto::Crypto,
    pub clock: &'a dyn Clock,
    pub ids: &'a IdGenerator,
    pub cache: &'a IsolateCache,
    pub queue: &'a dyn Queue,
    pub blobs: &'a dyn Blobs,
    pub http: &'a dyn HttpClient,
}

/// State kept for the life of one isolate: data nearly every request needs and that changes only
/// through this isolate's own writes or rarely. Each entry carries the time it was loaded; its
/// reader decides how stale it may be. Tokens are deliberately not cached, so that a revocation
/// takes effect everywhere at once.
#[derive(Default)]
pub struct IsolateCache {
    pub owner: RefCell<Option<(i64, crate::store::accounts::LocalAccount)>>,
    pub instance_keys: RefCell<Option<crate::store::instance::InstanceKeysRow>>,
    pub instance_summary: RefCell<Option<(i64, crate::store::instance::Summary)>>,
    /// The owner's filters; every timeline page consults them.
    pub filters: RefCell<Option<(i64, Vec<crate::store::filters::Filter>)>>,
}

/// The Worker's log (the console in workerd, stderr natively): what operators read in `wrangler tail`.
pub fn log_error(message: &str) {
    #[cfg(target_arch = "wasm32")]
    web_sys::console::error_1(&message.into());
    #[cfg(not(target_arch = "wasm32"))]
    eprintln!("{message}");
}

impl Ctx<'_> {
    pub fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }

    pub fn new_id(&self) -> i64 {
        self.ids.next(self.clock.now_ms().max(0) as u64)
    }
}

pub trait Clock {
    fn now_ms(&self) -> i64;
}

/// An outbound HTTP request: federation deliveries and fetches.
#[derive(Clone, Debug)]
pub struct HttpRequest {
    pub method: &'static str,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
}

#[derive(Clone, Debug)]
pub struct HttpResponse {
    pub status: u16,
    /// Names lower-case.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

/// A request that got no HTTP answer: refused address, timeout, connection error, or an
/// answer larger than the caller's limit.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct HttpError(pub String);

/// `fetch` in the Worker (no redirects followed: the caller checks every hop); canned answers
/// in tests.
#[async_trait(?Send)]
pub trait HttpClient {
    async fn send(&self, request: HttpRequest, timeout_ms: u32, max_bytes: usize) -> Result<HttpResponse, HttpError>;
}

#[derive(Debug, thiserror::Error)]
#[error("blob storage: {0}")]
pub struct BlobError(pub String);

/// Media files: R2 in the Worker (`MEDIA` binding), memory in tests.
#[async_trait(?Send)]
pub trait Blobs {
    async fn put(&self, key: &str, bytes: Vec<u8>, content_type: &str) -> Result<(), BlobError>;
    /// The bytes and content type stored under `key`.
    async fn get(&self, key: &str) -> Result<Option<(Vec<u8>, String)>, BlobError>;
    async fn delete(&self, key: &str) -> Result<(), BlobError>;
}

#[derive(Debug, thiserror::Error)]
#[error("queue: {0}")]
pub struct QueueError(pub String);

/// The queue producer (`FEDERATION` binding); a list in tests. Messages are JSON: their types
/// (`app::jobs`) belong to the use cases, above this seam.
#[async_trait(?Send)]
pub trait Queue {
    async fn send(&self, message: serde_json::Value) -> Result<(), QueueError>;
    /// Many messages in one call (fan-out to many inboxes).
    async fn send_all(&self, messages: Vec<serde_json::Value>) -> Result<(), QueueError>;
}
