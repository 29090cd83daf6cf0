//! Polls: the rules a new poll follows, its rows, and closing polls that have ended (the cron).
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::error::{Error, Result};
use super::owner;
use crate::ctx::Ctx;
use crate::store::db::Query;
use super::live;
use crate::store::polls::{self as store, NewPoll as PollRow};

pub const MAX_OPTIONS: usize = 4;
pub const MAX_OPTION_CHARS: usize = 50;
pub const MIN_EXPIRATION_S: i64 = 300;
pub const MAX_EXPIRATION_S: i64 = 2_629_746;

/// A poll posted with a status.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NewPoll {
    pub options: Vec<String>,
    #[serde(deserialize_with = "super::posting::lenient::int")]
    pub expires_in: i64,
    #[serde(default, deserialize_with = "super::posting::lenient::flag")]
    pub multiple: bool,
    #[serde(default, deserialize_with = "super::posting::lenient::flag")]
    pub hide_totals: bool,
}

impl NewPoll {
    /// Mastodon's rules: 2 to 4 distinct options of 1 to 50 characters, 5 minutes to a month.
    pub fn validate(&self) -> Result<()> {
        let options = &self.options;
        if !(2..=MAX_OPTIONS).contains(&options.len()) {
            return Err(Error::Invalid(format!("Poll must have between 2 and {MAX_OPTIONS} options")));
        }
        if options.iter().any(|o| o.is_empty() || o.chars().count() > MAX_OPTION_CHARS) {
            return Err(Error::Invalid(format!("Poll options must be 1 to {MAX_OPTION_CHARS} characters")));
        }
        if options.iter().enumerate().any(|(i, o)| options[..i].contains(o)) {
            return Err(Error::Invalid("Poll options must be different".into()));
        }
        if !(MIN_EXPIRATION_S..=MAX_EXPIRATION_S).contains(&self.expires_in) {
            return Err(Error::Invalid(format!("Poll duration must be between {MIN_EXPIRATION_S} and {MAX_EXPIRATION_S} seconds")));
        }
        Ok(())
    }
}

pub fn create_queries(ctx: &Ctx<'_>, poll: &NewPoll, status_id: i64, now: i64) -> [Query; 2] {
    let options: Vec<serde_json::Value> = poll.options.iter().map(|title| json!({"title": title, "votes_count": 0})).collect();
    let options = serde_json::to_string(&options).unwrap_or_else(|_| "[]".into());
    store::create(&PollRow {
        id: ctx.new_id(),
        status_id,
        options: &options,
        multiple: poll.multiple,
        hide_totals: poll.hide_totals,
        expires_at: now + poll.expires_in * 1000,
        now,
    })
}

/// Closes polls that have ended and tells the owner: about their own polls, and about polls
/// they voted in. Runs from the cron trigger.
pub async fn close_ended(ctx: &Ctx<'_>) -> Result<usize, Error> {
    let now = ctx.now_ms();
    let ended = store::due(ctx.db, now).await?;
    if ended.is_empty() {
        return Ok(0);
    }
    let owner = owner::account(ctx).await?.id;
    for poll in &ended {
        let mut queries = vec![store::close(poll.id, now)];
        let voted = store::get(ctx.db, Some(owner), poll.id).await?.is_some_and(|p| p.own_votes != "[]");
        if poll.author_id == owner || voted {
            queries.push(live::notification(ctx, owner, poll.author_id, "poll", Some(poll.status_id), now));
        }
        ctx.db.batch(&queries).await?;
    }
    Ok(ended.len())
}

