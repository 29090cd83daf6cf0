//! What anyone may read here without signing in, for the public pages and feeds: the owner's
//! public and unlisted posts (pinned ones, under a hashtag), a post's thread, and the owner's
//! public posts under a hashtag, each post with what it shows (author, hashtags, media).
//!
//! Nothing private or direct ever comes out of here, and neither do posts by accounts the owner
//! blocked (or whose domain they blocked) or that are suspended: the owner's pages are not a
//! stage for them. Every read is two round trips to D1 (the owner aside, who is usually in the
//! isolate cache): a page of rows with whatever else the page needs, then what the rows refer
//! to, found in SQL from their ids (`store::statuses::shown!`).
use std::collections::{HashMap, HashSet};

use super::error::{Error, Result};
use crate::ctx::Ctx;
use crate::domain::paging::Page;
use crate::domain::visibility::Visibility;
use crate::store::accounts::{self, AccountRow};
use crate::store::db::{decode, Query};
use crate::store::media::{self, MediaRow};
use crate::store::relationships::{hidden_authors_query, AccountId};
use crate::store::statuses::{self, AccountFilter, Locality, StatusRow, TagFilter, TagRow as StatusTag};
use crate::store::tags::{self, TagRow, View};

/// Posts per page, and per feed (Mastodon's feeds show 20 too).
pub const PAGE_SIZE: i64 = 20;
/// Mastodon's limit on pinned posts; the profile shows them all.
const MAX_PINNED: i64 = 5;

/// A post as a public page shows it.
#[derive(Clone, Debug)]
pub struct Post {
    pub status: StatusRow,
    pub author: AccountRow,
    /// Hashtags as first written, by name.
    pub tags: Vec<String>,
    /// Attachments in the order they were attached.
    pub media: Vec<MediaRow>,
}

/// Where a page of posts starts: the newest, just below an id (older), or just above one (newer).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Cursor {
    #[default]
    Newest,
    Older(i64),
    Newer(i64),
}

impl Cursor {
    /// From the `max_id` and `min_id` a page's links carry (`max_id` wins, as in the API).
    pub fn new(max_id: Option<i64>, min_id: Option<i64>) -> Cursor {
        match (max_id, min_id) {
            (Some(id), _) => Cursor::Older(id),
            (None, Some(id)) => Cursor::Newer(id),
            (None, None) => Cursor::Newest,
        }
    }

    /// One post more than a page: whether it came says whether there is more beyond.
    fn page(self) -> Page {
        let limit = PAGE_SIZE + 1;
        match self {
            Cursor::Newest => Page { limit, ..Page::default() },
            Cursor::Older(id) => Page { max_id: Some(id), limit, ..Page::default() },
            Cursor::Newer(id) => Page { min_id: Some(id), limit, ..Page::default() },
        }
    }
}

/// A page of posts, newest first, and where its neighbours start.
#[derive(Debug, Default)]
pub struct Paged {
    pub posts: Vec<Post>,
    /// The `max_id` of the page of older posts, when there are any.
    pub older: Option<i64>,
    /// The `min_id` of the page of newer posts, when there may be any.
    pub newer: Option<i64>,
}

/// A page's rows cut to `PAGE_SIZE`, and whether there are older and newer rows beyond them.
/// The rows are newest first; a `Newer` page read one row too many at its newest end.
fn cut(mut rows: Vec<StatusRow>, cursor: Cursor) -> (Vec<StatusRow>, Option<i64>, Option<i64>) {
    let more = rows.len() as i64 > PAGE_SIZE;
    let (older, newer) = match cursor {
        Cursor::Newest => (more, false),
        Cursor::Older(_) => (more, true),
        Cursor::Newer(_) => {
            if more {
                rows.remove(0);
            }
            (true, more)
        }
    };
    rows.truncate(PAGE_SIZE as usize);
    let older = older.then(|| rows.last().map(|r| r.id)).flatten();
    let newer = newer.then(|| rows.first().map(|r| r.id)).flatten();
    (rows, older, newer)
}

/// The profile's posts: the page, and on the newest page without a hashtag the pinned posts;
/// the featured hashtags (their names: counting their uses would walk every post of the owner's
/// on every view).
#[derive(Debug, Default)]
pub struct Profile {
    pub page: Paged,
    pub pinned: Vec<Post>,
    pub featured: Vec<String>,
}

/// What the profile lists: the owner's public and unlisted posts and their threads, without
/// replies to others and without boosts (whose content is someone else's), as Mastodon's feeds.
fn profile_filter(tagged: Option<&str>) -> AccountFilter {
    AccountFilter {
        include_private: false,
        exclude_replies: true,
        exclude_reblogs: true,
        only_media: false,
        pinned: false,
        // `tags.normalized` is SQLite's `lower()`, which folds ASCII only.
        tagged: tagged.map(|t| t.trim_start_matches('#').to_ascii_lowercase()),
    }
}

/// The owner's profile: a page of posts (under the hashtag `tagged`, if given), the pinned posts
/// on the first page of all posts, and the featured hashtags, in two round trips.
pub async fn profile(ctx: &Ctx<'_>, owner: &AccountRow, cursor: Cursor, tagged: Option<&str>) -> Result<Profile> {
    let page = statuses::by_account_page(None, owner.id, &cursor.page(), &profile_filter(tagged));
    let with_pinned = cursor == Cursor::Newest && tagged.is_none();
    let mut queries = vec![page.query.clone(), tags::featured_query()];
    if with_pinned {
        queries.push(statuses::pinned_public_query(owner.id, MAX_PINNED));
    }
    let mut answers = ctx.db.batch_rows(&queries).await?.into_iter();
    let (rows, older, newer) = cut(page.rows(answers.next().unwrap_or_default())?, cursor);
    let featured = decode::<TagRow>(answers.next().unwrap_or_default())?.into_iter().map(|t| t.name).collect();
    let pinned_rows = decode::<StatusRow>(answers.next().unwrap_or_default())?;
    let pinned_count = pinned_rows.len();
    let mut posts = related(ctx, owner.id, [pinned_rows, rows].concat()).await?;
    let page_posts = posts.split_off(pinned_count);
    let (pinned, posts) = (posts.into_iter().flatten().collect(), page_posts.into_iter().flatten().collect());
    Ok(Profile { page: Paged { posts, older, newer }, pinned, featured })
}

/// The owner's newest public and unlisted posts, for the profile's feeds.
pub async fn recent(ctx: &Ctx<'_>, owner: &AccountRow) -> Result<Vec<Post>> {
    let page = statuses::by_account_page(None, owner.id, &Cursor::Newest.page(), &profile_filter(None));
    let (rows, _, _) = cut(page.fetch(ctx.db).await?, Cursor::Newest);
    with_related(ctx, owner.id, rows).await
}

/// A hashtag's page: the tag, and a page of this server's public posts under it. Only the
/// owner's own posts, as Mastodon's hashtag feeds show only local ones: what others wrote is
/// theirs to publish. Unlisted posts stay out, as in every hashtag timeline. `None`: nobody
/// used the tag in a post the public may see (and it is not featured).
pub async fn hashtag(ctx: &Ctx<'_>, owner: &AccountRow, name: &str, cursor: Cursor) -> Result<Option<(TagRow, Paged)>> {
    let name = name.trim_start_matches('#');
    let filter = TagFilter { any: vec![name.to_ascii_lowercase()], all: Vec::new(), none: Vec::new(), locality: Locality::Local, only_media: false };
    let page = statuses::tagged_page(None, &cursor.page(), &filter);
    let mut answers = ctx.db.batch_rows(&[tags::get_query(name, View::Public), page.query.clone()]).await?.into_iter();
    let Some(tag) = decode::<TagRow>(answers.next().unwrap_or_default())?.pop() else { return Ok(None) };
    let (rows, older, newer) = cut(page.rows(answers.next().unwrap_or_default())?, cursor);
    let posts = with_related(ctx, owner.id, rows).await?;
    Ok(Some((tag, Paged { posts, older, newer })))
}

/// A post of the owner's and its thread.
#[derive(Debug)]
pub struct Thread {
    /// Oldest first.
    pub ancestors: Vec<Post>,
    pub post: Post,
    /// In thread order (by id); only replies whose whole chain up to `post` is shown.
    pub descendants: Vec<Post>,
}

/// The thread of the owner's public or unlisted post `id`: what it replies to, and its replies.
/// `None` when there is no such post (private, direct, a boost, or someone else's).
pub async fn thread(ctx: &Ctx<'_>, owner: &AccountRow, id: i64) -> Result<Option<Thread>> {
    let reads = vec![statuses::ancestors_query(None, id), statuses::descendants_query(None, id)];
    let (row, answers) = match super::posting::visible_with(ctx, None, id, reads).await {
        Ok(found) => found,
        Err(Error::NotFound) => return Ok(None),
        Err(e) => return Err(e),
    };
    if row.account_id != owner.id || row.reblog_of_id.is_some() {
        return Ok(None);
    }
    let mut answers = answers.into_iter();
    let ancestors = decode::<StatusRow>(answers.next().unwrap_or_default())?;
    let descendants = decode::<StatusRow>(answers.next().unwrap_or_default())?;
    let at = ancestors.len();
    let mut shown = related(ctx, owner.id, [ancestors, vec![row], descendants].concat()).await?;
    let descendants: Vec<Post> = shown.split_off(at + 1).into_iter().flatten().collect();
    // The owner's own public post is never left out, unless its row is inconsistent.
    let Some(post) = shown.pop().flatten() else { return Ok(None) };
    let ancestors = shown.into_iter().flatten().collect();
    Ok(Some(Thread { ancestors, descendants: connected(post.status.id, descendants), post }))
}

/// The replies whose chain of parents up to `root` is all there: a reply under one that was
/// left out (private, by a blocked account) is left out too, whatever order the ids are in.
fn connected(root: i64, replies: Vec<Post>) -> Vec<Post> {
    let parents: HashMap<i64, Option<i64>> = replies.iter().map(|p| (p.status.id, p.status.in_reply_to_id)).collect();
    let reaches_root = |mut id: i64| {
        // Each step goes one level up; a thread is at most 40 levels deep (`descendants_query`).
        for _ in 0..=parents.len() {
            match parents.get(&id) {
                Some(Some(parent)) if *parent == root => return true,
                Some(Some(parent)) => id = *parent,
                _ => return false,
            }
        }
        false
    };
    replies.into_iter().filter(|p| reaches_root(p.status.id)).collect()
}

/// The rows as posts with their authors, hashtags and media, in one round trip (see `related`).
async fn with_related(ctx: &Ctx<'_>, owner_id: i64, rows: Vec<StatusRow>) -> Result<Vec<Post>> {
    Ok(related(ctx, owner_id, rows).await?.into_iter().flatten().collect())
}

/// Each row as a post with its author, hashtags and media, read in one round trip; `None` in
/// its place when the public may not see it (private, direct, a boost, by a hidden author).
async fn related(ctx: &Ctx<'_>, owner_id: i64, rows: Vec<StatusRow>) -> Result<Vec<Option<Post>>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let queries: Vec<Query> = vec![
        accounts::shown_authors_query(&ids),
        statuses::shown_tags_query(&ids),
        media::shown_query(&ids),
        hidden_authors_query(owner_id, &ids),
    ];
    let mut answers = ctx.db.batch_rows(&queries).await?.into_iter();
    let mut next = || answers.next().unwrap_or_default();
    let authors: HashMap<i64, AccountRow> = decode::<AccountRow>(next())?.into_iter().map(|a| (a.id, a)).collect();
    let mut tags: HashMap<i64, Vec<String>> = HashMap::new();
    for t in decode::<StatusTag>(next())? {
        tags.entry(t.status_id).or_default().push(t.name);
    }
    let mut media: HashMap<i64, Vec<MediaRow>> = HashMap::new();
    for m in decode::<MediaRow>(next())? {
        if let Some(status_id) = m.status_id {
            media.entry(status_id).or_default().push(m);
        }
    }
    let hidden: HashSet<i64> = decode::<AccountId>(next())?.into_iter().map(|a| a.id).filter(|id| *id != owner_id).collect();
    Ok(rows
        .into_iter()
        .map(|status| {
            if !is_public(&status) || hidden.contains(&status.account_id) {
                return None;
            }
            let author = authors.get(&status.account_id)?.clone();
            // A pinned post is on the profile twice: each gets its own copy.
            let (tags, media) = (tags.get(&status.id).cloned().unwrap_or_default(), media.get(&status.id).cloned().unwrap_or_default());
            Some(Post { tags, media, author, status })
        })
        .collect())
}

/// Whether anyone may see the row on a public page: a public or unlisted post, not a boost.
fn is_public(row: &StatusRow) -> bool {
    matches!(row.visibility, Visibility::Public | Visibility::Unlisted) && row.reblog_of_id.is_none()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(ids: &[i64]) -> Vec<StatusRow> {
        let row: StatusRow = serde_json::from_value(serde_json::json!({
            "id": "0", "uri": "u", "url": null, "account_id": "1", "local": 1, "visibility": "public", "content": "",
            "text": null, "spoiler_text": "", "sensitive": 0, "language": null, "in_reply_to_id": null,
            "in_reply_to_account_id": null, "reblog_of_id": null, "conversation_id": null, "application_id": null,
            "replies_count": 0, "reblogs_count": 0, "favourites_count": 0, "pinned_at": null, "edited_at": null,
            "created_at": 0, "favourited": 0, "reblogged": 0, "bookmarked": 0, "muted": 0
        }))
        .unwrap();
        ids.iter().map(|&id| StatusRow { id, ..row.clone() }).collect()
    }

    fn ids(rows: &[StatusRow]) -> Vec<i64> {
        rows.iter().map(|r| r.id).collect()
    }

    #[test]
    fn a_page_says_whether_there_is_more_on_either_side() {
        let full: Vec<i64> = (0..=PAGE_SIZE).rev().collect(); // PAGE_SIZE + 1 rows, newest first
        let (page, older, newer) = cut(rows(&full), Cursor::Newest);
        assert_eq!((page.len() as i64, older, newer), (PAGE_SIZE, Some(1), None));
        let (_, older, newer) = cut(rows(&full[1..]), Cursor::Newest);
        assert_eq!((older, newer), (None, None), "exactly a page: nothing older");
        let (_, older, newer) = cut(rows(&full[1..]), Cursor::Older(100));
        assert_eq!((older, newer), (None, Some(PAGE_SIZE - 1)));
        // Above `min_id` the extra row is the newest one.
        let (page, older, newer) = cut(rows(&full), Cursor::Newer(-1));
        assert_eq!((ids(&page).first().copied(), older, newer), (Some(PAGE_SIZE - 1), Some(0), Some(PAGE_SIZE - 1)));
        let (page, older, newer) = cut(rows(&[3, 2]), Cursor::Newer(1));
        assert_eq!((ids(&page), older, newer), (vec![3, 2], Some(2), None));
        assert_eq!(cut(Vec::new(), Cursor::Older(5)).1, None);
    }

    #[test]
    fn replies_under_a_missing_reply_are_left_out() {
        let post = |id: i64, parent: i64| {
            let mut status = rows(&[id]).pop().unwrap();
            status.in_reply_to_id = Some(parent);
            let author: AccountRow = serde_json::from_value(serde_json::json!({
                "id": "1", "username": "a", "domain": null, "uri": "u", "url": null, "display_name": "", "note": "", "fields": "[]",
                "avatar_remote_url": null, "header_remote_url": null, "locked": 0, "bot": 0, "group_actor": 0, "discoverable": 1,
                "indexable": 0, "hide_collections": 0, "emojis": "[]", "actor_type": "Person", "inbox_url": null,
                "shared_inbox_url": null, "public_key_id": null, "public_key_pem": null, "also_known_as": "[]",
                "moved_to_account_id": null, "followers_count": 0, "following_count": 0, "statuses_count": 0,
                "last_status_at": null, "fetched_at": null, "created_at": 0, "updated_at": 0
            }))
            .unwrap();
            Post { status, author, tags: Vec::new(), media: Vec::new() }
        };
        // 1 is the root; 3 (a reply to 2, which was left out) and 5 (to 3) go; 6 arrived before its parent 7.
        let replies = vec![post(3, 2), post(4, 1), post(5, 3), post(6, 7), post(7, 4)];
        let kept: Vec<i64> = connected(1, replies).iter().map(|p| p.status.id).collect();
        assert_eq!(kept, [4, 6, 7]);
    }
}
