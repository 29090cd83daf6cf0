//! Applying activities other servers send us. The inbox (`federation::inbox`) has already
//! checked that `actor` signed the activity; here each type does what Mastodon would, and a
//! failure returns `Err` so that nothing is half-applied (every change is one D1 batch) and the
//! sender retries.
mod social;

use serde_json::Value;

use crate::activitypub::vocab::{self, id_of, type_of};
use crate::app::error::Error;
use crate::app::owner;
use crate::app::remote::{posts, Outcome};
use crate::ctx::Ctx;
use crate::store::accounts::AccountRow;

pub async fn apply(ctx: &Ctx<'_>, actor: &AccountRow, activity: &Value) -> Result<Outcome, Error> {
    let owner = owner::load(ctx).await?;
    let blocked = crate::store::relationships::is_blocked(ctx.db, owner.account.id, actor.id, actor.domain.as_deref()).await?;
    let kind = type_of(activity);
    if blocked && !matches!(kind, "Undo" | "Delete" | "Reject") {
        return Ok(Outcome::Ignored("actor is blocked"));
    }
    let standing = crate::app::moderation::standing(ctx, actor.domain.as_deref()).await?;
    if kind == "Flag" && standing.reject_reports {
        return Ok(Outcome::Ignored("reports from this server are rejected"));
    }
    let object_type = activity.get("object").map(type_of).unwrap_or("");
    match kind {
        "Follow" => social::follow(ctx, &owner, actor, activity, blocked, standing.silenced || actor.silenced_at.is_some()).await,
        "Accept" => social::accept(ctx, &owner, actor, activity).await,
        "Reject" => social::reject(ctx, &owner, actor).await,
        "Undo" => social::undo(ctx, &owner, actor, activity).await,
        "Like" | "EmojiReact" => social::like(ctx, &owner, actor, activity).await,
        "Block" => social::block(ctx, &owner, actor, activity).await,
        "Move" => social::moved(ctx, &owner, actor, activity).await,
        "Flag" => social::flag(ctx, &owner, actor, activity).await,
        "Add" | "Remove" => social::featured(ctx, actor, activity, kind == "Add").await,
        "Create" => posts::create(ctx, &owner, actor, activity).await,
        "Update" if vocab::is_actor_type(object_type) => social::update_profile(ctx, actor, activity).await,
        "Update" => posts::update(ctx, &owner, actor, activity).await,
        "Delete" => delete(ctx, actor, activity).await,
        "Announce" => posts::announce(ctx, &owner, actor, activity).await,
        _ => Ok(Outcome::Ignored("unsupported activity type")),
    }
}

async fn delete(ctx: &Ctx<'_>, actor: &AccountRow, activity: &Value) -> Result<Outcome, Error> {
    let object = activity.get("object").and_then(id_of).ok_or_else(|| Error::Malformed("Delete has no object".into()))?;
    if object == actor.uri {
        ctx.db.batch(&crate::store::accounts::remove_remote(actor.id, ctx.now_ms())).await?;
        return Ok(Outcome::Applied);
    }
    posts::delete(ctx, actor, object).await
}

