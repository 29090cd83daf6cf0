//! RSS 2.0 and Atom feeds of the owner's posts (`/@username.rss`, `/users/username.rss`,
//! `.atom` beside them) and of a hashtag (`/tags/name.rss`, `.atom`), named as Mastodon names
//! its RSS feeds (Mastodon stopped offering Atom in 3.0; feed readers still take it). The same
//! posts as the pages' first page: public and unlisted posts without replies to others or boosts
//! for the profile, this server's public posts for a hashtag, 20 of them.
use askama::Template;

use super::views::{self, display_name, http_url, permalink};
use crate::app::instance::SOFTWARE_VERSION;
use crate::app::public::{self, Cursor, Post};
use crate::app::{owner, profile};
use crate::content::escape_html;
use crate::ctx::Ctx;
use crate::domain::time::{http_date, iso8601};
use crate::edge::error::ApiError;
use crate::edge::http::Response;
use crate::store::accounts::AccountRow;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Rss,
    Atom,
}

/// `name.rss` or `name.atom` as the name and the format.
pub fn split(name: &str) -> Option<(&str, Format)> {
    if let Some(name) = name.strip_suffix(".rss") {
        return Some((name, Format::Rss));
    }
    name.strip_suffix(".atom").map(|name| (name, Format::Atom))
}

/// What both formats say; every string already fit for XML (`xml_text`), escaped by the template.
struct Feed {
    title: String,
    description: String,
    home: String,
    self_url: String,
    icon: String,
    updated_rfc3339: String,
    version: &'static str,
    author_name: String,
    author_url: String,
    entries: Vec<Entry>,
}

struct Entry {
    id: String,
    link: String,
    title: String,
    published_rfc822: String,
    published_rfc3339: String,
    updated_rfc3339: String,
    spoiler_text: String,
    sensitive: bool,
    /// The post's HTML (its content warning first), printed escaped: feeds carry HTML as text.
    content_html: String,
    tags: Vec<String>,
    media: Vec<Media>,
}

struct Media {
    url: String,
    content_type: Option<String>,
    /// Media RSS's `medium`.
    medium: &'static str,
    alt: String,
}

#[derive(Template)]
#[template(path = "rss.xml", escape = "html")]
struct Rss<'a> {
    feed: &'a Feed,
}

#[derive(Template)]
#[template(path = "atom.xml", escape = "html")]
struct Atom<'a> {
    feed: &'a Feed,
}

/// Text without the characters XML 1.0 may not carry at all (most C0 controls, U+FFFE, U+FFFF):
/// one of them in a post would make the whole feed unreadable.
fn xml_text(text: &str) -> String {
    text.chars().filter(|&c| matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && c != '\u{fffe}' && c != '\u{ffff}')).collect()
}

impl Entry {
    fn new(post: &Post, ctx: &Ctx<'_>) -> Entry {
        let config = ctx.config;
        let status = &post.status;
        let link = permalink(post, config);
        let mut content = String::new();
        if !status.spoiler_text.is_empty() {
            content.push_str(&format!("<p><strong>{}</strong></p><hr />", escape_html(&status.spoiler_text)));
        }
        content.push_str(&status.content);
        let title = match (&status.spoiler_text, views::excerpt(&status.content, 80)) {
            (warning, _) if !warning.is_empty() => format!("Content warning: {warning}"),
            (_, text) if !text.is_empty() => text,
            _ => format!("Post by {}", display_name(&post.author)),
        };
        let media = post
            .media
            .iter()
            .filter_map(|m| {
                let url = match (&m.r2_key, &m.remote_url) {
                    (Some(key), _) => profile::media_url(config, key),
                    (None, Some(remote)) => http_url(remote)?.to_string(),
                    (None, None) => return None,
                };
                let medium = match m.kind.as_str() {
                    "image" => "image",
                    "gifv" | "video" => "video",
                    "audio" => "audio",
                    _ => "document",
                };
                Some(Media { url: xml_text(&url), content_type: m.content_type.as_deref().map(xml_text), medium, alt: xml_text(m.description.as_deref().unwrap_or("")) })
            })
            .collect();
        Entry {
            id: xml_text(&status.uri),
            link: xml_text(&link),
            title: xml_text(&title),
            published_rfc822: http_date(status.created_at),
            published_rfc3339: iso8601(status.created_at),
            updated_rfc3339: iso8601(status.edited_at.unwrap_or(status.created_at)),
            spoiler_text: xml_text(&status.spoiler_text),
            sensitive: status.sensitive,
            content_html: xml_text(&content),
            tags: post.tags.iter().map(|t| xml_text(t)).collect(),
            media,
        }
    }
}

fn respond(feed: &Feed, format: Format, owner: &AccountRow) -> Response {
    let (rendered, content_type) = match format {
        Format::Rss => (Rss { feed }.render(), "application/rss+xml; charset=utf-8"),
        Format::Atom => (Atom { feed }.render(), "application/atom+xml; charset=utf-8"),
    };
    let response = match rendered {
        Ok(xml) => Response::new(200, content_type, xml).header("Cache-Control", "max-age=60, public"),
        Err(e) => {
            crate::ctx::log_error(&format!("template: {e}"));
            return Response::new(500, "text/plain; charset=utf-8", "Internal server error");
        }
    };
    if owner.indexable {
        response
    } else {
        response.header("X-Robots-Tag", "noindex")
    }
}

fn feed(ctx: &Ctx<'_>, owner: &AccountRow, title: String, description: String, home: String, format: Format, posts: &[Post]) -> Feed {
    let config = ctx.config;
    let extension = match format {
        Format::Rss => "rss",
        Format::Atom => "atom",
    };
    let entries: Vec<Entry> = posts.iter().map(|p| Entry::new(p, ctx)).collect();
    Feed {
        title: xml_text(&title),
        description: xml_text(&description),
        self_url: xml_text(&format!("{home}.{extension}")),
        home: xml_text(&home),
        icon: xml_text(&profile::avatar_url(owner, config)),
        updated_rfc3339: entries.first().map_or_else(|| iso8601(owner.created_at), |e| e.published_rfc3339.clone()),
        version: SOFTWARE_VERSION,
        author_name: xml_text(display_name(owner)),
        author_url: xml_text(&config.profile_url(&owner.username)),
        entries,
    }
}

/// `/@username.rss` and the rest of the profile's feeds (`name`: with the extension).
pub async fn profile(ctx: &Ctx<'_>, name: &str) -> Result<Response, ApiError> {
    let Some((username, format)) = split(name) else { return Ok(super::not_found()) };
    let Some(owner) = owner::account_named(ctx, username).await? else { return Ok(super::not_found()) };
    let posts = public::recent(ctx, &owner).await?;
    let handle = views::handle(&owner, ctx.config);
    let description = format!("Public posts from @{handle}");
    let home = ctx.config.profile_url(&owner.username);
    Ok(respond(&feed(ctx, &owner, display_name(&owner).to_string(), description, home, format, &posts), format, &owner))
}

/// `/tags/name.rss` and `/tags/name.atom`.
pub async fn hashtag(ctx: &Ctx<'_>, name: &str) -> Result<Response, ApiError> {
    let Some((name, format)) = split(name) else { return Ok(super::not_found()) };
    let owner = owner::account(ctx).await?;
    let Some((tag, page)) = public::hashtag(ctx, &owner, name, Cursor::Newest).await? else { return Ok(super::not_found()) };
    let description = format!("Public posts from {} tagged #{}", ctx.config.title, tag.name);
    let home = crate::content::tag_url(&ctx.config.public_url, &tag.name);
    Ok(respond(&feed(ctx, &owner, format!("#{}", tag.name), description, home, format, &page.posts), format, &owner))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feeds_are_named_by_their_extension() {
        assert_eq!(split("alice.rss"), Some(("alice", Format::Rss)));
        assert_eq!(split("alice.atom"), Some(("alice", Format::Atom)));
        assert_eq!(split("alice"), None);
        assert_eq!(split("alice.json"), None);
    }

    #[test]
    fn xml_keeps_what_it_can_carry() {
        assert_eq!(xml_text("a\u{0}b\u{8}c\td\ne\u{fffe}f 🐸"), "abc\td\nef 🐸");
    }
}
