//! <https://docs.joinmastodon.org/methods/search/> over what this instance stores: accounts by
//! handle or name, hashtags by prefix, statuses by full text (FTS5) or by URL.
use serde_json::{json, Value};

use super::entities::account::Account;
use super::entities::status;
use super::tags;
use crate::ctx::Ctx;
use crate::domain::ids;
use crate::domain::visibility;
use crate::edge::auth;
use crate::app::remote::actors;
use crate::app::remote::{self, Resolved};
use crate::ctx::log_error;
use crate::edge::error::ApiError;
use crate::edge::http::{Request, Response};
use crate::edge::params::Params;
use crate::store::search::{self as store, AccountQuery};
use crate::store::statuses::{self, StatusRow};
use crate::store::tags as tag_store;

/// `@user@domain`, `user@domain` or `acct:user@domain` as (user, domain).
pub fn handle(q: &str) -> Option<(&str, &str)> {
    let q = q.strip_prefix("acct:").or_else(|| q.strip_prefix("ACCT:")).unwrap_or(q);
    let (user, domain) = q.trim_start_matches('@').split_once('@')?;
    (!user.is_empty() && !domain.is_empty() && !domain.contains('@')).then_some((user, domain))
}

async fn find_accounts(ctx: &Ctx<'_>, q: &str, following_of: Option<i64>, limit: i64, offset: i64, resolve: bool) -> Result<Vec<Value>, ApiError> {
    let config = ctx.config;
    let rows = match handle(q) {
        Some((user, domain)) => {
            let ours = domain.eq_ignore_ascii_case(&config.handle_domain) || domain.eq_ignore_ascii_case(&config.host);
            let found = store::accounts(ctx.db, &AccountQuery::Exact(user, (!ours).then_some(domain)), following_of, limit, offset).await?;
            if found.is_empty() && resolve && !ours {
                // As Mastodon: an unknown handle is looked up over WebFinger; a failure is just no result.
                match actors::resolve_handle(ctx, user, domain).await {
                    Ok(account) => vec![account],
                    Err(e) => {
                        log_error(&format!("search: resolving @{user}@{domain}: {e}"));
                        Vec::new()
                    }
                }
            } else {
                found
            }
        }
        None => {
            let q = q.strip_prefix("acct:").unwrap_or(q);
            store::accounts(ctx.db, &AccountQuery::Prefix(q.trim_start_matches('@')), following_of, limit, offset).await?
        }
    };
    Ok(rows.iter().filter_map(|a| serde_json::to_value(Account::from_row(a, config)).ok()).collect())
}

fn limits(params: &Params) -> (i64, i64) {
    let limit = params.str("limit").and_then(|l| l.parse::<i64>().ok()).unwrap_or(20).clamp(1, 40);
    let offset = params.str("offset").and_then(|o| o.parse::<i64>().ok()).unwrap_or(0).max(0);
    (limit, offset)
}

/// The searcher: anyone, but a token must allow `read:search`.
async fn searcher(ctx: &Ctx<'_>, req: &Request) -> Result<Option<i64>, ApiError> {
    Ok(auth::reader(ctx, req, &["read:search"]).await?.and_then(|a| a.token.account_id))
}

/// <https://docs.joinmastodon.org/methods/search/#v2>
pub async fn v2(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    let viewer = searcher(ctx, req).await?;
    let params = req.query_params();
    let q = params.non_empty("q").ok_or_else(|| ApiError::BadRequest("The q parameter is required".into()))?;
    let (limit, offset) = limits(&params);
    // As Mastodon: paging and remote lookups are for logged-in users only.
    let resolve = params.bool("resolve").unwrap_or_default().unwrap_or(false);
    if viewer.is_none() && (offset > 0 || resolve) {
        return Err(ApiError::InvalidToken);
    }
    let kind = params.non_empty("type");
    let wants = |k: &str| kind.as_deref().is_none_or(|t| t == k);
    let following = params.bool("following").unwrap_or_default().unwrap_or(false);
    let account_id = params.str("account_id").as_deref().and_then(ids::parse);

    let is_url = q.starts_with("https://") || q.starts_with("http://");
    let remote_url = is_url && !q.starts_with(&format!("{}/", ctx.config.public_url));
    let resolved = if resolve && remote_url && offset == 0 {
        match remote::resolve_url(ctx, &q).await {
            Ok(found) => found,
            Err(e) => {
                log_error(&format!("search: resolving {q}: {e}"));
                Resolved::Nothing
            }
        }
    } else {
        Resolved::Nothing
    };
    let mut accounts = if wants("accounts") && !is_url {
        find_accounts(ctx, &q, viewer.filter(|_| following), limit, offset, resolve).await?
    } else {
        Vec::new()
    };
    if let (Resolved::Account(account), true) = (&resolved, wants("accounts")) {
        accounts.extend(serde_json::to_value(Account::from_row(account, ctx.config)).ok());
    }
    let hashtags = if wants("hashtags") && handle(&q).is_none() && !q.contains("://") {
        // The owner's search finds their private posts, so their tags too.
        let view = if viewer.is_some() { tag_store::View::Owner } else { tag_store::View::Public };
        let found = tag_store::search(ctx.db, q.trim_start_matches('#'), limit, offset, view).await?;
        tags::entities(ctx, &found, viewer.is_some(), view).await?
    } else {
        Vec::new()
    };
    // As Mastodon: searching post text needs a login; a post's URL finds it for anyone.
    let status_rows: Vec<StatusRow> = if !wants("statuses") {
        Vec::new()
    } else if let Resolved::Status(row) = resolved {
        vec![row]
    } else if is_url {
        statuses_by_url(ctx, viewer, &q).await?
    } else if viewer.is_some() {
        match store::fts_query(&q) {
            Some(fts) => {
                let ids = store::statuses(ctx.db, &fts, account_id, limit, offset).await?;
                let found = statuses::get_many(ctx.db, viewer, &ids).await?;
                ids.iter().filter_map(|id| found.iter().find(|r| r.id == *id).cloned()).collect()
            }
            None => Vec::new(),
        }
    } else {
        Vec::new()
    };
    let statuses = status::render_many(ctx, viewer, &status_rows).await?;
    Response::ok_json(&json!({"accounts": accounts, "statuses": statuses, "hashtags": hashtags}))
}

/// A status of ours found by its `uri` or `url` (`…/users/alice/statuses/ID`, `…/@alice/ID`).
async fn statuses_by_url(ctx: &Ctx<'_>, viewer: Option<i64>, url: &str) -> Result<Vec<StatusRow>, ApiError> {
    let Some(path) = url.strip_prefix(&ctx.config.public_url) else {
        // A remote post we already have, by its id or its page.
        let known = statuses::get_by_uri(ctx.db, viewer, url).await?;
        return Ok(known.filter(|r| visibility::may_see(r.visibility, viewer.is_some())).into_iter().collect());
    };
    let id = path.rsplit('/').next().and_then(ids::parse);
    let Some(id) = id else { return Ok(Vec::new()) };
    let row = statuses::get(ctx.db, viewer, id).await?;
    Ok(row.filter(|r| visibility::may_see(r.visibility, viewer.is_some()) && (r.uri == url || r.url.as_deref() == Some(url))).into_iter().collect())
}

/// <https://docs.joinmastodon.org/methods/accounts/#search>: for logged-in users (mention
/// autocompletion).
pub async fn accounts(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    let (_, owner) = auth::require_user(ctx, req, &["read:accounts"]).await?;
    let viewer = Some(owner);
    let params = req.query_params();
    let q = params.non_empty("q").ok_or_else(|| ApiError::BadRequest("The q parameter is required".into()))?;
    let (limit, offset) = limits(&params);
    let following = params.bool("following").unwrap_or_default().unwrap_or(false);
    let resolve = params.bool("resolve").unwrap_or_default().unwrap_or(false);
    Response::ok_json(&find_accounts(ctx, &q, viewer.filter(|_| following), limit, offset, resolve).await?)
}

#[cfg(test)]
mod tests {
    #[test]
    fn handles_are_recognised() {
        assert_eq!(super::handle("@bob@remote.example"), Some(("bob", "remote.example")));
        assert_eq!(super::handle("bob@remote.example"), Some(("bob", "remote.example")));
        assert_eq!(super::handle("bob"), None);
        assert_eq!(super::handle("@bob@"), None);
    }
}
