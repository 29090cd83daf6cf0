//! Hashtags (<https://docs.joinmastodon.org/methods/tags/>), followed and featured tags, and
//! trends computed from the instance's own recent activity.
use serde_json::{json, Value};

use super::entities::status;
use super::paginated;
use crate::ctx::Ctx;
use crate::domain::ids;
use crate::domain::paging::Page;
use crate::domain::time::date;
use crate::edge::auth;
use crate::edge::error::ApiError;
use crate::edge::http::{Request, Response};
use crate::store::statuses::{self, Locality};
use crate::store::db::{decode, Query};
use crate::store::accounts;
use crate::store::tags::{self as store, DayUse, FeaturedStats, TagRow, View};

const DAY_MS: i64 = 86_400_000;
/// Trends look at the last week, as Mastodon's history does.
const TREND_WINDOW_MS: i64 = 7 * DAY_MS;

/// Mastodon's tag names: letters, digits and `_`, not only digits.
fn valid_name(name: &str) -> bool {
    !name.is_empty() && name.chars().all(|c| c.is_alphanumeric() || c == '_') && !name.chars().all(|c| c.is_ascii_digit())
}

/// The owner's view of tags takes a user token that reads statuses: a tag's uses tell of the
/// posts it is in.
fn view_of(auth: Option<&auth::Auth>) -> View {
    match auth.and_then(|a| a.user_allowing(&["read:statuses"])) {
        Some(_) => View::Owner,
        None => View::Public,
    }
}

/// Full Tag entities with seven days of history (values as strings, as clients decode them),
/// counting the uses `view` may see.
pub async fn entities(ctx: &Ctx<'_>, tags: &[TagRow], with_following: bool, view: View) -> Result<Vec<Value>, ApiError> {
    let uses = match history_query(ctx, tags, view) {
        Some(query) => decode(ctx.db.rows(&query).await?)?,
        None => Vec::new(),
    };
    Ok(entities_with(ctx, tags, &uses, with_following))
}

/// The read of the tags' history (`DayUse`s) for `entities_with`, none for no tags: for a batch
/// of reads.
pub fn history_query(ctx: &Ctx<'_>, tags: &[TagRow], view: View) -> Option<Query> {
    let today = ctx.now_ms().div_euclid(DAY_MS);
    let ids: Vec<i64> = tags.iter().map(|t| t.id).collect();
    (!ids.is_empty()).then(|| store::daily_uses_query(&ids, (today - 6) * DAY_MS, view))
}

/// `entities`, with the history `history_query` read.
pub fn entities_with(ctx: &Ctx<'_>, tags: &[TagRow], uses: &[DayUse], with_following: bool) -> Vec<Value> {
    let today = ctx.now_ms().div_euclid(DAY_MS);
    tags.iter()
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
        .collect()
}

/// <https://docs.joinmastodon.org/methods/tags/#get>
/// Mastodon shows a tag to any token; whether the owner follows it needs a scope that reads
/// follows, and the owner's private uses need `read:statuses`.
pub async fn get(ctx: &Ctx<'_>, req: &Request, name: &str) -> Result<Response, ApiError> {
    let reader = auth::optional(ctx, req).await?;
    let following = reader.as_ref().and_then(|a| a.user_allowing(&["read:follows"])).is_some();
    let view = view_of(reader.as_ref());
    let tag = store::get(ctx.db, name, view).await?.ok_or(ApiError::NotFound)?;
    Response::ok_json(&entities(ctx, &[tag], following, view).await?.pop())
}

/// <https://docs.joinmastodon.org/methods/tags/#follow> and `#unfollow`.
pub async fn set_followed(ctx: &Ctx<'_>, req: &Request, name: &str, follow: bool) -> Result<Response, ApiError> {
    let (auth, _) = auth::require_user(ctx, req, &["write:follows"]).await?;
    if !valid_name(name) {
        return Err(ApiError::Invalid("Name is not a valid hashtag".into()));
    }
    let now = ctx.now_ms();
    ctx.db.batch(&[store::ensure(ctx.new_id(), name, now), store::set_followed(name, follow.then_some(now))]).await?;
    let view = view_of(Some(&auth));
    let tag = store::get(ctx.db, name, View::Owner).await?.ok_or(ApiError::NotFound)?;
    Response::ok_json(&entities(ctx, &[tag], true, view).await?.pop())
}

/// <https://docs.joinmastodon.org/methods/followed_tags/>
pub async fn followed(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    let (auth, _) = auth::require_user(ctx, req, &["read:follows"]).await?;
    let page = req.query_params().page_with_limits(100, 200);
    let tags = store::followed(ctx.db, &page).await?;
    let keys: Vec<i64> = tags.iter().map(|t| t.id).collect();
    Ok(paginated(ctx, req, &entities(ctx, &tags, true, view_of(Some(&auth))).await?, &keys))
}

/// The featured tags with `account_id`'s use of them, read in one round trip.
async fn featured_entities(ctx: &Ctx<'_>, account_id: i64) -> Result<Vec<Value>, ApiError> {
    let mut answers = ctx.db.batch_rows(&[store::featured_query(), store::featured_usage_query(account_id)]).await?.into_iter();
    let tags: Vec<TagRow> = decode(answers.next().unwrap_or_default())?;
    let usage: Vec<FeaturedStats> = decode(answers.next().unwrap_or_default())?;
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

/// `GET /api/v1/accounts/:id/featured_tags`: public. Only the owner's are known: the local
/// account is the owner. Read without the cached owner, which costs a round trip of its own whenever it
/// is stale.
pub async fn featured_of(ctx: &Ctx<'_>, req: &Request, id: &str) -> Result<Response, ApiError> {
    auth::optional(ctx, req).await?;
    let Some(id) = ids::parse(id) else { return Response::ok_json(&json!([])) };
    if !accounts::get(ctx.db, id).await?.is_some_and(|a| a.is_local()) {
        // Remote accounts' featured tags arrive with federation (#4).
        return Response::ok_json(&json!([]));
    }
    Response::ok_json(&featured_entities(ctx, id).await?)
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
    let following = auth::user_allowing(ctx, req, &["read:follows"]).await?.is_some();
    let (offset, limit) = offset_and_limit(req, 10, 20);
    let tags = store::trending(ctx.db, ctx.now_ms() - TREND_WINDOW_MS, limit, offset).await?;
    // Trends are public, so their history is too, for the owner as well.
    Response::ok_json(&entities(ctx, &tags, following, View::Public).await?)
}

/// <https://docs.joinmastodon.org/methods/trends/#statuses>: this week's public posts with the
/// most interactions.
pub async fn trending_statuses(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    // Open to any token, as in Mastodon; the owner's own flags on them need `read:statuses`.
    let viewer = auth::user_allowing(ctx, req, &["read:statuses"]).await?;
    let (offset, limit) = offset_and_limit(req, 20, 40);
    let since = crate::domain::ids::lower_bound_for((ctx.now_ms() - TREND_WINDOW_MS).max(0) as u64);
    let page = Page { min_id: None, since_id: Some(since), max_id: None, limit: 200 };
    let mut rows = statuses::public(ctx.db, viewer, &page, Locality::All, false).await?;
    rows.retain(|r| r.favourites_count + r.reblogs_count + r.replies_count > 0);
    rows.sort_by_key(|r| std::cmp::Reverse((r.favourites_count + 2 * r.reblogs_count + r.replies_count, r.id)));
    let rows: Vec<_> = rows.into_iter().skip(offset as usize).take(limit as usize).collect();
    Response::ok_json(&status::render_many(ctx, viewer, &rows).await?)
}

/// <https://docs.joinmastodon.org/methods/trends/#links>: we fetch no link previews yet, so no
/// link can trend.
pub fn trending_links() -> Result<Response, ApiError> {
    Response::ok_json(&json!([]))
}

#[cfg(test)]
mod tests {
    use crate::edge::http::Method::{Get, Post};
    use crate::testing::TestEnv;

    fn uses_today(tag: &serde_json::Value) -> &str {
        tag["history"][0]["uses"].as_str().unwrap_or_default()
    }

    #[tokio::test(flavor = "current_thread")]
    async fn tags_of_private_posts_are_the_owners_alone() {
        let env = TestEnv::new();
        let owner = env.owner_token().await;
        for form in ["status=%23secret&visibility=direct", "status=%23hidden+%23open&visibility=private", "status=%23open"] {
            let (created, body) = env.send_as(&owner, Post, "/api/v1/statuses", form).await;
            assert_eq!(created.status, 200, "{body}");
        }
        let push = env.owner_token_with("push").await;
        for token in [None, Some(push.as_str())] {
            for name in ["secret", "hidden"] {
                let (response, body) = env.request(token, Get, &format!("/api/v1/tags/{name}"), "").await;
                assert_eq!(response.status, 404, "{name}: {body}");
                let (searched, found) = env.request(token, Get, &format!("/api/v2/search?q={name}&type=hashtags"), "").await;
                match token {
                    None => assert_eq!(found["hashtags"], serde_json::json!([]), "{name}"),
                    Some(_) => assert_eq!(searched.status, 403, "search needs read:search"),
                }
            }
            let (_, open) = env.request(token, Get, "/api/v1/tags/open", "").await;
            assert_eq!(uses_today(&open), "1", "{open}");
            let (_, trends) = env.request(token, Get, "/api/v1/trends/tags", "").await;
            assert_eq!(trends.as_array().map(|t| t.iter().map(|t| (t["name"].clone(), uses_today(t).to_string())).collect()), Some(vec![(serde_json::json!("open"), "1".to_string())]));
        }
        let (secret, body) = env.send_as(&owner, Get, "/api/v1/tags/secret", "").await;
        assert_eq!((secret.status, uses_today(&body)), (200, "1"));
        let (_, open) = env.send_as(&owner, Get, "/api/v1/tags/open", "").await;
        assert_eq!(uses_today(&open), "2");
        let (_, trends) = env.send_as(&owner, Get, "/api/v1/trends/tags", "").await;
        assert_eq!(uses_today(&trends[0]), "1", "trends count public posts, for the owner too");
    }

    #[test]
    fn tag_names_follow_mastodon() {
        assert!(super::valid_name("rust_lang") && super::valid_name("café"));
        assert!(!super::valid_name("123") && !super::valid_name("a-b") && !super::valid_name(""));
    }
}
