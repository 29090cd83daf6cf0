//! The owner's posts: composing (text rendered, mentions resolved, media checked), publishing
//! now or when a scheduled post comes due, and editing. The Mastodon API builds a `NewPost`
//! from a request; the cron from a stored scheduled post.
use serde::{Deserialize, Serialize};

use super::error::{Error, Result};
use super::instance::{MAX_CHARACTERS, MAX_MEDIA_ATTACHMENTS};
use super::jobs::{self, Event};
use super::polls::{self, NewPoll};
use super::{owner, remote};
use crate::content::text::{self, Rendered};
use crate::ctx::{log_error, Ctx};
use crate::domain::ids;
use crate::domain::visibility::{self, Visibility};
use crate::store::accounts::AccountRow;
use crate::store::db::{decode, Query, Row};
use crate::store::scheduled::{self, ScheduledRow};
use crate::store::statuses::{self as store, NewStatus, StatusRow};

/// The longest status text (with its content warning), in bytes, that is counted at all.
const MAX_TEXT_BYTES: usize = 64 * 1024;

/// A post to publish. Stored as JSON while it waits to be published (scheduled posts), with
/// Mastodon's parameter names, so that the scheduled-status entity shows it as Mastodon does.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct NewPost {
    #[serde(rename = "status", default)]
    pub text: String,
    #[serde(default)]
    pub spoiler_text: String,
    #[serde(default)]
    pub media_ids: Vec<String>,
    #[serde(default)]
    pub poll: Option<NewPoll>,
    /// `None`: the owner's default.
    #[serde(default, deserialize_with = "lenient::visibility", skip_serializing_if = "Option::is_none")]
    pub visibility: Option<Visibility>,
    /// `None`: the owner's default (a content warning always makes a post sensitive).
    #[serde(default, deserialize_with = "lenient::optional_flag")]
    pub sensitive: Option<bool>,
    #[serde(default)]
    pub language: Option<String>,
    #[serde(default)]
    pub in_reply_to_id: Option<String>,
}

/// The text and attachments of a post or an edit, checked and rendered.
pub struct Composed {
    pub media_ids: Vec<i64>,
    pub text: String,
    pub spoiler_text: String,
    pub rendered: Rendered,
    /// Local and remote accounts the text mentions (found ones only).
    pub mentioned: Vec<i64>,
    /// The enabled custom emoji the text and content warning use, as the `emojis` column holds them.
    pub emojis: String,
}

/// What a post or an edit says. `editing`: the status being edited, whose own media may stay
/// attached; `has_poll`: a poll comes with it (no media then).
pub async fn compose(ctx: &Ctx<'_>, text: &str, spoiler_text: &str, media_ids: &[String], has_poll: bool, editing: Option<i64>) -> Result<Composed> {
    let media_ids: Vec<i64> = media_ids.iter().map(|id| ids::parse(id).ok_or(Error::NotFound)).collect::<Result<_>>()?;
    if media_ids.len() > MAX_MEDIA_ATTACHMENTS as usize {
        return Err(Error::Invalid(format!("You can attach at most {MAX_MEDIA_ATTACHMENTS} files")));
    }
    if !media_ids.is_empty() {
        if has_poll {
            return Err(Error::Invalid("Cannot attach files to a post with a poll".into()));
        }
        let owner = owner::account(ctx).await?.id;
        let found = crate::store::media::get_many(ctx.db, &media_ids).await?;
        let usable = |id: &i64| found.iter().any(|m| m.id == *id && m.account_id == owner && (m.status_id.is_none() || m.status_id == editing));
        if !media_ids.iter().all(usable) {
            return Err(Error::Invalid("Media ids must name your own uploads that are not attached elsewhere".into()));
        }
    }
    let spoiler_text = spoiler_text.trim().to_string();
    if text.trim().is_empty() && !has_poll && media_ids.is_empty() {
        return Err(Error::Invalid("Text can't be blank".into()));
    }
    // Counting is linear, but needn't run on megabytes: no text within the limit is this long
    // (URLs count 23 characters however long they are, so the cap is generous).
    if text.len() + spoiler_text.len() > MAX_TEXT_BYTES {
        return Err(Error::Invalid(format!("Text character limit of {MAX_CHARACTERS} exceeded")));
    }
    let length = text::character_count(text) + spoiler_text.chars().count();
    if length > MAX_CHARACTERS as usize {
        return Err(Error::Invalid(format!("Text character limit of {MAX_CHARACTERS} exceeded")));
    }
    let owner = owner::account(ctx).await?;
    let config = ctx.config;
    let profile_url = config.profile_url(&owner.username);
    let is_ours = |domain: Option<&str>| domain.is_none_or(|d| d.eq_ignore_ascii_case(&config.handle_domain) || d.eq_ignore_ascii_case(&config.host));
    // First pass: which remote handles does the text mention? They are looked up (stored, or
    // over WebFinger) before the real rendering; one that cannot be found stays plain text.
    let candidates = std::cell::RefCell::new(Vec::new());
    let collect = |user: &str, domain: Option<&str>| {
        if let Some(domain) = domain.filter(|d| !is_ours(Some(d))) {
            candidates.borrow_mut().push((user.to_string(), domain.to_string()));
        }
        None
    };
    text::render(text, &config.public_url, &collect);
    let mut remote: Vec<(String, String, AccountRow)> = Vec::new();
    let found = |remote: &[(String, String, AccountRow)], user: &str, domain: &str| {
        remote.iter().position(|(u, d, _)| u.eq_ignore_ascii_case(user) && d.eq_ignore_ascii_case(domain))
    };
    for (user, domain) in candidates.into_inner() {
        if found(&remote, &user, &domain).is_some() {
            continue;
        }
        match remote::actors::resolve_handle(ctx, &user, &domain).await {
            Ok(account) => remote.push((user, domain, account)),
            Err(e) => log_error(&format!("mention @{user}@{domain}: {e}")),
        }
    }
    let remote_account = |user: &str, domain: Option<&str>| found(&remote, user, domain.unwrap_or_default()).map(|i| &remote[i].2);
    let resolve = |user: &str, domain: Option<&str>| {
        if is_ours(domain) {
            return user.eq_ignore_ascii_case(&owner.username).then(|| (profile_url.clone(), owner.username.clone()));
        }
        remote_account(user, domain).map(|a| (a.url.clone().unwrap_or_else(|| a.uri.clone()), a.username.clone()))
    };
    let rendered = text::render(text, &config.public_url, &resolve);
    let mut mentioned: Vec<i64> = Vec::new();
    for (user, domain) in &rendered.mentions {
        if is_ours(domain.as_deref()) {
            mentioned.push(owner.id);
        } else if let Some(account) = remote_account(user, domain.as_deref()) {
            mentioned.push(account.id);
        }
    }
    mentioned.sort_unstable();
    mentioned.dedup();
    let emojis = super::custom_emojis::used_in(ctx, &[text, &spoiler_text]).await?;
    Ok(Composed { media_ids, text: text.to_string(), spoiler_text, rendered, mentioned, emojis })
}

/// New hashtag rows' ids for the names a text uses (existing tags keep theirs).
pub fn new_tags(ctx: &Ctx<'_>, names: &[String]) -> Vec<(i64, String)> {
    names.iter().map(|name| (ctx.new_id(), name.clone())).collect()
}

/// A status the viewer may see (`viewer`: the owner's account id, or `None` for anyone), or
/// `NotFound`: what you may not see does not exist.
pub async fn visible(ctx: &Ctx<'_>, viewer: Option<i64>, id: &str) -> Result<StatusRow> {
    let id = ids::parse(id).ok_or(Error::NotFound)?;
    Ok(visible_with(ctx, viewer, id, Vec::new()).await?.0)
}

/// `visible`, with `reads` of what hangs off the status (its thread, its edits) in the same
/// round trip; their rows come back beside it, to be shown only because the status may be seen.
pub async fn visible_with(ctx: &Ctx<'_>, viewer: Option<i64>, id: i64, reads: Vec<Query>) -> Result<(StatusRow, Vec<Vec<Row>>)> {
    let queries: Vec<Query> = std::iter::once(store::get_query(viewer, id)).chain(reads).collect();
    let mut answers = ctx.db.batch_rows(&queries).await?.into_iter();
    let row = decode::<StatusRow>(answers.next().unwrap_or_default())?.pop().ok_or(Error::NotFound)?;
    if !visibility::may_see(row.visibility, viewer.is_some()) {
        return Err(Error::NotFound);
    }
    Ok((row, answers.collect()))
}

/// Checks a post without publishing it (when it is scheduled), so that a mistake is reported
/// at once rather than lost when it comes due.
pub async fn check(ctx: &Ctx<'_>, post: &NewPost) -> Result<()> {
    compose(ctx, &post.text, &post.spoiler_text, &post.media_ids, post.poll.is_some(), None).await?;
    if let Some(poll) = &post.poll {
        poll.validate()?;
    }
    Ok(())
}

/// Publishes a post now, as `account_id` from the app `app_id`; returns the new status's id.
/// `idempotency_key`: the client's key, remembered so that a retried request finds this post.
pub async fn publish(ctx: &Ctx<'_>, account_id: i64, app_id: Option<i64>, post: &NewPost, idempotency_key: Option<&str>) -> Result<i64> {
    let now = ctx.now_ms();
    let composed = compose(ctx, &post.text, &post.spoiler_text, &post.media_ids, post.poll.is_some(), None).await?;
    if let Some(poll) = &post.poll {
        poll.validate()?;
    }
    let owner = owner::load(ctx).await?;
    let visibility = post.visibility.unwrap_or_else(|| Visibility::parse(&owner.user.default_privacy).unwrap_or(Visibility::Public));
    let sensitive = post.sensitive.unwrap_or(owner.user.default_sensitive) || !composed.spoiler_text.is_empty();
    let language = post.language.clone().filter(|l| !l.is_empty()).or_else(|| owner.user.default_language.clone());
    let parent = match post.in_reply_to_id.as_deref().filter(|id| !id.is_empty()) {
        Some(id) => Some(visible(ctx, Some(account_id), id).await?),
        None => None,
    };
    let id = ctx.new_id();
    let uri = format!("{}/statuses/{id}", owner.account.uri);
    let url = format!("{}/{id}", ctx.config.profile_url(&owner.account.username));
    let new = NewStatus {
        id,
        uri: &uri,
        url: Some(&url),
        account_id,
        local: true,
        visibility,
        content: &composed.rendered.html,
        text: Some(&composed.text),
        spoiler_text: &composed.spoiler_text,
        sensitive,
        language: language.as_deref(),
        in_reply_to: parent.as_ref().map(|p| (p.id, p.account_id)),
        reblog_of_id: None,
        conversation_id: parent.as_ref().and_then(|p| p.conversation_id).unwrap_or(id),
        application_id: app_id,
        now,
    };
    let mut queries = store::create(&new, &new_tags(ctx, &composed.rendered.tags), &composed.mentioned, &[account_id]);
    if let Some(key) = idempotency_key {
        queries.push(store::remember_idempotency_key(account_id, key, id, now));
    }
    if let Some(poll) = &post.poll {
        queries.extend(polls::create_queries(ctx, poll, id, now));
    }
    if !composed.media_ids.is_empty() {
        queries.push(crate::store::media::attach(id, &composed.media_ids));
    }
    if composed.emojis != "[]" {
        queries.push(store::set_emojis(id, &composed.emojis));
    }
    ctx.db.batch(&queries).await?;
    owner::count_status(ctx, new.visibility, 1);
    super::live::status_added(ctx, id);
    jobs::publish(ctx, Event::StatusCreated { status_id: id.to_string() }).await?;
    Ok(id)
}

/// A scheduled post as stored: the post's fields, and the app it was posted from.
const APPLICATION_ID: &str = "application_id";

/// Checks a post now (so that a mistake is reported at once, not lost when it comes due) and
/// stores it to be published at `scheduled_at`.
pub async fn schedule(ctx: &Ctx<'_>, account_id: i64, app_id: i64, post: NewPost, scheduled_at: i64) -> Result<ScheduledRow> {
    check(ctx, &post).await?;
    let mut stored = serde_json::to_value(&post).map_err(Error::internal)?;
    stored[APPLICATION_ID] = serde_json::Value::String(app_id.to_string());
    let row = ScheduledRow { id: ctx.new_id(), scheduled_at, params: stored.to_string() };
    ctx.db.run(&scheduled::create(row.id, account_id, row.scheduled_at, &row.params, ctx.now_ms())).await?;
    Ok(row)
}

/// Scheduled posts one cron run publishes: each costs ~1.2 ms of Worker CPU and ~9 D1 statements
/// (bench/invocation-cpu.sh measured ten at 12–13 ms and 95 statements, past the free plan's
/// 10 ms and 50 queries). A run every five minutes still publishes 48 an hour.
pub const SCHEDULED_PER_RUN: i64 = 4;

/// Publishes scheduled statuses that are due (`SCHEDULED_PER_RUN` a run). A post that can no
/// longer be published (its parent was deleted meanwhile) is logged and dropped: retrying cannot
/// fix it.
pub async fn publish_due(ctx: &Ctx<'_>) -> Result<usize, Error> {
    let due = scheduled::due(ctx.db, ctx.now_ms(), SCHEDULED_PER_RUN).await?;
    for row in &due {
        let stored: serde_json::Value = serde_json::from_str(&row.params).unwrap_or_default();
        let post: NewPost = match serde_json::from_value(stored.clone()) {
            Ok(post) => post,
            Err(e) => {
                log_error(&format!("scheduled status {} cannot be read: {e}", row.id));
                ctx.db.run(&scheduled::delete(row.id)).await?;
                continue;
            }
        };
        let app_id = stored[APPLICATION_ID].as_str().and_then(ids::parse);
        match publish(ctx, row.account_id, app_id, &post, None).await {
            Ok(_) => {}
            // Ours or the platform's fault: the post waits for the next run.
            Err(e @ (Error::Internal(_) | Error::RetryLater(_))) => return Err(e),
            Err(e) => log_error(&format!("scheduled status {} could not be published: {e}", row.id)),
        }
        ctx.db.run(&scheduled::delete(row.id)).await?;
    }
    Ok(due.len())
}

/// Posts scheduled before typed storage kept their request parameters as sent: booleans and
/// numbers may be strings (`"true"`, `"300"`) when the request was a form.
pub(super) mod lenient {
    use serde::de::Error;
    use serde::{Deserialize, Deserializer};
    use serde_json::Value;

    use crate::domain::visibility::Visibility;

    fn as_flag(value: &Value) -> Option<bool> {
        match value {
            Value::Bool(b) => Some(*b),
            Value::String(s) => match s.trim() {
                "true" | "1" | "on" => Some(true),
                "false" | "0" | "off" | "" => Some(false),
                _ => None,
            },
            Value::Number(n) => Some(n.as_i64() != Some(0)),
            _ => None,
        }
    }

    pub fn flag<'de, D: Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
        let value = Value::deserialize(deserializer)?;
        as_flag(&value).ok_or_else(|| D::Error::custom(format!("not a boolean: {value}")))
    }

    pub fn optional_flag<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<bool>, D::Error> {
        match Value::deserialize(deserializer)? {
            Value::Null => Ok(None),
            value => as_flag(&value).map(Some).ok_or_else(|| D::Error::custom(format!("not a boolean: {value}"))),
        }
    }

    /// A visibility by its Mastodon name; an unknown or empty one (a form's `visibility=`) reads
    /// as the owner's default, as it did when the post was checked.
    pub fn visibility<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Visibility>, D::Error> {
        Ok(Option::<String>::deserialize(deserializer)?.as_deref().and_then(Visibility::parse))
    }

    pub fn int<'de, D: Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
        let value = Value::deserialize(deserializer)?;
        match &value {
            Value::Number(n) => n.as_i64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }
        .ok_or_else(|| D::Error::custom(format!("not an integer: {value}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn posts_scheduled_from_forms_read_back() {
        let stored = serde_json::json!({
            "status": "later", "sensitive": "true", "visibility": "unlisted", "application_id": "7",
            "poll": {"options": ["a", "b"], "expires_in": "300", "multiple": "false"}
        });
        let post: NewPost = serde_json::from_value(stored).unwrap();
        assert_eq!((post.text.as_str(), post.sensitive, post.visibility), ("later", Some(true), Some(Visibility::Unlisted)));
        let poll = post.poll.unwrap();
        assert_eq!((poll.expires_in, poll.multiple, poll.hide_totals), (300, false, false));
    }
}
