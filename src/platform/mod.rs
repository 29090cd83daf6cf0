//! The Worker's entry points and the only code that names `worker::*`. Everything here
//! translates: bindings into `Ctx`, `worker::Request` into `edge::http::Request`, and back.
mod d1;
mod fetch;
mod hub;
mod webcrypto;

use worker::{event, Context, Env, Headers, MessageBatch, MessageExt, QueueRetryOptionsBuilder, ScheduleContext, ScheduledEvent};

use crate::config::Config;
use std::rc::Rc;

use crate::ctx::{BlobError, Blobs, Clock, Ctx, IsolateCache, Meter, Queue, QueueError};
use crate::app::jobs::Job;
use crate::federation;
use crate::domain::ids::IdGenerator;
use crate::edge::body::BodyReader;
use crate::edge::error::ApiError;
use crate::edge::http;
use crate::router;

/// Binding names, as declared in wrangler.toml.
const DB_BINDING: &str = "DB";
const QUEUE_BINDING: &str = "FEDERATION";
const MEDIA_BINDING: &str = "MEDIA";

/// Media files in R2.
struct R2(worker::Bucket, Rc<Meter>);

#[async_trait::async_trait(?Send)]
impl Blobs for R2 {
    async fn put(&self, key: &str, bytes: Vec<u8>, content_type: &str) -> Result<(), BlobError> {
        Meter::add(&self.1.r2_operations, 1);
        let metadata = worker::HttpMetadata {
            content_type: Some(content_type.to_string()),
            content_language: None,
            content_disposition: None,
            content_encoding: None,
            cache_control: None,
            cache_expiry: None,
        };
        self.0.put(key, bytes).http_metadata(metadata).execute().await.map_err(|e| BlobError(e.to_string()))?;
        Ok(())
    }

    async fn get(&self, key: &str) -> Result<Option<(Vec<u8>, String)>, BlobError> {
        Meter::add(&self.1.r2_operations, 1);
        let Some(object) = self.0.get(key).execute().await.map_err(|e| BlobError(e.to_string()))? else { return Ok(None) };
        let content_type = object.http_metadata().content_type.unwrap_or_else(|| "application/octet-stream".into());
        let Some(body) = object.body() else { return Ok(None) };
        let bytes = body.bytes().await.map_err(|e| BlobError(e.to_string()))?;
        Ok(Some((bytes, content_type)))
    }

    async fn delete(&self, key: &str) -> Result<(), BlobError> {
        Meter::add(&self.1.r2_operations, 1);
        self.0.delete(key).await.map_err(|e| BlobError(e.to_string()))
    }

    async fn get_range(&self, key: &str, offset: u64, length: u64) -> Result<Option<(Vec<u8>, u64)>, BlobError> {
        Meter::add(&self.1.r2_operations, 1);
        let range = worker::Range::OffsetWithLength { offset, length };
        let Some(object) = self.0.get(key).range(range).execute().await.map_err(blob_error)? else { return Ok(None) };
        let size = object.size();
        let Some(body) = object.body() else { return Ok(None) };
        Ok(Some((body.bytes().await.map_err(blob_error)?, size)))
    }

    async fn size(&self, key: &str) -> Result<Option<u64>, BlobError> {
        Meter::add(&self.1.r2_operations, 1);
        Ok(self.0.head(key).await.map_err(blob_error)?.map(|object| object.size()))
    }

    async fn create_multipart(&self, key: &str, content_type: &str) -> Result<String, BlobError> {
        Meter::add(&self.1.r2_operations, 1);
        let metadata = worker::HttpMetadata { content_type: Some(content_type.to_string()), ..Default::default() };
        let upload = self.0.create_multipart_upload(key).http_metadata(metadata).execute().await.map_err(blob_error)?;
        Ok(upload.upload_id().await)
    }

    async fn upload_part(&self, key: &str, upload_id: &str, number: u16, bytes: Vec<u8>) -> Result<String, BlobError> {
        Meter::add(&self.1.r2_operations, 1);
        let upload = self.0.resume_multipart_upload(key, upload_id).map_err(blob_error)?;
        Ok(upload.upload_part(number, bytes).await.map_err(blob_error)?.etag())
    }

    async fn upload_part_from(&self, key: &str, upload_id: &str, number: u16, sources: &[(String, u64, u64)]) -> Result<String, BlobError> {
        use wasm_bindgen::JsCast;
        Meter::add(&self.1.r2_operations, 1 + sources.len() as u32);
        let total: u64 = sources.iter().map(|(_, _, length)| length).sum();
        // A stream of known length joins the sources' bodies: the runtime pipes them, the
        // bytes never enter wasm, and R2 takes the part as it comes.
        let joined = worker::worker_sys::FixedLengthStream::new_big_int(js_sys::BigInt::from(total)).map_err(|e| BlobError(format!("{e:?}")))?;
        let joined: web_sys::TransformStream = joined.unchecked_into();
        let writable = joined.writable();
        let upload = self.0.resume_multipart_upload(key, upload_id).map_err(blob_error)?;
        let uploading = async { upload.upload_part(number, joined.readable()).await.map_err(blob_error) };
        let piping = async {
            for (i, (source, offset, length)) in sources.iter().enumerate() {
                let range = worker::Range::OffsetWithLength { offset: *offset, length: *length };
                let object = self.0.get(source).range(range).execute().await.map_err(blob_error)?;
                let body = object.as_ref().and_then(|o| o.body()).ok_or_else(|| BlobError(format!("{source} is missing")))?;
                let worker::ResponseBody::Stream(stream) = body.response_body().map_err(blob_error)? else {
                    return Err(BlobError(format!("{source} has no body")));
                };
                let options = web_sys::StreamPipeOptions::new();
                options.set_prevent_close(i + 1 < sources.len());
                wasm_bindgen_futures::JsFuture::from(stream.pipe_to_with_options(&writable, &options)).await.map_err(|e| BlobError(format!("{e:?}")))?;
            }
            Ok(())
        };
        let (part, ()) = futures_util::future::try_join(uploading, piping).await?;
        Ok(part.etag())
    }

    async fn complete_multipart(&self, key: &str, upload_id: &str, parts: &[(u16, String)]) -> Result<(), BlobError> {
        Meter::add(&self.1.r2_operations, 1);
        let upload = self.0.resume_multipart_upload(key, upload_id).map_err(blob_error)?;
        let parts = parts.iter().map(|(number, etag)| worker::UploadedPart::new(*number, etag.clone()));
        upload.complete(parts).await.map_err(blob_error)?;
        Ok(())
    }

    async fn abort_multipart(&self, key: &str, upload_id: &str) -> Result<(), BlobError> {
        Meter::add(&self.1.r2_operations, 1);
        let upload = self.0.resume_multipart_upload(key, upload_id).map_err(blob_error)?;
        upload.abort().await.map_err(blob_error)
    }
}

impl R2 {
    /// Part `number` of an upload, piped from a stream of `length` bytes (a request's body):
    /// the runtime moves the bytes, they never enter wasm.
    async fn pipe_part(&self, key: &str, upload_id: &str, number: u16, length: u64, body: web_sys::ReadableStream) -> Result<String, BlobError> {
        use wasm_bindgen::JsCast;
        Meter::add(&self.1.r2_operations, 1);
        let fixed = worker::worker_sys::FixedLengthStream::new_big_int(js_sys::BigInt::from(length)).map_err(|e| BlobError(format!("{e:?}")))?;
        let fixed: web_sys::TransformStream = fixed.unchecked_into();
        let upload = self.0.resume_multipart_upload(key, upload_id).map_err(blob_error)?;
        let uploading = async { upload.upload_part(number, fixed.readable()).await.map_err(blob_error) };
        let piping = async { wasm_bindgen_futures::JsFuture::from(body.pipe_to(&fixed.writable())).await.map(|_| ()).map_err(|e| BlobError(format!("{e:?}"))) };
        let (part, ()) = futures_util::future::try_join(uploading, piping).await?;
        Ok(part.etag())
    }
}

fn blob_error(e: worker::Error) -> BlobError {
    BlobError(e.to_string())
}

/// The queue producer.
struct Producer(worker::Queue, Rc<Meter>);

#[async_trait::async_trait(?Send)]
impl Queue for Producer {
    async fn send_all(&self, messages: Vec<String>) -> Result<(), QueueError> {
        self.1.queued(messages.len() as u32);
        let messages = messages.iter().map(|m| plain_message(m, 0)).collect::<Result<Vec<_>, _>>()?;
        self.0.send_raw_batch(messages).await.map_err(|e| QueueError(e.to_string()))
    }

    async fn send_later(&self, message: String, delay_seconds: u32) -> Result<(), QueueError> {
        self.1.queued(1);
        self.0.send_raw(plain_message(&message, delay_seconds)?).await.map_err(|e| QueueError(e.to_string()))
    }
}

/// A message as a plain JavaScript object parsed from its JSON text (serde_wasm_bindgen would
/// make a JSON map a `Map`, which the dashboard cannot show), sent with the JSON content type.
fn plain_message(message: &str, delay_seconds: u32) -> Result<worker::SendMessage<wasm_bindgen::JsValue>, QueueError> {
    let body = js_sys::JSON::parse(message).map_err(|e| QueueError(format!("{e:?}")))?;
    let builder = worker::RawMessageBuilder::new(body);
    let builder = if delay_seconds > 0 { builder.delay_seconds(delay_seconds) } else { builder };
    Ok(builder.build_with_content_type(worker::QueueContentType::Json))
}

/// Everything a `Ctx` borrows, built once per invocation from the bindings.
struct Parts {
    config: &'static Config,
    db: d1::D1,
    queue: Producer,
    blobs: R2,
    http: fetch::Fetch,
    meter: Rc<Meter>,
    live: crate::ctx::Live,
    isolate: &'static Isolate,
}

impl Parts {
    fn from_env(env: &Env) -> Result<Parts, String> {
        let isolate = ISOLATE.with(|isolate| *isolate);
        // Vars and secrets are fixed for an isolate's life (a change deploys new isolates), and
        // reading them is a fifth of a discovery request's CPU (bench/invocation-cpu.sh).
        let config = match isolate.config.get() {
            Some(config) => config,
            None => {
                let config = config(env).map_err(|e| e.to_string())?;
                isolate.config.get_or_init(|| config)
            }
        };
        let meter = Rc::new(Meter::default());
        let db = d1::D1(env.d1(DB_BINDING).map_err(|e| format!("binding {DB_BINDING}: {e}"))?, meter.clone());
        let queue = Producer(env.queue(QUEUE_BINDING).map_err(|e| format!("binding {QUEUE_BINDING}: {e}"))?, meter.clone());
        let blobs = R2(env.bucket(MEDIA_BINDING).map_err(|e| format!("binding {MEDIA_BINDING}: {e}"))?, meter.clone());
        let http = fetch::Fetch(meter.clone());
        Ok(Parts { config, db, queue, blobs, http, meter, live: crate::ctx::Live::default(), isolate })
    }

    /// The invocation's budget line, when the configuration asks for it.
    fn budget(&self) -> Option<String> {
        self.config.budget_report.then(|| self.meter.server_timing())
    }

    fn ctx(&self) -> Ctx<'_> {
        Ctx {
            config: self.config,
            db: &self.db,
            crypto: &webcrypto::WebCrypto,
            clock: &JsClock,
            ids: &self.isolate.ids,
            cache: &self.isolate.cache,
            queue: &self.queue,
            blobs: &self.blobs,
            http: &self.http,
            meter: &self.meter,
            live: &self.live,
        }
    }
}

struct JsClock;

impl Clock for JsClock {
    fn now_ms(&self) -> i64 {
        js_sys::Date::now() as i64
    }
}

/// What one isolate keeps between requests.
struct Isolate {
    ids: IdGenerator,
    cache: IsolateCache,
    config: std::cell::OnceCell<Config>,
}

thread_local! {
    // A Worker isolate runs one thread, and this lives as long as the isolate.
    static ISOLATE: &'static Isolate =
        Box::leak(Box::new(Isolate { ids: IdGenerator::new(webcrypto::random_u16()), cache: IsolateCache::default(), config: std::cell::OnceCell::new() }));
}

fn config(env: &Env) -> Result<Config, crate::config::ConfigError> {
    Config::from_lookup(|name| {
        env.var(name)
            .map(|v| v.to_string())
            .ok()
            .or_else(|| env.secret(name).map(|s| s.to_string()).ok())
    })
}

#[event(start)]
fn start() {
    console_error_panic_hook::set_once();
}

#[event(fetch)]
async fn fetch(mut req: worker::Request, env: Env, invocation: Context) -> worker::Result<worker::Response> {
    let parts = match Parts::from_env(&env) {
        Ok(parts) => parts,
        Err(e) => {
            crate::ctx::log_error(&e);
            return worker::Response::error(format!("Topi is not configured: {e}"), 500);
        }
    };
    let ctx = parts.ctx();
    let mut request = to_head(&req)?;
    if let Some(admission) = router::streaming_upgrade(&ctx, &request).await {
        return match admission {
            Ok(admitted) => hub::connect(&env, &req, &admitted.subscriber, admitted.protocol.as_deref()).await,
            Err(refusal) => to_worker_response(refusal),
        };
    }
    // A chunk of an archive to import goes from the request into R2 as it arrives.
    if let Some(target) = router::chunk_upload(&ctx, &request).await {
        let response = match target {
            Ok(chunk) => {
                let etag = match req.inner().body() {
                    Some(body) => parts.blobs.pipe_part(&chunk.key, &chunk.upload_id, chunk.number as u16, chunk.length, body).await.map_err(|e| e.to_string()),
                    None => Err("the request has no body".to_string()),
                };
                router::chunk_piped(&ctx, &request, chunk, etag).await
            }
            Err(refusal) => refusal,
        };
        let response = match parts.budget() {
            Some(budget) => {
                crate::ctx::log_info(&format!("budget {:?} {}: {budget}", request.method, request.path));
                response.header("Server-Timing", &budget)
            }
            None => response,
        };
        return to_worker_response(response);
    }
    // The head is checked before a byte of the body is read (`router::admit`).
    let limit = match router::admit(&ctx, &request).await {
        Ok(limit) => limit,
        Err(refusal) => return to_worker_response(refusal),
    };
    request.body = match read_body(&mut req, &request, limit).await {
        Ok(body) => body,
        Err(error) => return to_worker_response(router::refuse(&request, error)),
    };
    let (method, path) = (request.method, request.path.clone());
    let mut response = router::dispatch(&ctx, request).await;
    let happenings = ctx.live.take();
    if !happenings.is_empty() {
        push_for(&ctx, &happenings).await;
        // After the response: a client never waits for the hub.
        Meter::add(&parts.meter.fetches, 1);
        invocation.wait_until(async move { publish_live(&env, &happenings).await });
    }
    let blob = response.blob.take();
    if blob.is_some() {
        // One more R2 read; its bytes go from R2 to the client without passing through wasm.
        Meter::add(&parts.meter.r2_operations, 1);
    }
    if let Some(budget) = parts.budget() {
        crate::ctx::log_info(&format!("budget {method:?} {path}: {budget}"));
        response = response.header("Server-Timing", &budget);
    }
    match blob {
        Some(blob) => stream_blob(&parts.blobs.0, response, &blob).await,
        None => to_worker_response(response),
    }
}

/// A response whose body is a stored object's range, streamed by the runtime from R2.
async fn stream_blob(bucket: &worker::Bucket, response: http::Response, blob: &http::BlobBody) -> worker::Result<worker::Response> {
    let range = worker::Range::OffsetWithLength { offset: blob.offset, length: blob.length };
    let object = bucket.get(&blob.key).range(range).execute().await?;
    let Some(body) = object.as_ref().and_then(|o| o.body()) else {
        crate::ctx::log_error(&format!("stored object {} is missing", blob.key));
        return to_worker_response(ApiError::NotFound.into_response());
    };
    let headers = Headers::new();
    for (name, value) in &response.headers {
        headers.append(name, value)?;
    }
    Ok(worker::Response::from_body(body.response_body()?)?.with_status(response.status).with_headers(headers))
}

/// Federation messages. A failed one is retried with backoff (`federation::retry_delay_seconds`);
/// after `max_retries` in wrangler.toml the queue moves it to the dead-letter queue, whose
/// consumer (this same function) records it, so nothing is dropped silently.
#[event(queue)]
async fn queue(batch: MessageBatch<serde_json::Value>, env: Env, _ctx: Context) -> worker::Result<()> {
    let parts = Parts::from_env(&env).map_err(worker::Error::RustError)?;
    let ctx = parts.ctx();
    let dead_letters = batch.queue().ends_with("-dlq");
    // Bodies are read as JSON text and decoded natively: one message that is not a job is logged
    // and dropped (no retry can fix it) instead of failing the whole batch.
    let mut deferred = Vec::new();
    for message in batch.raw_iter() {
        let body = js_sys::JSON::stringify(&message.body()).ok().and_then(|text| text.as_string()).unwrap_or_default();
        if !dead_letters && (!deferred.is_empty() || spent_enough(&parts.meter)) {
            deferred.push((message, body));
            continue;
        }
        let job: Job = match serde_json::from_str(&body) {
            Ok(job) => job,
            Err(e) => {
                crate::ctx::log_error(&format!("federation: dropped a message that is not a job ({e}): {body}"));
                message.ack();
                continue;
            }
        };
        let result = if dead_letters { federation::dead_lettered(&ctx, &job).await } else { federation::handle(&ctx, &job).await };
        match result {
            Ok(()) => message.ack(),
            Err(e) => {
                crate::ctx::log_error(&format!("federation {job:?}: {e}"));
                let age_ms = js_sys::Date::now() - message.timestamp().as_millis() as f64;
                let delay = federation::retry_delay_seconds((age_ms / 1000.0) as u32, parts.config.retry_base_seconds);
                message.retry_with_options(&QueueRetryOptionsBuilder::new().with_delay_seconds(delay).build());
            }
        }
    }
    if !deferred.is_empty() {
        hand_on(&ctx, parts.config, deferred).await;
    }
    hand_live(&env, &parts).await;
    if let Some(budget) = parts.budget() {
        crate::ctx::log_info(&format!("budget queue {}: {budget}", batch.queue()));
    }
    Ok(())
}

/// What one queue invocation may spend before it hands the rest of its batch on: the free plan
/// allows 50 D1 queries and 50 subrequests per invocation, and one more message costs at most
/// about 20 (measured by the e2e suite's budget report).
const QUEUE_INVOCATION_SPEND: u32 = 30;
/// Deliveries sign every POST (~0.7–1 ms of CPU each): one message's worth per invocation keeps
/// inside the free plan's 10 ms.
const QUEUE_INVOCATION_FETCHES: u32 = crate::app::jobs::INBOXES_PER_MESSAGE as u32;

fn spent_enough(meter: &Meter) -> bool {
    meter.d1_statements.get() >= QUEUE_INVOCATION_SPEND || meter.fetches.get() >= QUEUE_INVOCATION_FETCHES
}

/// The messages this invocation leaves: sent again as new messages (a fresh invocation takes
/// them, and no retry attempt is spent), or, when the queue refuses, retried in a minute.
async fn hand_on(ctx: &Ctx<'_>, config: &Config, deferred: Vec<(worker::RawMessage, String)>) {
    // Fewer than a consumer batch (`max_batch_size`, 100 at most) of messages of ids and inbox
    // URLs: inside one `sendBatch`'s 100 messages and 256 KB.
    let bodies: Vec<String> = deferred.iter().filter(|(_, body)| serde_json::from_str::<serde::de::IgnoredAny>(body).is_ok()).map(|(_, body)| body.clone()).collect();
    match ctx.queue.send_all(bodies).await {
        Ok(()) => deferred.iter().for_each(|(message, _)| message.ack()),
        Err(e) => {
            crate::ctx::log_error(&format!("federation: {} messages left for a retry ({e})", deferred.len()));
            let later = QueueRetryOptionsBuilder::new().with_delay_seconds(config.retry_base_seconds.max(60)).build();
            deferred.iter().for_each(|(message, _)| message.retry_with_options(&later));
        }
    }
}

/// Housekeeping every few minutes (wrangler.toml `crons`).
#[event(scheduled)]
async fn scheduled(_event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    let parts = match Parts::from_env(&env) {
        Ok(parts) => parts,
        Err(e) => return crate::ctx::log_error(&e),
    };
    if let Err(e) = crate::housekeeping::run(&parts.ctx()).await {
        crate::ctx::log_error(&format!("housekeeping: {e}"));
    }
    hand_live(&env, &parts).await;
    if let Some(budget) = parts.budget() {
        crate::ctx::log_info(&format!("budget cron: {budget}"));
    }
}

/// What a queue or cron invocation changed, to Web Push and the streaming hub before the
/// invocation ends.
async fn hand_live(env: &Env, parts: &Parts) {
    let happenings = parts.live.take();
    if !happenings.is_empty() {
        push_for(&parts.ctx(), &happenings).await;
        Meter::add(&parts.meter.fetches, 1);
        publish_live(env, &happenings).await;
    }
}

/// New notifications, queued for the Web Push subscriptions that want them. A failure here
/// (the queue's quota is handled by `app::jobs`) loses pushes, never data: logged.
async fn push_for(ctx: &Ctx<'_>, happenings: &[crate::domain::streams::Happening]) {
    if let Err(e) = crate::app::push::queue_for(ctx, happenings).await {
        crate::ctx::log_error(&format!("web push: {e}"));
    }
}

/// Streaming is best effort: a hub that cannot be reached loses live updates, never data.
async fn publish_live(env: &Env, happenings: &[crate::domain::streams::Happening]) {
    if let Err(e) = hub::publish(env, happenings).await {
        crate::ctx::log_error(&format!("streaming hub: {e}"));
    }
}

/// The request without its body, which `read_body` adds once `router::admit` allowed it.
fn to_head(req: &worker::Request) -> worker::Result<http::Request> {
    let url = req.url()?;
    let path = percent_encoding::percent_decode_str(url.path()).decode_utf8_lossy().into_owned();
    let headers = req.headers().entries().map(|(name, value)| (name.to_ascii_lowercase(), value)).collect();
    Ok(http::Request {
        method: http::Method::parse(req.method().as_ref()),
        path,
        query: url.query().unwrap_or("").to_string(),
        headers,
        body: Vec::new(),
    })
}

/// The body, read as a stream and given up as soon as it passes `limit`: a chunked body
/// declares no length, so only reading tells how long it is.
async fn read_body(req: &mut worker::Request, head: &http::Request, limit: usize) -> Result<Vec<u8>, ApiError> {
    use futures_util::StreamExt;
    if matches!(head.method, http::Method::Get | http::Method::Head) {
        return Ok(Vec::new());
    }
    // A request without a body has no stream.
    let Ok(stream) = req.stream() else { return Ok(Vec::new()) };
    let mut stream = std::pin::pin!(stream);
    let mut body = BodyReader::new(head, limit);
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| ApiError::BadRequest(format!("The request body could not be read: {e}")))?;
        body.push(&chunk)?;
    }
    Ok(body.into_bytes())
}

fn to_worker_response(response: http::Response) -> worker::Result<worker::Response> {
    let headers = Headers::new();
    for (name, value) in &response.headers {
        headers.append(name, value)?;
    }
    Ok(worker::Response::from_bytes(response.body)?.with_status(response.status).with_headers(headers))
}
