//! The import page (`/settings/imports`, Mastodon's path; docs/web.md "Settings"): the recent
//! imports with their progress and failures file, and the upload form, which starts an import
//! through `app::imports::start` as `POST /api/v1/topi/imports` does.
use askama::Template;

use super::signed_in;
use super::views::date_label;
use crate::app::error::Error;
use crate::app::imports::{self, Kind, NewImport, ROWS_PER_DAY};
use crate::ctx::Ctx;
use crate::edge::body::MAX_BODY_BYTES;
use crate::edge::error::ApiError;
use crate::edge::http::{Request, Response};

/// Imports listed on the page.
const LISTED: i64 = 20;

/// Each kind as Mastodon's import page names it.
const KINDS: &[(&str, &str)] = &[
    ("following", "Following list"),
    ("blocking", "Blocking list"),
    ("muting", "Muting list"),
    ("domain_blocking", "Domain blocking list"),
    ("bookmarks", "Bookmarks"),
    ("lists", "Lists"),
];

struct ImportView {
    id: i64,
    filename: String,
    kind: &'static str,
    mode: &'static str,
    state: String,
    error: Option<String>,
    processed: i64,
    total: i64,
    failed: i64,
    created: String,
}

#[derive(Template)]
#[template(path = "imports.html")]
struct ImportsPage<'a> {
    instance_title: &'a str,
    csrf_token: &'a str,
    error: Option<String>,
    kinds: &'a [(&'a str, &'a str)],
    imports: Vec<ImportView>,
    rows_per_day: i64,
    max_kb: usize,
}

async fn page(ctx: &Ctx<'_>, account_id: i64, csrf_token: &str, status: u16, error: Option<String>) -> Result<Response, ApiError> {
    let imports = imports::list(ctx, account_id, LISTED)
        .await?
        .into_iter()
        .map(|import| ImportView {
            id: import.id,
            kind: KINDS.iter().find(|(value, _)| *value == import.kind).map_or("Unknown", |(_, label)| label),
            mode: if import.overwrite { "overwrite" } else { "merge" },
            processed: import.processed_items(),
            total: import.total_items,
            failed: import.failed_items,
            created: date_label(import.created_at),
            filename: if import.original_filename.is_empty() { "(pasted text)".into() } else { import.original_filename },
            state: import.state.replace('_', " "),
            error: import.error,
        })
        .collect();
    let page = ImportsPage {
        instance_title: &ctx.config.title,
        csrf_token,
        error,
        kinds: KINDS,
        imports,
        rows_per_day: ROWS_PER_DAY,
        max_kb: MAX_BODY_BYTES / 1024,
    };
    Ok(signed_in::private(super::render(status, &page)))
}

/// `GET /settings/imports`
pub async fn index(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    let session = match signed_in::require(ctx, req).await? {
        Ok(session) => session,
        Err(away) => return Ok(away),
    };
    page(ctx, session.row.account_id, &session.csrf_token(), 200, None).await
}

/// `POST /settings/imports` (multipart: `type`, `mode`, `data`)
pub async fn create(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    let (session, params) = match signed_in::form(ctx, req).await? {
        Ok(checked) => checked,
        Err(refused) => return Ok(refused),
    };
    let kind = params.str("type").as_deref().and_then(Kind::parse);
    let overwrite = params.str("mode").as_deref() == Some("overwrite");
    let started = match (kind, params.file("data").filter(|file| !file.data.is_empty())) {
        (None, _) => Err(Error::Invalid("Choose what the file holds".into())),
        (_, None) => Err(Error::Invalid("Choose a file to import".into())),
        (Some(kind), Some(file)) => {
            imports::start(ctx, session.row.account_id, NewImport { kind, overwrite, filename: &file.filename, bytes: &file.data }).await.map(|_| ())
        }
    };
    match started {
        Ok(()) => Ok(Response::redirect(303, "/settings/imports")),
        Err(Error::Invalid(why)) => page(ctx, session.row.account_id, &session.csrf_token(), 422, Some(why)).await,
        Err(error) => Err(error.into()),
    }
}
