//! <https://docs.joinmastodon.org/methods/polls/>: reading polls and voting. A poll's rules and
//! closing ended polls are `app::polls`.

use super::entities::poll::Poll;
use super::statuses::viewer;
use crate::app::posting::visible;
use crate::ctx::Ctx;
use crate::domain::ids;
use crate::app::jobs::{self, Event};
use crate::edge::auth;
use crate::edge::error::ApiError;
use crate::edge::http::{Request, Response};
use crate::edge::params::Params;
use crate::app::polls::NewPoll;
use crate::store::polls as store;

/// A poll as posted with a status (`poll[options][]`, `poll[expires_in]`, …).
pub fn parse(params: &Params) -> Result<NewPoll, ApiError> {
    let options: Vec<String> = params.strings("options").iter().map(|o| o.trim().to_string()).collect();
    let expires_in = params
        .str("expires_in")
        .and_then(|s| s.trim().parse::<i64>().ok())
        .ok_or_else(|| ApiError::Invalid("Poll expires_in is required".into()))?;
    let flag = |key: &str| params.bool(key).map_err(|k| ApiError::Invalid(format!("poll[{k}] must be a boolean")));
    let poll = NewPoll { options, expires_in, multiple: flag("multiple")?.unwrap_or(false), hide_totals: flag("hide_totals")?.unwrap_or(false) };
    poll.validate()?;
    Ok(poll)
}

/// A poll on a status the viewer may see.
async fn find(ctx: &Ctx<'_>, viewer: Option<i64>, id: &str) -> Result<(store::PollRow, bool), ApiError> {
    let id = ids::parse(id).ok_or(ApiError::NotFound)?;
    let poll = store::get(ctx.db, viewer, id).await?.ok_or(ApiError::NotFound)?;
    let status = visible(ctx, viewer, &poll.status_id.to_string()).await?;
    let own = viewer == Some(status.account_id);
    Ok((poll, own))
}

/// <https://docs.joinmastodon.org/methods/polls/#get>
pub async fn get(ctx: &Ctx<'_>, req: &Request, id: &str) -> Result<Response, ApiError> {
    let viewer = viewer(ctx, req).await?;
    let (poll, own) = find(ctx, viewer, id).await?;
    Response::ok_json(&Poll::from_row(&poll, viewer.is_some(), own, ctx.now_ms()))
}

/// <https://docs.joinmastodon.org/methods/polls/#vote>
pub async fn vote(ctx: &Ctx<'_>, req: &Request, id: &str) -> Result<Response, ApiError> {
    let (_, voter) = auth::require_user(ctx, req, &["write:statuses"]).await?;
    let (poll, own) = find(ctx, Some(voter), id).await?;
    let now = ctx.now_ms();
    if own {
        return Err(ApiError::Invalid("You cannot vote in your own poll".into()));
    }
    if poll.closed_at.is_some() || poll.expires_at.is_some_and(|at| at <= now) {
        return Err(ApiError::Invalid("The poll has already ended".into()));
    }
    if poll.own_votes != "[]" {
        return Err(ApiError::Invalid("You have already voted on this poll".into()));
    }
    let option_count = serde_json::from_str::<Vec<serde_json::Value>>(&poll.options).map(|o| o.len()).unwrap_or(0) as i64;
    let mut choices: Vec<i64> = Vec::new();
    for choice in req.params()?.strings("choices") {
        let index = choice.trim().parse::<i64>().ok().filter(|i| (0..option_count).contains(i));
        let index = index.ok_or_else(|| ApiError::Invalid(format!("Choice is not valid: {choice}")))?;
        if !choices.contains(&index) {
            choices.push(index);
        }
    }
    if choices.is_empty() || (!poll.multiple && choices.len() > 1) {
        return Err(ApiError::Invalid("Choose one option (or several in a multiple-choice poll)".into()));
    }
    let votes: Vec<(i64, i64)> = choices.iter().map(|c| (ctx.new_id(), *c)).collect();
    ctx.db.batch(&store::vote(poll.id, voter, &votes, now)).await?;
    jobs::publish(ctx, Event::PollVoted { poll_id: poll.id.to_string() }).await?;
    let (poll, own) = find(ctx, Some(voter), id).await?;
    Response::ok_json(&Poll::from_row(&poll, true, own, now))
}

#[cfg(test)]
mod tests {
    use crate::edge::http::Method::{Get, Post};
    use crate::testing::TestEnv;

    #[tokio::test(flavor = "current_thread")]
    async fn a_poll_runs_its_course_and_notifies_its_author() {
        let env = TestEnv::new();
        let token = env.owner_token().await;
        let form = "status=Tea+or+coffee&poll[options][]=tea&poll[options][]=coffee&poll[expires_in]=300";
        let (created, status) = env.send_as(&token, Post, "/api/v1/statuses", form).await;
        assert_eq!(created.status, 200, "{status}");
        let poll = &status["poll"];
        assert_eq!((poll["expired"].as_bool(), poll["voted"].as_bool()), (Some(false), Some(true)));
        assert_eq!(poll["options"][1]["title"], "coffee");
        let id = poll["id"].as_str().unwrap();
        let (own_vote, _) = env.send_as(&token, Post, &format!("/api/v1/polls/{id}/votes"), "choices[]=0").await;
        assert_eq!(own_vote.status, 422, "authors do not vote in their own polls");

        env.advance(301_000);
        assert_eq!(crate::app::polls::close_ended(&env.ctx()).await.unwrap(), 1);
        assert_eq!(crate::app::polls::close_ended(&env.ctx()).await.unwrap(), 0, "closed once");
        let (_, poll) = env.send_as(&token, Get, &format!("/api/v1/polls/{id}"), "").await;
        assert_eq!(poll["expired"], true);
        let (_, notifications) = env.send_as(&token, Get, "/api/v1/notifications?types[]=poll", "").await;
        assert_eq!(notifications[0]["type"], "poll");
        assert_eq!(notifications[0]["status"]["id"], status["id"]);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn invalid_polls_are_refused() {
        let env = TestEnv::new();
        let token = env.owner_token().await;
        for form in [
            "status=x&poll[options][]=only&poll[expires_in]=300",
            "status=x&poll[options][]=a&poll[options][]=a&poll[expires_in]=300",
            "status=x&poll[options][]=a&poll[options][]=b&poll[expires_in]=10",
            "status=x&poll[options][]=a&poll[options][]=b&poll[options][]=c&poll[options][]=d&poll[options][]=e&poll[expires_in]=300",
        ] {
            let (response, body) = env.send_as(&token, Post, "/api/v1/statuses", form).await;
            assert_eq!(response.status, 422, "{form}: {body}");
        }
    }
}
