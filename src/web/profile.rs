//! The owner's public profile page at `/@username` (also `/` and `/about`). ActivityPub clients
//! asking for the same URL get the actor document.
use askama::Template;

use crate::activitypub::actors;
use crate::ctx::Ctx;
use crate::mastodon::entities::account::{Account, Field};
use crate::owner;
use crate::router::error::ApiError;
use crate::router::http::{Request, Response};

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

pub async fn get(ctx: &Ctx<'_>, req: &Request, username: &str) -> Result<Response, ApiError> {
    let Some(owner) = owner::by_username(ctx, username).await? else { return Ok(super::not_found()) };
    if req.wants_activity_json() {
        return actors::actor_response(ctx).await;
    }
    Ok(render_profile(ctx, &owner).header("Vary", "Accept"))
}

/// A single-user instance's front page is its owner's profile.
pub async fn home(ctx: &Ctx<'_>) -> Result<Response, ApiError> {
    let owner = owner::load(ctx).await?;
    Ok(render_profile(ctx, &owner))
}

fn render_profile(ctx: &Ctx<'_>, owner: &crate::store::accounts::AccountRow) -> Response {
    let account = Account::from_row(owner, ctx.config);
    let display_name = if account.display_name.is_empty() { &account.username } else { &account.display_name };
    super::render(
        200,
        &ProfilePage {
            instance_title: &ctx.config.title,
            display_name,
            handle: format!("{}@{}", account.username, ctx.config.handle_domain),
            avatar: &account.avatar,
            note_html: &account.note,
            fields: &account.fields,
            statuses_count: account.statuses_count,
            following_count: account.following_count,
            followers_count: account.followers_count,
            profile_url: &account.url,
        },
    )
}
