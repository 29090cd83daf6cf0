//! The owner's public profile at `/@username` (also `/`), under a hashtag at
//! `/@username/tagged/:tag`, and a post's thread at `/@username/:id`. ActivityPub clients asking
//! for the same URLs get the actor and the Note (the router asks first).
use askama::Template;

use super::views::{self, display_name, excerpt, FieldView, InteractForm, OpenGraph, PostView};
use crate::app::public::{self, Cursor};
use crate::app::{owner, profile};
use crate::ctx::Ctx;
use crate::edge::error::ApiError;
use crate::edge::http::{Request, Response};
use crate::store::accounts::AccountRow;

/// The longest hashtag a profile is filtered by (Mastodon's limit on a tag's name).
const MAX_TAG: usize = 100;

#[derive(Template)]
#[template(path = "profile.html")]
struct ProfilePage<'a> {
    instance_title: &'a str,
    noindex: bool,
    og: OpenGraph,
    canonical: String,
    actor_uri: &'a str,
    rss: String,
    atom: String,
    display_name: &'a str,
    /// The name escaped, with its custom emoji as images.
    display_name_html: String,
    handle: String,
    avatar: String,
    header: Option<&'a str>,
    note_html: String,
    fields: Vec<FieldView>,
    statuses_count: i64,
    following_count: i64,
    followers_count: i64,
    profile_url: String,
    featured: Vec<FeaturedView>,
    tagged: Option<&'a str>,
    interact: InteractForm,
    pinned: Vec<PostView>,
    posts: Vec<PostView>,
    base: String,
    first_page: bool,
    newer: Option<String>,
    older: Option<String>,
}

struct FeaturedView {
    name: String,
    url: String,
}

/// The page's position among the posts, from its `max_id` or `min_id`.
pub fn cursor(req: &Request) -> Cursor {
    let params = req.query_params();
    let id = |key: &str| params.non_empty(key).and_then(|v| crate::domain::ids::parse(&v));
    Cursor::new(id("max_id"), id("min_id"))
}

/// A hashtag as a path segment: lower case, percent-encoded (`content::tag_url`'s rule).
fn tag_segment(name: &str) -> String {
    const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC.remove(b'_');
    percent_encoding::utf8_percent_encode(&name.to_lowercase(), SEGMENT).to_string()
}

pub async fn get(ctx: &Ctx<'_>, req: &Request, username: &str) -> Result<Response, ApiError> {
    super::html_errors(ctx, async {
        let Some(owner) = owner::account_named(ctx, username).await? else { return Ok(super::not_found()) };
        Ok(render_profile(ctx, req, &owner, None).await?.header("Vary", "Accept"))
    })
    .await
}

/// A single-user instance's front page is its owner's profile.
pub async fn home(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    super::html_errors(ctx, async {
        let owner = owner::account(ctx).await?;
        render_profile(ctx, req, &owner, None).await
    })
    .await
}

/// `/@username/tagged/:tag`: the owner's public and unlisted posts under a hashtag.
pub async fn tagged(ctx: &Ctx<'_>, req: &Request, username: &str, tag: &str) -> Result<Response, ApiError> {
    super::html_errors(ctx, async {
        let tag = tag.trim_start_matches('#');
        let Some(owner) = owner::account_named(ctx, username).await?.filter(|_| !tag.is_empty() && tag.chars().count() <= MAX_TAG) else {
            return Ok(super::not_found());
        };
        render_profile(ctx, req, &owner, Some(tag)).await
    })
    .await
}

async fn render_profile(ctx: &Ctx<'_>, req: &Request, owner: &AccountRow, tagged: Option<&str>) -> Result<Response, ApiError> {
    let config = ctx.config;
    let cursor = cursor(req);
    let found = public::profile(ctx, owner, cursor, tagged).await?;
    let profile_url = config.profile_url(&owner.username);
    let base = match tagged {
        Some(tag) => format!("{profile_url}/tagged/{}", tag_segment(tag)),
        None => profile_url.clone(),
    };
    let name = display_name(owner);
    let emojis = views::emojis(&owner.emojis);
    let handle = views::handle(owner, config);
    let avatar = profile::avatar_url(owner, config);
    let description = match excerpt(&owner.note, 300) {
        text if text.is_empty() => format!("Posts by {name}"),
        text => text,
    };
    let mut og = OpenGraph::new("profile", format!("{name} (@{handle})"), description, profile_url.clone());
    og.image = Some(avatar.clone());
    og.username = Some(handle.clone());
    let fields = profile::fields(owner)
        .into_iter()
        .map(|f| FieldView { name: f.name, value_html: crate::content::text::with_rel_me(&f.value), verified: f.verified_at.is_some() })
        .collect();
    let featured = found.featured.iter().map(|name| FeaturedView { url: format!("{profile_url}/tagged/{}", tag_segment(name)), name: name.clone() }).collect();
    let page = ProfilePage {
        instance_title: &config.title,
        noindex: !owner.indexable,
        og,
        canonical: base.clone(),
        actor_uri: &owner.uri,
        rss: format!("{profile_url}.rss"),
        atom: format!("{profile_url}.atom"),
        display_name: name,
        display_name_html: crate::content::emoji::images_in_text(name, &views::shown(&emojis, config)),
        handle,
        avatar,
        header: owner.header_remote_url.as_deref().and_then(views::http_url),
        note_html: crate::content::emoji::images_in_html(&owner.note, &views::shown(&emojis, config)),
        fields,
        statuses_count: owner.statuses_count,
        following_count: owner.following_count,
        followers_count: owner.followers_count,
        profile_url,
        featured,
        tagged,
        interact: InteractForm::follow(),
        pinned: views::PostView::all(&found.pinned, config),
        posts: views::PostView::all(&found.page.posts, config),
        first_page: cursor == Cursor::Newest,
        newer: views::page_link(&base, "min_id", found.page.newer),
        older: views::page_link(&base, "max_id", found.page.older),
        base,
    };
    Ok(super::render(200, &page).header("Link", &format!("<{}>; rel=\"alternate\"; type=\"application/activity+json\"", owner.uri)))
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
    noindex: bool,
    og: OpenGraph,
    canonical: String,
    activity_uri: &'a str,
    display_name: &'a str,
    summary: String,
    ancestors: Vec<PostView>,
    post: PostView,
    descendants: Vec<PostView>,
    interact: InteractForm,
}

/// `/@username/:id`: a public or unlisted post of the owner's, in its thread, for browsers.
pub async fn status(ctx: &Ctx<'_>, username: &str, id: &str) -> Result<Response, ApiError> {
    super::html_errors(ctx, async {
        let Some(owner) = owner::account_named(ctx, username).await? else { return Ok(super::not_found()) };
        let Some(id) = crate::domain::ids::parse(id) else { return Ok(super::not_found()) };
        let Some(thread) = public::thread(ctx, &owner, id).await? else { return Ok(super::not_found()) };
        let config = ctx.config;
        let status = &thread.post.status;
        let summary = if status.spoiler_text.is_empty() { excerpt(&status.content, 60) } else { status.spoiler_text.clone() };
        let mut post = PostView::new(&thread.post, config);
        post.focus = true;
        let page = StatusPage {
            instance_title: &config.title,
            noindex: !owner.indexable,
            og: OpenGraph::of_post(&thread.post, config),
            canonical: post.permalink.clone(),
            activity_uri: &status.uri,
            display_name: display_name(&owner),
            summary,
            ancestors: PostView::all(&thread.ancestors, config),
            post,
            descendants: PostView::all(&thread.descendants, config),
            interact: InteractForm::reply(status.id),
        };
        let link = format!("<{}>; rel=\"alternate\"; type=\"application/activity+json\"", status.uri);
        Ok(super::render(200, &page).header("Vary", "Accept").header("Link", &link))
    })
    .await
}
