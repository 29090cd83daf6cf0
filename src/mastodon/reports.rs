//! <https://docs.joinmastodon.org/methods/reports/>: the owner reports a remote account; the
//! report is stored, and forwarded to its server when asked (a `Flag` from the instance actor).
use serde_json::json;

use crate::ctx::Ctx;
use crate::domain::ids;
use crate::domain::time::iso8601;
use crate::edge::auth;
use crate::edge::error::ApiError;
use crate::edge::http::{Request, Response};
use crate::store::accounts;
use crate::store::reports::{self as store, NewReport};

const CATEGORIES: [&str; 4] = ["spam", "legal", "violation", "other"];

pub async fn create(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    let (_, owner) = auth::require_user(ctx, req, &["write:reports"]).await?;
    let params = req.params()?;
    let target = params.str("account_id").as_deref().and_then(ids::parse).ok_or(ApiError::NotFound)?;
    let account = accounts::get(ctx.db, target).await?.ok_or(ApiError::NotFound)?;
    if account.id == owner {
        return Err(ApiError::Invalid("You cannot report yourself".into()));
    }
    let category = params.non_empty("category").unwrap_or_else(|| "other".into());
    if !CATEGORIES.contains(&category.as_str()) {
        return Err(ApiError::Invalid(format!("Category is not valid: {category}")));
    }
    let comment = params.str("comment").unwrap_or_default();
    if comment.chars().count() > 1000 {
        return Err(ApiError::Invalid("Comment is too long (maximum is 1000 characters)".into()));
    }
    let status_ids: Vec<String> = params.strings("status_ids");
    let rule_ids: Vec<String> = params.strings("rule_ids");
    let forward = params.bool("forward").map_err(|k| ApiError::Invalid(format!("{k} must be a boolean")))?.unwrap_or(false);
    let id = ctx.new_id();
    let now = ctx.now_ms();
    let status_json = serde_json::to_string(&status_ids).unwrap_or_else(|_| "[]".into());
    let rule_json = serde_json::to_string(&rule_ids).unwrap_or_else(|_| "[]".into());
    ctx.db
        .run(&store::create_report(&NewReport {
            id,
            reporter: owner,
            target: account.id,
            status_ids: &status_json,
            rule_ids: &rule_json,
            comment: &comment,
            category: &category,
            forward,
            now,
        }))
        .await?;
    if forward && !account.is_local() {
        crate::app::jobs::publish(ctx, crate::app::jobs::Event::ReportForwarded {
            account_id: account.id.to_string(),
            status_ids: status_ids.clone(),
            comment: comment.clone(),
        })
        .await?;
    }
    Response::ok_json(&json!({
        "id": id.to_string(),
        "action_taken": false,
        "action_taken_at": null,
        "category": category,
        "comment": comment,
        "forwarded": forward,
        "created_at": iso8601(now),
        "status_ids": status_ids,
        "rule_ids": rule_ids,
        "target_account": super::entities::account::Account::from_row(&account, ctx.config),
    }))
}
