//! What the public pages show, as plain strings for the templates: posts, their media, the
//! OpenGraph card, the remote-interaction form. Templates escape every value they print; only
//! post and profile HTML (sanitized when it arrived, or rendered by us) is printed `|safe`.
use crate::app::profile;
use crate::app::public::Post;
use crate::config::Config;
use crate::content::emoji;
use crate::domain::time::iso8601;
use crate::store::accounts::AccountRow;
use crate::store::media::MediaRow;

/// A post on a page: the owner's, or someone else's in a thread.
pub struct PostView {
    pub id: String,
    /// Its page here (the owner's posts) or where it lives (others').
    pub permalink: String,
    pub author_name: String,
    /// The name escaped, with its custom emoji as images.
    pub author_name_html: String,
    /// `user@domain`.
    pub author_handle: String,
    pub author_url: String,
    /// Only our own accounts' images: others' would tell their servers who reads our pages.
    pub avatar: Option<String>,
    pub published: String,
    pub published_label: String,
    pub edited: bool,
    pub spoiler_text: String,
    /// The content warning escaped, with its custom emoji as images.
    pub spoiler_html: String,
    pub sensitive: bool,
    pub content_html: String,
    pub media: Vec<MediaView>,
    pub replies_count: i64,
    pub reblogs_count: i64,
    pub favourites_count: i64,
    /// The post a page is about (a thread's), shown larger.
    pub focus: bool,
}

pub struct MediaView {
    pub url: String,
    /// The description (alt text); empty when there is none.
    pub alt: String,
    /// Shown in the page: our own images. Videos, audio (the CSP loads no media) and others'
    /// files are links.
    pub embed: bool,
    pub kind: &'static str,
    pub width: Option<u64>,
    pub height: Option<u64>,
}

/// An absolute http(s) URL, or `None`: only such links go into a page or a feed.
pub fn http_url(url: &str) -> Option<&str> {
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    (lower.starts_with("https://") || lower.starts_with("http://")).then_some(url)
}

/// A post's or an account's custom emoji (its `emojis` JSON), as (shortcode, image URL).
pub fn emojis(column: &str) -> Vec<(String, String)> {
    let entries: Vec<serde_json::Value> = serde_json::from_str(column).unwrap_or_default();
    entries
        .iter()
        .filter_map(|e| Some((e["shortcode"].as_str()?.to_string(), e["url"].as_str()?.to_string())))
        .take(emoji::MAX_SHORTCODES)
        .collect()
}

/// The emoji a page may show as images: valid shortcodes whose image is ours. A remote emoji
/// stays `:text:`, as remote media stays a link: the pages never make a visitor's browser load
/// from another server (their address and browser would be told to it).
pub fn shown<'a>(emojis: &'a [(String, String)], config: &Config) -> Vec<emoji::Shown<'a>> {
    let ours = format!("{}/", config.public_url);
    emojis
        .iter()
        .filter(|(code, url)| emoji::valid_shortcode(code) && url.starts_with(&ours))
        .map(|(shortcode, url)| emoji::Shown { shortcode, url })
        .collect()
}

pub fn display_name(account: &AccountRow) -> &str {
    if account.display_name.trim().is_empty() {
        &account.username
    } else {
        &account.display_name
    }
}

/// `user@domain` of any account (ours with the handle domain).
pub fn handle(account: &AccountRow, config: &Config) -> String {
    format!("{}@{}", account.username, account.domain.as_deref().unwrap_or(&config.handle_domain))
}

/// Where an account's page is: ours here, others' where their server says.
pub fn account_url(account: &AccountRow, config: &Config) -> String {
    if account.is_local() {
        return config.profile_url(&account.username);
    }
    account.url.as_deref().and_then(http_url).or_else(|| http_url(&account.uri)).unwrap_or("#").to_string()
}

/// `2023-11-14 22:13 UTC`
pub fn date_label(ms: i64) -> String {
    let iso = iso8601(ms);
    format!("{} {} UTC", &iso[..10], &iso[11..16])
}

/// A post's page here (the owner's) or its own URL (others').
pub fn permalink(post: &Post, config: &Config) -> String {
    if post.author.is_local() {
        return format!("{}/{}", config.profile_url(&post.author.username), post.status.id);
    }
    post.status.url.as_deref().and_then(http_url).or_else(|| http_url(&post.status.uri)).unwrap_or("#").to_string()
}

impl PostView {
    pub fn new(post: &Post, config: &Config) -> PostView {
        let (status, author) = (&post.status, &post.author);
        let (status_emojis, author_emojis) = (emojis(&status.emojis), emojis(&author.emojis));
        PostView {
            id: status.id.to_string(),
            permalink: permalink(post, config),
            author_name: display_name(author).to_string(),
            author_name_html: emoji::images_in_text(display_name(author), &shown(&author_emojis, config)),
            author_handle: handle(author, config),
            author_url: account_url(author, config),
            avatar: author.is_local().then(|| profile::avatar_url(author, config)),
            published: iso8601(status.created_at),
            published_label: date_label(status.created_at),
            edited: status.edited_at.is_some(),
            spoiler_text: status.spoiler_text.clone(),
            spoiler_html: emoji::images_in_text(&status.spoiler_text, &shown(&status_emojis, config)),
            sensitive: status.sensitive,
            content_html: emoji::images_in_html(&status.content, &shown(&status_emojis, config)),
            media: post.media.iter().filter_map(|m| MediaView::new(m, config)).collect(),
            replies_count: status.replies_count,
            reblogs_count: status.reblogs_count,
            favourites_count: status.favourites_count,
            focus: false,
        }
    }

    pub fn all(posts: &[Post], config: &Config) -> Vec<PostView> {
        posts.iter().map(|p| PostView::new(p, config)).collect()
    }
}

impl MediaView {
    fn new(row: &MediaRow, config: &Config) -> Option<MediaView> {
        let (url, ours) = match (&row.r2_key, &row.remote_url) {
            (Some(key), _) => (profile::media_url(config, key), true),
            (None, Some(remote)) => (http_url(remote)?.to_string(), false),
            (None, None) => return None,
        };
        let meta: serde_json::Value = serde_json::from_str(&row.meta).unwrap_or_default();
        let size = |key: &str| meta[key].as_u64().filter(|v| *v > 0);
        let kind = match row.kind.as_str() {
            "image" => "Image",
            "gifv" => "Animated image",
            "video" => "Video",
            "audio" => "Audio",
            _ => "Attachment",
        };
        Some(MediaView {
            url,
            alt: row.description.clone().unwrap_or_default(),
            // A `gifv` is an MP4 (Mastodon converts animated GIFs): the CSP loads no video.
            embed: ours && row.kind == "image",
            kind,
            width: size("width"),
            height: size("height"),
        })
    }
}

/// Text of post or profile HTML, whitespace collapsed, cut to `max` characters (with `…`).
pub fn excerpt(html: &str, max: usize) -> String {
    shorten(&crate::domain::filters::plain_text(html), max)
}

/// Plain text, whitespace collapsed, cut to `max` characters (with `…`).
pub fn shorten(text: &str, max: usize) -> String {
    let words: Vec<&str> = text.split_whitespace().collect();
    let text = words.join(" ");
    if text.chars().count() <= max {
        return text;
    }
    let cut: String = text.chars().take(max.saturating_sub(1)).collect();
    format!("{}…", cut.trim_end())
}

/// OpenGraph and Twitter card meta of a page, as link previews read them.
pub struct OpenGraph {
    /// `profile`, `article` or `website`.
    pub kind: &'static str,
    pub title: String,
    pub description: String,
    pub url: String,
    pub image: Option<String>,
    pub image_alt: String,
    pub image_width: Option<u64>,
    pub image_height: Option<u64>,
    /// `summary`, or `summary_large_image` when the image is a post's picture.
    pub card: &'static str,
    pub published: Option<String>,
    pub username: Option<String>,
}

impl OpenGraph {
    pub fn new(kind: &'static str, title: String, description: String, url: String) -> OpenGraph {
        OpenGraph {
            kind,
            title,
            description,
            url,
            image: None,
            image_alt: String::new(),
            image_width: None,
            image_height: None,
            card: "summary",
            published: None,
            username: None,
        }
    }

    /// A post's card: its content warning (never the text behind it) or its text, and its first
    /// picture unless the post is sensitive, else the author's avatar.
    pub fn of_post(post: &Post, config: &Config) -> OpenGraph {
        let author = &post.author;
        let title = format!("{} (@{})", display_name(author), handle(author, config));
        let description = if post.status.spoiler_text.is_empty() {
            excerpt(&post.status.content, 300)
        } else {
            format!("Content warning: {}", post.status.spoiler_text)
        };
        let mut og = OpenGraph::new("article", title, description, permalink(post, config));
        og.published = Some(iso8601(post.status.created_at));
        let picture = post.media.iter().filter_map(|m| MediaView::new(m, config)).find(|m| m.embed);
        match picture.filter(|_| !post.status.sensitive) {
            Some(picture) => {
                og.image = Some(picture.url);
                og.image_alt = picture.alt;
                (og.image_width, og.image_height) = (picture.width, picture.height);
                og.card = "summary_large_image";
            }
            None => og.image = Some(profile::avatar_url(author, config)),
        }
        og
    }
}

/// The form that sends a visitor to their own server (`web::interact`).
pub struct InteractForm {
    pub heading: &'static str,
    pub hint: &'static str,
    /// The post to answer; none: follow the owner.
    pub status_id: Option<String>,
    /// What the visitor typed, shown again with `error`.
    pub acct: String,
    pub error: Option<String>,
}

impl InteractForm {
    pub fn follow() -> InteractForm {
        InteractForm {
            heading: "Follow from your own server",
            hint: "Your handle, such as you@mastodon.example. Your server asks you to confirm.",
            status_id: None,
            acct: String::new(),
            error: None,
        }
    }

    pub fn reply(status_id: i64) -> InteractForm {
        InteractForm {
            heading: "Reply, boost or favourite from your own server",
            status_id: Some(status_id.to_string()),
            ..InteractForm::follow()
        }
    }
}

/// A page link with `max_id` or `min_id`.
pub fn page_link(base: &str, key: &str, id: Option<i64>) -> Option<String> {
    id.map(|id| format!("{base}?{key}={id}"))
}

/// A profile field with links marked `rel="me"` (profile verification).
pub struct FieldView {
    pub name: String,
    pub value_html: String,
    /// The linked page links back (`app::profile::verify_links`).
    pub verified: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpts_are_text_cut_at_a_character() {
        assert_eq!(excerpt("<p>Hello <b>wide</b>\n\n world &amp; all</p>", 100), "Hello wide world & all");
        assert_eq!(excerpt("<p>ääää ööö</p>", 5), "ääää…");
    }

    #[test]
    fn only_http_urls_are_links() {
        assert_eq!(http_url("HTTPS://x.example/"), Some("HTTPS://x.example/"));
        assert_eq!(http_url("javascript:alert(1)"), None);
        assert_eq!(http_url("data:text/html,x"), None);
        assert_eq!(http_url("//x.example"), None);
    }

    #[test]
    fn only_our_own_emoji_become_images() {
        let config = crate::config::for_tests();
        let column = serde_json::json!([
            {"shortcode": "cow", "url": "https://x.example/cow.png"},
            {"shortcode": "ours", "url": format!("{}/media/emojis/1.png", config.public_url)},
            {"shortcode": "plain", "url": "http://x.example/plain.png"},
            {"shortcode": "evil", "url": "javascript:alert(1)"},
            {"shortcode": "bad code", "url": "https://x.example/b.png"},
            {"shortcode": "nourl"}
        ])
        .to_string();
        let emojis = emojis(&column);
        let shown: Vec<&str> = shown(&emojis, &config).iter().map(|e| e.shortcode).collect();
        assert_eq!(shown, vec!["ours"]);
        let html = emoji::images_in_html("<p>:ours: :cow: :evil: :plain:</p>", &super::shown(&emojis, &config));
        assert_eq!(html.matches("<img").count(), 1, "{html}");
        assert!(html.contains(":cow: :evil: :plain:"), "{html}");
    }
}
