//! <https://docs.joinmastodon.org/methods/instance/>. Strict decoders (Ice Cubes, the iOS app)
//! fail the whole login on one missing field, so every field of shared/CLIENT-COMPAT.md §5 is here.
use serde_json::{json, Value};

use crate::app::profile::{MAX_DISPLAY_NAME, MAX_FIELDS, MAX_FIELD_NAME, MAX_FIELD_VALUE, MAX_NOTE};
use super::entities::account::Account;
use crate::app::profile::DEFAULT_HEADER_PATH;
use crate::ctx::Ctx;
use crate::domain::time::iso8601;
use crate::app::owner;
use crate::edge::error::ApiError;
use crate::edge::http::Response;
use crate::store::instance;

use crate::app::media::SUPPORTED_MIME_TYPES;
use crate::app::instance::{summary, Site, MAX_CHARACTERS, MAX_MEDIA_ATTACHMENTS, SOFTWARE_VERSION};
use crate::app::polls::{MAX_EXPIRATION_S, MAX_OPTIONS, MAX_OPTION_CHARS, MIN_EXPIRATION_S};

/// The Mastodon version we claim (shared/CLIENT-COMPAT.md §4.2). 4.3 and API version 2 switch
/// Ice Cubes, Phanpy and the Android app to grouped notifications, `unread_count`, the link
/// timeline and the notification policy, all implemented. API version 3 (PKCE in the Android app)
/// and up need Web Push encryption and more, so the claim stops here.
pub fn version() -> String {
    format!("4.3.0 (compatible; Topi {SOFTWARE_VERSION})")
}

pub const API_VERSION: u32 = 2;

fn statuses_config() -> Value {
    json!({
        "max_characters": MAX_CHARACTERS,
        "max_media_attachments": MAX_MEDIA_ATTACHMENTS,
        "characters_reserved_per_url": 23,
    })
}

fn media_config() -> Value {
    json!({
        "supported_mime_types": SUPPORTED_MIME_TYPES,
        "description_limit": 1500,
        "image_size_limit": 16_777_216,
        "image_matrix_limit": 33_177_600,
        "video_size_limit": 103_809_024,
        "video_frame_rate_limit": 120,
        "video_matrix_limit": 8_294_400,
    })
}

fn polls_config() -> Value {
    json!({
        "max_options": MAX_OPTIONS,
        "max_characters_per_option": MAX_OPTION_CHARS,
        "min_expiration": MIN_EXPIRATION_S,
        "max_expiration": MAX_EXPIRATION_S,
    })
}

async fn contact_account(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let owner = owner::account(ctx).await?;
    Ok(serde_json::to_value(Account::from_row(&owner, ctx.config)).unwrap_or(Value::Null))
}

fn thumbnail_url(ctx: &Ctx<'_>, site: &Site) -> String {
    site.thumbnail_url.clone().unwrap_or_else(|| ctx.config.url(DEFAULT_HEADER_PATH))
}

/// <https://docs.joinmastodon.org/methods/instance/#v1>
pub async fn v1(ctx: &Ctx<'_>) -> Result<Response, ApiError> {
    let config = ctx.config;
    let summary = summary(ctx).await?;
    let site = crate::app::instance::site_of(ctx, &summary);
    let instance::Summary { stats, rules, .. } = summary;
    Response::ok_json(&json!({
        "uri": config.host,
        "title": config.title,
        "short_description": site.description,
        "description": site.description,
        "email": site.contact_email,
        "version": version(),
        "urls": {"streaming_api": config.streaming_url()},
        "stats": {"user_count": 1, "status_count": stats.statuses, "domain_count": stats.domains},
        "thumbnail": thumbnail_url(ctx, &site),
        "languages": ["en"],
        "registrations": false,
        "approval_required": false,
        "invites_enabled": false,
        "configuration": {
            "accounts": {"max_featured_tags": 10},
            "statuses": statuses_config(),
            "media_attachments": media_config(),
            "polls": polls_config(),
        },
        "contact_account": contact_account(ctx).await?,
        "rules": rules,
    }))
}

/// <https://docs.joinmastodon.org/methods/instance/#v2>
pub async fn v2(ctx: &Ctx<'_>) -> Result<Response, ApiError> {
    let config = ctx.config;
    let summary = summary(ctx).await?;
    let site = crate::app::instance::site_of(ctx, &summary);
    let rules = summary.rules;
    let vapid_key = owner::instance_keys(ctx).await?.vapid_public_key;
    let public = json!({"local": "public", "remote": "public"});
    Response::ok_json(&json!({
        "domain": config.host,
        "title": config.title,
        "version": version(),
        "source_url": config.source_url,
        "description": site.description,
        "usage": {"users": {"active_month": 1}},
        "thumbnail": {"url": thumbnail_url(ctx, &site), "blurhash": null, "versions": {}},
        "icon": site.icon.iter().map(|(src, size)| json!({"src": src, "size": size})).collect::<Vec<_>>(),
        "languages": ["en"],
        "configuration": {
            "urls": {
                "streaming": config.streaming_url(),
                "status": null,
                "about": config.url("/about"),
                "privacy_policy": config.url("/privacy-policy"),
                "terms_of_service": site.terms_of_service.as_ref().map(|_| config.url("/terms-of-service")),
            },
            "vapid": {"public_key": vapid_key},
            "accounts": {
                "max_featured_tags": 10,
                "max_pinned_statuses": 5,
                "max_profile_fields": MAX_FIELDS,
                "profile_field_name_limit": MAX_FIELD_NAME,
                "profile_field_value_limit": MAX_FIELD_VALUE,
                "max_display_name_length": MAX_DISPLAY_NAME,
                "max_note_length": MAX_NOTE,
            },
            "statuses": statuses_config(),
            "media_attachments": media_config(),
            "polls": polls_config(),
            "translation": {"enabled": false},
            "timelines_access": {"live_feeds": public, "hashtag_feeds": public, "trending_link_feeds": public},
            "limited_federation": false,
        },
        "registrations": {
            "enabled": false, "approval_required": false, "reason_required": false,
            "message": null, "min_age": null, "url": null,
        },
        "api_versions": {"mastodon": API_VERSION},
        "contact": {"email": site.contact_email, "account": contact_account(ctx).await?},
        "rules": rules,
    }))
}

pub async fn peers(ctx: &Ctx<'_>) -> Result<Response, ApiError> {
    let domains: Vec<String> = instance::peers(ctx.db).await?.into_iter().map(|d| d.domain).collect();
    Response::ok_json(&domains)
}

/// Weekly activity for the last twelve weeks; only the current week is counted so far.
pub async fn activity(ctx: &Ctx<'_>) -> Result<Response, ApiError> {
    let week_ms = 7 * 86_400_000;
    let now = ctx.now_ms();
    let this_week = now - now.rem_euclid(week_ms) - 3 * 86_400_000; // weeks start on Monday
    let weeks: Vec<Value> = (0..12)
        .map(|i| json!({"week": ((this_week - i * week_ms) / 1000).to_string(), "statuses": "0", "logins": "0", "registrations": "0"}))
        .collect();
    Response::ok_json(&weeks)
}

pub async fn rules(ctx: &Ctx<'_>) -> Result<Response, ApiError> {
    Response::ok_json(&summary(ctx).await?.rules)
}

pub async fn extended_description(ctx: &Ctx<'_>) -> Result<Response, ApiError> {
    let owner = owner::account(ctx).await?;
    let site = crate::app::instance::site(ctx).await?;
    Response::ok_json(&json!({
        "updated_at": iso8601(site.updated_at.unwrap_or(owner.updated_at)),
        "content": crate::content::text::to_html(&site.extended_description, &ctx.config.public_url),
    }))
}

/// The admin's policy (`/admin/settings`), else a default: a single-user instance collects no
/// data from others beyond what federation needs.
pub async fn privacy_policy(ctx: &Ctx<'_>) -> Result<Response, ApiError> {
    let owner = owner::account(ctx).await?;
    let site = crate::app::instance::site(ctx).await?;
    let text = site.privacy_policy.unwrap_or_else(|| crate::app::instance::default_privacy_policy(ctx, &owner.username));
    Response::ok_json(&json!({
        "updated_at": iso8601(site.updated_at.unwrap_or(owner.created_at)),
        "content": crate::content::text::to_html(&text, &ctx.config.public_url),
    }))
}

/// <https://docs.joinmastodon.org/methods/instance/#terms_of_service>: one version, in effect
/// since its text last changed; 404 when the admin wrote none. `/:date` answers that version
/// only.
pub async fn terms_of_service(ctx: &Ctx<'_>, date: Option<&str>) -> Result<Response, ApiError> {
    let site = crate::app::instance::site(ctx).await?;
    let (text, changed_at) = site.terms_of_service.ok_or(ApiError::NotFound)?;
    let effective_date = crate::domain::time::date(changed_at);
    if date.is_some_and(|wanted| wanted != effective_date) {
        return Err(ApiError::NotFound);
    }
    Response::ok_json(&json!({
        "effective_date": effective_date,
        "effective": true,
        "content": crate::content::text::to_html(&text, &ctx.config.public_url),
        "succeeded_by": null,
    }))
}

pub fn translation_languages() -> Result<Response, ApiError> {
    Response::ok_json(&json!({}))
}

/// <https://docs.joinmastodon.org/methods/custom_emojis/>: the enabled ones.
pub async fn custom_emojis(ctx: &Ctx<'_>) -> Result<Response, ApiError> {
    let emojis: Vec<Value> = crate::store::custom_emojis::enabled(ctx.db).await?.iter().map(crate::app::custom_emojis::entity).collect();
    Response::ok_json(&emojis)
}
