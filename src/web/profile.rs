//! The owner's public profile page at `/@username` (also `/` and `/about`). ActivityPub clients
//! asking for the same URL get the actor document.
use askama::Template;

use crate::ctx::Ctx;
use crate::app::profile::{self, Field};
use crate::app::owner;
use crate::edge::error::ApiError;
use crate::edge::http::Response;
use crate::store::accounts::AccountRow;

#[derive(Template)]
#[template(path = "profile.html")]
struct ProfilePage<'a> {
    instance_title: &'a str,
    display_name: &'a str,
    handle: String,
    avatar: &'a str,
    note_html: &'a str,
    fields: &'a [Field],
    statuses_count: i64,
    following_count: i64,
    followers_count: i64,
    profile_url: &'a str,
}

pub async fn get(ctx: &Ctx<'_>, username: &str) -> Result<Response, ApiError> {
    let Some(owner) = owner::account_named(ctx, username).await? else { return Ok(super::not_found()) };
    Ok(render_profile(ctx, &owner).header("Vary", "Accept"))
}

/// A single-user instance's front page is its owner's profile.
pub async fn home(ctx: &Ctx<'_>) -> Result<Response, ApiError> {
    let owner = owner::account(ctx).await?;
    Ok(render_profile(ctx, &owner))
}

fn display_name(owner: &AccountRow) -> &str {
    if owner.display_name.is_empty() {
        &owner.username
    } else {
        &owner.display_name
    }
}

fn render_profile(ctx: &Ctx<'_>, owner: &AccountRow) -> Response {
    super::render(
        200,
        &ProfilePage {
            instance_title: &ctx.config.title,
            display_name: display_name(owner),
            handle: format!("{}@{}", owner.username, ctx.config.handle_domain),
            avatar: &profile::avatar_url(owner, ctx.config),
            note_html: &owner.note,
            fields: &profile::fields(owner),
            statuses_count: owner.statuses_count,
            following_count: owner.following_count,
            followers_count: owner.followers_count,
            profile_url: owner.url.as_deref().unwrap_or(&owner.uri),
        },
    )
}

/// `/users/:name/statuses/:id` for browsers: to the post's page. The id is checked first, as
/// it goes into the `Location` header.
pub async fn status_redirect(ctx: &Ctx<'_>, username: &str, id: &str) -> Result<Response, ApiError> {
    let owner = owner::account_named(ctx, username).await?.ok_or(ApiError::NotFound)?;
    let id = crate::domain::ids::parse(id).ok_or(ApiError::NotFound)?;
    Ok(Response::redirect(302, &format!("{}/{id}", ctx.config.profile_url(&owner.username))))
}

#[derive(Template)]
#[template(path = "status.html")]
struct StatusPage<'a> {
    instance_title: &'a str,
    display_name: &'a str,
    handle: String,
    profile_url: &'a str,
    summary: String,
    spoiler_text: &'a str,
    content_html: &'a str,
    url: String,
    published: String,
    replies_count: i64,
    reblogs_count: i64,
    favourites_count: i64,
}

/// `/@username/:id`: a public or unlisted post for browsers.
pub async fn status(ctx: &Ctx<'_>, username: &str, id: &str) -> Result<Response, ApiError> {
    let Some(owner) = owner::account_named(ctx, username).await? else { return Ok(super::not_found()) };
    let row = match crate::domain::ids::parse(id) {
        Some(id) => crate::store::statuses::get(ctx.db, None, id).await?,
        None => None,
    };
    let Some(row) = row.filter(|r| r.account_id == owner.id && r.reblog_of_id.is_none() && crate::domain::visibility::may_see(r.visibility, false)) else {
        return Ok(super::not_found());
    };
    let profile_url = owner.url.clone().unwrap_or_else(|| owner.uri.clone());
    let text = crate::domain::filters::plain_text(&row.content);
    let summary: String = if row.spoiler_text.is_empty() { text.trim().chars().take(60).collect() } else { row.spoiler_text.clone() };
    Ok(super::render(
        200,
        &StatusPage {
            instance_title: &ctx.config.title,
            display_name: display_name(&owner),
            handle: format!("{}@{}", owner.username, ctx.config.handle_domain),
            profile_url: &profile_url,
            summary,
            spoiler_text: &row.spoiler_text,
            content_html: &row.content,
            url: row.url.clone().unwrap_or_else(|| row.uri.clone()),
            published: crate::domain::time::iso8601(row.created_at),
            replies_count: row.replies_count,
            reblogs_count: row.reblogs_count,
            favourites_count: row.favourites_count,
        },
    )
    .header("Vary", "Accept"))
}
