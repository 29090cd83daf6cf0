//! <https://docs.joinmastodon.org/methods/admin/reports/>: the report queue for moderation apps,
//! through the same use case as `/admin/reports` (`app::reports`). Listed by `resolved` and
//! `max_id`/`limit`, newest first; assigning reports to moderators and editing a report's
//! category are left out (one admin).
use serde_json::{json, Value};

use crate::app::reports::{self, ReportAction};
use crate::ctx::Ctx;
use crate::domain::ids;
use crate::domain::time::iso8601;
use crate::edge::auth;
use crate::edge::error::ApiError;
use crate::edge::http::{Request, Response};
use crate::mastodon::entities::account::Account;
use crate::mastodon::entities::status::render_many;
use crate::store::accounts::{self, AccountRow};
use crate::store::db::decode;
use crate::store::reports::{self as store, Filter, ReportRow};

const READ: &str = "admin:read:reports";
const WRITE: &str = "admin:write:reports";

/// How many reports a page holds at most (Mastodon's default and limit).
const MAX_LIMIT: i64 = 100;

/// The `Admin::Account` entity of one side of a report. One admin, no registrations: the local
/// account is the owner (Mastodon's Owner role); remote ones have the everyone role.
fn admin_account(ctx: &Ctx<'_>, row: &AccountRow, email: &str, silenced: bool, suspended: bool) -> Value {
    let role = if row.is_local() {
        json!({"id": "3", "name": "Owner", "color": "", "permissions": "1048575", "highlighted": true})
    } else {
        json!({"id": "-99", "name": "", "color": "", "permissions": "0", "highlighted": false})
    };
    json!({
        "id": row.id.to_string(),
        "username": row.username,
        "domain": row.domain,
        "created_at": iso8601(row.created_at),
        "email": if row.is_local() { email } else { "" },
        "ip": null,
        "ips": [],
        "locale": if row.is_local() { "en" } else { "" },
        "invite_request": null,
        "role": role,
        "confirmed": row.is_local(),
        "approved": true,
        "disabled": false,
        "silenced": silenced,
        "suspended": suspended,
        "sensitized": false,
        "account": Account::from_row(row, ctx.config),
    })
}

/// `Admin::Report` entities of `rows`: their accounts, posts and rules in two more round trips
/// however many reports there are.
async fn entities(ctx: &Ctx<'_>, owner: i64, rows: &[ReportRow]) -> Result<Vec<Value>, ApiError> {
    let account_ids: Vec<i64> = rows.iter().flat_map(|r| [r.account_id, r.target_account_id]).collect();
    let status_ids: Vec<i64> = rows.iter().flat_map(|r| r.statuses().into_iter().take(store::MAX_SHOWN_STATUSES as usize)).collect();
    let mut answers = ctx
        .db
        .batch_rows(&[
            accounts::get_many_query(&account_ids),
            crate::store::statuses::get_many_query(Some(owner), &status_ids),
            crate::store::instance::rules_query(),
            crate::store::accounts::email_query(owner),
        ])
        .await?
        .into_iter();
    let people: Vec<AccountRow> = decode(answers.next().unwrap_or_default())?;
    let statuses = render_many(ctx, Some(owner), &decode(answers.next().unwrap_or_default())?).await?;
    let rules: Vec<crate::store::instance::RuleRow> = decode(answers.next().unwrap_or_default())?;
    let email = decode::<crate::store::accounts::EmailRow>(answers.next().unwrap_or_default())?.pop().map(|r| r.email).unwrap_or_default();
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let person = |id: i64| people.iter().find(|p| p.id == id).ok_or(ApiError::NotFound);
        let wanted = r.statuses();
        let rule_ids = r.rules();
        out.push(json!({
            "id": r.id.to_string(),
            "action_taken": r.action_taken_at.is_some(),
            "action_taken_at": r.action_taken_at.map(iso8601),
            "category": r.category,
            "comment": r.comment,
            "forwarded": r.forwarded,
            "created_at": iso8601(r.created_at),
            "updated_at": iso8601(r.action_taken_at.unwrap_or(r.created_at)),
            "account": admin_account(ctx, person(r.account_id)?, &email, r.reporter_silenced_at.is_some(), r.reporter_suspended_at.is_some()),
            "target_account": admin_account(ctx, person(r.target_account_id)?, &email, r.target_silenced_at.is_some(), r.target_suspended_at.is_some()),
            "assigned_account": null,
            "action_taken_by_account": null,
            "statuses": statuses.iter().filter(|s| wanted.iter().any(|id| id.to_string() == s.id)).collect::<Vec<_>>(),
            "rules": rules.iter().filter(|rule| rule_ids.iter().any(|id| id.to_string() == rule.id))
                .map(|rule| json!({"id": rule.id, "text": rule.text, "hint": rule.hint})).collect::<Vec<_>>(),
        }));
    }
    Ok(out)
}

fn report_id(id: &str) -> Result<i64, ApiError> {
    ids::parse(id).ok_or(ApiError::NotFound)
}

/// `GET /api/v1/admin/reports`: `resolved` (default false), `max_id`, `limit`.
pub async fn index(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    let (_, owner) = auth::require_user(ctx, req, &[READ]).await?;
    let query = req.query_params();
    let resolved = query.bool("resolved").map_err(|k| ApiError::Invalid(format!("{k} must be a boolean")))?.unwrap_or(false);
    let before = query.str("max_id").as_deref().and_then(ids::parse);
    let limit = query.str("limit").and_then(|l| l.parse::<i64>().ok()).unwrap_or(MAX_LIMIT).clamp(1, MAX_LIMIT);
    let filter = if resolved { Filter::Resolved } else { Filter::Open };
    let [reports_query, _] = store::queue_queries(filter, before, limit);
    let rows: Vec<ReportRow> = crate::store::db::all(ctx.db, &reports_query).await?;
    Response::ok_json(&entities(ctx, owner, &rows).await?)
}

/// `GET /api/v1/admin/reports/:id`
pub async fn show(ctx: &Ctx<'_>, req: &Request, id: &str) -> Result<Response, ApiError> {
    let (_, owner) = auth::require_user(ctx, req, &[READ]).await?;
    let row = store::get(ctx.db, report_id(id)?).await?.ok_or(ApiError::NotFound)?;
    Response::ok_json(&entities(ctx, owner, &[row]).await?.pop())
}

/// `POST /api/v1/admin/reports/:id/resolve` and `/reopen`.
pub async fn act(ctx: &Ctx<'_>, req: &Request, id: &str, action: ReportAction) -> Result<Response, ApiError> {
    let (_, owner) = auth::require_user(ctx, req, &[WRITE]).await?;
    let row = reports::act(ctx, report_id(id)?, action).await?;
    Response::ok_json(&entities(ctx, owner, &[row]).await?.pop())
}
