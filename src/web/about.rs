//! `/about`: the instance's title and description, its administrator and contact, its rules
//! (site settings are configuration and D1 rules today; the admin pages will edit them).
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
    contact_email: Option<&'a str>,
    rules: Vec<RuleRow>,
    posts_count: i64,
    domains_count: i64,
    source_url: &'a str,
}

pub async fn get(ctx: &Ctx<'_>) -> Result<Response, ApiError> {
    super::html_errors(ctx, async {
        let config = ctx.config;
        let owner = owner::account(ctx).await?;
        let summary = instance::summary(ctx).await?;
        let description = if config.description.is_empty() { format!("A single-user server of the Fediverse: {}", config.host) } else { config.description.clone() };
        let page = AboutPage {
            instance_title: &config.title,
            noindex: !owner.indexable,
            og: OpenGraph::new("website", config.title.clone(), views::shorten(&description, 300), config.url("/about")),
            description_html: crate::content::text::to_html(&config.description, &config.public_url),
            display_name: display_name(&owner),
            handle: views::handle(&owner, config),
            avatar: profile::avatar_url(&owner, config),
            profile_url: config.profile_url(&owner.username),
            contact_email: Some(config.admin_email.as_str()).filter(|e| !e.is_empty()),
            rules: summary.rules,
            posts_count: summary.stats.statuses,
            domains_count: summary.stats.domains,
            source_url: &config.source_url,
        };
        Ok(super::render(200, &page))
    })
    .await
}
