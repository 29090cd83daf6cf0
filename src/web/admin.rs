//! The admin's pages (`/admin/…`, Mastodon's paths; docs/web.md, "Administration"): the
//! instance's domain blocks (the list, a new block, changing and lifting one, blocklist import
//! and export, the allow-list mode; through the same use cases as
//! `/api/v1/admin/domain_blocks`, `app::moderation`), announcements (written, scheduled, edited,
//! deleted; `app::announcements`), and custom emoji (uploaded, turned on and off, shown in or
//! hidden from the picker, categorised, deleted; `app::custom_emojis`).
use askama::Template;

use super::signed_in;
use super::views::date_label;
use crate::app::announcements::{self, Announcement};
use crate::app::custom_emojis;
use crate::app::error::Error;
use crate::app::moderation::{self, BlockDomain};
use crate::ctx::Ctx;
use crate::domain::moderation::Severity;
use crate::domain::time::{iso8601, parse_iso8601};
use crate::edge::error::ApiError;
use crate::edge::http::{Request, Response};
use crate::edge::params::Params;
use crate::store::announcements::{self as announcement_store, DraftRow};
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
async fn page(ctx: &Ctx<'_>, csrf_token: &str, status: u16, error: Option<String>, notice: Option<String>) -> Result<Response, ApiError> {
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
    Ok(signed_in::private(super::render(status, &page)))
}

/// `GET /admin/domain_blocks`; after an import, `?imported=N&kept=M` says what it did.
pub async fn domain_blocks(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
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

struct AnnouncementView {
    id: i64,
    text: String,
    content: String,
    starts_at: String,
    ends_at: String,
    all_day: bool,
    /// `now` (shown), `later` (scheduled) or `draft`.
    state: &'static str,
    publish_at: String,
    updated: String,
}

#[derive(Template)]
#[template(path = "admin_announcements.html")]
struct AnnouncementsPage<'a> {
    instance_title: &'a str,
    csrf_token: &'a str,
    announcements: Vec<AnnouncementView>,
    error: Option<String>,
}

/// A time as a `datetime-local` field holds it (UTC, to the minute); empty for none.
fn field_time(ms: Option<i64>) -> String {
    ms.map(|ms| iso8601(ms)[..16].to_string()).unwrap_or_default()
}

/// A `datetime-local` field's value, read as UTC (the page says so). Empty means none.
fn time_field(params: &Params, name: &str, label: &str) -> Result<Option<i64>, Error> {
    match params.str(name).map(|v| v.trim().to_string()).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(value) => {
            let full = if value.len() == 16 { format!("{value}:00Z") } else { format!("{value}Z") };
            parse_iso8601(&full).map(Some).ok_or_else(|| Error::Invalid(format!("{label} is not a date and time: {value}")))
        }
    }
}

fn announcement_view(row: DraftRow, now: i64) -> AnnouncementView {
    let state = match row.published_at {
        None => "draft",
        Some(at) if at > now => "later",
        Some(_) => "now",
    };
    AnnouncementView {
        id: row.id,
        starts_at: field_time(row.starts_at),
        ends_at: field_time(row.ends_at),
        publish_at: field_time(row.published_at.filter(|at| *at > now)),
        updated: date_label(row.updated_at),
        text: row.text,
        content: row.content,
        all_day: row.all_day,
        state,
    }
}

async fn announcements_page(ctx: &Ctx<'_>, csrf_token: &str, status: u16, error: Option<String>) -> Result<Response, ApiError> {
    let now = ctx.now_ms();
    let announcements = announcement_store::all(ctx.db).await?.into_iter().map(|row| announcement_view(row, now)).collect();
    let page = AnnouncementsPage { instance_title: &ctx.config.title, csrf_token, announcements, error };
    Ok(signed_in::private(super::render(status, &page)))
}

/// `GET /admin/announcements`
pub async fn announcements(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    show(ctx, req, AdminPage::Announcements).await
}

fn announcement(ctx: &Ctx<'_>, params: &Params) -> Result<Announcement, Error> {
    let publish_at = match params.str("publish").as_deref() {
        Some("now") | None => Some(ctx.now_ms()),
        Some("later") => Some(time_field(params, "publish_at", "Publish at")?.ok_or_else(|| Error::Invalid("Publish at can't be blank when scheduling".into()))?),
        Some("draft") => None,
        Some(other) => return Err(Error::Invalid(format!("Publish is not valid: {other}"))),
    };
    Ok(Announcement {
        text: params.str("text").unwrap_or_default(),
        starts_at: time_field(params, "starts_at", "Starts at")?,
        ends_at: time_field(params, "ends_at", "Ends at")?,
        all_day: params.str("all_day").is_some_and(|v| v != "0"),
        publish_at,
    })
}

/// `POST /admin/announcements`
pub async fn create_announcement(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    submit(ctx, req, AdminPage::Announcements, async |params: &Params| {
        announcements::create(ctx, announcement(ctx, params)?).await.map(|_| ())
    })
    .await
}

/// `PUT /admin/announcements/:id`, or `DELETE` (a form's `POST` with `_method`).
pub async fn change_announcement(ctx: &Ctx<'_>, req: &Request, id: &str) -> Result<Response, ApiError> {
    let id = crate::domain::ids::parse(id).ok_or(ApiError::NotFound)?;
    submit(ctx, req, AdminPage::Announcements, async |params: &Params| {
        if deleting(req, params) {
            announcements::remove(ctx, id).await
        } else {
            announcements::update(ctx, id, announcement(ctx, params)?).await
        }
    })
    .await
}

struct PeerView {
    domain: String,
    software: String,
    down_since: Option<String>,
    last_failure: String,
    last_success: Option<String>,
    failures: i64,
}

struct FailureLine {
    at: String,
    inbox: String,
    activity: String,
    outcome: String,
}

#[derive(Template)]
#[template(path = "admin_federation.html")]
struct FederationPage<'a> {
    instance_title: &'a str,
    csrf_token: &'a str,
    peers: Vec<PeerView>,
    failures: Vec<FailureLine>,
    kept: i64,
    kept_since: Option<String>,
    notice: Option<String>,
}

/// `GET /admin/federation`: peers that are down or refused deliveries, the latest failures and
/// why, and what the queue refused (kept in D1 until the cron sends it).
pub async fn federation(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    let session = match signed_in::require(ctx, req).await? {
        Ok(session) => session,
        Err(away) => return Ok(away),
    };
    federation_page(ctx, &session.csrf_token(), req.query_params().str("retried")).await
}

async fn federation_page(ctx: &Ctx<'_>, csrf_token: &str, retried: Option<String>) -> Result<Response, ApiError> {
    use crate::store::db::decode;
    use crate::store::federation::{health_queries, FailureView, KeptSummary, PeerHealthRow};
    let mut answers = ctx.db.batch_rows(&health_queries()).await?.into_iter();
    let peers = decode::<PeerHealthRow>(answers.next().unwrap_or_default())?
        .into_iter()
        .map(|p| PeerView {
            software: p.software.unwrap_or_default(),
            down_since: p.unreachable_since.map(date_label),
            last_failure: p.last_failure.unwrap_or_default(),
            last_success: p.last_success_at.map(date_label),
            failures: p.failures,
            domain: p.domain,
        })
        .collect();
    let failures = decode::<FailureView>(answers.next().unwrap_or_default())?
        .into_iter()
        .map(|f| FailureLine {
            at: date_label(f.created_at),
            inbox: f.inbox_url,
            activity: f.activity.unwrap_or_default(),
            outcome: match (f.dead_lettered, f.last_status) {
                (1, _) => format!("retries ran out: {}", f.last_error.unwrap_or_default()),
                (_, None) => format!("held: {}", f.last_error.unwrap_or_default()),
                (_, Some(0)) => format!("not sent: {}", f.last_error.unwrap_or_default()),
                (_, Some(status)) => format!("refused, HTTP {status}: {}", f.last_error.unwrap_or_default()),
            },
        })
        .collect();
    let kept = decode::<KeptSummary>(answers.next().unwrap_or_default())?.pop().unwrap_or(KeptSummary { kept: 0, oldest: None });
    let page = FederationPage {
        instance_title: &ctx.config.title,
        csrf_token,
        peers,
        failures,
        kept: kept.kept,
        kept_since: kept.oldest.map(date_label),
        notice: retried,
    };
    Ok(signed_in::private(super::render(200, &page)))
}

/// `POST /admin/federation/:domain/retry`: the peer's held and dead-lettered deliveries are
/// queued again now, and the peer is no longer held.
pub async fn retry_peer(ctx: &Ctx<'_>, req: &Request, domain: &str) -> Result<Response, ApiError> {
    if let Err(refused) = signed_in::form(ctx, req).await? {
        return Ok(refused);
    }
    let domain = crate::domain::moderation::normalize(domain).ok_or(ApiError::NotFound)?;
    let queued = crate::app::jobs::retry_peer(ctx, &domain).await?;
    let notice: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("retried", &format!("{domain}: {queued} deliveries queued again"))
        .finish();
    Ok(Response::redirect(303, &format!("/admin/federation?{notice}")))
}

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

async fn settings_page(ctx: &Ctx<'_>, csrf_token: &str, status: u16, error: Option<String>) -> Result<Response, ApiError> {
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
    Ok(signed_in::private(super::render(status, &page)))
}

/// `GET /admin/settings`: what `/about` and the instance entities say, and the rules.
pub async fn settings(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
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

async fn emojis_page(ctx: &Ctx<'_>, csrf_token: &str, status: u16, error: Option<String>) -> Result<Response, ApiError> {
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
    Ok(signed_in::private(super::render(status, &page)))
}

/// `GET /admin/custom_emojis`
pub async fn custom_emojis(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
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

/// The admin's pages that list something and take forms to change it.
#[derive(Clone, Copy)]
enum AdminPage {
    DomainBlocks,
    Announcements,
    CustomEmojis,
    Settings,
}

impl AdminPage {
    fn path(self) -> &'static str {
        match self {
            AdminPage::DomainBlocks => "/admin/domain_blocks",
            AdminPage::Announcements => "/admin/announcements",
            AdminPage::CustomEmojis => "/admin/custom_emojis",
            AdminPage::Settings => "/admin/settings",
        }
    }

    async fn render(self, ctx: &Ctx<'_>, csrf_token: &str, status: u16, error: Option<String>) -> Result<Response, ApiError> {
        match self {
            AdminPage::DomainBlocks => page(ctx, csrf_token, status, error, None).await,
            AdminPage::Announcements => announcements_page(ctx, csrf_token, status, error).await,
            AdminPage::CustomEmojis => emojis_page(ctx, csrf_token, status, error).await,
            AdminPage::Settings => settings_page(ctx, csrf_token, status, error).await,
        }
    }
}

/// The page for the signed-in admin; strangers go to the sign-in page.
async fn show(ctx: &Ctx<'_>, req: &Request, which: AdminPage) -> Result<Response, ApiError> {
    match signed_in::require(ctx, req).await? {
        Ok(session) => which.render(ctx, &session.csrf_token(), 200, None).await,
        Err(away) => Ok(away),
    }
}

/// A form of one of those pages: checked (session, CSRF token, Origin), applied, then back to
/// the page; a change refused as invalid shows the page again with the reason (422).
async fn submit(ctx: &Ctx<'_>, req: &Request, which: AdminPage, change: impl AsyncFnOnce(&Params) -> Result<(), Error>) -> Result<Response, ApiError> {
    let (session, params) = match signed_in::form(ctx, req).await? {
        Ok(checked) => checked,
        Err(refused) => return Ok(refused),
    };
    match change(&params).await {
        Ok(()) => Ok(Response::redirect(303, which.path())),
        Err(Error::Invalid(why)) => which.render(ctx, &session.csrf_token(), 422, Some(why)).await,
        Err(e) => Err(e.into()),
    }
}

/// Forms send Mastodon's `DELETE` as a `POST` with `_method=delete`.
fn deleting(req: &Request, params: &Params) -> bool {
    req.method == crate::edge::http::Method::Delete || params.str("_method").as_deref() == Some("delete")
}
