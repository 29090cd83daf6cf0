//! What the instance tells about itself, to every surface: its software version, the limits
//! posting enforces, and its counts (NodeInfo, the instance entities).
use super::error::Error;
use super::media::{self, Upload};
use crate::ctx::Ctx;
use crate::store;
use crate::store::instance::SiteImage;

pub const SOFTWARE_VERSION: &str = env!("CARGO_PKG_VERSION");
/// The longest status, counted as Mastodon counts (a URL is 23 characters).
pub const MAX_CHARACTERS: u32 = 500;
pub const MAX_MEDIA_ATTACHMENTS: u32 = 4;

/// Counts and rules may be a minute old: they are shown, never acted on.
const SUMMARY_FRESH_MS: i64 = 60_000;

/// Statistics and rules, through the isolate cache.
pub async fn summary(ctx: &Ctx<'_>) -> Result<store::instance::Summary, Error> {
    let now = ctx.now_ms();
    if let Some((loaded_at, summary)) = ctx.cache.instance_summary.borrow().as_ref() {
        if now - loaded_at < SUMMARY_FRESH_MS {
            return Ok(summary.clone());
        }
    }
    let summary = store::instance::summary(ctx.db).await?;
    *ctx.cache.instance_summary.borrow_mut() = Some((now, summary.clone()));
    Ok(summary)
}


/// What the site says about itself: the admin's settings, else configuration.
#[derive(Clone, Debug)]
pub struct Site {
    pub description: String,
    pub extended_description: String,
    pub contact_email: String,
    /// The admin's own policy; `None` shows the default one.
    pub privacy_policy: Option<String>,
    pub updated_at: Option<i64>,
    /// The uploaded thumbnail's URL; `None` shows the default.
    pub thumbnail_url: Option<String>,
    /// The uploaded icon's URL and `WIDTHxHEIGHT`.
    pub icon: Option<(String, String)>,
    /// The terms of service, if the admin wrote any, and when they last changed.
    pub terms_of_service: Option<(String, i64)>,
}

pub async fn site(ctx: &Ctx<'_>) -> Result<Site, Error> {
    Ok(site_of(ctx, &summary(ctx).await?))
}

pub fn site_of(ctx: &Ctx<'_>, summary: &store::instance::Summary) -> Site {
    let row = summary.site.clone().unwrap_or_default();
    let or_config = |value: Option<String>, config: &str| value.filter(|v| !v.is_empty()).unwrap_or_else(|| config.to_string());
    Site {
        extended_description: or_config(row.extended_description, &ctx.config.description),
        description: or_config(row.description, &ctx.config.description),
        contact_email: or_config(row.contact_email, &ctx.config.admin_email),
        privacy_policy: row.privacy_policy.filter(|p| !p.is_empty()),
        updated_at: summary.site.as_ref().map(|s| s.updated_at),
        thumbnail_url: row.thumbnail_key.map(|key| super::profile::media_url(ctx.config, &key)),
        icon: row.icon_key.map(|key| (super::profile::media_url(ctx.config, &key), row.icon_size.unwrap_or_default())),
        terms_of_service: row.terms_of_service.filter(|t| !t.is_empty()).map(|t| (t, row.terms_updated_at.unwrap_or(row.updated_at))),
    }
}

/// The site settings as the admin writes them; an empty field falls back to configuration.
#[derive(Clone, Debug, Default)]
pub struct SiteSettings {
    pub description: String,
    pub extended_description: String,
    pub contact_email: String,
    pub privacy_policy: String,
    pub terms_of_service: String,
}

pub const MAX_DESCRIPTION_CHARS: usize = 500;
pub const MAX_LONG_TEXT_CHARS: usize = 20_000;
pub const MAX_RULES: usize = 30;
pub const MAX_RULE_CHARS: usize = 300;

fn bounded(name: &str, text: &str, max: usize) -> Result<Option<String>, Error> {
    let text = text.trim();
    if text.chars().count() > max {
        return Err(Error::Invalid(format!("{name} is too long (maximum is {max} characters)")));
    }
    Ok(Some(text.to_string()).filter(|t| !t.is_empty()))
}

pub async fn save_site(ctx: &Ctx<'_>, settings: SiteSettings) -> Result<(), Error> {
    let email = bounded("Contact e-mail", &settings.contact_email, 254)?;
    if email.as_deref().is_some_and(|e| !e.contains('@') || e.chars().any(|c| c.is_whitespace() || c == '<' || c == '>')) {
        return Err(Error::Invalid("Contact e-mail is not an e-mail address".into()));
    }
    let row = store::instance::SiteRow {
        description: bounded("Description", &settings.description, MAX_DESCRIPTION_CHARS)?,
        extended_description: bounded("Extended description", &settings.extended_description, MAX_LONG_TEXT_CHARS)?,
        contact_email: email,
        privacy_policy: bounded("Privacy policy", &settings.privacy_policy, MAX_LONG_TEXT_CHARS)?,
        terms_of_service: bounded("Terms of service", &settings.terms_of_service, MAX_LONG_TEXT_CHARS)?,
        updated_at: ctx.now_ms(),
        ..Default::default()
    };
    ctx.db.run(&store::instance::save_site(&row)).await?;
    forget_summary(ctx);
    Ok(())
}

/// The site's pictures are at most this large (Mastodon takes 10 MB; an icon or a banner needs
/// far less).
pub const MAX_SITE_IMAGE_BYTES: usize = 2 * 1024 * 1024;

/// Replaces one of the site's pictures with an uploaded image, or with `None` removes it (the
/// default is shown again). The file it replaces is deleted.
pub async fn set_site_image(ctx: &Ctx<'_>, image: SiteImage, upload: Option<Upload<'_>>) -> Result<(), Error> {
    let what = match image {
        SiteImage::Thumbnail => "Thumbnail",
        SiteImage::Icon => "Icon",
    };
    let stored = match upload {
        Some(upload) => {
            media::check_image(&upload, what, MAX_SITE_IMAGE_BYTES)?;
            let stored = media::store(ctx, ctx.new_id(), &upload).await?;
            let size = serde_json::from_str::<serde_json::Value>(&stored.meta)
                .ok()
                .map(|meta| format!("{}x{}", meta["width"], meta["height"]))
                .unwrap_or_default();
            Some((stored.r2_key, size))
        }
        None => None,
    };
    let previous = store::instance::summary(ctx.db).await?.site.and_then(|site| match image {
        SiteImage::Thumbnail => site.thumbnail_key,
        SiteImage::Icon => site.icon_key,
    });
    ctx.db.run(&store::instance::save_site_image(image, stored.as_ref().map(|(key, size)| (key.as_str(), size.as_str())), ctx.now_ms())).await?;
    forget_summary(ctx);
    if let Some(key) = previous {
        // Best effort: an orphan file costs storage, not correctness.
        let _ = ctx.blobs.delete(&key).await;
    }
    Ok(())
}

pub async fn add_rule(ctx: &Ctx<'_>, text: &str, hint: &str) -> Result<(), Error> {
    let text = bounded("Rule", text, MAX_RULE_CHARS)?.ok_or_else(|| Error::Invalid("Rule can't be blank".into()))?;
    let hint = bounded("Hint", hint, MAX_RULE_CHARS)?.unwrap_or_default();
    if store::instance::rules(ctx.db).await?.len() >= MAX_RULES {
        return Err(Error::Invalid(format!("A server has at most {MAX_RULES} rules")));
    }
    ctx.db.run(&store::instance::add_rule(ctx.new_id(), &text, &hint)).await?;
    forget_summary(ctx);
    Ok(())
}

pub async fn delete_rule(ctx: &Ctx<'_>, id: i64) -> Result<(), Error> {
    ctx.db.run(&store::instance::delete_rule(id)).await?;
    forget_summary(ctx);
    Ok(())
}

/// This isolate shows a change at once; others within `SUMMARY_FRESH_MS`.
fn forget_summary(ctx: &Ctx<'_>) {
    *ctx.cache.instance_summary.borrow_mut() = None;
}

/// What `/privacy-policy` says until the admin writes a policy.
pub fn default_privacy_policy(ctx: &Ctx<'_>, owner_username: &str) -> String {
    format!(
        "{} is a single-user server run by @{}. It stores what other servers send it to show you \
         this person's posts and interactions, and nothing else.",
        ctx.config.title, owner_username
    )
}
