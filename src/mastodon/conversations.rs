//! <https://docs.joinmastodon.org/methods/conversations/>: direct-message threads.
use serde_json::{json, Value};

use super::entities::account::Account;
use super::entities::status;
use super::paginated;
use crate::ctx::Ctx;
use crate::domain::ids;
use crate::domain::paging::Page;
use crate::edge::auth;
use crate::edge::error::ApiError;
use crate::edge::http::{Request, Response};
use crate::store::conversations::{self as store, ConversationRow};
use crate::store::{accounts, statuses};

async fn entity(ctx: &Ctx<'_>, owner: i64, c: &ConversationRow) -> Result<Option<Value>, ApiError> {
    let Some(last) = statuses::get(ctx.db, Some(owner), c.last_status_id).await? else { return Ok(None) };
    let others: Vec<i64> = store::participants(ctx.db, c.id).await?.into_iter().filter(|id| *id != owner).collect();
    let accounts: Vec<Account> = accounts::get_many(ctx.db, &others).await?.iter().map(|a| Account::from_row(a, ctx.config)).collect();
    let unread = c.last_author_id != owner && c.read_up_to.is_none_or(|read| read < c.last_status_id);
    Ok(Some(json!({
        "id": c.id.to_string(),
        "unread": unread,
        "accounts": accounts,
        "last_status": status::render_one(ctx, Some(owner), &last).await?,
    })))
}

pub async fn index(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    let (_, owner) = auth::require_user(ctx, req, &["read:statuses"]).await?;
    let rows = store::conversations(ctx.db, owner, &req.query_params().page_with_limits(20, 40)).await?;
    let mut items = Vec::new();
    for row in &rows {
        if let Some(item) = entity(ctx, owner, row).await? {
            items.push(item);
        }
    }
    let keys: Vec<i64> = rows.iter().map(|r| r.last_status_id).collect();
    Ok(paginated(ctx, req, &items, &keys))
}

async fn find(ctx: &Ctx<'_>, owner: i64, id: &str) -> Result<ConversationRow, ApiError> {
    let id = ids::parse(id).ok_or(ApiError::NotFound)?;
    let page = Page { limit: 40, ..Default::default() };
    // A thread is found among the latest ones; older threads page in through the list.
    let mut rows = store::conversations(ctx.db, owner, &page).await?;
    rows.retain(|r| r.id == id);
    rows.pop().ok_or(ApiError::NotFound)
}

pub async fn read(ctx: &Ctx<'_>, req: &Request, id: &str) -> Result<Response, ApiError> {
    let (_, owner) = auth::require_user(ctx, req, &["write:conversations"]).await?;
    let mut c = find(ctx, owner, id).await?;
    ctx.db.run(&store::touch_conversation(owner, c.id, c.last_status_id, false, ctx.now_ms())).await?;
    c.read_up_to = Some(c.last_status_id);
    Response::ok_json(&entity(ctx, owner, &c).await?.ok_or(ApiError::NotFound)?)
}

pub async fn remove(ctx: &Ctx<'_>, req: &Request, id: &str) -> Result<Response, ApiError> {
    let (_, owner) = auth::require_user(ctx, req, &["write:conversations"]).await?;
    let c = find(ctx, owner, id).await?;
    ctx.db.run(&store::touch_conversation(owner, c.id, c.last_status_id, true, ctx.now_ms())).await?;
    Response::ok_json(&json!({}))
}
