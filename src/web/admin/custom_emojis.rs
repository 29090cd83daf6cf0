//! `/admin/custom_emojis`: uploaded, turned on and off, shown in or hidden from the picker,
//! categorised, deleted (`app::custom_emojis`).
use askama::Template;

use super::{deleting, show, submit, AdminPage};
use crate::web::signed_in;
use crate::web::views::date_label;
use crate::app::custom_emojis;
use crate::ctx::Ctx;
use crate::edge::error::ApiError;
use crate::edge::http::{Request, Response};
use crate::edge::params::Params;

struct EmojiView {
    id: i64,
    shortcode: String,
    url: String,
    category: String,
    enabled: bool,
    visible_in_picker: bool,
    created: String,
}

#[derive(Template)]
#[template(path = "admin_custom_emojis.html")]
struct EmojisPage<'a> {
    instance_title: &'a str,
    csrf_token: &'a str,
    emojis: Vec<EmojiView>,
    error: Option<String>,
}

pub(super) async fn page(ctx: &Ctx<'_>, csrf_token: &str, status: u16, error: Option<String>) -> Result<Response, ApiError> {
    let emojis = crate::store::custom_emojis::all(ctx.db)
        .await?
        .into_iter()
        .map(|row| EmojiView {
            id: row.id,
            enabled: !row.disabled,
            visible_in_picker: row.visible_in_picker,
            category: row.category.unwrap_or_default(),
            created: date_label(row.created_at),
            url: row.image_url,
            shortcode: row.shortcode,
        })
        .collect();
    let page = EmojisPage { instance_title: &ctx.config.title, csrf_token, emojis, error };
    Ok(signed_in::private(crate::web::render(status, &page)))
}

/// `GET /admin/custom_emojis`
pub async fn index(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    show(ctx, req, AdminPage::CustomEmojis).await
}

/// `POST /admin/custom_emojis`: a multipart form with the image. Its body is held to the
/// ordinary 1 MiB limit before anyone is known (`edge::body`), which a 256 KB image fits.
pub async fn upload_emoji(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    submit(ctx, req, AdminPage::CustomEmojis, async |params: &Params| {
        let image = params.file("image").map(|f| f.data.as_slice()).unwrap_or_default();
        let category = params.str("category");
        let upload = custom_emojis::Upload { shortcode: &params.str("shortcode").unwrap_or_default(), category: category.as_deref(), image };
        custom_emojis::create(ctx, upload).await.map(|_| ())
    })
    .await
}

/// `PUT /admin/custom_emojis/:id` (enabled, shown in the picker, category; an unticked box is
/// off), or `DELETE` (a form's `POST` with `_method`).
pub async fn change_emoji(ctx: &Ctx<'_>, req: &Request, id: &str) -> Result<Response, ApiError> {
    let id = crate::domain::ids::parse(id).ok_or(ApiError::NotFound)?;
    submit(ctx, req, AdminPage::CustomEmojis, async |params: &Params| {
        if deleting(req, params) {
            return custom_emojis::delete(ctx, id).await;
        }
        let ticked = |name: &str| params.str(name).is_some_and(|v| v != "0");
        let change = custom_emojis::Change {
            enabled: Some(ticked("enabled")),
            visible_in_picker: Some(ticked("visible_in_picker")),
            category: Some(custom_emojis::category(params.str("category").as_deref())?),
        };
        custom_emojis::update(ctx, id, change).await
    })
    .await
}
