//! Filters v2 (<https://docs.joinmastodon.org/methods/filters/>) and v1 filters as a view of
//! their keywords (<https://docs.joinmastodon.org/methods/filters/#v1>), which the Android app
//! still reads at startup.
use serde_json::{json, Value};

use crate::ctx::Ctx;
use crate::domain::filters::{self as rules, ACTIONS, CONTEXTS};
use crate::domain::ids;
use crate::domain::time::iso8601;
use crate::edge::auth;
use crate::edge::error::ApiError;
use crate::edge::http::{Request, Response};
use crate::edge::params::Params;
use crate::store::filters::{self as store, Filter, FilterRow, FilteredStatusRow, KeywordRow};

fn contexts(row: &FilterRow) -> Vec<String> {
    serde_json::from_str(&row.contexts).unwrap_or_default()
}

pub fn keyword_entity(k: &KeywordRow) -> Value {
    json!({"id": k.id.to_string(), "keyword": k.keyword, "whole_word": k.whole_word})
}

fn status_entity(s: &FilteredStatusRow) -> Value {
    json!({"id": s.id.to_string(), "status_id": s.status_id.to_string()})
}

pub fn entity(f: &Filter) -> Value {
    json!({
        "id": f.row.id.to_string(),
        "title": f.row.title,
        "context": contexts(&f.row),
        "expires_at": f.row.expires_at.map(iso8601),
        "filter_action": f.row.action,
        "keywords": f.keywords.iter().map(keyword_entity).collect::<Vec<_>>(),
        "statuses": f.statuses.iter().map(status_entity).collect::<Vec<_>>(),
    })
}

/// How long an isolate reuses the owner's filters; changes made here clear them at once.
const FILTERS_FRESH_MS: i64 = 10_000;

/// The owner's filters as this isolate last read them, if that was lately.
pub fn cached(ctx: &Ctx<'_>) -> Option<Vec<Filter>> {
    let now = ctx.now_ms();
    ctx.cache.filters.borrow().as_ref().filter(|(at, _)| now - at < FILTERS_FRESH_MS).map(|(_, f)| f.clone())
}

/// Keeps the owner's filters, just read (all of them, expired ones too), for this isolate.
pub fn remember(ctx: &Ctx<'_>, all: &[Filter]) {
    *ctx.cache.filters.borrow_mut() = Some((ctx.now_ms(), all.to_vec()));
}

/// Those of `all` that apply in `context` at `now`.
pub fn in_context(all: Vec<Filter>, now: i64, context: &str) -> Vec<Filter> {
    let live = |f: &Filter| f.row.expires_at.is_none_or(|at| at > now);
    all.into_iter().filter(|f| live(f) && contexts(&f.row).iter().any(|c| c == context)).collect()
}

fn forget_cached(ctx: &Ctx<'_>) {
    *ctx.cache.filters.borrow_mut() = None;
    crate::app::live::filters_changed(ctx);
}

/// Mastodon's FilterResult list for one status (its id, content warning and HTML): which
/// filters match, by keyword or by status.
pub fn results(filters: &[Filter], status_id: i64, spoiler_text: &str, content: &str) -> Vec<Value> {
    let text = format!("{spoiler_text} {}", rules::plain_text(content));
    filters
        .iter()
        .filter_map(|f| {
            let keywords: Vec<&str> =
                f.keywords.iter().filter(|k| rules::matches(&text, &k.keyword, k.whole_word)).map(|k| k.keyword.as_str()).collect();
            let statuses: Vec<String> =
                f.statuses.iter().filter(|s| s.status_id == status_id).map(|s| s.status_id.to_string()).collect();
            (!keywords.is_empty() || !statuses.is_empty()).then(|| {
                json!({
                    "filter": entity(f),
                    "keyword_matches": (!keywords.is_empty()).then_some(keywords),
                    "status_matches": (!statuses.is_empty()).then_some(statuses),
                })
            })
        })
        .collect()
}

/// Whether any matching filter hides the status outright.
pub fn hides(results: &[Value]) -> bool {
    results.iter().any(|r| r["filter"]["filter_action"] == "hide")
}

async fn find(ctx: &Ctx<'_>, owner: i64, id: &str) -> Result<Filter, ApiError> {
    let id = ids::parse(id).ok_or(ApiError::NotFound)?;
    store::get(ctx.db, owner, id).await?.ok_or(ApiError::NotFound)
}

/// Title, contexts, action and expiry from parameters, over `base`.
fn apply(params: &Params, mut row: FilterRow, now: i64) -> Result<FilterRow, ApiError> {
    if let Some(title) = params.str("title").or_else(|| params.str("phrase")) {
        row.title = title.trim().to_string();
    }
    if row.title.is_empty() {
        return Err(ApiError::Invalid("Title can't be blank".into()));
    }
    let context = params.strings("context");
    if !context.is_empty() {
        if let Some(bad) = context.iter().find(|c| !CONTEXTS.contains(&c.as_str())) {
            return Err(ApiError::Invalid(format!("Context is not valid: {bad}")));
        }
        row.contexts = serde_json::to_string(&context).unwrap_or_else(|_| "[]".into());
    }
    if contexts(&row).is_empty() {
        return Err(ApiError::Invalid("Context can't be blank".into()));
    }
    if let Some(action) = params.non_empty("filter_action") {
        if !ACTIONS.contains(&action.as_str()) {
            return Err(ApiError::Invalid(format!("Filter action is not valid: {action}")));
        }
        row.action = action;
    }
    if let Some(irreversible) = params.bool("irreversible").map_err(|k| ApiError::Invalid(format!("{k} must be a boolean")))? {
        row.action = if irreversible { "hide" } else { "warn" }.into();
    }
    match params.get("expires_in") {
        None => {}
        Some(_) => match params.str("expires_in").unwrap_or_default().trim() {
            "" => row.expires_at = None,
            seconds => {
                let seconds: i64 = seconds.parse().map_err(|_| ApiError::Invalid("Expires in must be a number of seconds".into()))?;
                row.expires_at = Some(now + seconds.max(0) * 1000);
            }
        },
    }
    Ok(row)
}

fn whole_word(value: &Value) -> Result<bool, ApiError> {
    Ok(match value.get("whole_word") {
        None | Some(Value::Null) => true,
        Some(v) => Params::from_value(json!({"w": v})).bool("w").map_err(|_| ApiError::Invalid("whole_word must be a boolean".into()))?.unwrap_or(true),
    })
}

fn text(value: &Value, key: &str) -> Option<String> {
    match value.get(key) {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    }
}

/// `keywords_attributes[][keyword|whole_word|id|_destroy]` as keyword writes.
fn keyword_changes(ctx: &Ctx<'_>, params: &Params, filter: &Filter) -> Result<Vec<crate::store::db::Query>, ApiError> {
    let items: Vec<Value> = match params.get("keywords_attributes") {
        Some(Value::Array(items)) => items.clone(),
        Some(Value::Object(map)) => map.values().cloned().collect(),
        _ => Vec::new(),
    };
    let mut queries = Vec::new();
    for item in items {
        let destroy = Params::from_value(json!({"d": item.get("_destroy").cloned().unwrap_or(Value::Null)})).bool("d").unwrap_or(None).unwrap_or(false);
        let existing = text(&item, "id").as_deref().and_then(ids::parse).and_then(|id| filter.keywords.iter().find(|k| k.id == id).cloned());
        match (existing, destroy) {
            (Some(k), true) => queries.push(store::delete_keyword(k.id)),
            (Some(mut k), false) => {
                if let Some(keyword) = text(&item, "keyword") {
                    k.keyword = keyword;
                }
                k.whole_word = whole_word(&item)?;
                queries.push(store::update_keyword(&k));
            }
            (None, true) => {}
            (None, false) => {
                let keyword = text(&item, "keyword").unwrap_or_default();
                if keyword.trim().is_empty() {
                    return Err(ApiError::Invalid("Keyword can't be blank".into()));
                }
                let k = KeywordRow { id: ctx.new_id(), filter_id: filter.row.id, keyword: keyword.trim().to_string(), whole_word: whole_word(&item)? };
                queries.push(store::add_keyword(&k));
            }
        }
    }
    Ok(queries)
}

pub async fn index(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    let (_, owner) = auth::require_user(ctx, req, &["read:filters"]).await?;
    let filters: Vec<Value> = store::all(ctx.db, owner, None).await?.iter().map(entity).collect();
    Response::ok_json(&filters)
}

pub async fn show(ctx: &Ctx<'_>, req: &Request, id: &str) -> Result<Response, ApiError> {
    let (_, owner) = auth::require_user(ctx, req, &["read:filters"]).await?;
    Response::ok_json(&entity(&find(ctx, owner, id).await?))
}

pub async fn create(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    let (_, owner) = auth::require_user(ctx, req, &["write:filters"]).await?;
    let params = req.params()?;
    let now = ctx.now_ms();
    let blank = FilterRow { id: ctx.new_id(), title: String::new(), contexts: "[]".into(), action: "warn".into(), expires_at: None };
    let row = apply(&params, blank, now)?;
    let filter = Filter { row, keywords: Vec::new(), statuses: Vec::new() };
    let mut queries = vec![store::create(owner, &filter.row, now)];
    queries.extend(keyword_changes(ctx, &params, &filter)?);
    ctx.db.batch(&queries).await?;
    forget_cached(ctx);
    Response::ok_json(&entity(&find(ctx, owner, &filter.row.id.to_string()).await?))
}

pub async fn update(ctx: &Ctx<'_>, req: &Request, id: &str) -> Result<Response, ApiError> {
    let (_, owner) = auth::require_user(ctx, req, &["write:filters"]).await?;
    let filter = find(ctx, owner, id).await?;
    let params = req.params()?;
    let row = apply(&params, filter.row.clone(), ctx.now_ms())?;
    let mut queries = vec![store::update(owner, &row)];
    queries.extend(keyword_changes(ctx, &params, &filter)?);
    ctx.db.batch(&queries).await?;
    forget_cached(ctx);
    Response::ok_json(&entity(&find(ctx, owner, id).await?))
}

pub async fn delete(ctx: &Ctx<'_>, req: &Request, id: &str) -> Result<Response, ApiError> {
    let (_, owner) = auth::require_user(ctx, req, &["write:filters"]).await?;
    let filter = find(ctx, owner, id).await?;
    ctx.db.batch(&store::delete(owner, filter.row.id)).await?;
    forget_cached(ctx);
    Response::ok_json(&json!({}))
}

/// `GET /api/v2/filters/:id/keywords` and `/statuses`.
pub async fn parts(ctx: &Ctx<'_>, req: &Request, id: &str, keywords: bool) -> Result<Response, ApiError> {
    let (_, owner) = auth::require_user(ctx, req, &["read:filters"]).await?;
    let filter = find(ctx, owner, id).await?;
    let items: Vec<Value> = if keywords {
        filter.keywords.iter().map(keyword_entity).collect()
    } else {
        filter.statuses.iter().map(status_entity).collect()
    };
    Response::ok_json(&items)
}

pub async fn add_keyword(ctx: &Ctx<'_>, req: &Request, id: &str) -> Result<Response, ApiError> {
    let (_, owner) = auth::require_user(ctx, req, &["write:filters"]).await?;
    let filter = find(ctx, owner, id).await?;
    let params = req.params()?;
    let keyword = params.non_empty("keyword").ok_or_else(|| ApiError::Invalid("Keyword can't be blank".into()))?;
    let whole_word = params.bool("whole_word").map_err(|k| ApiError::Invalid(format!("{k} must be a boolean")))?.unwrap_or(true);
    let k = KeywordRow { id: ctx.new_id(), filter_id: filter.row.id, keyword, whole_word };
    ctx.db.run(&store::add_keyword(&k)).await?;
    forget_cached(ctx);
    Response::ok_json(&keyword_entity(&k))
}

/// Finds a keyword or filtered status of the owner's by its own id.
async fn find_part(ctx: &Ctx<'_>, owner: i64, id: &str) -> Result<(Vec<Filter>, i64), ApiError> {
    let id = ids::parse(id).ok_or(ApiError::NotFound)?;
    Ok((store::all(ctx.db, owner, None).await?, id))
}

/// `GET`, `PUT` and `DELETE /api/v2/filters/keywords/:id`.
pub async fn keyword(ctx: &Ctx<'_>, req: &Request, id: &str, change: Change) -> Result<Response, ApiError> {
    let scope = if matches!(change, Change::Read) { "read:filters" } else { "write:filters" };
    let (_, owner) = auth::require_user(ctx, req, &[scope]).await?;
    let (filters, id) = find_part(ctx, owner, id).await?;
    let mut k = filters.iter().flat_map(|f| f.keywords.iter()).find(|k| k.id == id).cloned().ok_or(ApiError::NotFound)?;
    match change {
        Change::Read => {}
        Change::Update => {
            let params = req.params()?;
            if let Some(keyword) = params.non_empty("keyword") {
                k.keyword = keyword;
            }
            if let Some(w) = params.bool("whole_word").map_err(|k| ApiError::Invalid(format!("{k} must be a boolean")))? {
                k.whole_word = w;
            }
            ctx.db.run(&store::update_keyword(&k)).await?;
            forget_cached(ctx);
        }
        Change::Delete => {
            ctx.db.run(&store::delete_keyword(k.id)).await?;
            forget_cached(ctx);
            return Response::ok_json(&json!({}));
        }
    }
    Response::ok_json(&keyword_entity(&k))
}

#[derive(Clone, Copy, Debug)]
pub enum Change {
    Read,
    Update,
    Delete,
}

pub async fn add_status(ctx: &Ctx<'_>, req: &Request, id: &str) -> Result<Response, ApiError> {
    let (_, owner) = auth::require_user(ctx, req, &["write:filters"]).await?;
    let filter = find(ctx, owner, id).await?;
    let status_id = req.params()?.str("status_id").as_deref().and_then(ids::parse).ok_or(ApiError::NotFound)?;
    crate::store::statuses::get(ctx.db, Some(owner), status_id).await?.ok_or(ApiError::NotFound)?;
    let s = FilteredStatusRow { id: ctx.new_id(), filter_id: filter.row.id, status_id };
    ctx.db.run(&store::add_status(&s)).await?;
    forget_cached(ctx);
    Response::ok_json(&status_entity(&s))
}

/// `GET` and `DELETE /api/v2/filters/statuses/:id`.
pub async fn filtered_status(ctx: &Ctx<'_>, req: &Request, id: &str, change: Change) -> Result<Response, ApiError> {
    let scope = if matches!(change, Change::Read) { "read:filters" } else { "write:filters" };
    let (_, owner) = auth::require_user(ctx, req, &[scope]).await?;
    let (filters, id) = find_part(ctx, owner, id).await?;
    let s = filters.iter().flat_map(|f| f.statuses.iter()).find(|s| s.id == id).cloned().ok_or(ApiError::NotFound)?;
    if matches!(change, Change::Delete) {
        ctx.db.run(&store::delete_status(s.id)).await?;
        forget_cached(ctx);
        return Response::ok_json(&json!({}));
    }
    Response::ok_json(&status_entity(&s))
}

// v1: one keyword of a filter is one v1 filter ------------------------------------------------

fn v1_entity(f: &Filter, k: &KeywordRow) -> Value {
    json!({
        "id": k.id.to_string(),
        "phrase": k.keyword,
        "context": contexts(&f.row),
        "whole_word": k.whole_word,
        "expires_at": f.row.expires_at.map(iso8601),
        "irreversible": f.row.action == "hide",
    })
}

pub async fn v1_index(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    let (_, owner) = auth::require_user(ctx, req, &["read:filters"]).await?;
    let filters = store::all(ctx.db, owner, None).await?;
    let v1: Vec<Value> = filters.iter().flat_map(|f| f.keywords.iter().map(move |k| v1_entity(f, k))).collect();
    Response::ok_json(&v1)
}

async fn v1_find(ctx: &Ctx<'_>, owner: i64, id: &str) -> Result<(Filter, KeywordRow), ApiError> {
    let (filters, id) = find_part(ctx, owner, id).await?;
    filters
        .into_iter()
        .find_map(|f| f.keywords.iter().find(|k| k.id == id).cloned().map(|k| (f, k)))
        .ok_or(ApiError::NotFound)
}

pub async fn v1_show(ctx: &Ctx<'_>, req: &Request, id: &str) -> Result<Response, ApiError> {
    let (_, owner) = auth::require_user(ctx, req, &["read:filters"]).await?;
    let (f, k) = v1_find(ctx, owner, id).await?;
    Response::ok_json(&v1_entity(&f, &k))
}

/// A v1 filter becomes a v2 filter titled by its phrase, with that one keyword.
pub async fn v1_create(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    let (_, owner) = auth::require_user(ctx, req, &["write:filters"]).await?;
    let params = req.params()?;
    let now = ctx.now_ms();
    let blank = FilterRow { id: ctx.new_id(), title: String::new(), contexts: "[]".into(), action: "warn".into(), expires_at: None };
    let row = apply(&params, blank, now)?;
    let whole_word = params.bool("whole_word").map_err(|k| ApiError::Invalid(format!("{k} must be a boolean")))?.unwrap_or(true);
    let k = KeywordRow { id: ctx.new_id(), filter_id: row.id, keyword: row.title.clone(), whole_word };
    ctx.db.batch(&[store::create(owner, &row, now), store::add_keyword(&k)]).await?;
    forget_cached(ctx);
    Response::ok_json(&v1_entity(&Filter { row, keywords: vec![k.clone()], statuses: Vec::new() }, &k))
}

pub async fn v1_update(ctx: &Ctx<'_>, req: &Request, id: &str) -> Result<Response, ApiError> {
    let (_, owner) = auth::require_user(ctx, req, &["write:filters"]).await?;
    let (f, mut k) = v1_find(ctx, owner, id).await?;
    let params = req.params()?;
    let row = apply(&params, f.row.clone(), ctx.now_ms())?;
    if let Some(phrase) = params.non_empty("phrase") {
        k.keyword = phrase;
    }
    if let Some(w) = params.bool("whole_word").map_err(|k| ApiError::Invalid(format!("{k} must be a boolean")))? {
        k.whole_word = w;
    }
    ctx.db.batch(&[store::update(owner, &row), store::update_keyword(&k)]).await?;
    forget_cached(ctx);
    Response::ok_json(&v1_entity(&Filter { row, ..f }, &k))
}

pub async fn v1_delete(ctx: &Ctx<'_>, req: &Request, id: &str) -> Result<Response, ApiError> {
    let (_, owner) = auth::require_user(ctx, req, &["write:filters"]).await?;
    let (f, k) = v1_find(ctx, owner, id).await?;
    // The last keyword takes its filter with it, as a v1 filter is just that phrase.
    if f.keywords.len() <= 1 && f.statuses.is_empty() {
        ctx.db.batch(&store::delete(owner, f.row.id)).await?;
        forget_cached(ctx);
    } else {
        ctx.db.run(&store::delete_keyword(k.id)).await?;
        forget_cached(ctx);
    }
    Response::ok_json(&json!({}))
}
