//! `/admin/domain_blocks`: the instance's domain blocks (the list, a new block, changing and
//! lifting one, blocklist import and export, the allow-list mode), through the same use cases
//! as `/api/v1/admin/domain_blocks` (`app::moderation`).
use askama::Template;

use super::{deleting, submit, AdminPage};
use crate::web::signed_in;
use crate::web::views::date_label;
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

struct AllowView {
    id: i64,
    domain: String,
    created: String,
}

#[derive(Template)]
#[template(path = "admin_domain_blocks.html")]
struct BlocksPage<'a> {
    instance_title: &'a str,
    csrf_token: &'a str,
    blocks: Vec<BlockView>,
    error: Option<String>,
    notice: Option<String>,
    severities: &'a [(&'a str, &'a str)],
    allow_list_mode: bool,
    allows: Vec<AllowView>,
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

/// The blocks, the allow-list mode and its domains: one D1 round trip.
pub(super) async fn page(ctx: &Ctx<'_>, csrf_token: &str, status: u16, error: Option<String>, notice: Option<String>) -> Result<Response, ApiError> {
    use crate::store::db::decode;
    use crate::store::instance_domain_allows::{self as allows, AllowRow, ModeRow};
    let mut answers = ctx.db.batch_rows(&[store::all_query(), allows::mode_query(), allows::all_query()]).await?.into_iter();
    let blocks = decode::<BlockRow>(answers.next().unwrap_or_default())?.into_iter().map(view).collect();
    let allow_list_mode = decode::<ModeRow>(answers.next().unwrap_or_default())?.pop().is_some_and(|m| m.allow_list_mode);
    let allows = decode::<AllowRow>(answers.next().unwrap_or_default())?
        .into_iter()
        .map(|a| AllowView { id: a.id, created: date_label(a.created_at), domain: a.domain })
        .collect();
    let page = BlocksPage { instance_title: &ctx.config.title, csrf_token, blocks, error, notice, severities: SEVERITIES, allow_list_mode, allows };
    Ok(signed_in::private(crate::web::render(status, &page)))
}

/// `GET /admin/domain_blocks`; after an import, `?imported=N&kept=M` says what it did.
pub async fn index(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    let session = match signed_in::require(ctx, req).await? {
        Ok(session) => session,
        Err(away) => return Ok(away),
    };
    let query = req.query_params();
    let count = |name: &str| query.str(name).and_then(|n| n.parse::<usize>().ok());
    // Only numbers are read back, so that a link cannot put words on the page.
    let notice = count("imported").map(|n| format!("Imported {n} blocks; {} domains were already blocked and kept as they were.", count("kept").unwrap_or(0)));
    page(ctx, &session.csrf_token(), 200, None, notice).await
}

/// `GET /admin/export_domain_blocks/export.csv`: every block, as Mastodon exports them.
pub async fn export_blocks(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    if let Err(away) = signed_in::require(ctx, req).await? {
        return Ok(away);
    }
    let csv = moderation::export(ctx).await?;
    let response = Response::new(200, "text/csv; charset=utf-8", csv.into_bytes())
        .header("Content-Disposition", "attachment; filename=\"domain_blocks.csv\"");
    Ok(signed_in::private(response))
}

/// `POST /admin/export_domain_blocks/import` (multipart, the file as `data`): all or nothing.
pub async fn import_blocks(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    let (session, params) = match signed_in::form(ctx, req).await? {
        Ok(checked) => checked,
        Err(refused) => return Ok(refused),
    };
    let file = params.file("data").map(|f| f.data.clone()).or_else(|| params.str("data").map(String::into_bytes)).unwrap_or_default();
    match moderation::import(ctx, &file).await {
        Ok(done) => Ok(Response::redirect(303, &format!("/admin/domain_blocks?imported={}&kept={}", done.created, done.kept.len()))),
        Err(Error::Invalid(why)) => page(ctx, &session.csrf_token(), 422, Some(why), None).await,
        Err(e) => Err(e.into()),
    }
}

/// `POST /admin/allow_list_mode` (`enabled` ticked or not).
pub async fn allow_list_mode(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    submit(ctx, req, AdminPage::DomainBlocks, async |params: &Params| {
        moderation::set_allow_list_mode(ctx, params.str("enabled").is_some_and(|v| v != "0")).await
    })
    .await
}

/// `POST /admin/domain_allows`
pub async fn create_allow(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    submit(ctx, req, AdminPage::DomainBlocks, async |params: &Params| {
        moderation::allow(ctx, &params.str("domain").unwrap_or_default()).await.map(|_| ())
    })
    .await
}

/// `DELETE /admin/domain_allows/:id` (a form's `POST` with `_method`).
pub async fn delete_allow(ctx: &Ctx<'_>, req: &Request, id: &str) -> Result<Response, ApiError> {
    let id = crate::domain::ids::parse(id).ok_or(ApiError::NotFound)?;
    submit(ctx, req, AdminPage::DomainBlocks, async |_: &Params| moderation::disallow(ctx, id).await).await
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
    submit(ctx, req, AdminPage::DomainBlocks, async |params: &Params| {
        moderation::create(ctx, &params.str("domain").unwrap_or_default(), command(params)?).await.map(|_| ())
    })
    .await
}

/// `PUT /admin/domain_blocks/:id`, or `DELETE` (a form's `POST` with `_method`).
pub async fn change(ctx: &Ctx<'_>, req: &Request, id: &str) -> Result<Response, ApiError> {
    let id = crate::domain::ids::parse(id).ok_or(ApiError::NotFound)?;
    submit(ctx, req, AdminPage::DomainBlocks, async |params: &Params| {
        if deleting(req, params) {
            moderation::remove(ctx, id).await
        } else {
            moderation::update(ctx, id, command(params)?).await.map(|_| ())
        }
    })
    .await
}
