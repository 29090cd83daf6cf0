//! Topi: a single-user, Mastodon-compatible server that runs as one Cloudflare Worker.
//!
//! ## Layers
//! Top to bottom. Code in a module may name (`crate::x`) only modules of the layers below its
//! own: never its own layer's, never one above. `tests/layers.rs` reads this list and fails the
//! build's tests when an import breaks it (test code is exempt: it drives the whole stack).
//! 1. `platform` — [wasm32 only] the entry points and the only code that names `worker::*`:
//!    bindings into `Ctx`, `worker::Request` into `edge::http::Request`, and back.
//! 2. `router` — the one table of every path and its handler; the only importer of surfaces.
//! 3. `mastodon` `federation` `web` `housekeeping` — the surfaces, one per kind of caller:
//!    the Mastodon REST API and OAuth (`entities/` are its JSON shapes); what other servers see
//!    and send (WebFinger, NodeInfo, actors, collections, the inbox, the queue consumer that
//!    delivers); server-rendered pages (templates in `frontend/`); the cron. A surface parses
//!    its input into typed commands, calls use cases, and renders their results.
//! 4. `edge` — HTTP shared by the surfaces: request/response types, Rails-style params, bearer
//!    auth, body limits, and `ApiError`, the one error type that becomes a response.
//! 5. `app` — the use cases every surface calls (posting, polls, the owner's account, remote
//!    actors and posts, queue jobs, our objects as ActivityStreams documents); typed commands
//!    in, `app::error::Error` (refuse, or retry later) out; no HTTP.
//! 6. `ctx` — the seams a use case touches, as traits: `Db`, `Queue`, `Blobs`, `HttpClient`,
//!    `Crypto`, `Clock`, and the isolate cache; `platform/` implements them, tests fake them.
//! 7. `store` — D1 queries, one module per aggregate, returning rows and write batches.
//! 8. `activitypub` — the protocol, pure: vocabulary, building activities, HTTP signatures,
//!    FEP-8b32 proofs, WebFinger resources.
//! 9. `config` `content` `crypto` — configuration read once; text → HTML and sanitizing remote
//!    HTML; tokens, password hashes and key encodings.
//! 10. `domain` — small pure rules: ids, time, paging, visibility, scopes, usernames, OAuth.
//!
//! Where new code goes: a new way in (streaming on a Durable Object, Web Push endpoints, the
//! owner's web pages, imports) is a surface, or a `platform` entry point for a new binding;
//! what it *does* is a use case in `app/`, shared with the other surfaces; a new binding is a
//! trait in `ctx` implemented in `platform/`; new tables are a `store/` module.
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
