//! <https://docs.joinmastodon.org/methods/timelines/>, an account's statuses, favourites and
//! bookmarks: every list of statuses, paged the same way.
use super::entities::status::{self, Shown};
use super::paginated;
use super::statuses::viewer;
use crate::ctx::Ctx;
use crate::domain::ids;
use crate::edge::auth;
use crate::edge::error::ApiError;
use crate::edge::http::{Request, Response};
use crate::edge::params::Params;
use crate::store::accounts;
use crate::store::db::Query;
use crate::store::statuses::{self as store, AccountFilter, Locality, StatusList, StatusRow};

/// A page of statuses for a timeline `context` (filters apply per context), with its Link header.
/// The header is built from the rows, so a page whose statuses were all filtered away still
/// leads on.
pub async fn respond(ctx: &Ctx<'_>, req: &Request, viewer: Option<i64>, rows: &[StatusRow], context: &str) -> Result<Response, ApiError> {
    let statuses = status::render_many_in(ctx, viewer, rows, context).await?;
    let keys: Vec<i64> = rows.iter().map(|r| r.id).collect();
    Ok(paginated(ctx, req, &statuses, &keys))
}

fn flag(params: &Params, key: &str) -> Result<bool, ApiError> {
    Ok(params.bool(key).map_err(|k| ApiError::Invalid(format!("{k} must be a boolean")))?.unwrap_or(false))
}

fn locality(params: &Params) -> Result<Locality, ApiError> {
    Ok(match (flag(params, "local")?, flag(params, "remote")?) {
        (true, _) => Locality::Local,
        (false, true) => Locality::Remote,
        _ => Locality::All,
    })
}

/// <https://docs.joinmastodon.org/methods/timelines/#home>
pub async fn home(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    let (_, account_id) = auth::require_user(ctx, req, &["read:statuses"]).await?;
    let page = req.query_params().page();
    let rows = store::home(ctx.db, account_id, &page).await?;
    respond(ctx, req, Some(account_id), &rows, "home").await
}

/// <https://docs.joinmastodon.org/methods/timelines/#public>: open to anonymous readers.
pub async fn public(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    let viewer = viewer(ctx, req).await?;
    let params = req.query_params();
    let rows = store::public(ctx.db, viewer, &params.page(), locality(&params)?, flag(&params, "only_media")?).await?;
    respond(ctx, req, viewer, &rows, "public").await
}

/// <https://docs.joinmastodon.org/methods/timelines/#link>: statuses sharing a link. Preview
/// cards are not fetched yet (TODO(#3)), so until they are no status links anywhere.
pub async fn link(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    let viewer = viewer(ctx, req).await?;
    let params = req.query_params();
    let url = params.non_empty("url").ok_or_else(|| ApiError::BadRequest("The url parameter is required".into()))?;
    let rows = store::linking(ctx.db, viewer, &url, &params.page()).await?;
    respond(ctx, req, viewer, &rows, "public").await
}

/// <https://docs.joinmastodon.org/methods/timelines/#tag>
pub async fn tag(ctx: &Ctx<'_>, req: &Request, hashtag: &str) -> Result<Response, ApiError> {
    let viewer = viewer(ctx, req).await?;
    let params = req.query_params();
    let normalize = |names: Vec<String>| -> Vec<String> {
        names.iter().map(|n| n.trim().trim_start_matches('#').to_lowercase()).filter(|n| !n.is_empty()).collect()
    };
    let mut any = normalize(params.strings("any"));
    any.push(hashtag.trim_start_matches('#').to_lowercase());
    let all = normalize(params.strings("all"));
    let none = normalize(params.strings("none"));
    let filter = store::TagFilter { any, all, none, locality: locality(&params)?, only_media: flag(&params, "only_media")? };
    let rows = store::tagged(ctx.db, viewer, &params.page(), &filter).await?;
    respond(ctx, req, viewer, &rows, "public").await
}

/// <https://docs.joinmastodon.org/methods/accounts/#statuses>: the account and the page are
/// read in one round trip.
pub async fn account_statuses(ctx: &Ctx<'_>, req: &Request, id: &str) -> Result<Response, ApiError> {
    let viewer = viewer(ctx, req).await?;
    let id = ids::parse(id).ok_or(ApiError::NotFound)?;
    let params = req.query_params();
    let page = account_filter(&params, viewer).map(|filter| store::by_account_page(viewer, id, &params.page(), &filter));
    let queries: Vec<Query> = std::iter::once(accounts::get_query(id)).chain(page.as_ref().ok().map(|p| p.query.clone())).collect();
    let mut answers = ctx.db.batch_rows(&queries).await?.into_iter();
    // An unknown account is not found, whatever else is wrong with the request.
    if answers.next().unwrap_or_default().is_empty() {
        return Err(ApiError::NotFound);
    }
    let rows = page?.rows(answers.next().unwrap_or_default())?;
    respond(ctx, req, viewer, &rows, "account").await
}

fn account_filter(params: &Params, viewer: Option<i64>) -> Result<AccountFilter, ApiError> {
    Ok(AccountFilter {
        // The owner sees everything stored; others see public and unlisted posts.
        include_private: viewer.is_some(),
        exclude_replies: flag(params, "exclude_replies")?,
        exclude_reblogs: flag(params, "exclude_reblogs")?,
        only_media: flag(params, "only_media")?,
        pinned: flag(params, "pinned")?,
        tagged: params.non_empty("tagged").map(|t| t.trim_start_matches('#').to_lowercase()),
    })
}

/// <https://docs.joinmastodon.org/methods/favourites/> and <https://docs.joinmastodon.org/methods/bookmarks/>:
/// paged by when the status was added, not by the status id.
pub async fn listed(ctx: &Ctx<'_>, req: &Request, list: StatusList) -> Result<Response, ApiError> {
    let scope = match list {
        StatusList::Favourites => "read:favourites",
        StatusList::Bookmarks => "read:bookmarks",
    };
    let (_, account_id) = auth::require_user(ctx, req, &[scope]).await?;
    let entries = store::listed(ctx.db, list, account_id, &req.query_params().page()).await?;
    let ids: Vec<i64> = entries.iter().map(|e| e.status_id).collect();
    let (statuses, _) = status::render_with(ctx, Some(account_id), Shown::Ids(&ids), None, Vec::new()).await?;
    let keys: Vec<i64> = entries.iter().map(|e| e.row_id).collect();
    Ok(paginated(ctx, req, &statuses, &keys))
}

#[cfg(test)]
mod round_trip_tests {
    use crate::edge::http::Method::{Get, Post};
    use crate::testing::TestEnv;

    /// A page of the home timeline is a handful of round trips to D1 however rich its posts
    /// are: what the statuses refer to (accounts, tags, mentions, apps, polls, media) comes in
    /// one batch (it was one round trip each).
    #[tokio::test(flavor = "current_thread")]
    async fn a_home_page_is_a_fixed_number_of_round_trips() {
        let env = TestEnv::new();
        let token = env.owner_token().await;
        let (_, first) = env.send_as(&token, Post, "/api/v1/statuses", "status=first+%23one").await;
        for i in 0..15 {
            let form = format!("status=%40alice+%23tag{i}+reply+{i}&in_reply_to_id={}", first["id"].as_str().unwrap());
            assert_eq!(env.send_as(&token, Post, "/api/v1/statuses", &form).await.0.status, 200);
        }
        let poll = "status=pick&poll[options][]=a&poll[options][]=b&poll[expires_in]=300";
        assert_eq!(env.send_as(&token, Post, "/api/v1/statuses", poll).await.0.status, 200);
        let boosted = env.send_as(&token, Post, &format!("/api/v1/statuses/{}/reblog", first["id"].as_str().unwrap()), "").await;
        assert_eq!(boosted.0.status, 200, "{}", boosted.1);
        env.send_as(&token, Get, "/api/v1/timelines/home", "").await;
        env.db.round_trips.set(0);
        let (response, page) = env.send_as(&token, Get, "/api/v1/timelines/home", "").await;
        assert_eq!(response.status, 200, "{page}");
        assert_eq!(page.as_array().unwrap().len(), 18);
        assert!(page.as_array().unwrap().iter().any(|s| !s["poll"].is_null() && !s["tags"].as_array().unwrap().is_empty() || !s["reblog"].is_null()));
        let round_trips = env.db.round_trips.get();
        assert!(round_trips <= 4, "a home page took {round_trips} round trips");
    }
}
