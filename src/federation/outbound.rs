//! The queue consumer's half for `Event`s: each becomes an activity (our objects through
//! `app::documents`), stored, with `Task::DeliverMany` messages of up to eight distinct inboxes
//! queued (shared inboxes when peers offer them).
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::{json, Value};

use crate::app::documents;
use crate::app::jobs::{self, Event};
use crate::activitypub::{build, proofs};
use crate::ctx::Ctx;
use crate::domain::ids;
use crate::domain::time::{iso8601, iso8601_seconds};
use crate::app::owner::{self, Owner};
use crate::edge::error::ApiError;
use crate::store::accounts::{self, AccountRow};
use crate::store::federation as store;
use crate::store::statuses::{self, StatusRow};
use crate::store::{media, polls};
use crate::domain::visibility::Visibility;

fn id(text: &str) -> Result<i64, ApiError> {
    ids::parse(text).ok_or(ApiError::NotFound)
}

/// A remote account by id, or `None` for local and unknown ones (nobody to tell).
async fn remote(ctx: &Ctx<'_>, account_id: &str) -> Result<Option<AccountRow>, ApiError> {
    Ok(accounts::get(ctx.db, id(account_id)?).await?.filter(|a| !a.is_local()))
}

/// The Ed25519 seed that signs FEP-8b32 proofs.
fn proof_seed(owner: &Owner) -> Result<[u8; 32], ApiError> {
    STANDARD
        .decode(&owner.user.ed25519_private_key)
        .ok()
        .and_then(|s| s.try_into().ok())
        .ok_or_else(|| ApiError::Internal("owner Ed25519 key is malformed".into()))
}

/// Adds an `eddsa-jcs-2022` proof (FEP-8b32) made with the owner's Ed25519 key. The
/// data-integrity context joins the document's own, so that JSON-LD readers (Fedify) find
/// the proof; it is added before signing, as the proof covers the context.
pub fn with_proof(ctx: &Ctx<'_>, owner: &Owner, document: &Value) -> Result<Value, ApiError> {
    let method = format!("{}#ed25519-key", owner.account.uri);
    let mut document = document.clone();
    let context = match document.get("@context").cloned() {
        Some(Value::Array(mut items)) => {
            if !items.iter().any(|c| c == crate::activitypub::DATA_INTEGRITY_V1) {
                items.push(json!(crate::activitypub::DATA_INTEGRITY_V1));
            }
            Value::Array(items)
        }
        Some(single) => json!([single, crate::activitypub::DATA_INTEGRITY_V1]),
        None => json!([crate::activitypub::ACTIVITYSTREAMS, crate::activitypub::DATA_INTEGRITY_V1]),
    };
    document["@context"] = context;
    Ok(proofs::sign(&document, &method, &iso8601_seconds(ctx.now_ms()), &proof_seed(owner)?))
}

/// The Note (or Question) of a local status with everything it refers to.
pub async fn note_of(ctx: &Ctx<'_>, owner: &Owner, status: &StatusRow) -> Result<Value, ApiError> {
    Ok(notes_of(ctx, owner, std::slice::from_ref(status)).await?.pop().unwrap_or_default())
}

/// The Notes of local statuses, in their order, with what they refer to loaded for all of them
/// at once: five queries whatever the number (a page of the outbox is 20).
pub async fn notes_of(ctx: &Ctx<'_>, owner: &Owner, rows: &[StatusRow]) -> Result<Vec<Value>, ApiError> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mentions = statuses::mentions_of(ctx.db, &ids).await?;
    let tags = statuses::tags_of(ctx.db, &ids).await?;
    let media = media::of_statuses(ctx.db, &ids).await?;
    let polls = polls::of_statuses(ctx.db, None, &ids).await?;
    let parent_ids: Vec<i64> = rows.iter().filter_map(|r| r.in_reply_to_id).collect();
    let parents = if parent_ids.is_empty() { Vec::new() } else { statuses::get_many(ctx.db, None, &parent_ids).await? };
    let mut notes = Vec::with_capacity(rows.len());
    for status in rows {
        let mentions: Vec<_> = mentions.iter().filter(|m| m.status_id == status.id).cloned().collect();
        let tags: Vec<String> = tags.iter().filter(|t| t.status_id == status.id).map(|t| t.name.clone()).collect();
        let media: Vec<_> = media.iter().filter(|m| m.status_id == Some(status.id)).cloned().collect();
        let poll = polls.iter().find(|p| p.status_id == status.id);
        let in_reply_to_uri = status.in_reply_to_id.and_then(|parent| parents.iter().find(|p| p.id == parent)).map(|p| p.uri.as_str());
        let parts = documents::NoteParts {
            status,
            author: &owner.account,
            in_reply_to_uri,
            mentions: &mentions,
            tags: &tags,
            media: &media,
            poll,
        };
        notes.push(documents::note(&parts, ctx.config));
    }
    Ok(notes)
}

/// Who receives a post: followers unless direct, mentioned accounts, and the author replied to.
async fn post_inboxes(ctx: &Ctx<'_>, owner: &Owner, status: &StatusRow) -> Result<Vec<String>, ApiError> {
    let mut targets: Vec<i64> = statuses::mentions_of(ctx.db, &[status.id]).await?.into_iter().map(|m| m.account_id).collect();
    if let Some(parent_author) = status.in_reply_to_account_id {
        targets.push(parent_author);
    }
    let mut inboxes = store::inboxes_of(ctx.db, &targets, true).await?;
    if status.visibility != Visibility::Direct {
        inboxes.extend(store::follower_inboxes(ctx.db, owner.account.id).await?);
    }
    Ok(inboxes)
}

/// Stores `activity` and queues its deliveries. Inboxes on our own host are skipped.
pub async fn store_and_queue(ctx: &Ctx<'_>, actor_account_id: i64, activity: &Value, inboxes: Vec<String>) -> Result<(), ApiError> {
    let own_prefix = format!("{}/", ctx.config.public_url);
    let mut inboxes: Vec<String> = inboxes.into_iter().filter(|i| !i.starts_with(&own_prefix)).collect();
    inboxes.sort();
    inboxes.dedup();
    if inboxes.is_empty() {
        return Ok(());
    }
    let uri = activity["id"].as_str().unwrap_or_default();
    let activity_id = store::save_activity(ctx.db, ctx.new_id(), uri, actor_account_id, &activity.to_string(), ctx.now_ms()).await?;
    Ok(jobs::publish_all(ctx, jobs::deliveries(activity_id, &inboxes)).await?)
}

pub async fn fan_out(ctx: &Ctx<'_>, event: &Event) -> Result<(), ApiError> {
    let owner = owner::load(ctx).await?;
    let me = owner.account.uri.clone();
    let followers = documents::followers_url(&owner.account);
    match event {
        Event::StatusCreated { status_id } | Event::StatusUpdated { status_id } => {
            let Some(status) = statuses::get(ctx.db, Some(owner.account.id), id(status_id)?).await? else { return Ok(()) };
            if !status.local || status.reblog_of_id.is_some() {
                return Ok(());
            }
            let note = with_proof(ctx, &owner, &note_of(ctx, &owner, &status).await?)?;
            let (to, cc) = (note["to"].as_array().cloned().unwrap_or_default(), note["cc"].as_array().cloned().unwrap_or_default());
            let strings = |v: Vec<Value>| v.into_iter().filter_map(|s| s.as_str().map(str::to_string)).collect::<Vec<_>>();
            let (kind, activity_uri) = match event {
                Event::StatusCreated { .. } => ("Create", format!("{}/activity", status.uri)),
                _ => ("Update", format!("{}#updates/{}", status.uri, status.edited_at.unwrap_or(ctx.now_ms()))),
            };
            let mut activity = build::activity(kind, &activity_uri, &me, note, &strings(to), &strings(cc));
            activity["published"] = json!(iso8601(status.created_at));
            let activity = with_proof(ctx, &owner, &activity)?;
            let inboxes = post_inboxes(ctx, &owner, &status).await?;
            store_and_queue(ctx, owner.account.id, &activity, inboxes).await
        }
        Event::StatusDeleted { status_id, uri } => {
            let mentioned: Vec<i64> = statuses::mentions_of(ctx.db, &[id(status_id)?]).await?.into_iter().map(|m| m.account_id).collect();
            let mut inboxes = store::inboxes_of(ctx.db, &mentioned, true).await?;
            inboxes.extend(store::follower_inboxes(ctx.db, owner.account.id).await?);
            let to = vec![crate::activitypub::vocab::PUBLIC.to_string()];
            let activity = build::activity("Delete", &format!("{uri}#delete"), &me, build::tombstone(uri), &to, &[followers]);
            store_and_queue(ctx, owner.account.id, &with_proof(ctx, &owner, &activity)?, inboxes).await
        }
        Event::Favourited { status_id } | Event::Unfavourited { status_id } => {
            let Some(status) = statuses::get(ctx.db, None, id(status_id)?).await? else { return Ok(()) };
            let Some(author) = remote(ctx, &status.account_id.to_string()).await? else { return Ok(()) };
            let like = build::simple("Like", &format!("{me}#likes/{}", status.id), &me, &status.uri, std::slice::from_ref(&author.uri), &[]);
            let activity = match event {
                Event::Favourited { .. } => like,
                _ => build::undo(&me, like),
            };
            store_and_queue(ctx, owner.account.id, &activity, store::inboxes_of(ctx.db, &[author.id], true).await?).await
        }
        Event::Reblogged { reblog_id } | Event::Unreblogged { reblog_id, .. } => {
            let original_id = match event {
                Event::Unreblogged { status_id, .. } => id(status_id)?,
                _ => {
                    let Some(reblog) = statuses::get(ctx.db, Some(owner.account.id), id(reblog_id)?).await? else { return Ok(()) };
                    reblog.reblog_of_id.ok_or(ApiError::NotFound)?
                }
            };
            let Some(original) = statuses::get(ctx.db, Some(owner.account.id), original_id).await? else { return Ok(()) };
            let author_uri = accounts::get(ctx.db, original.account_id).await?.map(|a| a.uri).unwrap_or_default();
            let reblog_uri = format!("{me}/statuses/{reblog_id}");
            let (to, cc) = if original.visibility == Visibility::Private {
                (vec![followers.clone()], vec![author_uri])
            } else {
                (vec![crate::activitypub::vocab::PUBLIC.to_string()], vec![author_uri, followers.clone()])
            };
            let mut announce = build::simple("Announce", &format!("{reblog_uri}/activity"), &me, &original.uri, &to, &cc);
            announce["published"] = json!(iso8601(ctx.now_ms()));
            let activity = match event {
                Event::Reblogged { .. } => announce,
                _ => build::undo(&me, announce),
            };
            let mut inboxes = store::follower_inboxes(ctx.db, owner.account.id).await?;
            inboxes.extend(store::inboxes_of(ctx.db, &[original.account_id], true).await?);
            store_and_queue(ctx, owner.account.id, &activity, inboxes).await
        }
        Event::ProfileUpdated => {
            let person = documents::owner_actor(ctx, &owner).await?;
            let to = vec![crate::activitypub::vocab::PUBLIC.to_string()];
            let activity = build::activity("Update", &format!("{me}#updates/{}", ctx.now_ms()), &me, person, &to, &[followers]);
            let activity = with_proof(ctx, &owner, &activity)?;
            store_and_queue(ctx, owner.account.id, &activity, store::known_inboxes(ctx.db, owner.account.id).await?).await
        }
        Event::Followed { account_id } | Event::Unfollowed { account_id, .. } => {
            let Some(target) = remote(ctx, account_id).await? else { return Ok(()) };
            let follow_uri = match event {
                Event::Unfollowed { follow_uri: Some(uri), .. } => uri.clone(),
                _ => crate::store::relationships::follow_uri(ctx.db, owner.account.id, target.id)
                    .await?
                    .unwrap_or_else(|| format!("{me}#follows/{}", target.id)),
            };
            let follow = build::follow(&follow_uri, &me, &target.uri);
            let activity = match event {
                Event::Followed { .. } => follow,
                _ => build::undo(&me, follow),
            };
            store_and_queue(ctx, owner.account.id, &activity, store::inboxes_of(ctx.db, &[target.id], false).await?).await
        }
        Event::FollowAccepted { account_id } | Event::FollowRejected { account_id, .. } => {
            let Some(follower) = remote(ctx, account_id).await? else { return Ok(()) };
            let (kind, follow_uri) = match event {
                Event::FollowRejected { follow_uri, .. } => ("Reject", follow_uri.clone()),
                _ => ("Accept", crate::store::relationships::follow_uri(ctx.db, follower.id, owner.account.id).await?),
            };
            let answer_id = format!("{me}#{}/{}/{}", kind.to_lowercase(), follower.id, ctx.now_ms());
            let activity = build::answer_follow(kind, &me, &follower.uri, follow_uri.as_deref(), &answer_id);
            store_and_queue(ctx, owner.account.id, &activity, store::inboxes_of(ctx.db, &[follower.id], false).await?).await
        }
        Event::Blocked { account_id } | Event::Unblocked { account_id } => {
            let Some(target) = remote(ctx, account_id).await? else { return Ok(()) };
            let block = build::simple("Block", &format!("{me}#blocks/{}", target.id), &me, &target.uri, std::slice::from_ref(&target.uri), &[]);
            let activity = match event {
                Event::Blocked { .. } => block,
                _ => build::undo(&me, block),
            };
            store_and_queue(ctx, owner.account.id, &activity, store::inboxes_of(ctx.db, &[target.id], false).await?).await
        }
        Event::PollVoted { poll_id } => {
            let Some(poll) = polls::get(ctx.db, Some(owner.account.id), id(poll_id)?).await? else { return Ok(()) };
            let Some(status) = statuses::get(ctx.db, None, poll.status_id).await? else { return Ok(()) };
            let Some(author) = remote(ctx, &status.account_id.to_string()).await? else { return Ok(()) };
            let options: Vec<Value> = serde_json::from_str(&poll.options).unwrap_or_default();
            let choices: Vec<usize> = serde_json::from_str(&poll.own_votes).unwrap_or_default();
            let inboxes = store::inboxes_of(ctx.db, &[author.id], false).await?;
            for choice in choices {
                let vote_id = format!("{me}#votes/{}/{choice}", poll.id);
                let vote = json!({"id": vote_id, "type": "Note", "name": options.get(choice).map(|o| o["title"].clone()),
                    "attributedTo": me, "inReplyTo": status.uri, "to": [author.uri]});
                let activity = build::activity("Create", &format!("{vote_id}/activity"), &me, vote, std::slice::from_ref(&author.uri), &[]);
                store_and_queue(ctx, owner.account.id, &activity, inboxes.clone()).await?;
            }
            Ok(())
        }
        Event::ReportForwarded { account_id, status_ids, comment } => {
            let Some(target) = remote(ctx, account_id).await? else { return Ok(()) };
            let wanted: Vec<i64> = status_ids.iter().filter_map(|s| ids::parse(s)).collect();
            let mut objects = vec![json!(target.uri)];
            objects.extend(statuses::get_many(ctx.db, None, &wanted).await?.into_iter().map(|s| json!(s.uri)));
            // Reports come from the instance actor, as Mastodon's do, so the reporter stays private.
            let instance_actor = ctx.config.url("/actor");
            let flag = json!({"@context": crate::activitypub::ACTIVITYSTREAMS, "id": format!("{instance_actor}#flags/{}", ctx.new_id()),
                "type": "Flag", "actor": instance_actor, "content": comment, "object": objects, "to": [target.uri]});
            store_and_queue(ctx, 0, &flag, store::inboxes_of(ctx.db, &[target.id], true).await?).await
        }
        Event::Moved { target } => {
            let activity = json!({"@context": crate::activitypub::ACTIVITYSTREAMS, "id": format!("{me}#moves/{}", ctx.now_ms()),
                "type": "Move", "actor": me, "object": me, "target": target, "to": [followers]});
            let activity = with_proof(ctx, &owner, &activity)?;
            store_and_queue(ctx, owner.account.id, &activity, store::follower_inboxes(ctx.db, owner.account.id).await?).await
        }
    }
}
