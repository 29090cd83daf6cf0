//! Status (<https://docs.joinmastodon.org/entities/Status/>) and its loader, which renders any
//! number of statuses with the accounts, tags, mentions, apps, polls and media they refer to in
//! one round trip to D1.
use std::collections::HashMap;

use serde::Serialize;
use serde_json::Value;

use super::account::Account;
use super::poll::Poll;
use crate::config::Config;
use crate::ctx::Ctx;
use crate::domain::time::iso8601;
use crate::domain::visibility::{self, Visibility};
use crate::edge::error::ApiError;
use crate::mastodon::filters;
use crate::store::accounts::{self, AccountRow};
use crate::store::db::{decode, Query, Row};
use crate::store::oauth::{self, ApplicationRow};
use crate::store::polls::{self, PollRow};
use crate::store::statuses::{self, MentionRow, StatusRow, TagRow};

#[derive(Debug, Serialize)]
pub struct Mention {
    pub id: String,
    pub username: String,
    pub url: String,
    pub acct: String,
}

#[derive(Debug, Serialize)]
pub struct Tag {
    pub name: String,
    pub url: String,
}

#[derive(Debug, Serialize)]
pub struct Application {
    pub name: String,
    pub website: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Status {
    pub id: String,
    pub created_at: String,
    pub in_reply_to_id: Option<String>,
    pub in_reply_to_account_id: Option<String>,
    pub sensitive: bool,
    pub spoiler_text: String,
    pub visibility: Visibility,
    pub language: Option<String>,
    pub uri: String,
    pub url: Option<String>,
    pub replies_count: i64,
    pub reblogs_count: i64,
    pub favourites_count: i64,
    pub edited_at: Option<String>,
    pub content: String,
    pub reblog: Option<Box<Status>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub application: Option<Application>,
    pub account: Account,
    pub media_attachments: Vec<Value>,
    pub mentions: Vec<Mention>,
    pub tags: Vec<Tag>,
    pub emojis: Vec<Value>,
    pub card: Option<Value>,
    pub poll: Option<Poll>,
    /// The viewer's flags, present only for an authenticated viewer.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub viewer: Option<ViewerFlags>,
    /// The source text, only in the answer to a delete ("delete and redraft").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct ViewerFlags {
    pub favourited: bool,
    pub reblogged: bool,
    pub muted: bool,
    pub bookmarked: bool,
    pub pinned: bool,
    pub filtered: Vec<Value>,
}

/// Everything the rows refer to, loaded once.
struct Related {
    accounts: HashMap<i64, AccountRow>,
    /// The statuses read with the page, reblogged ones among them.
    statuses: HashMap<i64, StatusRow>,
    tags: HashMap<i64, Vec<TagRow>>,
    mentions: HashMap<i64, Vec<MentionRow>>,
    apps: HashMap<i64, ApplicationRow>,
    polls: HashMap<i64, PollRow>,
    media: HashMap<i64, Vec<Value>>,
    now: i64,
}

/// The statuses to render: rows already read, or ids whose rows are read with what they refer
/// to. By id, they come in the order of the ids, repeats kept; statuses that are gone, or that
/// the viewer may not see, are left out.
#[derive(Clone, Copy)]
pub enum Shown<'a> {
    Rows(&'a [StatusRow]),
    Ids(&'a [i64]),
}

/// Renders statuses, and reads the caller's `own` queries beside them, in one round trip: the
/// statuses they reblog and what all of them refer to (accounts, tags, mentions, apps, polls,
/// media) are found in SQL from the statuses' ids (`store::statuses::shown!`), not by a read
/// first. With a `context` (`home`, `public`, `thread`, `account`, `notifications`) the owner's
/// filters for it mark matching statuses (`filtered`) and drop those a `hide` filter matches;
/// when this isolate has not read the filters lately, they come in the same round trip. Returns
/// the statuses and each `own` query's rows. A status whose account is missing (an inconsistent
/// database) is skipped rather than failing the whole page.
pub async fn render_with(ctx: &Ctx<'_>, viewer: Option<i64>, shown: Shown<'_>, context: Option<&str>, own: Vec<Query>) -> Result<(Vec<Status>, Vec<Vec<Row>>), ApiError> {
    let ids: Vec<i64> = match shown {
        Shown::Rows(rows) => rows.iter().map(|r| r.id).collect(),
        Shown::Ids(ids) => ids.to_vec(),
    };
    let own_count = own.len();
    let mut queries = own;
    if ids.is_empty() {
        return Ok((Vec::new(), if queries.is_empty() { Vec::new() } else { ctx.db.batch_rows(&queries).await? }));
    }
    queries.push(match shown {
        // Only the reblogged statuses are missing.
        Shown::Rows(rows) => statuses::get_many_query(viewer, &rows.iter().filter_map(|r| r.reblog_of_id).collect::<Vec<_>>()),
        Shown::Ids(ids) => statuses::shown_query(viewer, ids),
    });
    queries.extend([
        accounts::shown_authors_query(&ids),
        statuses::shown_tags_query(&ids),
        statuses::shown_mentions_query(&ids),
        oauth::shown_apps_query(viewer, &ids),
        polls::shown_query(viewer, &ids),
        crate::store::media::shown_query(&ids),
    ]);
    // The owner's filters apply to the owner's reads in a context.
    let filtering = viewer.zip(context);
    let cached_filters = filtering.and_then(|_| filters::cached(ctx));
    if let (Some((owner, _)), None) = (filtering, &cached_filters) {
        queries.extend(crate::store::filters::all_queries(owner, None));
    }
    let mut results = ctx.db.batch_rows(&queries).await?;
    let mut answers = results.split_off(own_count.min(results.len())).into_iter();
    let mut next = || answers.next().unwrap_or_default();
    let read: HashMap<i64, StatusRow> = decode::<StatusRow>(next())?.into_iter().map(|r| (r.id, r)).collect();
    let accounts = decode::<AccountRow>(next())?.into_iter().map(|a| (a.id, a)).collect();
    let mut tags: HashMap<i64, Vec<TagRow>> = HashMap::new();
    for t in decode::<TagRow>(next())? {
        tags.entry(t.status_id).or_default().push(t);
    }
    let mut mentions: HashMap<i64, Vec<MentionRow>> = HashMap::new();
    for m in decode::<MentionRow>(next())? {
        mentions.entry(m.status_id).or_default().push(m);
    }
    let apps = decode::<ApplicationRow>(next())?.into_iter().map(|a| (a.id, a)).collect();
    let polls = decode::<PollRow>(next())?.into_iter().map(|p| (p.status_id, p)).collect();
    let mut media: HashMap<i64, Vec<Value>> = HashMap::new();
    for m in decode::<crate::store::media::MediaRow>(next())? {
        if let Some(status_id) = m.status_id {
            media.entry(status_id).or_default().push(super::media::from_row(&m, ctx.config));
        }
    }
    let filters = match (filtering, cached_filters) {
        (None, _) => Vec::new(),
        (Some((_, context)), Some(all)) => filters::in_context(all, ctx.now_ms(), context),
        (Some((_, context)), None) => {
            let all = crate::store::filters::from_rows(answers.collect())?;
            filters::remember(ctx, &all);
            filters::in_context(all, ctx.now_ms(), context)
        }
    };
    let related = Related { accounts, statuses: read, tags, mentions, apps, polls, media, now: ctx.now_ms() };
    let rows: Vec<&StatusRow> = match shown {
        Shown::Rows(rows) => rows.iter().collect(),
        Shown::Ids(ids) => ids
            .iter()
            .filter_map(|id| related.statuses.get(id))
            .filter(|r| visibility::may_see(r.visibility, viewer.is_some()))
            .collect(),
    };
    let mut rendered: Vec<Status> = rows.into_iter().filter_map(|row| to_status(row, viewer.is_some(), &related, ctx.config)).collect();
    if !filters.is_empty() {
        apply_filters(&mut rendered, &filters);
    }
    Ok((rendered, results))
}

/// Renders rows in order (see `render_with`).
pub async fn render_many(ctx: &Ctx<'_>, viewer: Option<i64>, rows: &[StatusRow]) -> Result<Vec<Status>, ApiError> {
    Ok(render_with(ctx, viewer, Shown::Rows(rows), None, Vec::new()).await?.0)
}

/// Renders rows for a timeline `context`, with the owner's filters for it (see `render_with`).
pub async fn render_many_in(ctx: &Ctx<'_>, viewer: Option<i64>, rows: &[StatusRow], context: &str) -> Result<Vec<Status>, ApiError> {
    Ok(render_with(ctx, viewer, Shown::Rows(rows), Some(context), Vec::new()).await?.0)
}

/// Marks the statuses `filters` match (`filtered`) and drops those a `hide` filter matches.
fn apply_filters(statuses: &mut Vec<Status>, filters: &[crate::store::filters::Filter]) {
    statuses.retain_mut(|status| {
        let shown = status.reblog.as_deref().unwrap_or(status);
        let id = shown.id.parse().unwrap_or_default();
        let results = filters::results(filters, id, &shown.spoiler_text, &shown.content);
        let hidden = filters::hides(&results);
        if let Some(reblog) = status.reblog.as_deref_mut() {
            if let Some(flags) = reblog.viewer.as_mut() {
                flags.filtered = results.clone();
            }
        }
        if let Some(flags) = status.viewer.as_mut() {
            flags.filtered = results;
        }
        !hidden
    });
}

pub async fn render_one(ctx: &Ctx<'_>, viewer: Option<i64>, row: &StatusRow) -> Result<Status, ApiError> {
    render_many(ctx, viewer, std::slice::from_ref(row))
        .await?
        .pop()
        .ok_or_else(|| ApiError::Internal(format!("status {} has no account", row.id).into()))
}

fn to_status(row: &StatusRow, with_viewer: bool, related: &Related, config: &Config) -> Option<Status> {
    let account = related.accounts.get(&row.account_id)?;
    let reblog = match row.reblog_of_id {
        Some(id) => Some(Box::new(to_status(related.statuses.get(&id)?, with_viewer, related, config)?)),
        None => None,
    };
    let tags = related.tags.get(&row.id).map(Vec::as_slice).unwrap_or_default();
    let mentions = related.mentions.get(&row.id).map(Vec::as_slice).unwrap_or_default();
    Some(Status {
        id: row.id.to_string(),
        created_at: iso8601(row.created_at),
        in_reply_to_id: row.in_reply_to_id.map(|id| id.to_string()),
        in_reply_to_account_id: row.in_reply_to_account_id.map(|id| id.to_string()),
        sensitive: row.sensitive,
        spoiler_text: row.spoiler_text.clone(),
        visibility: row.visibility,
        language: row.language.clone(),
        uri: row.uri.clone(),
        url: row.url.clone(),
        replies_count: row.replies_count,
        reblogs_count: row.reblogs_count,
        favourites_count: row.favourites_count,
        edited_at: row.edited_at.map(iso8601),
        content: if reblog.is_some() { String::new() } else { row.content.clone() },
        reblog,
        application: row
            .application_id
            .and_then(|id| related.apps.get(&id))
            .map(|a| Application { name: a.name.clone(), website: a.website.clone() }),
        account: Account::from_row(account, config),
        media_attachments: related.media.get(&row.id).cloned().unwrap_or_default(),
        mentions: mentions
            .iter()
            .map(|m| Mention {
                id: m.account_id.to_string(),
                username: m.username.clone(),
                url: m.url.clone().unwrap_or_else(|| m.uri.clone()),
                acct: match &m.domain {
                    Some(domain) => format!("{}@{domain}", m.username),
                    None => m.username.clone(),
                },
            })
            .collect(),
        tags: tags
            .iter()
            // The name as first written (Mastodon's display name); the URL is the normalized one.
            .map(|t| Tag { name: t.name.clone(), url: crate::content::tag_url(&config.public_url, &t.name) })
            .collect(),
        emojis: super::custom_emojis(&row.emojis),
        card: None,
        poll: related.polls.get(&row.id).map(|p| Poll::from_row(p, with_viewer, with_viewer && account.is_local(), related.now)),
        viewer: with_viewer.then(|| ViewerFlags {
            favourited: row.favourited,
            reblogged: row.reblogged,
            muted: row.muted,
            bookmarked: row.bookmarked,
            pinned: row.pinned_at.is_some(),
            filtered: Vec::new(),
        }),
        text: None,
    })
}
