//! Hashtags (<https://docs.joinmastodon.org/methods/tags/>), followed and featured tags, and
//! trends computed from the instance's own recent activity.
use serde_json::{json, Value};

use super::entities::status;
use super::paginated;
use super::statuses::viewer;
use crate::ctx::Ctx;
use crate::domain::ids;
use crate::domain::paging::Page;
use crate::domain::time::date;
use crate::owner;
use crate::router::auth;
use crate::router::error::ApiError;
use crate::router::http::{Request, Response};
use crate::store::statuses::{self, Locality};
use crate::store::tags::{self as store, TagRow};

const DAY_MS: i64 = 86_400_000;
/// Trends look at the last week, as Mastodon's history does.
const TREND_WINDOW_MS: i64 = 7 * DAY_MS;

/// Mastodon's tag names: letters, digits and `_`, not only digits.
fn valid_name(name: &str) -> bool {
    !name.is_empty() && name.chars().all(|c| c.is_alphanumeric() || c == '_') && !name.chars().all(|c| c.is_ascii_digit())
}

/// Full Tag entities with seven days of history (values as strings, as clients decode them).
pub async fn entities(ctx: &Ctx<'_>, tags: &[TagRow], with_following: bool) -> Result<Vec<Value>, ApiError> {
    let now = ctx.now_ms();
    let today = now.div_euclid(DAY_MS);
    let ids: Vec<i64> = tags.iter().map(|t| t.id).collect();
    let uses = if ids.is_empty() { Vec::new() } else { store::daily_uses(ctx.db, &ids, (today - 6) * DAY_MS).await? };
    Ok(tags
        .iter()
        .map(|tag| {
            let history: Vec<Value> = (0..7)
                .map(|back| {
                    let day = today - back;
                    let used = uses.iter().find(|u| u.tag_id == tag.id && u.day == day);
                    json!({
                        "day": (day * 86_400).to_string(),
                        "uses": used.map_or(0, |u| u.uses).to_string(),
                        "accounts": used.map_or(0, |u| u.accounts).to_string(),
                    })
                })
                .collect();
            let name = tag.name.to_lowercase();
            let mut entity = json!({
                "id": tag.id.to_string(),
                "name": name,
                "url": crate::content::tag_url(&ctx.config.public_url, &name),
                "history": history,
            });
            if with_following {
                entity["following"] = json!(tag.followed_at.is_some());
                entity["featuring"] = json!(tag.featured_at.is_some());
            }
            entity
        })
        .collect())
}

/// <https://docs.joinmastodon.org/methods/tags/#get>
pub async fn get(ctx: &Ctx<'_>, req: &Request, name: &str) -> Result<Response, ApiError> {
    let viewer = viewer(ctx, req).await?;
    let tag = store::get(ctx.db, name).await?.ok_or(ApiError::NotFound)?;
    Response::ok_json(&entities(ctx, &[tag], viewer.is_some()).await?.pop())
}

/// <https://docs.joinmastodon.org/methods/tags/#follow> and `#unfollow`.
pub async fn set_followed(ctx: &Ctx<'_>, req: &Request, name: &str, follow: bool) -> Result<Response, ApiError> {
    auth::require_user(ctx, req, &["write:follows"]).await?;
    if !valid_name(name) {
        return Err(ApiError::Invalid("Name is not a valid hashtag".into()));
    }
    let now = ctx.now_ms();
    ctx.db.batch(&[store::ensure(ctx.new_id(), name, now), store::set_followed(name, follow.then_some(now))]).await?;
    let tag = store::get(ctx.db, name).await?.ok_or(ApiError::NotFound)?;
    Response::ok_json(&entities(ctx, &[tag], true).await?.pop())
}

/// <https://docs.joinmastodon.org/methods/followed_tags/>
pub async fn followed(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    auth::require_user(ctx, req, &["read:follows"]).await?;
    let page = Page::with_limits(&req.query_params(), 100, 200);
    let tags = store::followed(ctx.db, &page).await?;
    let keys: Vec<i64> = tags.iter().map(|t| t.id).collect();
    Ok(paginated(ctx, req, &entities(ctx, &tags, true).await?, &keys))
}

async fn featured_entities(ctx: &Ctx<'_>, account_id: i64) -> Result<Vec<Value>, ApiError> {
    let tags = store::featured(ctx.db).await?;
    let ids: Vec<i64> = tags.iter().map(|t| t.id).collect();
    let usage = if ids.is_empty() { Vec::new() } else { store::account_usage(ctx.db, account_id, &ids).await? };
    Ok(tags
        .iter()
        .map(|t| {
            let used = usage.iter().find(|u| u.tag_id == t.id);
            let name = t.name.to_lowercase();
            json!({
                "id": t.id.to_string(),
                "name": name,
                "url": format!("{}/tagged/{name}", ctx.config.profile_url(&ctx.config.admin_username)),
                "statuses_count": used.map_or(0, |u| u.statuses_count).to_string(),
                "last_status_at": used.and_then(|u| u.last_status_at).map(date),
            })
        })
        .collect())
}

/// <https://docs.joinmastodon.org/methods/featured_tags/>: the owner's featured tags.
pub async fn featured(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    let (_, owner) = auth::require_user(ctx, req, &["read:accounts"]).await?;
    Response::ok_json(&featured_entities(ctx, owner).await?)
}

/// `GET /api/v1/accounts/:id/featured_tags`: public.
pub async fn featured_of(ctx: &Ctx<'_>, req: &Request, id: &str) -> Result<Response, ApiError> {
    viewer(ctx, req).await?;
    let owner = owner::load(ctx).await?;
    if ids::parse(id) != Some(owner.id) {
        // Remote accounts' featured tags arrive with federation (#4).
        return Response::ok_json(&json!([]));
    }
    Response::ok_json(&featured_entities(ctx, owner.id).await?)
}

pub async fn feature(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    let (_, owner) = auth::require_user(ctx, req, &["write:accounts"]).await?;
    let name = req.params()?.non_empty("name").unwrap_or_default();
    let name = name.trim_start_matches('#');
    if !valid_name(name) {
        return Err(ApiError::Invalid("Name is not a valid hashtag".into()));
    }
    let featured = store::featured(ctx.db).await?;
    if featured.iter().any(|t| t.name.eq_ignore_ascii_case(name)) {
        return Err(ApiError::Invalid("Tag has already been taken".into()));
    }
    if featured.len() >= 10 {
        return Err(ApiError::Invalid("You can feature at most 10 hashtags".into()));
    }
    let now = ctx.now_ms();
    ctx.db.batch(&[store::ensure(ctx.new_id(), name, now), store::set_featured(name, Some(now))]).await?;
    let all = featured_entities(ctx, owner).await?;
    let lower = name.to_lowercase();
    Response::ok_json(&all.into_iter().find(|t| t["name"] == json!(lower)))
}

pub async fn unfeature(ctx: &Ctx<'_>, req: &Request, id: &str) -> Result<Response, ApiError> {
    auth::require_user(ctx, req, &["write:accounts"]).await?;
    let id = ids::parse(id).ok_or(ApiError::NotFound)?;
    let tag = store::get_by_id(ctx.db, id).await?.filter(|t| t.featured_at.is_some()).ok_or(ApiError::NotFound)?;
    ctx.db.run(&store::set_featured(&tag.name, None)).await?;
    Response::ok_json(&json!({}))
}

fn offset_and_limit(req: &Request, default: i64, max: i64) -> (i64, i64) {
    let params = req.query_params();
    let limit = params.str("limit").and_then(|l| l.parse::<i64>().ok()).unwrap_or(default).clamp(1, max);
    let offset = params.str("offset").and_then(|o| o.parse::<i64>().ok()).unwrap_or(0).max(0);
    (offset, limit)
}

/// <https://docs.joinmastodon.org/methods/trends/#tags>
pub async fn trending_tags(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    let viewer = viewer(ctx, req).await?;
    let (offset, limit) = offset_and_limit(req, 10, 20);
    let tags = store::trending(ctx.db, ctx.now_ms() - TREND_WINDOW_MS, limit, offset).await?;
    Response::ok_json(&entities(ctx, &tags, viewer.is_some()).await?)
}

/// <https://docs.joinmastodon.org/methods/trends/#statuses>: this week's public posts with the
/// most interactions.
pub async fn trending_statuses(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    let viewer = viewer(ctx, req).await?;
    let (offset, limit) = offset_and_limit(req, 20, 40);
    let since = crate::domain::ids::lower_bound_for((ctx.now_ms() - TREND_WINDOW_MS).max(0) as u64);
    let page = Page { min_id: None, since_id: Some(since), max_id: None, limit: 200 };
    let mut rows = statuses::public(ctx.db, viewer, &page, Locality::All, false).await?;
    rows.retain(|r| r.favourites_count + r.reblogs_count + r.replies_count > 0);
    rows.sort_by_key(|r| std::cmp::Reverse((r.favourites_count + 2 * r.reblogs_count + r.replies_count, r.id)));
    let rows: Vec<_> = rows.into_iter().skip(offset as usize).take(limit as usize).collect();
    Response::ok_json(&status::render(ctx, viewer, &rows).await?)
}

/// <https://docs.joinmastodon.org/methods/trends/#links>: we fetch no link previews yet, so no
/// link can trend.
pub fn trending_links() -> Result<Response, ApiError> {
    Response::ok_json(&json!([]))
}

#[cfg(test)]
mod tests {
    #[test]
    fn tag_names_follow_mastodon() {
        assert!(super::valid_name("rust_lang") && super::valid_name("café"));
        assert!(!super::valid_name("123") && !super::valid_name("a-b") && !super::valid_name(""));
    }
}
