//! Posts from other servers: what a Create, Update, Delete or Announce of a Note (and Questions,
//! Articles…) does here, storing a post resolved by URL (search), and fetching the rest of a
//! thread (the queue's `FetchThread`). The inbox (`federation::inbound`) verified the sender.
use serde_json::{json, Value};

use super::{account, object_of, Outcome};
use crate::activitypub::vocab::{self, id_of, Post};
use crate::ctx::Ctx;
use crate::domain::visibility::Visibility;
use super::fetch;
use crate::app::jobs::{self, Event, Job, Task};
use crate::app::posting::new_tags;
use crate::app::owner::Owner;
use crate::app::error::Error;
use crate::store::accounts::AccountRow;
use crate::store::db::Query;
use crate::store::media::{self, RemoteMedia};
use crate::store::polls::{self, NewPoll};
use crate::store::statuses::{self as store, NewStatus, StatusRow};
use crate::app::live;
use crate::store::relationships;

/// How far up a thread backfill walks, and how many replies of one post it fetches.
const MAX_THREAD_DEPTH: u32 = 16;
const MAX_REPLIES_FETCHED: usize = 20;

/// Why (and whether) a post concerns the owner: Mastodon keeps only posts from people you
/// follow, posts that mention you, and replies to what it has.
struct Relevance {
    following: bool,
    /// The owner asked to be notified of the author's posts.
    notify: bool,
    mentions_owner: bool,
    parent: Option<StatusRow>,
}

async fn relevance(ctx: &Ctx<'_>, owner: &Owner, author: &AccountRow, post: &Post) -> Result<Relevance, Error> {
    let relationship = relationships::relationships(ctx.db, owner.account.id, &[author.id]).await?.pop();
    let following = relationship.as_ref().is_some_and(|r| r.following);
    let notify = relationship.as_ref().is_some_and(|r| r.notifying);
    let owner_url = ctx.config.profile_url(&owner.account.username);
    let mentions_owner = post.mentions.iter().any(|m| *m == owner.account.uri || *m == owner_url)
        || post.to.iter().chain(&post.cc).any(|a| *a == owner.account.uri);
    let parent = match &post.in_reply_to {
        Some(uri) => store::get_by_uri(ctx.db, Some(owner.account.id), uri).await?,
        None => None,
    };
    Ok(Relevance { following, notify, mentions_owner, parent })
}

fn poll_options(poll: &vocab::Poll) -> String {
    let options: Vec<Value> = poll.options.iter().map(|(title, votes)| json!({"title": title, "votes_count": votes})).collect();
    Value::Array(options).to_string()
}

/// Where a stored remote post shows up for the owner.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Reach {
    /// Only where it is looked for (its thread, the author's profile, search): a fetched post.
    Stored,
    /// Also in the home feed (the owner follows the author or is addressed).
    Home,
    /// In the home feed with a `status` notification (the owner rang the bell for the author).
    HomeAndBell,
}

/// Stores a post by `author`; returns its id.
async fn store_post(ctx: &Ctx<'_>, owner: &Owner, author: &AccountRow, post: &Post, parent: Option<&StatusRow>, reach: Reach) -> Result<i64, Error> {
    let home = reach != Reach::Stored;
    let now = ctx.now_ms();
    let id = ctx.new_id();
    let owner_url = ctx.config.profile_url(&owner.account.username);
    let (ours, others): (Vec<String>, Vec<String>) = post.mentions.iter().cloned().partition(|href| *href == owner.account.uri || *href == owner_url);
    let mut mentioned = crate::store::accounts::ids_by_uris(ctx.db, &others).await?;
    if !ours.is_empty() {
        mentioned.push(owner.account.id);
    }
    mentioned.sort_unstable();
    mentioned.dedup();
    let visibility = vocab::visibility(&post.to, &post.cc, None);
    let tags = new_tags(ctx, &post.hashtags);
    let home_of: Vec<i64> = if home { vec![owner.account.id] } else { Vec::new() };
    let new = NewStatus {
        id,
        uri: &post.id,
        url: post.url.as_deref(),
        account_id: author.id,
        local: false,
        visibility,
        content: &post.content,
        text: Some(&post.text),
        spoiler_text: &post.summary,
        sensitive: post.sensitive || !post.summary.is_empty(),
        language: post.language.as_deref(),
        in_reply_to: parent.map(|p| (p.id, p.account_id)),
        reblog_of_id: None,
        conversation_id: parent.and_then(|p| p.conversation_id).unwrap_or(id),
        application_id: None,
        // Keep the author's time (bounded: a post from the future is dated now).
        now: post.published.map_or(now, |p| p.min(now)),
    };
    let mut queries: Vec<Query> = store::create(&new, &tags, &mentioned, &home_of);
    if post.emojis != "[]" {
        queries.push(store::set_emojis(id, &post.emojis));
    }
    if parent.is_none() {
        if let Some(uri) = &post.in_reply_to {
            queries.push(store::remember_parent_uri(id, uri));
        }
    }
    // A server whose media is rejected keeps its words here, not its pictures.
    let media_rejected = crate::app::moderation::standing(ctx, author.domain.as_deref()).await?.reject_media;
    for attachment in post.attachments.iter().filter(|_| !media_rejected) {
        let mut meta = match (attachment.width, attachment.height) {
            (Some(w), Some(h)) => json!({"width": w, "height": h}),
            _ => json!({}),
        };
        if let Some(preview) = &attachment.preview_url {
            meta["preview_url"] = json!(preview);
        }
        let meta = meta.to_string();
        queries.push(media::create_remote(&RemoteMedia {
            id: ctx.new_id(),
            account_id: author.id,
            status_id: id,
            kind: attachment.kind,
            url: &attachment.url,
            content_type: attachment.media_type.as_deref(),
            description: attachment.description.as_deref(),
            blurhash: attachment.blurhash.as_deref(),
            meta: &meta,
            now,
        }));
    }
    if let Some(poll) = &post.poll {
        let options = poll_options(poll);
        queries.extend(polls::create(&NewPoll {
            id: ctx.new_id(),
            status_id: id,
            options: &options,
            multiple: poll.multiple,
            hide_totals: false,
            expires_at: poll.ends_at.unwrap_or(now),
            now,
        }));
        let votes = poll.options.iter().map(|(_, v)| v).sum();
        queries.push(polls::set_remote_counts(id, &options, votes, poll.voters_count, poll.closed.then_some(now)));
    }
    if mentioned.contains(&owner.account.id) || parent.is_some_and(|p| p.account_id == owner.account.id) {
        queries.push(live::notification(ctx, owner.account.id, author.id, "mention", Some(id), now));
    } else if reach == Reach::HomeAndBell {
        queries.push(live::notification(ctx, owner.account.id, author.id, "status", Some(id), now));
    }
    ctx.db.batch(&queries).await?;
    live::status_added(ctx, id);
    Ok(id)
}

pub async fn create(ctx: &Ctx<'_>, owner: &Owner, actor: &AccountRow, activity: &Value) -> Result<Outcome, Error> {
    let mut object = object_of(ctx, activity).await?;
    // As Mastodon: an object embedded in a signed Create without `attributedTo` is the signer's.
    if activity.get("object").is_some_and(Value::is_object) && object.get("attributedTo").is_none_or(Value::is_null) {
        object["attributedTo"] = Value::String(actor.uri.clone());
    }
    let kind = vocab::type_of(&object);
    if kind == "Note" && object.get("name").is_some() && object.get("content").is_none() {
        return vote(ctx, owner, actor, &object).await;
    }
    if !vocab::POST_TYPES.contains(&kind) {
        return Ok(Outcome::Ignored("not a post"));
    }
    let post = vocab::parse_post(&object).map_err(Error::Malformed)?;
    if post.attributed_to != actor.uri || vocab::host_of(&post.id) != actor.domain {
        return Ok(Outcome::Ignored("a post attributed to someone else, or on another host than the sender"));
    }
    if store::uri_known(ctx.db, &post.id).await? {
        return Ok(Outcome::Ignored("already known"));
    }
    let why = relevance(ctx, owner, actor, &post).await?;
    if !(why.following || why.mentions_owner || why.parent.is_some()) {
        return Ok(Outcome::Ignored("nobody here follows the author or is addressed"));
    }
    let reach = match (why.following || why.mentions_owner, why.notify) {
        (false, _) => Reach::Stored,
        (true, false) => Reach::Home,
        (true, true) => Reach::HomeAndBell,
    };
    store_post(ctx, owner, actor, &post, why.parent.as_ref(), reach).await?;
    if why.parent.is_none() {
        if let Some(parent) = &post.in_reply_to {
            jobs::publish(ctx, Task::FetchThread { uri: parent.clone(), depth: 1 }).await?;
        }
    }
    Ok(Outcome::Applied)
}

/// A vote on one of the owner's polls: a Note with only a `name`, replying to the poll. Only
/// someone the poll reached may vote, once per option, and once at all on a single-choice poll.
async fn vote(ctx: &Ctx<'_>, owner: &Owner, actor: &AccountRow, object: &Value) -> Result<Outcome, Error> {
    let Some(poll_uri) = object.get("inReplyTo").and_then(id_of) else { return Ok(Outcome::Ignored("vote without poll")) };
    let Some(status) = store::get_by_uri(ctx.db, None, poll_uri).await? else { return Ok(Outcome::Ignored("unknown poll")) };
    if status.account_id != owner.account.id {
        return Ok(Outcome::Ignored("not a poll of ours"));
    }
    let reached = match status.visibility {
        Visibility::Public | Visibility::Unlisted => true,
        Visibility::Private => relationships::relationships(ctx.db, owner.account.id, &[actor.id]).await?.pop().is_some_and(|r| r.followed_by),
        Visibility::Direct => false,
    };
    if !reached && !store::mentions_account(ctx.db, status.id, actor.id).await? {
        return Ok(Outcome::Ignored("vote on a poll the voter was not sent"));
    }
    let Some(poll) = polls::of_statuses(ctx.db, Some(actor.id), &[status.id]).await?.pop() else { return Ok(Outcome::Ignored("not a poll")) };
    if poll.closed_at.is_some() || poll.expires_at.is_some_and(|e| e < ctx.now_ms()) {
        return Ok(Outcome::Ignored("poll closed"));
    }
    if !poll.multiple && poll.own_votes != "[]" {
        return Ok(Outcome::Ignored("already voted on a single-choice poll"));
    }
    let options: Vec<Value> = serde_json::from_str(&poll.options).unwrap_or_default();
    let name = object.get("name").and_then(Value::as_str).unwrap_or_default();
    let Some(choice) = options.iter().position(|o| o["title"].as_str() == Some(name)) else { return Ok(Outcome::Ignored("no such option")) };
    ctx.db.batch(&polls::vote(poll.id, actor.id, &[(ctx.new_id(), choice as i64)], ctx.now_ms())).await?;
    jobs::publish(ctx, Event::StatusUpdated { status_id: status.id.to_string() }).await?;
    Ok(Outcome::Applied)
}

pub async fn update(ctx: &Ctx<'_>, owner: &Owner, actor: &AccountRow, activity: &Value) -> Result<Outcome, Error> {
    let object = object_of(ctx, activity).await?;
    if !vocab::POST_TYPES.contains(&vocab::type_of(&object)) {
        return Ok(Outcome::Ignored("unsupported Update"));
    }
    let post = vocab::parse_post(&object).map_err(Error::Malformed)?;
    let Some(before) = store::get_by_uri(ctx.db, Some(owner.account.id), &post.id).await? else {
        return Ok(Outcome::Ignored("update of an unknown post"));
    };
    if before.account_id != actor.id || post.attributed_to != actor.uri {
        return Ok(Outcome::Ignored("an update of someone else's post"));
    }
    let now = ctx.now_ms();
    let mut queries = Vec::new();
    let changed = before.content != post.content || before.spoiler_text != post.summary || before.sensitive != post.sensitive;
    if before.emojis != post.emojis {
        queries.push(store::set_emojis(before.id, &post.emojis));
    }
    if changed {
        let tags = new_tags(ctx, &post.hashtags);
        let edit = store::Edit { content: &post.content, text: &post.text, spoiler_text: &post.summary, sensitive: post.sensitive, language: post.language.as_deref() };
        queries.extend(store::edit(&before, &edit, (ctx.new_id(), ctx.new_id()), &tags, post.updated.unwrap_or(now).min(now)));
        // Mastodon tells those who boosted a post that it changed.
        if before.reblogged {
            queries.push(live::notification(ctx, owner.account.id, actor.id, "update", Some(before.id), now));
        }
    }
    if let Some(poll) = &post.poll {
        let votes = poll.options.iter().map(|(_, v)| v).sum();
        queries.push(polls::set_remote_counts(before.id, &poll_options(poll), votes, poll.voters_count, poll.closed.then_some(now)));
    }
    if queries.is_empty() {
        return Ok(Outcome::Ignored("nothing changed"));
    }
    ctx.db.batch(&queries).await?;
    live::status_edited(ctx, before.id);
    Ok(Outcome::Applied)
}

pub async fn delete(ctx: &Ctx<'_>, actor: &AccountRow, uri: &str) -> Result<Outcome, Error> {
    match store::get_by_uri(ctx.db, None, uri).await? {
        Some(status) if status.account_id == actor.id => {
            ctx.db.batch(&store::delete(&status, ctx.now_ms())).await?;
            live::status_deleted(ctx, status.id);
            Ok(Outcome::Applied)
        }
        Some(_) => Ok(Outcome::Ignored("a delete of someone else's post")),
        None if vocab::host_of(uri) == actor.domain => {
            // Deleted before it reached us: remember, so a late Create stays out.
            ctx.db.run(&store::tombstone(ctx.new_id(), uri, actor.id, ctx.now_ms())).await?;
            Ok(Outcome::Ignored("delete of an unknown post"))
        }
        None => Ok(Outcome::Ignored("delete of an unknown post")),
    }
}

/// A post as stored, with the document it was read from when it had to be fetched now.
struct Found {
    status: StatusRow,
    fetched: Option<Value>,
}

/// What we know of the post `uri`: `Some(Some(row))` stored, `Some(None)` deleted (a tombstone),
/// `None` never seen.
async fn stored(ctx: &Ctx<'_>, owner: &Owner, uri: &str) -> Result<Option<Option<StatusRow>>, Error> {
    if let Some(status) = store::get_by_uri(ctx.db, Some(owner.account.id), uri).await? {
        return Ok(Some(Some(status)));
    }
    Ok(store::uri_known(ctx.db, uri).await?.then_some(None))
}

/// A post we may not have yet: stored, or fetched from its server with its author (an embedded
/// copy in someone else's activity is never trusted). `fetched`: the document, when the caller
/// already fetched it by `uri`. `None`: it was deleted.
async fn known_or_fetched(ctx: &Ctx<'_>, owner: &Owner, uri: &str, fetched: Option<Value>) -> Result<Option<Found>, Error> {
    if let Some(known) = stored(ctx, owner, uri).await? {
        return Ok(known.map(|status| Found { status, fetched: None }));
    }
    let document = match fetched {
        Some(document) => document,
        None => fetch::get_object(ctx, uri).await.map_err(Error::from)?,
    };
    // The fetch proved that the document speaks for its own id, which may differ from `uri`
    // (a post's HTML address): that id is what is stored.
    let post = vocab::parse_post(&document).map_err(Error::Malformed)?;
    if post.id != uri {
        if let Some(known) = stored(ctx, owner, &post.id).await? {
            return Ok(known.map(|status| Found { status, fetched: Some(document) }));
        }
    }
    let author = account(ctx, &post.attributed_to).await?;
    if vocab::host_of(&post.id) != author.domain || author.is_local() {
        return Err(Error::Malformed(format!("{} is not by {}", post.id, author.uri)));
    }
    let parent = match &post.in_reply_to {
        Some(p) => store::get_by_uri(ctx.db, Some(owner.account.id), p).await?,
        None => None,
    };
    store_post(ctx, owner, &author, &post, parent.as_ref(), Reach::Stored).await?;
    let status = store::get_by_uri(ctx.db, Some(owner.account.id), &post.id).await?;
    Ok(status.map(|status| Found { status, fetched: Some(document) }))
}

pub async fn announce(ctx: &Ctx<'_>, owner: &Owner, actor: &AccountRow, activity: &Value) -> Result<Outcome, Error> {
    let id = activity.get("id").and_then(Value::as_str).ok_or_else(|| Error::Malformed("Announce has no id".into()))?;
    let object_uri = activity.get("object").and_then(id_of).ok_or_else(|| Error::Malformed("Announce has no object".into()))?;
    if store::uri_known(ctx.db, id).await? {
        return Ok(Outcome::Ignored("already known"));
    }
    let following = relationships::relationships(ctx.db, owner.account.id, &[actor.id]).await?.pop().is_some_and(|r| r.following);
    let ours = object_uri.starts_with(&format!("{}/", owner.account.uri));
    if !following && !ours {
        return Ok(Outcome::Ignored("boost by someone nobody here follows"));
    }
    let Some(Found { status: original, .. }) = known_or_fetched(ctx, owner, object_uri, None).await? else {
        return Ok(Outcome::Ignored("boost of a deleted post"));
    };
    if !original.visibility.is_public_to_anyone() {
        return Ok(Outcome::Ignored("boost of a post that is not public"));
    }
    let now = ctx.now_ms();
    let reblog_id = ctx.new_id();
    let to = vocab::ids_of(activity.get("to"));
    let cc = vocab::ids_of(activity.get("cc"));
    let visibility = vocab::visibility(&to, &cc, None);
    let new = NewStatus::reblog(reblog_id, id, actor.id, visibility, &original, now);
    let home_of: Vec<i64> = if following { vec![owner.account.id] } else { Vec::new() };
    let mut queries = store::create(&new, &[], &[], &home_of);
    if original.account_id == owner.account.id {
        queries.push(live::notification(ctx, owner.account.id, actor.id, "reblog", Some(original.id), now));
    }
    ctx.db.batch(&queries).await?;
    live::status_added(ctx, reblog_id);
    Ok(Outcome::Applied)
}

/// A post by URL, fetched and stored when new (search with `resolve=true`); `fetched`: its
/// document when the caller already fetched it.
pub async fn resolve_post(ctx: &Ctx<'_>, uri: &str, fetched: Option<Value>) -> Result<Option<StatusRow>, Error> {
    let owner = crate::app::owner::load(ctx).await?;
    Ok(known_or_fetched(ctx, &owner, uri, fetched).await?.map(|found| found.status))
}

/// Undo of an Announce: the boost, identified by the Announce's id.
pub async fn unannounce(ctx: &Ctx<'_>, actor: &AccountRow, announce_id: &str) -> Result<Outcome, Error> {
    match store::get_by_uri(ctx.db, None, announce_id).await? {
        Some(reblog) if reblog.account_id == actor.id && reblog.reblog_of_id.is_some() => {
            ctx.db.batch(&store::delete(&reblog, ctx.now_ms())).await?;
            live::status_deleted(ctx, reblog.id);
            Ok(Outcome::Applied)
        }
        Some(_) => Ok(Outcome::Ignored("an undo of someone else's boost")),
        None => Ok(Outcome::Ignored("undo of an unknown boost")),
    }
}

/// Thread backfill (a queued job): fetches `uri` and, while its parent is unknown, the parent,
/// up to `MAX_THREAD_DEPTH`; then a bounded number of the thread root's direct replies.
pub async fn fetch_thread(ctx: &Ctx<'_>, uri: &str, depth: u32) -> Result<(), Error> {
    let owner = crate::app::owner::load(ctx).await?;
    let Found { status, fetched } = match known_or_fetched(ctx, &owner, uri, None).await {
        Ok(Some(found)) => found,
        Ok(None) => return Ok(()),
        Err(Error::RetryLater(e)) => return Err(Error::RetryLater(e)),
        Err(e) => {
            crate::ctx::log_error(&format!("thread backfill of {uri}: {e}"));
            return Ok(());
        }
    };
    // Children that arrived before this parent point at it by URI only: link them now.
    ctx.db.run(&store::link_replies(&status, uri)).await?;
    let parent_uri = store::missing_parent_uri(ctx.db, status.id).await?;
    let mut jobs = Vec::new();
    if let Some(parent) = parent_uri.filter(|_| depth < MAX_THREAD_DEPTH) {
        jobs.push(Job::Task(Task::FetchThread { uri: parent, depth: depth + 1 }));
    } else if depth <= 1 && !status.local {
        jobs.extend(reply_uris(ctx, uri, fetched).await.into_iter().map(|uri| Job::Task(Task::FetchThread { uri, depth: MAX_THREAD_DEPTH })));
    }
    if !jobs.is_empty() {
        jobs::publish_all(ctx, jobs).await?;
    }
    Ok(())
}

/// The first replies listed in a post's `replies` collection that we do not have (`document`:
/// the post, when it was just fetched).
async fn reply_uris(ctx: &Ctx<'_>, uri: &str, document: Option<Value>) -> Vec<String> {
    let document = match document {
        Some(document) => document,
        None => match fetch::get_object(ctx, uri).await {
            Ok(document) => document,
            Err(_) => return Vec::new(),
        },
    };
    let Some(replies) = document.get("replies") else { return Vec::new() };
    let collection = match replies {
        Value::String(url) => match fetch::get_object(ctx, url).await {
            Ok(c) => c,
            Err(_) => return Vec::new(),
        },
        other => other.clone(),
    };
    let page = match collection.get("first") {
        Some(Value::String(url)) => fetch::get_object(ctx, url).await.unwrap_or(Value::Null),
        Some(first) => first.clone(),
        None => collection,
    };
    let items = page.get("orderedItems").or_else(|| page.get("items"));
    let mut uris = vocab::ids_of(items);
    uris.truncate(MAX_REPLIES_FETCHED);
    let mut unknown = Vec::new();
    for uri in uris {
        if !store::uri_known(ctx.db, &uri).await.unwrap_or(true) {
            unknown.push(uri);
        }
    }
    unknown
}
