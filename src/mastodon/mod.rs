//! The Mastodon REST API and OAuth 2, one file per resource. Handlers parse and authorize, turn
//! parameters into typed commands for the use cases in `app/` (or read through `store/`), and
//! render entities; they never build SQL or name `worker` types.
pub mod accounts;
pub mod admin;
pub mod admin_reports;
pub mod announcements;
pub mod apps;
pub mod archive;
pub mod conversations;
pub mod domain_blocks;
pub mod entities;
pub mod exports;
pub mod filters;
pub mod imports;
pub mod instance;
pub mod lists;
pub mod markers;
pub mod media;
pub mod migration;
pub mod notifications;
pub mod oauth;
pub mod polls;
pub mod push;
pub mod relationships;
pub mod reports;
pub mod scheduled_statuses;
pub mod search;
pub mod streaming;
pub mod statuses;
pub mod tags;
pub mod timelines;

#[cfg(test)]
mod round_trips;

use serde::Serialize;

use crate::ctx::Ctx;
use crate::domain::paging;
use crate::edge::http::{Request, Response};

/// A page of a list, with the `Link` header that leads to the pages around it. `ids` are the
/// pagination keys of the items in response order (newest first).
pub fn paginated(ctx: &Ctx<'_>, req: &Request, body: &impl Serialize, ids: &[i64]) -> Response {
    let params: Vec<(String, String)> =
        form_urlencoded::parse(req.query.as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
    let response = Response::json(200, body);
    match paging::link_header(&ctx.config.public_url, &req.path, &params, ids) {
        Some(link) => response.header("Link", &link),
        None => response,
    }
}
