//! Relationships between the owner and other accounts
//! (<https://docs.joinmastodon.org/methods/accounts/#relationships>, follows, blocks, mutes,
//! endorsements, follow requests). Actions that other servers must hear of publish an event;
//! delivering it is the federation consumer's job (#4).
use serde::Serialize;

use super::entities::account::{self, Account};
use super::paginated;
use crate::ctx::Ctx;
use crate::domain::ids;
use crate::app::jobs::{self, Event};
use crate::app::owner;
use crate::app::relationships::{self, Follow};
use crate::edge::auth;
use crate::edge::error::ApiError;
use crate::edge::http::{Request, Response};
use crate::store::accounts::{self, AccountRow};
use crate::store::db::decode;
use crate::store::relationships::{self as store, AccountList, RelationshipRow};

#[derive(Debug, Serialize)]
pub struct Relationship {
    pub id: String,
    pub following: bool,
    pub showing_reblogs: bool,
    pub notifying: bool,
    pub languages: Option<Vec<String>>,
    pub followed_by: bool,
    pub blocking: bool,
    pub blocked_by: bool,
    pub muting: bool,
    pub muting_notifications: bool,
    pub requested: bool,
    pub requested_by: bool,
    pub domain_blocking: bool,
    pub endorsed: bool,
    pub note: String,
}

impl From<RelationshipRow> for Relationship {
    fn from(r: RelationshipRow) -> Self {
        Relationship {
            id: r.id.to_string(),
            following: r.following,
            showing_reblogs: r.showing_reblogs,
            notifying: r.notifying,
            languages: r.languages.and_then(|l| serde_json::from_str(&l).ok()),
            followed_by: r.followed_by,
            blocking: r.blocking,
            blocked_by: r.blocked_by,
            muting: r.muting,
            muting_notifications: r.muting_notifications,
            requested: r.requested,
            requested_by: r.requested_by,
            domain_blocking: r.domain_blocking,
            endorsed: r.endorsed,
            note: r.note,
        }
    }
}

/// <https://docs.joinmastodon.org/methods/accounts/#relationships>
pub async fn relationships(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    let (_, owner) = auth::require_user(ctx, req, &["read:follows"]).await?;
    let wanted: Vec<i64> = req.query_params().strings("id").iter().filter_map(|id| ids::parse(id)).collect();
    let rows = store::relationships(ctx.db, owner, &wanted).await?;
    // In the order asked, as clients match them by position too.
    let ordered: Vec<Relationship> = wanted
        .iter()
        .filter_map(|id| rows.iter().find(|r| r.id == *id).cloned())
        .map(Relationship::from)
        .collect();
    Response::ok_json(&ordered)
}

async fn relationship(ctx: &Ctx<'_>, owner: i64, target: i64) -> Result<Response, ApiError> {
    let row = store::relationships(ctx.db, owner, &[target]).await?.pop().ok_or(ApiError::NotFound)?;
    Response::ok_json(&Relationship::from(row))
}

/// A list of accounts in the order of `rows`, paged by the rows' keys.
async fn account_page(ctx: &Ctx<'_>, req: &Request, rows: &[store::Listed]) -> Result<Response, ApiError> {
    let ids: Vec<i64> = rows.iter().map(|r| r.account_id).collect();
    let accounts = account::render_many(ctx, &ids).await?;
    let keys: Vec<i64> = rows.iter().map(|r| r.row_id).collect();
    Ok(paginated(ctx, req, &accounts, &keys))
}

/// `GET /api/v1/accounts/:id/followers` and `/following`: the account and the page are read in
/// one round trip.
pub async fn follow_list(ctx: &Ctx<'_>, req: &Request, id: &str, which: AccountList) -> Result<Response, ApiError> {
    let viewer = auth::reader(ctx, req, &["read:accounts"]).await?.and_then(|a| a.token.account_id);
    let id = ids::parse(id).ok_or(ApiError::NotFound)?;
    let page = store::list_page(which, id, &req.query_params().page_with_limits(40, 80));
    let mut answers = ctx.db.batch_rows(&[accounts::get_query(id), page.query.clone()]).await?.into_iter();
    let subject = decode::<AccountRow>(answers.next().unwrap_or_default())?.pop().ok_or(ApiError::NotFound)?;
    // An account that hides its network shows it to nobody else (Mastodon answers an empty list).
    if subject.hide_collections && viewer != Some(subject.id) {
        return Response::ok_json(&Vec::<Account>::new());
    }
    account_page(ctx, req, &page.rows(answers.next().unwrap_or_default())?).await
}

/// `GET /api/v1/follow_requests`, `/blocks`, `/mutes`, `/endorsements`: the owner's own lists.
pub async fn own_list(ctx: &Ctx<'_>, req: &Request, which: AccountList) -> Result<Response, ApiError> {
    let scope = match which {
        AccountList::Blocks => "read:blocks",
        AccountList::Mutes => "read:mutes",
        _ => "read:follows",
    };
    let (_, owner) = auth::require_user(ctx, req, &[scope, "read:accounts"]).await?;
    let rows = store::list(ctx.db, which, owner, &req.query_params().page_with_limits(40, 80)).await?;
    account_page(ctx, req, &rows).await
}

/// What `POST /api/v1/accounts/:id/<action>` does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Follow,
    Unfollow,
    RemoveFromFollowers,
    Block,
    Unblock,
    Mute,
    Unmute,
    Endorse,
    Unendorse,
    Note,
    AuthorizeFollow,
    RejectFollow,
}

impl Action {
    pub fn parse(name: &str) -> Option<Action> {
        Some(match name {
            "follow" => Action::Follow,
            "unfollow" => Action::Unfollow,
            "remove_from_followers" => Action::RemoveFromFollowers,
            "block" => Action::Block,
            "unblock" => Action::Unblock,
            "mute" => Action::Mute,
            "unmute" => Action::Unmute,
            "pin" => Action::Endorse,
            "unpin" => Action::Unendorse,
            "note" => Action::Note,
            _ => return None,
        })
    }

    fn scope(self) -> &'static str {
        match self {
            Action::Block | Action::Unblock => "write:blocks",
            Action::Mute | Action::Unmute => "write:mutes",
            Action::Note | Action::Endorse | Action::Unendorse => "write:accounts",
            _ => "write:follows",
        }
    }
}

/// <https://docs.joinmastodon.org/methods/accounts/#follow> and its siblings; answers the
/// relationship as it is afterwards.
pub async fn act(ctx: &Ctx<'_>, req: &Request, id: &str, action: Action) -> Result<Response, ApiError> {
    let (_, owner) = auth::require_user(ctx, req, &[action.scope()]).await?;
    let target = ids::parse(id).ok_or(ApiError::NotFound)?;
    let account = accounts::get(ctx.db, target).await?.ok_or(ApiError::NotFound)?;
    if account.id == owner {
        return Err(ApiError::Forbidden);
    }
    let params = req.params()?;
    let flag = |key: &str, default: bool| -> Result<bool, ApiError> {
        Ok(params.bool(key).map_err(|k| ApiError::Invalid(format!("{k} must be a boolean")))?.unwrap_or(default))
    };
    let now = ctx.now_ms();
    let target_id = account.id.to_string();
    match action {
        Action::Follow => {
            let options = Follow { show_reblogs: flag("reblogs", true)?, notify: flag("notify", false)?, languages: params.strings("languages") };
            relationships::follow(ctx, owner, &account, options).await?;
        }
        Action::Unfollow => {
            let follow_uri = store::follow_uri(ctx.db, owner, account.id).await?;
            ctx.db.batch(&store::unfollow(owner, account.id)).await?;
            jobs::publish(ctx, Event::Unfollowed { account_id: target_id, follow_uri }).await?;
        }
        Action::RemoveFromFollowers | Action::RejectFollow => {
            let follow_uri = store::follow_uri(ctx.db, account.id, owner).await?;
            ctx.db.batch(&store::unfollow(account.id, owner)).await?;
            jobs::publish(ctx, Event::FollowRejected { account_id: target_id, follow_uri }).await?;
        }
        Action::AuthorizeFollow => {
            ctx.db.batch(&store::accept_follow(account.id, owner, now)).await?;
            jobs::publish(ctx, Event::FollowAccepted { account_id: target_id }).await?;
        }
        Action::Block => {
            let mut queries = vec![store::block(ctx.new_id(), owner, account.id, now)];
            queries.extend(store::unfollow(owner, account.id));
            queries.extend(store::unfollow(account.id, owner));
            ctx.db.batch(&queries).await?;
            jobs::publish(ctx, Event::Blocked { account_id: target_id }).await?;
        }
        Action::Unblock => {
            ctx.db.run(&store::unblock(owner, account.id)).await?;
            jobs::publish(ctx, Event::Unblocked { account_id: target_id }).await?;
        }
        Action::Mute => {
            let duration = params.str("duration").and_then(|d| d.trim().parse::<i64>().ok()).filter(|d| *d > 0);
            let expires_at = duration.map(|seconds| now + seconds * 1000);
            ctx.db.run(&store::mute(ctx.new_id(), owner, account.id, flag("notifications", true)?, expires_at, now)).await?;
        }
        Action::Unmute => {
            ctx.db.run(&store::unmute(owner, account.id)).await?;
        }
        Action::Endorse => {
            ctx.db.run(&store::endorse(owner, account.id, now)).await?;
        }
        Action::Unendorse => {
            ctx.db.run(&store::unendorse(owner, account.id)).await?;
        }
        Action::Note => {
            let comment = params.str("comment").unwrap_or_default();
            if comment.chars().count() > 2000 {
                return Err(ApiError::Invalid("Comment is too long (maximum is 2000 characters)".into()));
            }
            ctx.db.run(&store::set_note(owner, account.id, &comment)).await?;
        }
    }
    owner::invalidate(ctx);
    relationship(ctx, owner, account.id).await
}

/// <https://docs.joinmastodon.org/methods/suggestions/>: people who follow the owner and whom the
/// owner does not follow back. `v2` wraps each in `{source, sources, account}`.
pub async fn suggestions(ctx: &Ctx<'_>, req: &Request, v2: bool) -> Result<Response, ApiError> {
    let (_, owner) = auth::require_user(ctx, req, &["read"]).await?;
    let limit = req.query_params().str("limit").and_then(|l| l.parse::<i64>().ok()).unwrap_or(40).clamp(1, 80);
    let ids = store::suggestions(ctx.db, owner, limit).await?;
    let accounts = account::render_many(ctx, &ids).await?;
    if !v2 {
        return Response::ok_json(&accounts);
    }
    let wrapped: Vec<serde_json::Value> = accounts
        .into_iter()
        .map(|account| serde_json::json!({"source": "past_interactions", "sources": ["friends_of_friends"], "account": account}))
        .collect();
    Response::ok_json(&wrapped)
}

/// <https://docs.joinmastodon.org/methods/accounts/#familiar_followers>
pub async fn familiar_followers(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    let (_, owner) = auth::require_user(ctx, req, &["read:follows"]).await?;
    let wanted: Vec<i64> = req.query_params().strings("id").iter().filter_map(|id| ids::parse(id)).collect();
    let pairs = store::familiar_followers(ctx.db, owner, &wanted).await?;
    let follower_ids: Vec<i64> = pairs.iter().map(|(_, f)| *f).collect();
    let followers = accounts::get_many(ctx.db, &follower_ids).await?;
    let items: Vec<serde_json::Value> = wanted
        .iter()
        .map(|target| {
            let accounts: Vec<Account> = pairs
                .iter()
                .filter(|(t, _)| t == target)
                .filter_map(|(_, f)| followers.iter().find(|a| a.id == *f))
                .map(|a| Account::from_row(a, ctx.config))
                .collect();
            serde_json::json!({"id": target.to_string(), "accounts": accounts})
        })
        .collect();
    Response::ok_json(&items)
}
