//! <https://docs.joinmastodon.org/methods/notifications/> (v1).
use serde::Serialize;
use serde_json::json;

use super::entities::account::Account;
use super::entities::status::{self, Status};
use super::paginated;
use crate::ctx::Ctx;
use crate::domain::ids;
use crate::domain::paging::Page;
use crate::domain::time::iso8601;
use crate::router::auth;
use crate::router::error::ApiError;
use crate::router::http::{Request, Response};
use crate::store::notifications::{self as store, Filter, NotificationRow};
use crate::store::{accounts, statuses};

#[derive(Debug, Serialize)]
pub struct Notification {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub group_key: String,
    pub created_at: String,
    pub account: Account,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
}

async fn render(ctx: &Ctx<'_>, viewer: i64, rows: &[NotificationRow]) -> Result<Vec<Notification>, ApiError> {
    let account_ids: Vec<i64> = rows.iter().map(|r| r.from_account_id).collect();
    let accounts = accounts::get_many(ctx.db, &account_ids).await?;
    let status_ids: Vec<i64> = rows.iter().filter_map(|r| r.status_id).collect();
    let status_rows = statuses::get_many(ctx.db, Some(viewer), &status_ids).await?;
    let mut rendered = status::render(ctx, Some(viewer), &status_rows).await?;
    let mut out = Vec::new();
    for row in rows {
        let Some(account) = accounts.iter().find(|a| a.id == row.from_account_id) else { continue };
        let status = match row.status_id {
            // A notification about a status that is gone is not shown, as in Mastodon.
            Some(id) => match rendered.iter().position(|s| s.id == id.to_string()) {
                Some(i) => Some(rendered.swap_remove(i)),
                None => continue,
            },
            None => None,
        };
        out.push(Notification {
            id: row.id.to_string(),
            kind: row.kind.clone(),
            group_key: row.group_key.clone(),
            created_at: iso8601(row.created_at),
            account: Account::from_row(account, ctx.config),
            status,
        });
    }
    Ok(out)
}

/// <https://docs.joinmastodon.org/methods/notifications/#get>
pub async fn list(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    let (_, account_id) = auth::require_user(ctx, req, &["read:notifications"]).await?;
    let params = req.query_params();
    let page = Page::with_limits(&params, 40, 80);
    let json_list = |key: &str| serde_json::to_string(&params.strings(key)).unwrap_or_else(|_| "[]".into());
    let filter = Filter {
        types: json_list("types"),
        exclude_types: json_list("exclude_types"),
        account_id: params.str("account_id").as_deref().and_then(ids::parse),
    };
    let rows = store::list(ctx.db, account_id, &page, &filter).await?;
    let keys: Vec<i64> = rows.iter().map(|r| r.id).collect();
    Ok(paginated(ctx, req, &render(ctx, account_id, &rows).await?, &keys))
}

pub async fn get(ctx: &Ctx<'_>, req: &Request, id: &str) -> Result<Response, ApiError> {
    let (_, account_id) = auth::require_user(ctx, req, &["read:notifications"]).await?;
    let id = ids::parse(id).ok_or(ApiError::NotFound)?;
    let row = store::get(ctx.db, account_id, id).await?.ok_or(ApiError::NotFound)?;
    let mut rendered = render(ctx, account_id, &[row]).await?;
    Response::ok_json(&rendered.pop().ok_or(ApiError::NotFound)?)
}

pub async fn dismiss(ctx: &Ctx<'_>, req: &Request, id: &str) -> Result<Response, ApiError> {
    let (_, account_id) = auth::require_user(ctx, req, &["write:notifications"]).await?;
    let id = ids::parse(id).ok_or(ApiError::NotFound)?;
    if ctx.db.run(&store::dismiss(account_id, id, ctx.now_ms())).await? == 0 {
        return Err(ApiError::NotFound);
    }
    Response::ok_json(&json!({}))
}

pub async fn clear(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    let (_, account_id) = auth::require_user(ctx, req, &["write:notifications"]).await?;
    ctx.db.run(&store::clear(account_id, ctx.now_ms())).await?;
    Response::ok_json(&json!({}))
}
