//! <https://docs.joinmastodon.org/methods/lists/> and the list timeline.
use serde_json::{json, Value};

use super::entities::account::Account;
use super::timelines;
use crate::ctx::Ctx;
use crate::domain::ids;
use crate::domain::paging::Page;
use crate::edge::auth;
use crate::edge::error::ApiError;
use crate::edge::http::{Request, Response};
use crate::edge::params::Params;
use crate::store::db::{decode, Query, Row};
use crate::store::lists::{self as store, ListRow};
use crate::store::{accounts, relationships, statuses};

const REPLIES_POLICIES: [&str; 3] = ["followed", "list", "none"];

fn entity(list: &ListRow) -> Value {
    json!({"id": list.id.to_string(), "title": list.title, "replies_policy": list.replies_policy, "exclusive": list.exclusive})
}

async fn find(ctx: &Ctx<'_>, owner: i64, id: &str) -> Result<ListRow, ApiError> {
    let id = ids::parse(id).ok_or(ApiError::NotFound)?;
    store::get(ctx.db, owner, id).await?.ok_or(ApiError::NotFound)
}

/// One of the owner's lists, read in one round trip with `page` (a page of it); returns the list
/// and the page's rows.
async fn find_with(ctx: &Ctx<'_>, owner: i64, id: i64, page: &Query) -> Result<(ListRow, Vec<Row>), ApiError> {
    let mut answers = ctx.db.batch_rows(&[store::get_query(owner, id), page.clone()]).await?.into_iter();
    let list = decode::<ListRow>(answers.next().unwrap_or_default())?.pop().ok_or(ApiError::NotFound)?;
    Ok((list, answers.next().unwrap_or_default()))
}

pub async fn index(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    let (_, owner) = auth::require_user(ctx, req, &["read:lists"]).await?;
    let lists: Vec<Value> = store::all(ctx.db, owner).await?.iter().map(entity).collect();
    Response::ok_json(&lists)
}

pub async fn show(ctx: &Ctx<'_>, req: &Request, id: &str) -> Result<Response, ApiError> {
    let (_, owner) = auth::require_user(ctx, req, &["read:lists"]).await?;
    Response::ok_json(&entity(&find(ctx, owner, id).await?))
}

/// Title, replies policy and exclusivity from parameters, over `base`'s values.
fn apply(params: &Params, mut list: ListRow) -> Result<ListRow, ApiError> {
    if let Some(title) = params.str("title") {
        list.title = title.trim().to_string();
    }
    if list.title.is_empty() {
        return Err(ApiError::Invalid("Title can't be blank".into()));
    }
    if let Some(policy) = params.non_empty("replies_policy") {
        if !REPLIES_POLICIES.contains(&policy.as_str()) {
            return Err(ApiError::Invalid(format!("Replies policy is not valid: {policy}")));
        }
        list.replies_policy = policy;
    }
    if let Some(exclusive) = params.bool("exclusive").map_err(|k| ApiError::Invalid(format!("{k} must be a boolean")))? {
        list.exclusive = exclusive;
    }
    Ok(list)
}

pub async fn create(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    let (_, owner) = auth::require_user(ctx, req, &["write:lists"]).await?;
    let blank = ListRow { id: ctx.new_id(), title: String::new(), replies_policy: "list".into(), exclusive: false };
    let list = apply(&req.params()?, blank)?;
    ctx.db.run(&store::create(owner, &list, ctx.now_ms())).await?;
    Response::ok_json(&entity(&list))
}

pub async fn update(ctx: &Ctx<'_>, req: &Request, id: &str) -> Result<Response, ApiError> {
    let (_, owner) = auth::require_user(ctx, req, &["write:lists"]).await?;
    let list = apply(&req.params()?, find(ctx, owner, id).await?)?;
    ctx.db.run(&store::update(owner, &list)).await?;
    Response::ok_json(&entity(&list))
}

pub async fn delete(ctx: &Ctx<'_>, req: &Request, id: &str) -> Result<Response, ApiError> {
    let (_, owner) = auth::require_user(ctx, req, &["write:lists"]).await?;
    let list = find(ctx, owner, id).await?;
    ctx.db.batch(&store::delete(owner, list.id)).await?;
    Response::ok_json(&json!({}))
}

/// <https://docs.joinmastodon.org/methods/lists/#accounts>; `limit=0` means all members.
pub async fn members(ctx: &Ctx<'_>, req: &Request, id: &str) -> Result<Response, ApiError> {
    let (_, owner) = auth::require_user(ctx, req, &["read:lists"]).await?;
    let id = ids::parse(id).ok_or(ApiError::NotFound)?;
    let params = req.query_params();
    let limit = match params.str("limit").and_then(|l| l.parse::<i64>().ok()) {
        Some(0) => i64::MAX,
        Some(n) => n.clamp(1, 80),
        None => 40,
    };
    let page = store::members(id, &Page { limit, ..params.page_with_limits(40, 80) });
    let (_, rows) = find_with(ctx, owner, id, &page.query).await?;
    let members = page.rows(rows)?;
    let accounts: Vec<Account> = members.iter().map(|a| Account::from_row(a, ctx.config)).collect();
    let keys: Vec<i64> = members.iter().map(|a| a.id).collect();
    Ok(super::paginated(ctx, req, &accounts, &keys))
}

fn account_ids(params: &Params) -> Vec<i64> {
    params.strings("account_ids").iter().filter_map(|id| ids::parse(id)).collect()
}

/// Adds members; Mastodon only lists accounts you follow.
pub async fn add_members(ctx: &Ctx<'_>, req: &Request, id: &str) -> Result<Response, ApiError> {
    let (_, owner) = auth::require_user(ctx, req, &["write:lists"]).await?;
    let list = find(ctx, owner, id).await?;
    let wanted = account_ids(&req.params()?);
    if wanted.is_empty() {
        return Err(ApiError::Invalid("account_ids can't be blank".into()));
    }
    let known = relationships::relationships(ctx.db, owner, &wanted).await?;
    if wanted.iter().any(|id| !known.iter().any(|r| r.id == *id)) {
        return Err(ApiError::NotFound);
    }
    // Mastodon lists accounts you follow, and yourself.
    if wanted.iter().any(|id| *id != owner && !known.iter().any(|r| r.id == *id && r.following)) {
        return Err(ApiError::Invalid("You can only add accounts you follow to a list".into()));
    }
    ctx.db.run(&store::add_members(list.id, &wanted)).await?;
    Response::ok_json(&json!({}))
}

pub async fn remove_members(ctx: &Ctx<'_>, req: &Request, id: &str) -> Result<Response, ApiError> {
    let (_, owner) = auth::require_user(ctx, req, &["write:lists"]).await?;
    let list = find(ctx, owner, id).await?;
    ctx.db.run(&store::remove_members(list.id, &account_ids(&req.params()?))).await?;
    Response::ok_json(&json!({}))
}

/// <https://docs.joinmastodon.org/methods/accounts/#lists>
pub async fn of_account(ctx: &Ctx<'_>, req: &Request, id: &str) -> Result<Response, ApiError> {
    let (_, owner) = auth::require_user(ctx, req, &["read:lists"]).await?;
    let member = ids::parse(id).ok_or(ApiError::NotFound)?;
    if member != owner && accounts::get(ctx.db, member).await?.is_none() {
        return Err(ApiError::NotFound);
    }
    let lists: Vec<Value> = store::containing(ctx.db, owner, member).await?.iter().map(entity).collect();
    Response::ok_json(&lists)
}

/// <https://docs.joinmastodon.org/methods/timelines/#list>
pub async fn timeline(ctx: &Ctx<'_>, req: &Request, id: &str) -> Result<Response, ApiError> {
    let (_, owner) = auth::require_user(ctx, req, &["read:lists"]).await?;
    let id = ids::parse(id).ok_or(ApiError::NotFound)?;
    let page = statuses::list_timeline(owner, id, &req.query_params().page());
    let (_, rows) = find_with(ctx, owner, id, &page.query).await?;
    timelines::respond(ctx, req, Some(owner), &page.rows(rows)?, "home").await
}
