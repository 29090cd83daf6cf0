//! <https://docs.joinmastodon.org/methods/search/> over what this instance stores: accounts by
//! handle or name, hashtags by prefix, statuses by full text (FTS5) or by URL.
use serde_json::{json, Value};

use super::entities::account::Account;
use super::entities::status::{self, Shown};
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
use crate::store::accounts::AccountRow;
use crate::store::db::{decode, Query};
use crate::store::search::{self as store, AccountQuery, Hit};
use crate::store::statuses::{self, StatusRow};
use crate::store::tags::{self as tag_store, DayUse, TagRow, View};

/// `@user@domain`, `user@domain` or `acct:user@domain` as (user, domain).
pub fn handle(q: &str) -> Option<(&str, &str)> {
    let q = q.strip_prefix("acct:").or_else(|| q.strip_prefix("ACCT:")).unwrap_or(q);
    let (user, domain) = q.trim_start_matches('@').split_once('@')?;
    (!user.is_empty() && !domain.is_empty() && !domain.contains('@')).then_some((user, domain))
}

/// The read of the accounts `q` names: a handle exactly, or a prefix of names. With a handle of
/// another server, that handle too, to resolve when nothing stored matches.
fn account_search<'q>(ctx: &Ctx<'_>, q: &'q str, following_of: Option<i64>, limit: i64, offset: i64) -> (Query, Option<(&'q str, &'q str)>) {
    let config = ctx.config;
    match handle(q) {
        Some((user, domain)) => {
            let ours = domain.eq_ignore_ascii_case(&config.handle_domain) || domain.eq_ignore_ascii_case(&config.host);
            let query = store::accounts_query(&AccountQuery::Exact(user, (!ours).then_some(domain)), following_of, limit, offset);
            (query, (!ours).then_some((user, domain)))
        }
        None => {
            let q = q.strip_prefix("acct:").unwrap_or(q);
            (store::accounts_query(&AccountQuery::Prefix(q.trim_start_matches('@')), following_of, limit, offset), None)
        }
    }
}

/// The accounts an `account_search` found, as entities. As Mastodon: when none is stored, a
/// remote handle is looked up over WebFinger if `resolve` asks; a failure is just no result.
async fn found_accounts(ctx: &Ctx<'_>, rows: Vec<AccountRow>, remote: Option<(&str, &str)>, resolve: bool) -> Vec<Value> {
    let rows = match remote {
        Some((user, domain)) if rows.is_empty() && resolve => match actors::resolve_handle(ctx, user, domain).await {
            Ok(account) => vec![account],
            Err(e) => {
                log_error(&format!("search: resolving @{user}@{domain}: {e}"));
                Vec::new()
            }
        },
        _ => rows,
    };
    rows.iter().filter_map(|a| serde_json::to_value(Account::from_row(a, ctx.config)).ok()).collect()
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
    // What is stored is read in one round trip, what it refers to in a second.
    let accounts_read = (wants("accounts") && !is_url).then(|| account_search(ctx, &q, viewer.filter(|_| following), limit, offset));
    // The owner's search finds their private posts, so their tags too.
    let view = if viewer.is_some() { View::Owner } else { View::Public };
    let tags_read = (wants("hashtags") && handle(&q).is_none() && !q.contains("://"))
        .then(|| tag_store::search_query(q.trim_start_matches('#'), limit, offset, view));
    // As Mastodon: searching post text needs a login; a post's URL finds it for anyone.
    let statuses_read = if !wants("statuses") || matches!(resolved, Resolved::Status(_)) {
        None
    } else if is_url {
        by_url_query(ctx, viewer, &q)
    } else {
        viewer.and_then(|_| store::fts_query(&q)).map(|fts| store::statuses_query(&fts, account_id, limit, offset))
    };
    let reads: Vec<Query> = [accounts_read.as_ref().map(|(query, _)| query), tags_read.as_ref(), statuses_read.as_ref()].into_iter().flatten().cloned().collect();
    let mut answers = if reads.is_empty() { Vec::new() } else { ctx.db.batch_rows(&reads).await? }.into_iter();
    let mut answer = |asked: bool| if asked { answers.next().unwrap_or_default() } else { Vec::new() };
    let (account_rows, tag_rows, status_rows) = (answer(accounts_read.is_some()), answer(tags_read.is_some()), answer(statuses_read.is_some()));

    let mut accounts = match accounts_read {
        Some((_, remote)) => found_accounts(ctx, decode(account_rows)?, remote, resolve).await,
        None => Vec::new(),
    };
    if let (Resolved::Account(account), true) = (&resolved, wants("accounts")) {
        accounts.extend(serde_json::to_value(Account::from_row(account, ctx.config)).ok());
    }
    let tags: Vec<TagRow> = decode(tag_rows)?;
    let (rows, hits) = match resolved {
        Resolved::Status(row) if wants("statuses") => (vec![row], Vec::new()),
        _ if is_url => {
            let seen = |r: &StatusRow| visibility::may_see(r.visibility, viewer.is_some()) && (r.uri == q || r.url.as_deref() == Some(q.as_str()));
            (decode::<StatusRow>(status_rows)?.into_iter().filter(seen).collect(), Vec::new())
        }
        _ => (Vec::new(), decode::<Hit>(status_rows)?.into_iter().map(|h| h.id).collect()),
    };
    let shown = if hits.is_empty() { Shown::Rows(&rows) } else { Shown::Ids(&hits) };
    let history: Vec<Query> = tags::history_query(ctx, &tags, view).into_iter().collect();
    let (statuses, history) = status::render_with(ctx, viewer, shown, None, history).await?;
    let uses: Vec<DayUse> = decode(history.into_iter().next().unwrap_or_default())?;
    let hashtags = tags::entities_with(ctx, &tags, &uses, viewer.is_some());
    Response::ok_json(&json!({"accounts": accounts, "statuses": statuses, "hashtags": hashtags}))
}

/// The read of a status by its `uri` or `url`: a status of ours by the id its URL ends in
/// (`…/users/alice/statuses/ID`, `…/@alice/ID`), a remote one we have by its id (the caller
/// checks that the URL is the status's own).
fn by_url_query(ctx: &Ctx<'_>, viewer: Option<i64>, url: &str) -> Option<Query> {
    match url.strip_prefix(&ctx.config.public_url) {
        Some(path) => path.rsplit('/').next().and_then(ids::parse).map(|id| statuses::get_query(viewer, id)),
        None => Some(statuses::get_by_uri_query(viewer, url)),
    }
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
    let (query, remote) = account_search(ctx, &q, viewer.filter(|_| following), limit, offset);
    let rows = decode(ctx.db.rows(&query).await?)?;
    Response::ok_json(&found_accounts(ctx, rows, remote, resolve).await)
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
