//! Activities between people rather than about posts: follows and their answers, undo, likes,
//! blocks, moves, reports, profile updates and featured posts.
use serde_json::Value;

use super::{posts, Outcome};
use crate::activitypub::vocab::{self, id_of, type_of};
use crate::ctx::Ctx;
use crate::app::jobs::{self, Event};
use crate::app::remote::actors;
use crate::app::owner::{self, Owner};
use crate::app::error::Error;
use crate::store::accounts::{self, AccountRow};
use crate::store::relationships::{self as follows, NewFollow};
use crate::store::statuses;
use crate::app::live;
use crate::store::reports;

/// Whether an activity's object names the owner.
fn names_owner(owner: &Owner, object: Option<&Value>) -> bool {
    object.and_then(id_of) == Some(owner.account.uri.as_str())
}

/// A follow of the owner. From a silenced server (`limited`) it waits for approval even when
/// the account is not locked, as Mastodon's limited servers do.
pub async fn follow(ctx: &Ctx<'_>, owner: &Owner, actor: &AccountRow, activity: &Value, blocked: bool, limited: bool) -> Result<Outcome, Error> {
    if !names_owner(owner, activity.get("object")) {
        return Ok(Outcome::Ignored("follow of someone else"));
    }
    let follow_uri = activity.get("id").and_then(Value::as_str).map(str::to_string);
    if blocked {
        jobs::publish(ctx, Event::FollowRejected { account_id: actor.id.to_string(), follow_uri }).await?;
        return Ok(Outcome::Applied);
    }
    let now = ctx.now_ms();
    let existing = follows::relationships(ctx.db, owner.account.id, &[actor.id]).await?.pop();
    let already = existing.as_ref().is_some_and(|r| r.followed_by);
    let requested = existing.as_ref().is_some_and(|r| r.requested_by);
    let mut queries = vec![follows::follow_requested(ctx.new_id(), actor.id, owner.account.id, follow_uri.as_deref(), now)];
    if already {
        // A repeated Follow (the peer lost our Accept): accept again.
    } else if owner.account.locked || limited {
        if !requested {
            queries.push(live::notification(ctx, owner.account.id, actor.id, "follow_request", None, now));
        }
        ctx.db.batch(&queries).await?;
        owner::invalidate(ctx);
        return Ok(Outcome::Applied);
    } else {
        queries.extend(follows::accept_follow(actor.id, owner.account.id, now));
        queries.push(live::notification(ctx, owner.account.id, actor.id, "follow", None, now));
    }
    ctx.db.batch(&queries).await?;
    owner::invalidate(ctx);
    jobs::publish(ctx, Event::FollowAccepted { account_id: actor.id.to_string() }).await?;
    Ok(Outcome::Applied)
}

/// Accept of the owner's Follow (by id or embedded).
pub async fn accept(ctx: &Ctx<'_>, owner: &Owner, actor: &AccountRow, activity: &Value) -> Result<Outcome, Error> {
    let object = activity.get("object");
    if object.is_some_and(|o| o.is_object() && type_of(o) != "Follow") {
        return Ok(Outcome::Ignored("accept of something other than a follow"));
    }
    let pending = follows::relationships(ctx.db, owner.account.id, &[actor.id]).await?.pop();
    if !pending.is_some_and(|r| r.requested || r.following) {
        return Ok(Outcome::Ignored("accept of no follow"));
    }
    ctx.db.batch(&follows::accept_follow(owner.account.id, actor.id, ctx.now_ms())).await?;
    owner::invalidate(ctx);
    Ok(Outcome::Applied)
}

pub async fn reject(ctx: &Ctx<'_>, owner: &Owner, actor: &AccountRow) -> Result<Outcome, Error> {
    ctx.db.batch(&follows::unfollow(owner.account.id, actor.id)).await?;
    owner::invalidate(ctx);
    Ok(Outcome::Applied)
}

pub async fn undo(ctx: &Ctx<'_>, owner: &Owner, actor: &AccountRow, activity: &Value) -> Result<Outcome, Error> {
    let object = activity.get("object").ok_or_else(|| Error::Malformed("Undo has no object".into()))?;
    let object_id = id_of(object).unwrap_or_default();
    if let Some(undone_actor) = object.get("actor").and_then(id_of) {
        if undone_actor != actor.uri {
            return Ok(Outcome::Ignored("an undo of someone else's activity"));
        }
    }
    // The undone activity's type, from the embedded copy or from what we stored under its id.
    let kind = match type_of(object) {
        "" => undone_type(ctx, owner, actor, object_id).await?,
        kind => kind,
    };
    match kind {
        "Follow" => {
            ctx.db.batch(&follows::unfollow(actor.id, owner.account.id)).await?;
            owner::invalidate(ctx);
            Ok(Outcome::Applied)
        }
        "Like" | "EmojiReact" => {
            let target = object.get("object").and_then(id_of).unwrap_or_default();
            let Some(status) = statuses::get_by_uri(ctx.db, None, target).await? else { return Ok(Outcome::Ignored("unknown post")) };
            ctx.db.batch(&statuses::unfavourite(actor.id, status.id)).await?;
            Ok(Outcome::Applied)
        }
        "Announce" => posts::unannounce(ctx, actor, object_id).await,
        "Block" => {
            ctx.db.run(&follows::unblock(actor.id, owner.account.id)).await?;
            Ok(Outcome::Applied)
        }
        _ => Ok(Outcome::Ignored("undo of an unsupported activity")),
    }
}

async fn undone_type(ctx: &Ctx<'_>, owner: &Owner, actor: &AccountRow, id: &str) -> Result<&'static str, Error> {
    if statuses::get_by_uri(ctx.db, None, id).await?.is_some_and(|s| s.reblog_of_id.is_some()) {
        return Ok("Announce");
    }
    if follows::follow_uri(ctx.db, actor.id, owner.account.id).await?.as_deref() == Some(id) {
        return Ok("Follow");
    }
    Ok("")
}

pub async fn like(ctx: &Ctx<'_>, owner: &Owner, actor: &AccountRow, activity: &Value) -> Result<Outcome, Error> {
    let target = activity.get("object").and_then(id_of).ok_or_else(|| Error::Malformed("Like has no object".into()))?;
    let Some(status) = statuses::get_by_uri(ctx.db, Some(actor.id), target).await? else { return Ok(Outcome::Ignored("like of an unknown post")) };
    if status.favourited {
        return Ok(Outcome::Ignored("already liked"));
    }
    let now = ctx.now_ms();
    let mut queries = statuses::favourite(ctx.new_id(), actor.id, status.id, now).to_vec();
    if status.account_id == owner.account.id {
        queries.push(live::notification(ctx, owner.account.id, actor.id, "favourite", Some(status.id), now));
    }
    ctx.db.batch(&queries).await?;
    Ok(Outcome::Applied)
}

pub async fn block(ctx: &Ctx<'_>, owner: &Owner, actor: &AccountRow, activity: &Value) -> Result<Outcome, Error> {
    if !names_owner(owner, activity.get("object")) {
        return Ok(Outcome::Ignored("block of someone else"));
    }
    let mut queries = vec![follows::block(ctx.new_id(), actor.id, owner.account.id, ctx.now_ms())];
    queries.extend(follows::unfollow(actor.id, owner.account.id));
    queries.extend(follows::unfollow(owner.account.id, actor.id));
    ctx.db.batch(&queries).await?;
    owner::invalidate(ctx);
    Ok(Outcome::Applied)
}

/// Move: an account we know moved to `target`, which must list it in `alsoKnownAs`. If the
/// owner followed the old account, they now follow the new one.
pub async fn moved(ctx: &Ctx<'_>, owner: &Owner, actor: &AccountRow, activity: &Value) -> Result<Outcome, Error> {
    if activity.get("object").and_then(id_of) != Some(actor.uri.as_str()) {
        return Ok(Outcome::Ignored("a move of another actor"));
    }
    let target_uri = activity.get("target").and_then(id_of).ok_or_else(|| Error::Malformed("Move has no target".into()))?;
    let target = actors::refresh(ctx, target_uri).await.map_err(Error::from)?;
    let aliases: Vec<String> = serde_json::from_str(&target.also_known_as).unwrap_or_default();
    if !aliases.contains(&actor.uri) {
        return Ok(Outcome::Ignored("a move to an account that does not list the sender in alsoKnownAs"));
    }
    let now = ctx.now_ms();
    let mut queries = vec![accounts::set_moved(actor.id, target.id, now)];
    let relationship = follows::relationships(ctx.db, owner.account.id, &[actor.id]).await?.pop();
    let was_following = relationship.is_some_and(|r| r.following || r.requested);
    if was_following {
        queries.extend(follows::unfollow(owner.account.id, actor.id));
        let follow_id = ctx.new_id();
        queries.push(follows::follow(NewFollow {
            id: follow_id,
            follower: owner.account.id,
            target: target.id,
            uri: format!("{}#follows/{follow_id}", owner.account.uri),
            show_reblogs: true,
            notify: false,
            languages: None,
            now,
        }));
    }
    ctx.db.batch(&queries).await?;
    owner::invalidate(ctx);
    if was_following {
        jobs::publish(ctx, Event::Unfollowed { account_id: actor.id.to_string(), follow_uri: None }).await?;
        jobs::publish(ctx, Event::Followed { account_id: target.id.to_string() }).await?;
    }
    Ok(Outcome::Applied)
}

/// Flag: a report about the owner or their posts, kept for the owner to read.
pub async fn flag(ctx: &Ctx<'_>, owner: &Owner, actor: &AccountRow, activity: &Value) -> Result<Outcome, Error> {
    let objects = vocab::ids_of(activity.get("object"));
    let prefix = format!("{}/", owner.account.uri);
    if !objects.iter().any(|o| *o == owner.account.uri || o.starts_with(&prefix)) {
        return Ok(Outcome::Ignored("report about someone else"));
    }
    let mut status_ids = Vec::new();
    for uri in objects.iter().filter(|o| o.starts_with(&prefix)) {
        if let Some(status) = statuses::get_by_uri(ctx.db, None, uri).await? {
            status_ids.push(status.id.to_string());
        }
    }
    let comment = activity.get("content").and_then(Value::as_str).unwrap_or_default();
    let status_json = serde_json::to_string(&status_ids).unwrap_or_else(|_| "[]".into());
    ctx.db
        .run(&reports::create_report(&reports::NewReport {
            id: ctx.new_id(),
            reporter: actor.id,
            target: owner.account.id,
            status_ids: &status_json,
            rule_ids: "[]",
            comment: &comment.chars().take(5000).collect::<String>(),
            category: "other",
            forward: false,
            now: ctx.now_ms(),
        }))
        .await?;
    Ok(Outcome::Applied)
}

/// Update of an actor: only the actor itself, with the document embedded.
pub async fn update_profile(ctx: &Ctx<'_>, actor: &AccountRow, activity: &Value) -> Result<Outcome, Error> {
    let object = &activity["object"];
    if id_of(object) != Some(actor.uri.as_str()) {
        return Ok(Outcome::Ignored("an update of another actor"));
    }
    let parsed = vocab::parse_actor(object, &actor.uri).map_err(Error::Malformed)?;
    actors::save(ctx, &parsed).await.map_err(Error::from)?;
    Ok(Outcome::Applied)
}

/// Add/Remove to the actor's `featured` collection: pins.
pub async fn featured(ctx: &Ctx<'_>, actor: &AccountRow, activity: &Value, add: bool) -> Result<Outcome, Error> {
    let target = activity.get("target").and_then(id_of).unwrap_or_default();
    let featured_url = accounts::featured_url(ctx.db, actor.id).await?;
    if featured_url.as_deref() != Some(target) || target.is_empty() {
        return Ok(Outcome::Ignored("not the actor's featured collection"));
    }
    let object = activity.get("object").and_then(id_of).unwrap_or_default();
    let Some(status) = statuses::get_by_uri(ctx.db, None, object).await? else {
        return Ok(Outcome::Ignored("unknown post"));
    };
    if status.account_id != actor.id {
        return Ok(Outcome::Ignored("a post by someone else"));
    }
    ctx.db.run(&statuses::set_pinned(status.id, add.then(|| ctx.now_ms()))).await?;
    Ok(Outcome::Applied)
}
