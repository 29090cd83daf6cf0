//! `Ctx`: every seam a use case or handler may touch, as small traits (`Db`, `Queue`, `Blobs`,
//! `HttpClient`, `Crypto`, `Clock`) plus the isolate cache. `platform/` builds it from the
//! Worker's bindings; native tests build it over rusqlite, plain Rust crypto and recorded jobs.
use std::cell::{Cell, RefCell};

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
    /// What this invocation has spent of the free plan's per-invocation budget.
    pub meter: &'a Meter,
    /// What this invocation changed that streaming clients should hear of.
    pub live: &'a Live,
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
    /// VAPID tokens by push-service origin, with their expiry (Unix seconds).
    pub vapid_tokens: RefCell<Vec<(String, String, i64)>>,
    /// The owner's filters; every timeline page consults them.
    pub filters: RefCell<Option<(i64, Vec<crate::store::filters::Filter>)>>,
    /// The instance's domain blocks and suspended actors; every exchange with another server
    /// consults them.
    pub moderation: RefCell<Option<(i64, std::rc::Rc<crate::domain::moderation::Policy>)>>,
}

/// Happenings recorded during one invocation; `platform/` hands them to the streaming hub when
/// the invocation ends (one subrequest however many there were).
#[derive(Debug, Default)]
pub struct Live(RefCell<Vec<crate::domain::streams::Happening>>);

impl Live {
    pub fn record(&self, happening: crate::domain::streams::Happening) {
        let mut happenings = self.0.borrow_mut();
        if !happenings.contains(&happening) {
            happenings.push(happening);
        }
    }

    pub fn take(&self) -> Vec<crate::domain::streams::Happening> {
        std::mem::take(&mut self.0.borrow_mut())
    }
}

/// An operator's note in the Worker's log (the budget lines).
pub fn log_info(message: &str) {
    log(message, false);
}

/// The Worker's log (the console in workerd, stderr natively): what operators read in `wrangler tail`.
pub fn log_error(message: &str) {
    log(message, true);
}

fn log(message: &str, error: bool) {
    #[cfg(target_arch = "wasm32")]
    if error {
        web_sys::console::error_1(&message.into());
    } else {
        web_sys::console::log_1(&message.into());
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        let _ = error;
        eprintln!("{message}");
    }
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
    /// Up to `length` bytes stored under `key` from `offset` (fewer at its end, none past it),
    /// and the object's whole size: large files are read a piece per invocation.
    async fn get_range(&self, key: &str, offset: u64, length: u64) -> Result<Option<(Vec<u8>, u64)>, BlobError>;
    /// The size of the object under `key`, without its bytes.
    async fn size(&self, key: &str) -> Result<Option<u64>, BlobError>;
    /// Starts an object written in parts (R2's multipart upload), answering its upload id. R2's
    /// rules: every part but the last is the same size, at least `MIN_PART_BYTES`; the last is
    /// no larger; at most 10,000 parts; an upload not completed within 7 days is dropped.
    async fn create_multipart(&self, key: &str, content_type: &str) -> Result<String, BlobError>;
    /// Uploads part `number` (from 1; the same number again replaces it), answering its etag.
    async fn upload_part(&self, key: &str, upload_id: &str, number: u16, bytes: Vec<u8>) -> Result<String, BlobError>;
    /// Uploads part `number` made of stored objects' byte ranges `(key, offset, length)`, joined
    /// in order, without their bytes passing through the Worker: R2 streams them into the part.
    async fn upload_part_from(&self, key: &str, upload_id: &str, number: u16, sources: &[(String, u64, u64)]) -> Result<String, BlobError>;
    /// Joins the parts (number, etag), in order, into the object under `key`.
    async fn complete_multipart(&self, key: &str, upload_id: &str, parts: &[(u16, String)]) -> Result<(), BlobError>;
    async fn abort_multipart(&self, key: &str, upload_id: &str) -> Result<(), BlobError>;
}

/// The smallest part of a multipart upload but the last (R2's limit, as S3's).
pub const MIN_PART_BYTES: usize = 5 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
#[error("queue: {0}")]
pub struct QueueError(pub String);

/// The queue producer (`FEDERATION` binding); a list in tests. Messages are JSON texts: their
/// types (`app::jobs`) belong to the use cases, above this seam, and so do Cloudflare's limits
/// on one call (`app::jobs` splits what it sends).
#[async_trait(?Send)]
pub trait Queue {
    /// Many messages in one call (one `sendBatch`).
    async fn send_all(&self, messages: Vec<String>) -> Result<(), QueueError>;
    /// One message, delivered to the consumer `delay_seconds` from now.
    async fn send_later(&self, message: String, delay_seconds: u32) -> Result<(), QueueError>;
}

/// What one invocation (a request, a queue batch, a cron run) spends of the free plan's
/// per-invocation limits (50 D1 queries, 50 subrequests) and daily ones (queue operations, D1
/// rows). `platform/` counts at the bindings; with `BUDGET_REPORT=true` every response carries
/// it as `Server-Timing` and queue and cron invocations log it (docs/development.md, "Budgets").
#[derive(Debug, Default)]
pub struct Meter {
    /// D1 round trips: a statement, or a batch of them.
    pub d1_round_trips: Cell<u32>,
    pub d1_statements: Cell<u32>,
    /// As D1 reports them (`meta.rows_read`, `meta.rows_written`, index writes included).
    pub d1_rows_read: Cell<u64>,
    pub d1_rows_written: Cell<u64>,
    /// Outbound `fetch` subrequests.
    pub fetches: Cell<u32>,
    /// Messages sent to the queue, and the calls that sent them (a batch is one call).
    pub queue_messages: Cell<u32>,
    pub queue_calls: Cell<u32>,
    /// R2 reads, writes and deletes.
    pub r2_operations: Cell<u32>,
}

impl Meter {
    pub fn add(cell: &Cell<u32>, n: u32) {
        cell.set(cell.get().saturating_add(n));
    }

    /// One call to the queue that sent `messages`.
    pub fn queued(&self, messages: u32) {
        Meter::add(&self.queue_calls, 1);
        Meter::add(&self.queue_messages, messages);
    }

    pub fn add_rows(&self, read: u64, written: u64) {
        self.d1_rows_read.set(self.d1_rows_read.get().saturating_add(read));
        self.d1_rows_written.set(self.d1_rows_written.get().saturating_add(written));
    }

    /// `Server-Timing` (RFC: W3C Server Timing), one metric per binding:
    /// `d1;desc="rt=2 st=3 rows_read=41 rows_written=0", fetch;desc="n=0", queue;desc="msgs=1 calls=1", r2;desc="ops=0"`.
    pub fn server_timing(&self) -> String {
        format!(
            "d1;desc=\"rt={} st={} rows_read={} rows_written={}\", fetch;desc=\"n={}\", queue;desc=\"msgs={} calls={}\", r2;desc=\"ops={}\"",
            self.d1_round_trips.get(),
            self.d1_statements.get(),
            self.d1_rows_read.get(),
            self.d1_rows_written.get(),
            self.fetches.get(),
            self.queue_messages.get(),
            self.queue_calls.get(),
            self.r2_operations.get(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::Meter;

    #[test]
    fn the_budget_reads_as_one_server_timing_metric_per_binding() {
        let meter = Meter::default();
        Meter::add(&meter.d1_round_trips, 2);
        Meter::add(&meter.d1_statements, 3);
        meter.add_rows(41, 1);
        meter.queued(1);
        assert_eq!(
            meter.server_timing(),
            "d1;desc=\"rt=2 st=3 rows_read=41 rows_written=1\", fetch;desc=\"n=0\", queue;desc=\"msgs=1 calls=1\", r2;desc=\"ops=0\""
        );
    }
}
