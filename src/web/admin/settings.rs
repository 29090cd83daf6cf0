//! `/admin/settings`: the site settings, its pictures, the terms of service and the rules
//! (`app::instance`).
use askama::Template;

use super::{show, submit, AdminPage};
use crate::web::signed_in;
use crate::ctx::Ctx;
use crate::edge::error::ApiError;
use crate::edge::http::{Request, Response};
use crate::edge::params::Params;

#[derive(Template)]
#[template(path = "admin_settings.html")]
struct SettingsPage<'a> {
    instance_title: &'a str,
    csrf_token: &'a str,
    description: String,
    extended_description: String,
    contact_email: String,
    privacy_policy: String,
    terms_of_service: String,
    thumbnail_url: Option<String>,
    icon_url: Option<String>,
    max_image_mb: usize,
    rules: Vec<crate::store::instance::RuleRow>,
    error: Option<String>,
}

pub(super) async fn page(ctx: &Ctx<'_>, csrf_token: &str, status: u16, error: Option<String>) -> Result<Response, ApiError> {
    let summary = crate::app::instance::summary(ctx).await?;
    let site = crate::app::instance::site_of(ctx, &summary);
    let saved = summary.site.clone().unwrap_or_default();
    let page = SettingsPage {
        instance_title: &ctx.config.title,
        csrf_token,
        description: saved.description.unwrap_or_default(),
        extended_description: saved.extended_description.unwrap_or_default(),
        contact_email: saved.contact_email.unwrap_or_default(),
        privacy_policy: saved.privacy_policy.unwrap_or_default(),
        terms_of_service: saved.terms_of_service.unwrap_or_default(),
        thumbnail_url: site.thumbnail_url,
        icon_url: site.icon.map(|(url, _)| url),
        max_image_mb: crate::app::instance::MAX_SITE_IMAGE_BYTES / (1024 * 1024),
        rules: summary.rules,
        error,
    };
    Ok(signed_in::private(crate::web::render(status, &page)))
}

/// `GET /admin/settings`: what `/about` and the instance entities say, and the rules.
pub async fn index(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    show(ctx, req, AdminPage::Settings).await
}

/// `PUT /admin/settings`
pub async fn save_settings(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    submit(ctx, req, AdminPage::Settings, async |params: &Params| {
        let text = |name: &str| params.str(name).unwrap_or_default();
        let settings = crate::app::instance::SiteSettings {
            description: text("description"),
            extended_description: text("extended_description"),
            contact_email: text("contact_email"),
            privacy_policy: text("privacy_policy"),
            terms_of_service: text("terms_of_service"),
        };
        crate::app::instance::save_site(ctx, settings).await
    })
    .await
}

/// `POST /admin/settings/images` (multipart): the thumbnail and the icon, each replaced by an
/// uploaded file or removed by its box; a file input left empty changes nothing.
pub async fn save_site_images(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    use crate::store::instance::SiteImage;
    submit(ctx, req, AdminPage::Settings, async |params: &Params| {
        let forms = [(SiteImage::Thumbnail, "thumbnail", "remove_thumbnail"), (SiteImage::Icon, "icon", "remove_icon")];
        // Both checked before either is saved: a refused form changes nothing.
        for (_, field, _) in forms {
            if let Some(file) = params.file(field).filter(|file| !file.data.is_empty()) {
                crate::app::media::check_image(&file.upload(), field, crate::app::instance::MAX_SITE_IMAGE_BYTES)?;
            }
        }
        for (image, field, remove) in forms {
            match params.file(field).filter(|file| !file.data.is_empty()) {
                Some(file) => crate::app::instance::set_site_image(ctx, image, Some(file.upload())).await?,
                None if params.str(remove).as_deref() == Some("1") => crate::app::instance::set_site_image(ctx, image, None).await?,
                None => {}
            }
        }
        Ok(())
    })
    .await
}

/// `POST /admin/rules`
pub async fn add_rule(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    submit(ctx, req, AdminPage::Settings, async |params: &Params| {
        crate::app::instance::add_rule(ctx, &params.str("text").unwrap_or_default(), &params.str("hint").unwrap_or_default()).await
    })
    .await
}

/// `DELETE /admin/rules/:id`
pub async fn delete_rule(ctx: &Ctx<'_>, req: &Request, id: &str) -> Result<Response, ApiError> {
    let id = crate::domain::ids::parse(id).ok_or(ApiError::NotFound)?;
    submit(ctx, req, AdminPage::Settings, async |_: &Params| crate::app::instance::delete_rule(ctx, id).await).await
}
