//! The Worker's entry points and the only code that names `worker::*`. Everything here
//! translates: bindings into `Ctx`, `worker::Request` into `router::http::Request`, and back.
mod d1;
mod webcrypto;

use std::sync::OnceLock;

use worker::{event, Context, Env, Headers, ScheduleContext, ScheduledEvent};

use crate::config::Config;
use crate::ctx::{Clock, Ctx, IsolateCache};
use crate::domain::ids::IdGenerator;
use crate::router::{self, http};

/// Binding names, as declared in wrangler.toml.
const DB_BINDING: &str = "DB";

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
}

thread_local! {
    // A Worker isolate runs one thread, and this lives as long as the isolate.
    static ISOLATE: &'static Isolate =
        Box::leak(Box::new(Isolate { ids: IdGenerator::new(webcrypto::random_u16()), cache: IsolateCache::default() }));
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
async fn fetch(req: worker::Request, env: Env, _ctx: Context) -> worker::Result<worker::Response> {
    static NO_CONFIG: OnceLock<()> = OnceLock::new();
    let config = match config(&env) {
        Ok(config) => config,
        Err(e) => {
            NO_CONFIG.get_or_init(|| router::error::log_error(&e.to_string()));
            return worker::Response::error(format!("Topi is not configured: {e}"), 500);
        }
    };
    let db = d1::D1(env.d1(DB_BINDING)?);
    let crypto = webcrypto::WebCrypto;
    let request = to_request(req).await?;
    let isolate = ISOLATE.with(|isolate| *isolate);
    let ctx = Ctx { config: &config, db: &db, crypto: &crypto, clock: &JsClock, ids: &isolate.ids, cache: &isolate.cache };
    to_worker_response(router::dispatch(&ctx, request).await)
}

#[event(scheduled)]
async fn scheduled(_event: ScheduledEvent, _env: Env, _ctx: ScheduleContext) {
    // TODO(#3): publish scheduled statuses and close expired polls here.
}

async fn to_request(mut req: worker::Request) -> worker::Result<http::Request> {
    let url = req.url()?;
    let path = percent_encoding::percent_decode_str(url.path()).decode_utf8_lossy().into_owned();
    let headers = req.headers().entries().map(|(name, value)| (name.to_ascii_lowercase(), value)).collect();
    let body = match req.method() {
        worker::Method::Get | worker::Method::Head => Vec::new(),
        _ => req.bytes().await.unwrap_or_default(),
    };
    Ok(http::Request {
        method: http::Method::parse(req.method().as_ref()),
        path,
        query: url.query().unwrap_or("").to_string(),
        headers,
        body,
    })
}

fn to_worker_response(response: http::Response) -> worker::Result<worker::Response> {
    let headers = Headers::new();
    for (name, value) in &response.headers {
        headers.append(name, value)?;
    }
    Ok(worker::Response::from_bytes(response.body)?.with_status(response.status).with_headers(headers))
}
