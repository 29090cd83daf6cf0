//! The admin's pages (`/admin/…`, Mastodon's paths; docs/web.md, "Administration"). For now the
//! instance's domain blocks: the list, a new block, changing and lifting one. Each form goes
//! through the same use cases as `/api/v1/admin/domain_blocks` (`app::moderation`).
use askama::Template;

use super::signed_in;
use super::views::date_label;
use crate::app::error::Error;
use crate::app::moderation::{self, BlockDomain};
use crate::ctx::Ctx;
use crate::domain::moderation::Severity;
use crate::edge::error::ApiError;
use crate::edge::http::{Request, Response};
use crate::edge::params::Params;
use crate::store::instance_domain_blocks::{self as store, BlockRow};

struct BlockView {
    id: i64,
    domain: String,
    severity: &'static str,
    reject_media: bool,
    reject_reports: bool,
    obfuscate: bool,
    private_comment: String,
    public_comment: String,
    created: String,
}

#[derive(Template)]
#[template(path = "admin_domain_blocks.html")]
struct BlocksPage<'a> {
    instance_title: &'a str,
    csrf_token: &'a str,
    blocks: Vec<BlockView>,
    error: Option<String>,
    severities: &'a [(&'a str, &'a str)],
}

/// What each severity is called on the page, in the order it offers them.
const SEVERITIES: &[(&str, &str)] = &[("silence", "Limit"), ("suspend", "Suspend"), ("noop", "None")];

fn view(row: BlockRow) -> BlockView {
    BlockView {
        id: row.id,
        severity: Severity::parse(&row.severity).unwrap_or(Severity::Noop).as_str(),
        domain: row.domain,
        reject_media: row.reject_media,
        reject_reports: row.reject_reports,
        obfuscate: row.obfuscate,
        private_comment: row.private_comment.unwrap_or_default(),
        public_comment: row.public_comment.unwrap_or_default(),
        created: date_label(row.created_at),
    }
}

async fn page(ctx: &Ctx<'_>, csrf_token: &str, status: u16, error: Option<String>) -> Result<Response, ApiError> {
    let blocks = store::all(ctx.db).await?.into_iter().map(view).collect();
    let page = BlocksPage { instance_title: &ctx.config.title, csrf_token, blocks, error, severities: SEVERITIES };
    Ok(signed_in::private(super::render(status, &page)))
}

/// `GET /admin/domain_blocks`
pub async fn domain_blocks(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    match signed_in::require(ctx, req).await? {
        Ok(session) => page(ctx, &session.csrf_token(), 200, None).await,
        Err(away) => Ok(away),
    }
}

/// The block a form describes. Unlike the API's, an unticked box means no (a form sends nothing
/// for it).
fn command(params: &Params) -> Result<BlockDomain, Error> {
    let severity = params.str("severity").unwrap_or_default();
    let ticked = |name: &str| params.str(name).is_some_and(|v| v != "0");
    Ok(BlockDomain {
        severity: Severity::parse(&severity).ok_or_else(|| Error::Invalid(format!("Severity is not valid: {severity}")))?,
        reject_media: ticked("reject_media"),
        reject_reports: ticked("reject_reports"),
        private_comment: params.str("private_comment"),
        public_comment: params.str("public_comment"),
        obfuscate: ticked("obfuscate"),
    })
}

/// `POST /admin/domain_blocks`
pub async fn create(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    let (session, params) = match signed_in::form(ctx, req).await? {
        Ok(checked) => checked,
        Err(refused) => return Ok(refused),
    };
    let domain = params.str("domain").unwrap_or_default();
    let done = match command(&params) {
        Ok(command) => moderation::create(ctx, &domain, command).await.map(|_| ()),
        Err(e) => Err(e),
    };
    finish(ctx, &session.csrf_token(), done).await
}

/// `PUT /admin/domain_blocks/:id`, or `DELETE` (a form's `POST` with `_method`).
pub async fn change(ctx: &Ctx<'_>, req: &Request, id: &str) -> Result<Response, ApiError> {
    let (session, params) = match signed_in::form(ctx, req).await? {
        Ok(checked) => checked,
        Err(refused) => return Ok(refused),
    };
    let id = crate::domain::ids::parse(id).ok_or(ApiError::NotFound)?;
    let deleting = req.method == crate::edge::http::Method::Delete || params.str("_method").as_deref() == Some("delete");
    let done = if deleting {
        moderation::remove(ctx, id).await
    } else {
        match command(&params) {
            Ok(command) => moderation::update(ctx, id, command).await.map(|_| ()),
            Err(e) => Err(e),
        }
    };
    finish(ctx, &session.csrf_token(), done).await
}

/// Back to the list after a change; the list again with the reason after a refusal.
async fn finish(ctx: &Ctx<'_>, csrf_token: &str, done: Result<(), Error>) -> Result<Response, ApiError> {
    match done {
        Ok(()) => Ok(Response::redirect(303, "/admin/domain_blocks")),
        Err(Error::Invalid(why)) => page(ctx, csrf_token, 422, Some(why)).await,
        Err(e) => Err(e.into()),
    }
}
