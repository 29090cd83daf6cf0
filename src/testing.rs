//! A native `Ctx` for handler tests: in-memory SQLite with the real migrations, plain-Rust
//! crypto, and a clock the test moves.
use std::cell::Cell;

use crate::config::{self, Config};
use crate::crypto::testing::NativeCrypto;
use crate::ctx::{Clock, Ctx, IsolateCache};
use crate::domain::ids::IdGenerator;
use crate::edge::http::{Method, Request, Response};
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
    pub blobs: MemoryBlobs,
    pub http: FakeHttp,
    pub meter: crate::ctx::Meter,
    pub live: crate::ctx::Live,
}

/// Outbound HTTP in tests: answers registered per URL (404 otherwise), every request kept.
#[derive(Default)]
pub struct FakeHttp {
    pub answers: std::cell::RefCell<std::collections::HashMap<String, crate::ctx::HttpResponse>>,
    pub sent: std::cell::RefCell<Vec<crate::ctx::HttpRequest>>,
}

impl FakeHttp {
    pub fn answer_json(&self, url: &str, status: u16, body: &serde_json::Value) {
        let response = crate::ctx::HttpResponse {
            status,
            headers: vec![("content-type".into(), "application/activity+json".into())],
            body: body.to_string().into_bytes(),
        };
        self.answers.borrow_mut().insert(url.to_string(), response);
    }

    /// Answers `url` with `body` served as `content_type`.
    pub fn answer_as(&self, url: &str, content_type: &str, body: &serde_json::Value) {
        let response = crate::ctx::HttpResponse { status: 200, headers: vec![("content-type".into(), content_type.into())], body: body.to_string().into_bytes() };
        self.answers.borrow_mut().insert(url.to_string(), response);
    }

    /// Answers `url` with a redirect to `location`.
    pub fn answer_redirect(&self, url: &str, location: &str) {
        let response = crate::ctx::HttpResponse { status: 302, headers: vec![("location".into(), location.into())], body: Vec::new() };
        self.answers.borrow_mut().insert(url.to_string(), response);
    }

    /// How many requests went to `url`.
    pub fn requests_to(&self, url: &str) -> usize {
        self.sent.borrow().iter().filter(|r| r.url == url).count()
    }
}

#[async_trait::async_trait(?Send)]
impl crate::ctx::HttpClient for FakeHttp {
    async fn send(&self, request: crate::ctx::HttpRequest, _timeout_ms: u32, max_bytes: usize) -> Result<crate::ctx::HttpResponse, crate::ctx::HttpError> {
        let answer = self.answers.borrow().get(&request.url).cloned();
        self.sent.borrow_mut().push(request);
        let answer = answer.unwrap_or(crate::ctx::HttpResponse { status: 404, headers: Vec::new(), body: Vec::new() });
        if answer.body.len() > max_bytes {
            return Err(crate::ctx::HttpError("too large".into()));
        }
        Ok(answer)
    }
}

/// A multipart upload in progress: key, content type, parts by number.
pub type Upload = (String, String, std::collections::BTreeMap<u16, Vec<u8>>);

/// Blob storage in a map, with R2's multipart uploads and their rules on part sizes.
#[derive(Default)]
pub struct MemoryBlobs {
    pub objects: std::cell::RefCell<std::collections::HashMap<String, (Vec<u8>, String)>>,
    pub uploads: std::cell::RefCell<std::collections::HashMap<String, Upload>>,
    next_upload: Cell<u32>,
    /// Bytes read and written so far: what crossed between the Worker and R2.
    pub moved: Cell<u64>,
    /// Operations so far, as R2 bills them: class A (writes, multipart calls), class B (reads).
    pub class_a: Cell<u64>,
    pub class_b: Cell<u64>,
}

impl MemoryBlobs {
    fn count(&self, class_a: bool) {
        let cell = if class_a { &self.class_a } else { &self.class_b };
        cell.set(cell.get() + 1);
    }
}

impl MemoryBlobs {
    pub fn bytes(&self, key: &str) -> Option<Vec<u8>> {
        self.objects.borrow().get(key).map(|(bytes, _)| bytes.clone())
    }

    pub fn keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = self.objects.borrow().keys().cloned().collect();
        keys.sort();
        keys
    }
}

#[async_trait::async_trait(?Send)]
impl crate::ctx::Blobs for MemoryBlobs {
    async fn put(&self, key: &str, bytes: Vec<u8>, content_type: &str) -> Result<(), crate::ctx::BlobError> {
        self.count(true);
        self.moved.set(self.moved.get() + bytes.len() as u64);
        self.objects.borrow_mut().insert(key.to_string(), (bytes, content_type.to_string()));
        Ok(())
    }
    async fn get(&self, key: &str) -> Result<Option<(Vec<u8>, String)>, crate::ctx::BlobError> {
        self.count(false);
        let found = self.objects.borrow().get(key).cloned();
        self.moved.set(self.moved.get() + found.as_ref().map_or(0, |(bytes, _)| bytes.len() as u64));
        Ok(found)
    }
    async fn delete(&self, key: &str) -> Result<(), crate::ctx::BlobError> {
        self.objects.borrow_mut().remove(key);
        Ok(())
    }
    async fn get_range(&self, key: &str, offset: u64, length: u64) -> Result<Option<(Vec<u8>, u64)>, crate::ctx::BlobError> {
        self.count(false);
        let objects = self.objects.borrow();
        let Some((bytes, _)) = objects.get(key) else { return Ok(None) };
        let start = (offset as usize).min(bytes.len());
        let end = (offset.saturating_add(length) as usize).min(bytes.len());
        self.moved.set(self.moved.get() + (end - start) as u64);
        Ok(Some((bytes[start..end].to_vec(), bytes.len() as u64)))
    }
    async fn size(&self, key: &str) -> Result<Option<u64>, crate::ctx::BlobError> {
        self.count(false);
        Ok(self.objects.borrow().get(key).map(|(bytes, _)| bytes.len() as u64))
    }
    async fn create_multipart(&self, key: &str, content_type: &str) -> Result<String, crate::ctx::BlobError> {
        self.count(true);
        self.next_upload.set(self.next_upload.get() + 1);
        let id = format!("upload-{}", self.next_upload.get());
        self.uploads.borrow_mut().insert(id.clone(), (key.to_string(), content_type.to_string(), Default::default()));
        Ok(id)
    }
    async fn upload_part(&self, key: &str, upload_id: &str, number: u16, bytes: Vec<u8>) -> Result<String, crate::ctx::BlobError> {
        self.count(true);
        let mut uploads = self.uploads.borrow_mut();
        let upload = uploads.get_mut(upload_id).filter(|u| u.0 == key).ok_or_else(|| crate::ctx::BlobError("NoSuchUpload".into()))?;
        if !(1..=10_000).contains(&number) {
            return Err(crate::ctx::BlobError(format!("part number {number}")));
        }
        let etag = format!("etag-{number}-{}", crate::domain::zip::crc32(&bytes));
        self.moved.set(self.moved.get() + bytes.len() as u64);
        upload.2.insert(number, bytes);
        Ok(etag)
    }
    async fn upload_part_from(&self, key: &str, upload_id: &str, number: u16, sources: &[(String, u64, u64)]) -> Result<String, crate::ctx::BlobError> {
        let mut joined = Vec::new();
        for (source, offset, length) in sources {
            self.count(false);
            let objects = self.objects.borrow();
            let (bytes, _) = objects.get(source).ok_or_else(|| crate::ctx::BlobError(format!("{source} is missing")))?;
            let range = bytes.get(*offset as usize..(offset + length) as usize).ok_or_else(|| crate::ctx::BlobError(format!("{source} is shorter")))?;
            joined.extend_from_slice(range);
        }
        // Streamed by R2 itself: nothing crosses into the Worker but the part's upload.
        let moved = self.moved.get();
        let etag = self.upload_part(key, upload_id, number, joined).await;
        self.moved.set(moved);
        etag
    }

    async fn complete_multipart(&self, key: &str, upload_id: &str, parts: &[(u16, String)]) -> Result<(), crate::ctx::BlobError> {
        self.count(true);
        let (upload_key, content_type, uploaded) = self.uploads.borrow_mut().remove(upload_id).ok_or_else(|| crate::ctx::BlobError("NoSuchUpload".into()))?;
        let refuse = |why: String| Err(crate::ctx::BlobError(why));
        if upload_key != key || parts.is_empty() {
            return refuse("bad completion".into());
        }
        let mut joined = Vec::new();
        let mut size = None;
        for (i, (number, etag)) in parts.iter().enumerate() {
            let Some(bytes) = uploaded.get(number) else { return refuse(format!("InvalidPart {number}")) };
            if *etag != format!("etag-{number}-{}", crate::domain::zip::crc32(bytes)) || (i > 0 && parts[i - 1].0 >= *number) {
                return refuse(format!("InvalidPart {number}"));
            }
            // R2: parts but the last are all one size of at least 5 MiB; the last is no larger.
            let last = i + 1 == parts.len();
            let size = *size.get_or_insert(bytes.len());
            if (!last && (bytes.len() < crate::ctx::MIN_PART_BYTES || bytes.len() != size)) || (last && bytes.len() > size) {
                return refuse(format!("part {number} of {} bytes (the first was {size})", bytes.len()));
            }
            joined.extend_from_slice(bytes);
        }
        self.objects.borrow_mut().insert(key.to_string(), (joined, content_type));
        Ok(())
    }
    async fn abort_multipart(&self, _key: &str, upload_id: &str) -> Result<(), crate::ctx::BlobError> {
        self.uploads.borrow_mut().remove(upload_id);
        Ok(())
    }
}

impl TestEnv {
    /// An instance as `make dev` leaves it: migrated and provisioned with keys.
    pub fn new() -> TestEnv {
        let env = TestEnv::unprovisioned();
        env.db.provision();
        env
    }

    /// Migrated, but nobody ran scripts/provision.mjs.
    pub fn unprovisioned() -> TestEnv {
        TestEnv {
            config: config::for_tests(),
            db: memory_db(),
            crypto: NativeCrypto::default(),
            clock: TestClock(Cell::new(1_700_000_000_000)),
            ids: IdGenerator::new(0),
            cache: IsolateCache::default(),
            jobs: RecordedJobs::default(),
            blobs: MemoryBlobs::default(),
            http: FakeHttp::default(),
            meter: crate::ctx::Meter::default(),
            live: crate::ctx::Live::default(),
        }
    }

    pub fn ctx(&self) -> Ctx<'_> {
        Ctx { config: &self.config, db: &self.db, crypto: &self.crypto, clock: &self.clock, ids: &self.ids, cache: &self.cache, queue: &self.jobs, blobs: &self.blobs, http: &self.http, meter: &self.meter, live: &self.live }
    }

    pub fn advance(&self, ms: i64) {
        self.clock.0.set(self.clock.0.get() + ms);
    }

    /// A user token with every scope, through the password grant as a bot would get one.
    pub async fn owner_token(&self) -> String {
        self.owner_token_with("read write follow").await
    }

    /// A user token with only `scopes` (space-separated), through the password grant.
    pub async fn owner_token_with(&self, scopes: &str) -> String {
        let scopes = scopes.replace(' ', "+");
        let (_, app) = self.send(Method::Post, "/api/v1/apps", &format!("client_name=t&redirect_uris=urn:ietf:wg:oauth:2.0:oob&scopes={scopes}")).await;
        let form = format!(
            "grant_type=password&username=alice&password=secret+password&scope={scopes}&client_id={}&client_secret={}",
            app["client_id"].as_str().unwrap_or_default(),
            app["client_secret"].as_str().unwrap_or_default()
        );
        let (_, token) = self.send(Method::Post, "/oauth/token", &form).await;
        token["access_token"].as_str().unwrap_or_default().to_string()
    }

    pub async fn send_as(&self, token: &str, method: Method, path_and_query: &str, form: &str) -> (Response, serde_json::Value) {
        self.request(Some(token), method, path_and_query, form).await
    }

    pub async fn send(&self, method: Method, path_and_query: &str, form: &str) -> (Response, serde_json::Value) {
        self.request(None, method, path_and_query, form).await
    }

    pub async fn request(&self, token: Option<&str>, method: Method, path_and_query: &str, form: &str) -> (Response, serde_json::Value) {
        let headers: Vec<(&str, String)> = token.map(|t| ("authorization", format!("Bearer {t}"))).into_iter().collect();
        self.send_with(method, path_and_query, &headers, form).await
    }

    /// A form request with more headers (lower-case names), such as a cookie or a client address.
    pub async fn send_with(&self, method: Method, path_and_query: &str, headers: &[(&str, String)], form: &str) -> (Response, serde_json::Value) {
        let (path, query) = path_and_query.split_once('?').unwrap_or((path_and_query, ""));
        let request = Request {
            method,
            path: path.to_string(),
            query: query.to_string(),
            headers: [("content-type".to_string(), "application/x-www-form-urlencoded".to_string())]
                .into_iter()
                .chain(headers.iter().map(|(name, value)| (name.to_string(), value.clone())))
                .collect(),
            body: form.as_bytes().to_vec(),
        };
        let response = crate::router::dispatch(&self.ctx(), request).await;
        let json = serde_json::from_slice(&response.body).unwrap_or(serde_json::Value::Null);
        (response, json)
    }
}

/// The queue in tests: every message it took, in order, and the size of each call. It checks
/// each call against Cloudflare's `sendBatch` limits, and `quota` makes it refuse as the free
/// plan does once the day's operations are spent.
#[derive(Default)]
pub struct RecordedJobs {
    pub sent: std::cell::RefCell<Vec<crate::app::jobs::Job>>,
    /// Messages per call taken.
    pub calls: std::cell::RefCell<Vec<usize>>,
    /// Messages the queue still takes (`None`: no end); a call that does not fit is refused whole.
    pub quota: Cell<Option<usize>>,
}

impl RecordedJobs {
    /// The day's operations are spent: every send is refused.
    pub fn refuse(&self) {
        self.quota.set(Some(0));
    }

    /// A new day: every send is taken.
    pub fn accept(&self) {
        self.quota.set(None);
    }

    /// The messages taken so far, handed over (for the consumer to handle) and forgotten.
    pub fn take(&self) -> Vec<crate::app::jobs::Job> {
        std::mem::take(&mut *self.sent.borrow_mut())
    }

    fn record(&self, messages: Vec<String>) -> Result<(), crate::ctx::QueueError> {
        // Cloudflare's limits, written out again so that they check `app::jobs`'s arithmetic.
        let bytes: usize = messages.iter().map(|m| m.len() + 100).sum();
        assert!(messages.len() <= 100 && bytes <= 256_000, "one sendBatch of {} messages, {bytes} bytes", messages.len());
        if let Some(left) = self.quota.get() {
            let left = left.checked_sub(messages.len()).ok_or_else(|| crate::ctx::QueueError("Too Many Requests: daily operations limit".into()))?;
            self.quota.set(Some(left));
        }
        self.calls.borrow_mut().push(messages.len());
        for message in messages {
            let job = serde_json::from_str(&message).unwrap_or_else(|e| panic!("not a job: {message}: {e}"));
            self.sent.borrow_mut().push(job);
        }
        Ok(())
    }
}

#[async_trait::async_trait(?Send)]
impl crate::ctx::Queue for RecordedJobs {
    async fn send_all(&self, messages: Vec<String>) -> Result<(), crate::ctx::QueueError> {
        self.record(messages)
    }

    async fn send_later(&self, message: String, _delay_seconds: u32) -> Result<(), crate::ctx::QueueError> {
        self.record(vec![message])
    }
}
