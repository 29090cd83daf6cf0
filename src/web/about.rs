//! `/about`: the instance's title and description, its administrator and contact, its rules
//! (the admin's site settings, `/admin/settings`, else configuration); `/privacy-policy` and
//! `/terms-of-service`.
use askama::Template;

use super::views::{self, display_name, OpenGraph};
use crate::app::{instance, owner, profile};
use crate::ctx::Ctx;
use crate::edge::error::ApiError;
use crate::edge::http::Response;
use crate::store::instance::RuleRow;

#[derive(Template)]
#[template(path = "about.html")]
struct AboutPage<'a> {
    instance_title: &'a str,
    noindex: bool,
    og: OpenGraph,
    description_html: String,
    display_name: &'a str,
    handle: String,
    avatar: String,
    profile_url: String,
    contact_email: Option<String>,
    rules: Vec<RuleRow>,
    posts_count: i64,
    domains_count: i64,
    source_url: &'a str,
    thumbnail_url: Option<String>,
    has_terms: bool,
}

pub async fn get(ctx: &Ctx<'_>) -> Result<Response, ApiError> {
    super::html_errors(ctx, async {
        let config = ctx.config;
        let owner = owner::account(ctx).await?;
        let summary = instance::summary(ctx).await?;
        let site = instance::site_of(ctx, &summary);
        let thumbnail_url = site.thumbnail_url.clone();
        let has_terms = site.terms_of_service.is_some();
        let description = if site.description.is_empty() { format!("A single-user server of the Fediverse: {}", config.host) } else { site.description.clone() };
        let mut og = OpenGraph::new("website", config.title.clone(), views::shorten(&description, 300), config.url("/about"));
        og.image = thumbnail_url.clone();
        let page = AboutPage {
            instance_title: &config.title,
            noindex: !owner.indexable,
            og,
            description_html: crate::content::text::to_html(&site.extended_description, &config.public_url),
            display_name: display_name(&owner),
            handle: views::handle(&owner, config),
            avatar: profile::avatar_url(&owner, config),
            profile_url: config.profile_url(&owner.username),
            contact_email: Some(site.contact_email).filter(|e| !e.is_empty()),
            rules: summary.rules,
            posts_count: summary.stats.statuses,
            domains_count: summary.stats.domains,
            source_url: &config.source_url,
            thumbnail_url,
            has_terms,
        };
        Ok(super::render(200, &page))
    })
    .await
}

#[derive(Template)]
#[template(path = "privacy.html")]
struct PrivacyPage<'a> {
    instance_title: &'a str,
    noindex: bool,
    heading: &'a str,
    updated: Option<String>,
    policy_html: String,
}

/// `/privacy-policy` (Mastodon's path; `configuration.urls.privacy_policy` points here).
pub async fn privacy(ctx: &Ctx<'_>) -> Result<Response, ApiError> {
    super::html_errors(ctx, async {
        let owner = owner::account(ctx).await?;
        let site = instance::site(ctx).await?;
        let text = site.privacy_policy.unwrap_or_else(|| instance::default_privacy_policy(ctx, &owner.username));
        let page = PrivacyPage {
            instance_title: &ctx.config.title,
            noindex: !owner.indexable,
            heading: "Privacy policy",
            updated: None,
            policy_html: crate::content::text::to_html(&text, &ctx.config.public_url),
        };
        Ok(super::render(200, &page))
    })
    .await
}

/// `/terms-of-service` (Mastodon's path; `configuration.urls.terms_of_service` points here when
/// the admin wrote terms).
pub async fn terms(ctx: &Ctx<'_>) -> Result<Response, ApiError> {
    super::html_errors(ctx, async {
        let owner = owner::account(ctx).await?;
        let Some((text, changed_at)) = instance::site(ctx).await?.terms_of_service else { return Ok(super::not_found()) };
        let page = PrivacyPage {
            instance_title: &ctx.config.title,
            noindex: !owner.indexable,
            heading: "Terms of service",
            updated: Some(crate::domain::time::date(changed_at)),
            policy_html: crate::content::text::to_html(&text, &ctx.config.public_url),
        };
        Ok(super::render(200, &page))
    })
    .await
}
