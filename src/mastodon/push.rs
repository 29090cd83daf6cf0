//! <https://docs.joinmastodon.org/methods/push/>: one Web Push subscription per access token.
//! The token needs the `push` scope; `server_key` is the instance's VAPID public key.
use serde_json::{json, Value};

use crate::app::owner;
use crate::app::push::{self, Alerts, Policy, Subscription};
use crate::ctx::Ctx;
use crate::edge::auth::{self, Auth};
use crate::edge::error::ApiError;
use crate::edge::http::{Request, Response};
use crate::edge::params::Params;
use crate::store::push::{self as store, PushRow};

async fn token(ctx: &Ctx<'_>, req: &Request) -> Result<(Auth, i64), ApiError> {
    auth::require_user(ctx, req, &["push"]).await
}

async fn entity(ctx: &Ctx<'_>, row: &PushRow) -> Result<Value, ApiError> {
    let alerts: Alerts = serde_json::from_str(&row.alerts).unwrap_or_default();
    Ok(json!({
        "id": row.id.to_string(),
        "endpoint": row.endpoint,
        "standard": row.standard,
        "alerts": alerts,
        "policy": row.policy,
        "server_key": owner::instance_keys(ctx).await?.vapid_public_key,
    }))
}

/// `"true"`, `"1"`, `true`: what forms and JSON bodies send for a checked box.
fn truthy(value: Option<&Value>) -> bool {
    match value {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => matches!(s.as_str(), "true" | "1" | "on"),
        Some(Value::Number(n)) => n.as_i64() == Some(1),
        _ => false,
    }
}

/// `data[alerts][…]` and `data[policy]`, each defaulting to what `current` has (nothing on a
/// new subscription, as Mastodon).
fn data(params: &Params, current: Option<(&Alerts, Policy)>) -> Result<(Alerts, Policy), ApiError> {
    let data = params.get("data");
    let given = data.and_then(|d| d.get("alerts"));
    let mut alerts = current.map(|(a, _)| a.clone()).unwrap_or_default();
    if let Some(given) = given {
        let mut merged = serde_json::to_value(&alerts).map_err(|e| ApiError::Internal(Box::new(e)))?;
        if let (Some(merged), Some(given)) = (merged.as_object_mut(), given.as_object()) {
            for (kind, value) in given {
                if merged.contains_key(kind) {
                    merged.insert(kind.clone(), Value::Bool(truthy(Some(value))));
                }
            }
        }
        alerts = serde_json::from_value(merged).unwrap_or_default();
    }
    let policy = match data.and_then(|d| d.get("policy")).and_then(Value::as_str) {
        Some(text) => Policy::parse(text).ok_or_else(|| ApiError::Invalid(format!("Policy is not valid: {text}")))?,
        None => current.map(|(_, p)| p).unwrap_or_default(),
    };
    Ok((alerts, policy))
}

/// `POST /api/v1/push/subscription`
pub async fn create(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    let (auth, account_id) = token(ctx, req).await?;
    let bearer = auth::bearer(req).ok_or(ApiError::InvalidToken)?;
    let params = req.params()?;
    let subscription = params.get("subscription");
    let field = |path: &[&str]| {
        path.iter().try_fold(subscription?, |value, key| value.get(*key)).and_then(Value::as_str).map(str::to_string)
    };
    let (alerts, policy) = data(&params, None)?;
    let sub = Subscription {
        endpoint: field(&["endpoint"]).ok_or_else(|| ApiError::Invalid("subscription[endpoint] is required".into()))?,
        p256dh: field(&["keys", "p256dh"]).ok_or_else(|| ApiError::Invalid("subscription[keys][p256dh] is required".into()))?,
        auth: field(&["keys", "auth"]).ok_or_else(|| ApiError::Invalid("subscription[keys][auth] is required".into()))?,
        standard: truthy(subscription.and_then(|s| s.get("standard"))),
        alerts,
        policy,
    };
    let row = push::subscribe(ctx, auth.token.id, account_id, &bearer, &sub).await?;
    Response::ok_json(&entity(ctx, &row).await?)
}

/// `GET /api/v1/push/subscription`
pub async fn show(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    let (auth, _) = token(ctx, req).await?;
    let row = store::of_token(ctx.db, auth.token.id).await?.ok_or(ApiError::NotFound)?;
    Response::ok_json(&entity(ctx, &row).await?)
}

/// `PUT /api/v1/push/subscription`: only `data` changes.
pub async fn update(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    let (auth, _) = token(ctx, req).await?;
    let row = store::of_token(ctx.db, auth.token.id).await?.ok_or(ApiError::NotFound)?;
    let current: Alerts = serde_json::from_str(&row.alerts).unwrap_or_default();
    let (alerts, policy) = data(&req.params()?, Some((&current, Policy::parse(&row.policy).unwrap_or_default())))?;
    let row = push::change(ctx, auth.token.id, &alerts, policy).await?;
    Response::ok_json(&entity(ctx, &row).await?)
}

/// `DELETE /api/v1/push/subscription`: `{}` whether there was one or not.
pub async fn delete(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    let (auth, _) = token(ctx, req).await?;
    ctx.db.run(&store::unsubscribe(auth.token.id)).await?;
    Ok(Response::json(200, &json!({})))
}
