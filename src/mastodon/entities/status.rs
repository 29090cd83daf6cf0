//! Status (<https://docs.joinmastodon.org/entities/Status/>) and its loader, which renders any
//! number of status rows with the accounts, tags, mentions and apps they refer to in a fixed
//! number of queries.
use std::collections::HashMap;

use serde::Serialize;
use serde_json::Value;

use super::account::Account;
use super::poll::Poll;
use crate::config::Config;
use crate::ctx::Ctx;
use crate::domain::time::iso8601;
use crate::domain::visibility::Visibility;
use crate::edge::error::ApiError;
use crate::store::accounts::{self, AccountRow};
use crate::store::polls::PollRow;
use crate::store::db::decode;
use crate::store::oauth::{self, ApplicationRow};
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
    reblogged: HashMap<i64, StatusRow>,
    tags: HashMap<i64, Vec<TagRow>>,
    mentions: HashMap<i64, Vec<MentionRow>>,
    apps: HashMap<i64, ApplicationRow>,
    polls: HashMap<i64, PollRow>,
    media: HashMap<i64, Vec<Value>>,
    now: i64,
}

/// Renders rows in order. A row whose account is missing (an inconsistent database) is skipped
/// rather than failing the whole page.
pub async fn render_many(ctx: &Ctx<'_>, viewer: Option<i64>, rows: &[StatusRow]) -> Result<Vec<Status>, ApiError> {
    let reblog_ids: Vec<i64> = rows.iter().filter_map(|r| r.reblog_of_id).collect();
    let reblogged: HashMap<i64, StatusRow> =
        statuses::get_many(ctx.db, viewer, &reblog_ids).await?.into_iter().map(|r| (r.id, r)).collect();
    let all_rows: Vec<&StatusRow> = rows.iter().chain(reblogged.values()).collect();
    let mut account_ids: Vec<i64> = all_rows.iter().map(|r| r.account_id).collect();
    account_ids.sort_unstable();
    account_ids.dedup();
    let status_ids: Vec<i64> = all_rows.iter().map(|r| r.id).collect();
    let mut app_ids: Vec<i64> = all_rows.iter().filter_map(|r| r.application_id).collect();
    app_ids.sort_unstable();
    app_ids.dedup();
    let owner = crate::app::owner::account(ctx).await?;
    let others: Vec<i64> = account_ids.into_iter().filter(|id| *id != owner.id).collect();
    // Only the owner's own posts say which app posted them, as in Mastodon.
    let app_ids = if viewer == Some(owner.id) { app_ids } else { Vec::new() };
    // Everything the statuses refer to, in one round trip.
    let mut results = ctx
        .db
        .batch_rows(&[
            accounts::get_many_query(&others),
            statuses::tags_query(&status_ids),
            statuses::mentions_query(&status_ids),
            oauth::applications_query(&app_ids),
            crate::store::polls::of_statuses_query(viewer, &status_ids),
            crate::store::media::of_statuses_query(&status_ids),
        ])
        .await?
        .into_iter();
    let mut next = || results.next().unwrap_or_default();
    let mut accounts: HashMap<i64, AccountRow> = HashMap::from([(owner.id, owner.clone())]);
    accounts.extend(decode::<AccountRow>(next())?.into_iter().map(|a| (a.id, a)));
    let mut tags: HashMap<i64, Vec<TagRow>> = HashMap::new();
    for t in decode::<TagRow>(next())? {
        tags.entry(t.status_id).or_default().push(t);
    }
    let mut mentions: HashMap<i64, Vec<MentionRow>> = HashMap::new();
    for m in decode::<MentionRow>(next())? {
        mentions.entry(m.status_id).or_default().push(m);
    }
    let apps = decode::<ApplicationRow>(next())?.into_iter().map(|a| (a.id, a)).collect();
    let polls = decode::<crate::store::polls::PollRow>(next())?.into_iter().map(|p| (p.status_id, p)).collect();
    let mut media: HashMap<i64, Vec<Value>> = HashMap::new();
    for m in decode::<crate::store::media::MediaRow>(next())? {
        if let Some(status_id) = m.status_id {
            media.entry(status_id).or_default().push(super::media::from_row(&m, ctx.config));
        }
    }
    let related = Related { accounts, reblogged, tags, mentions, apps, polls, media, now: ctx.now_ms() };
    Ok(rows.iter().filter_map(|row| to_status(row, viewer.is_some(), &related, ctx.config)).collect())
}

/// Renders rows for a timeline `context` (`home`, `public`, `thread`, `account`,
/// `notifications`): the owner's filters for it mark matching statuses (`filtered`) and drop
/// those a `hide` filter matches.
pub async fn render_many_in(ctx: &Ctx<'_>, viewer: Option<i64>, rows: &[StatusRow], context: &str) -> Result<Vec<Status>, ApiError> {
    let mut statuses = render_many(ctx, viewer, rows).await?;
    let Some(owner) = viewer else { return Ok(statuses) };
    let filters = crate::mastodon::filters::active(ctx, owner, context).await?;
    if filters.is_empty() {
        return Ok(statuses);
    }
    statuses.retain_mut(|status| {
        let shown = status.reblog.as_deref().unwrap_or(status);
        let id = shown.id.parse().unwrap_or_default();
        let results = crate::mastodon::filters::results(&filters, id, &shown.spoiler_text, &shown.content);
        let hidden = crate::mastodon::filters::hides(&results);
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
    Ok(statuses)
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
        Some(id) => Some(Box::new(to_status(related.reblogged.get(&id)?, with_viewer, related, config)?)),
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
        emojis: serde_json::from_str(&row.emojis).unwrap_or_default(),
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
