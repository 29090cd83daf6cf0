//! Topi: a single-user, Mastodon-compatible server that runs as one Cloudflare Worker.
//!
//! Module map (dependencies point down the list; see shared/STYLE.md §1):
//! - `platform/`   [wasm32 only] the only code that names `worker::*`: bindings, D1, WebCrypto,
//!   and the `#[event]` entry points' translation to and from plain types.
//! - `router/`     the route table, request parsing (Rails-style params), auth, errors → HTTP.
//! - `mastodon/`   the Mastodon REST API and OAuth, one file per resource; `entities/` are the
//!   JSON shapes clients decode.
//! - `activitypub/` the protocol: WebFinger, NodeInfo, actors, collections, the inbox's
//!   verification; pure `vocab` (reading peers' JSON), `build` (our activities), `signatures`
//!   (HTTP signatures) and `proofs` (FEP-8b32).
//! - `web/`        server-rendered pages (OAuth consent, profile); templates in `frontend/`.
//! - `owner`       the instance's one local user, created at first start.
//! - `federation/` events that local writes publish through the queue, their consumer
//!   (`outbound` → `deliver`), applying inbound activities, fetching remote actors and objects.
//! - `housekeeping` what the cron trigger does: ending polls, publishing scheduled posts, retrying
//!   deliveries held for peers that were down.
//! - `store/`      D1 queries, one module per aggregate; schema in `migrations/`.
//! - `content/`    text → HTML rendering; sanitizing remote HTML.
//! - `crypto/`     tokens, password hashes, PKCE, key encodings.
//! - `domain/`     small pure rules: ids, time, scopes.
//! - `ctx`, `config` the seams every handler receives.
pub mod activitypub;
pub mod app;
pub mod config;
pub mod content;
pub mod crypto;
pub mod ctx;
pub mod domain;
pub mod edge;
pub mod federation;
pub mod housekeeping;
pub mod mastodon;
pub mod router;
pub mod store;
pub mod web;

#[cfg(target_arch = "wasm32")]
mod platform;

#[cfg(test)]
mod testing;
