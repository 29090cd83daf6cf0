//! Moving the owner's account elsewhere: aliases (`alsoKnownAs`, which the new account's server
//! checks before it accepts followers from a `Move`) and the move itself. Mastodon does this in
//! its web settings; Topi offers the same through its pages and its own API (docs/api.md).
use super::error::{Error, Result};
use super::jobs::{self, Event};
use super::owner;
use super::remote::actors;
use crate::ctx::Ctx;
use crate::store::accounts::{self, AccountRow};

/// Aliases an account may list; more would make every actor document longer for nothing.
pub const MAX_ALIASES: usize = 16;

/// The account `acct` names (`user@domain`, or an actor URL), fetched if it is not known.
pub async fn resolve(ctx: &Ctx<'_>, acct: &str) -> Result<AccountRow> {
    let acct = acct.trim();
    if acct.is_empty() {
        return Err(Error::Invalid("An account is required (user@domain)".into()));
    }
    let found = if acct.starts_with("https://") || acct.starts_with("http://") {
        actors::get_or_fetch(ctx, acct).await
    } else {
        let (user, domain) = acct.trim_start_matches('@').split_once('@').ok_or_else(|| Error::Invalid("The account must be user@domain".into()))?;
        actors::resolve_handle(ctx, user, domain).await
    };
    found.map_err(|e| Error::Invalid(format!("{acct} could not be found: {e}")))
}

pub fn aliases_of(account: &AccountRow) -> Vec<String> {
    serde_json::from_str(&account.also_known_as).unwrap_or_default()
}

async fn save_aliases(ctx: &Ctx<'_>, owner_id: i64, aliases: &[String]) -> Result<()> {
    let json = serde_json::to_string(aliases).unwrap_or_else(|_| "[]".into());
    ctx.db.run(&accounts::set_aliases(owner_id, &json, ctx.now_ms())).await?;
    owner::invalidate(ctx);
    jobs::publish(ctx, Event::ProfileUpdated).await?;
    Ok(())
}

/// Lists the account `acct` names as another of the owner's: the owner's aliases after.
pub async fn add_alias(ctx: &Ctx<'_>, acct: &str) -> Result<Vec<String>> {
    let target = resolve(ctx, acct).await?;
    let me = owner::account(ctx).await?;
    if target.id == me.id {
        return Err(Error::Invalid("An account cannot be its own alias".into()));
    }
    let mut aliases = aliases_of(&me);
    if !aliases.contains(&target.uri) {
        if aliases.len() >= MAX_ALIASES {
            return Err(Error::Invalid(format!("Aliases are too many (maximum is {MAX_ALIASES})")));
        }
        aliases.push(target.uri);
        save_aliases(ctx, me.id, &aliases).await?;
    }
    Ok(aliases)
}

/// Removes an alias, named by its actor URL as listed (nothing fetched) or by `user@domain`.
pub async fn remove_alias(ctx: &Ctx<'_>, acct: &str) -> Result<Vec<String>> {
    let me = owner::account(ctx).await?;
    let mut aliases = aliases_of(&me);
    let uri = match aliases.iter().find(|alias| *alias == acct.trim()) {
        Some(listed) => listed.clone(),
        None => resolve(ctx, acct).await?.uri,
    };
    aliases.retain(|alias| *alias != uri);
    save_aliases(ctx, me.id, &aliases).await?;
    Ok(aliases)
}

/// The owner moved to the account `acct` names, which must list the owner among its aliases:
/// followers are told (`Move`). Returns the new account's actor URL.
pub async fn move_to(ctx: &Ctx<'_>, acct: &str) -> Result<String> {
    let target = resolve(ctx, acct).await?;
    let me = owner::account(ctx).await?;
    if target.id == me.id {
        return Err(Error::Invalid("The account cannot move to itself".into()));
    }
    // The new account may have been fetched before it listed us: look again.
    let target = actors::refresh(ctx, &target.uri).await.unwrap_or(target);
    if !aliases_of(&target).contains(&me.uri) {
        return Err(Error::Invalid(format!("{} must first list {} as an alias (alsoKnownAs)", target.uri, me.uri)));
    }
    ctx.db.run(&accounts::set_moved(me.id, target.id, ctx.now_ms())).await?;
    owner::invalidate(ctx);
    jobs::publish(ctx, Event::Moved { target: target.uri.clone() }).await?;
    Ok(target.uri)
}
