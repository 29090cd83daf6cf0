//! The owner following others, whichever surface asks (the API's `follow`, the remote
//! interaction page).
use super::error::{Error, Result};
use super::jobs::{self, Event};
use super::owner;
use crate::ctx::Ctx;
use crate::store::accounts::AccountRow;
use crate::store::relationships::{self as store, NewFollow};

/// How the owner follows an account: Mastodon's options.
#[derive(Debug)]
pub struct Follow {
    pub show_reblogs: bool,
    pub notify: bool,
    /// Only posts in these languages reach the home timeline (none: all).
    pub languages: Vec<String>,
}

impl Default for Follow {
    fn default() -> Follow {
        Follow { show_reblogs: true, notify: false, languages: Vec::new() }
    }
}

/// Starts following `account` (requested until its server accepts) and tells its server; a
/// second follow only changes the options.
pub async fn follow(ctx: &Ctx<'_>, owner_id: i64, account: &AccountRow, options: Follow) -> Result<()> {
    if account.id == owner_id {
        return Err(Error::Forbidden);
    }
    let follow_id = ctx.new_id();
    let languages = (!options.languages.is_empty()).then(|| serde_json::to_string(&options.languages).unwrap_or_default());
    let follow = NewFollow {
        id: follow_id,
        follower: owner_id,
        target: account.id,
        uri: format!("{}#follows/{follow_id}", ctx.config.actor_url(&ctx.config.admin_username)),
        show_reblogs: options.show_reblogs,
        notify: options.notify,
        languages,
        now: ctx.now_ms(),
    };
    ctx.db.run(&store::follow(follow)).await?;
    jobs::publish(ctx, Event::Followed { account_id: account.id.to_string() }).await?;
    owner::invalidate(ctx);
    Ok(())
}
