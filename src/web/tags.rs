//! `/tags/:name`: this server's public posts under a hashtag (the owner's; see `app::public`).
use askama::Template;

use super::views::{self, OpenGraph, PostView};
use crate::app::{owner, public};
use crate::ctx::Ctx;
use crate::edge::error::ApiError;
use crate::edge::http::{Request, Response};

#[derive(Template)]
#[template(path = "tag.html")]
struct TagPage<'a> {
    instance_title: &'a str,
    noindex: bool,
    og: OpenGraph,
    canonical: String,
    rss: String,
    atom: String,
    name: String,
    posts: Vec<PostView>,
    base: String,
    first_page: bool,
    newer: Option<String>,
    older: Option<String>,
}

pub async fn get(ctx: &Ctx<'_>, req: &Request, name: &str) -> Result<Response, ApiError> {
    super::html_errors(ctx, async {
        let owner = owner::account(ctx).await?;
        let cursor = super::profile::cursor(req);
        let Some((tag, page)) = public::hashtag(ctx, &owner, name, cursor).await? else { return Ok(super::not_found()) };
        let config = ctx.config;
        let base = crate::content::tag_url(&config.public_url, &tag.name);
        let description = format!("Public posts from {} tagged #{}", config.title, tag.name);
        let page = TagPage {
            instance_title: &config.title,
            noindex: !owner.indexable,
            og: OpenGraph::new("website", format!("#{}", tag.name), description, base.clone()),
            canonical: base.clone(),
            rss: format!("{base}.rss"),
            atom: format!("{base}.atom"),
            name: tag.name,
            posts: PostView::all(&page.posts, config),
            first_page: cursor == public::Cursor::Newest,
            newer: views::page_link(&base, "min_id", page.newer),
            older: views::page_link(&base, "max_id", page.older),
            base,
        };
        Ok(super::render(200, &page))
    })
    .await
}
