//! <https://docs.joinmastodon.org/methods/notifications/> (v1).
use serde::Serialize;
use serde_json::json;

use super::entities::account::Account;
use super::entities::status::{self, Shown, Status};
use super::paginated;
use crate::ctx::Ctx;
use crate::domain::ids;
use crate::domain::time::iso8601;
use crate::edge::auth;
use crate::edge::error::ApiError;
use crate::edge::http::{Request, Response};
use crate::store::accounts::{self, AccountRow};
use crate::store::db::decode;
use crate::store::notifications::{self as store, Filter, GroupCount, NotificationRow};

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

/// Notifications with their accounts and statuses, read in one round trip.
pub async fn render(ctx: &Ctx<'_>, viewer: i64, rows: &[NotificationRow]) -> Result<Vec<Notification>, ApiError> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let account_ids: Vec<i64> = rows.iter().map(|r| r.from_account_id).collect();
    // One rendered copy per notification: a post can be both favourited and boosted. A
    // notification whose post a `hide` filter removes is left out with it.
    let status_ids: Vec<i64> = rows.iter().filter_map(|r| r.status_id).collect();
    let accounts_query = vec![accounts::get_many_query(&account_ids)];
    let (mut rendered, own) = status::render_with(ctx, Some(viewer), Shown::Ids(&status_ids), Some("notifications"), accounts_query).await?;
    let accounts = decode::<AccountRow>(own.into_iter().next().unwrap_or_default())?;
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
    let page = params.page_with_limits(40, 80);
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

// v2: grouped notifications (<https://docs.joinmastodon.org/methods/grouped_notifications/>) ----

/// Types grouped when the client does not say (`grouped_types[]`), as in Mastodon.
const DEFAULT_GROUPED: [&str; 3] = ["favourite", "follow", "reblog"];

/// One group on a page: the page's notifications sharing a group key, in page order.
#[derive(Debug)]
pub struct PageGroup<'a> {
    pub key: String,
    pub rows: Vec<&'a NotificationRow>,
}

/// Groups a page of notifications (newest first). Notifications of a type outside `grouped`
/// stand alone, under the `ungrouped-ID` key the client can address them by.
pub fn group_page<'a>(rows: &'a [NotificationRow], grouped: &[String]) -> Vec<PageGroup<'a>> {
    let mut groups: Vec<PageGroup<'a>> = Vec::new();
    for row in rows {
        let key = if grouped.contains(&row.kind) { row.group_key.clone() } else { format!("ungrouped-{}", row.id) };
        match groups.iter_mut().find(|g| g.key == key) {
            Some(group) => group.rows.push(row),
            None => groups.push(PageGroup { key, rows: vec![row] }),
        }
    }
    groups
}

fn filter_params(params: &crate::edge::params::Params) -> Filter {
    let json_list = |key: &str| serde_json::to_string(&params.strings(key)).unwrap_or_else(|_| "[]".into());
    Filter {
        types: json_list("types"),
        exclude_types: json_list("exclude_types"),
        account_id: params.str("account_id").as_deref().and_then(ids::parse),
    }
}

/// Renders groups with the accounts and statuses they refer to, each once, and the groups'
/// totals, all read in one round trip.
async fn grouped_results(ctx: &Ctx<'_>, owner: i64, groups: &[PageGroup<'_>]) -> Result<serde_json::Value, ApiError> {
    let keys: Vec<String> = groups.iter().map(|g| g.key.clone()).collect();
    let mut account_ids: Vec<i64> = groups.iter().flat_map(|g| g.rows.iter().map(|r| r.from_account_id)).collect();
    account_ids.sort_unstable();
    account_ids.dedup();
    let mut status_ids: Vec<i64> = groups.iter().filter_map(|g| g.rows[0].status_id).collect();
    status_ids.sort_unstable();
    status_ids.dedup();
    let own = vec![store::group_counts_query(owner, &keys), accounts::get_many_query(&account_ids)];
    let (rendered, own) = status::render_with(ctx, Some(owner), Shown::Ids(&status_ids), None, own).await?;
    let mut own = own.into_iter();
    let totals = decode::<GroupCount>(own.next().unwrap_or_default())?;
    let accounts: Vec<Account> = decode::<AccountRow>(own.next().unwrap_or_default())?.iter().map(|a| Account::from_row(a, ctx.config)).collect();
    let notification_groups: Vec<serde_json::Value> = groups
        .iter()
        .filter(|g| g.rows[0].status_id.is_none_or(|id| rendered.iter().any(|s| s.id == id.to_string())))
        .map(|g| {
            let newest = g.rows[0];
            let mut samples: Vec<String> = Vec::new();
            for r in &g.rows {
                let id = r.from_account_id.to_string();
                if !samples.contains(&id) && samples.len() < 8 {
                    samples.push(id);
                }
            }
            let total = if g.key.starts_with("ungrouped-") {
                1
            } else {
                totals.iter().find(|t| t.group_key == g.key).map_or(g.rows.len() as i64, |t| t.n)
            };
            json!({
                "group_key": g.key,
                "notifications_count": total,
                "type": newest.kind,
                // An integer, as Mastodon sends it: Swift and Go clients decode it as Int64 (a string would
                // fail the whole page), while JS clients only compare it.
                "most_recent_notification_id": newest.id,
                "page_min_id": g.rows.last().map(|r| r.id.to_string()),
                "page_max_id": newest.id.to_string(),
                "latest_page_notification_at": iso8601(newest.created_at),
                "sample_account_ids": samples,
                "status_id": newest.status_id.map(|id| id.to_string()),
            })
        })
        .collect();
    Ok(json!({"accounts": accounts, "statuses": rendered, "notification_groups": notification_groups}))
}

/// <https://docs.joinmastodon.org/methods/grouped_notifications/#get-grouped>
pub async fn v2_list(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    let (_, owner) = auth::require_user(ctx, req, &["read:notifications"]).await?;
    let params = req.query_params();
    let page = params.page_with_limits(40, 80);
    let rows = store::list(ctx.db, owner, &page, &filter_params(&params)).await?;
    let mut grouped = params.strings("grouped_types");
    if grouped.is_empty() {
        grouped = DEFAULT_GROUPED.iter().map(|t| t.to_string()).collect();
    }
    let groups = group_page(&rows, &grouped);
    let keys: Vec<i64> = rows.iter().map(|r| r.id).collect();
    Ok(paginated(ctx, req, &grouped_results(ctx, owner, &groups).await?, &keys))
}

/// <https://docs.joinmastodon.org/methods/grouped_notifications/#get-notification-group>
pub async fn v2_group(ctx: &Ctx<'_>, req: &Request, key: &str) -> Result<Response, ApiError> {
    let (_, owner) = auth::require_user(ctx, req, &["read:notifications"]).await?;
    let rows = group_rows(ctx, owner, key).await?;
    let groups = vec![PageGroup { key: key.to_string(), rows: rows.iter().collect() }];
    Response::ok_json(&grouped_results(ctx, owner, &groups).await?)
}

async fn group_rows(ctx: &Ctx<'_>, owner: i64, key: &str) -> Result<Vec<NotificationRow>, ApiError> {
    let rows = match key.strip_prefix("ungrouped-").and_then(ids::parse) {
        Some(id) => store::get(ctx.db, owner, id).await?.into_iter().collect(),
        None => store::group(ctx.db, owner, key, 80).await?,
    };
    if rows.is_empty() {
        return Err(ApiError::NotFound);
    }
    Ok(rows)
}

/// <https://docs.joinmastodon.org/methods/grouped_notifications/#get-group-accounts>
pub async fn v2_group_accounts(ctx: &Ctx<'_>, req: &Request, key: &str) -> Result<Response, ApiError> {
    let (_, owner) = auth::require_user(ctx, req, &["read:notifications"]).await?;
    let rows = group_rows(ctx, owner, key).await?;
    let mut ids: Vec<i64> = Vec::new();
    for r in &rows {
        if !ids.contains(&r.from_account_id) {
            ids.push(r.from_account_id);
        }
    }
    Response::ok_json(&super::entities::account::render_many(ctx, &ids).await?)
}

pub async fn v2_dismiss(ctx: &Ctx<'_>, req: &Request, key: &str) -> Result<Response, ApiError> {
    let (_, owner) = auth::require_user(ctx, req, &["write:notifications"]).await?;
    let now = ctx.now_ms();
    let changed = match key.strip_prefix("ungrouped-").and_then(ids::parse) {
        Some(id) => ctx.db.run(&store::dismiss(owner, id, now)).await?,
        None => ctx.db.run(&store::dismiss_group(owner, key, now)).await?,
    };
    if changed == 0 {
        return Err(ApiError::NotFound);
    }
    Response::ok_json(&json!({}))
}

/// <https://docs.joinmastodon.org/methods/grouped_notifications/#unread-group-count>: notifications
/// newer than the notifications marker.
pub async fn unread_count(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    let (_, owner) = auth::require_user(ctx, req, &["read:notifications"]).await?;
    let limit = req.query_params().str("limit").and_then(|l| l.parse::<i64>().ok()).unwrap_or(100).clamp(1, 1000);
    let marker = crate::store::notifications::markers(ctx.db, owner, &["notifications".to_string()]).await?;
    let after = marker.first().map(|m| m.last_read_id);
    Response::ok_json(&json!({"count": store::count_after(ctx.db, owner, after, limit).await?}))
}

/// <https://docs.joinmastodon.org/methods/notifications/#get-policy>: every notification is
/// accepted; nothing is held back for review, so no requests are ever pending.
pub async fn policy(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    auth::require_user(ctx, req, &["read:notifications"]).await?;
    Response::ok_json(&json!({
        "for_not_following": "accept", "for_not_followers": "accept", "for_new_accounts": "accept",
        "for_private_mentions": "accept", "for_limited_accounts": "accept",
        "filter_not_following": false, "filter_not_followers": false, "filter_new_accounts": false,
        "filter_private_mentions": false,
        "summary": {"pending_requests_count": 0, "pending_notifications_count": 0},
    }))
}

/// <https://docs.joinmastodon.org/methods/notification_requests/>: with every policy on
/// `accept`, no notification is ever held back, so there are no requests.
pub async fn requests(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    auth::require_user(ctx, req, &["read:notifications"]).await?;
    Response::ok_json(&json!([]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: i64, kind: &str, key: &str) -> NotificationRow {
        NotificationRow { id, kind: kind.into(), from_account_id: id, status_id: None, group_key: key.into(), created_at: 0 }
    }

    /// A remote account that favourited the owner's status twice over (two statuses) and
    /// mentioned them once, stored as the inbox will store it (#4).
    async fn seed(env: &crate::testing::TestEnv, token: &str) -> (String, String) {
        use crate::edge::http::Method::Post;
        use crate::store::db::Db;
        let (_, a) = env.send_as(token, Post, "/api/v1/statuses", "status=one").await;
        let (_, b) = env.send_as(token, Post, "/api/v1/statuses", "status=two").await;
        let owner = crate::app::owner::account(&env.ctx()).await.unwrap().id;
        env.db
            .run(&crate::query!(
                "INSERT INTO accounts (id, username, domain, uri, created_at, updated_at) VALUES (42, 'bob', 'remote.example', 'https://remote.example/users/bob', 0, 0)"
            ))
            .await
            .unwrap();
        let ids: Vec<i64> = [&a, &b].iter().map(|s| s["id"].as_str().unwrap().parse().unwrap()).collect();
        for (n, (kind, status)) in [("favourite", ids[0]), ("favourite", ids[1]), ("mention", ids[1]), ("favourite", ids[0])].iter().enumerate() {
            env.db.run(&store::create(100 + n as i64, owner, 42, kind, Some(*status), 1_700_000_000_000)).await.unwrap();
        }
        (ids[0].to_string(), ids[1].to_string())
    }

    #[tokio::test(flavor = "current_thread")]
    async fn grouped_notifications_fold_favourites_of_a_status() {
        use crate::edge::http::Method::{Get, Post};
        let env = crate::testing::TestEnv::new();
        let token = env.owner_token().await;
        let (first, _) = seed(&env, &token).await;
        let (response, body) = env.send_as(&token, Get, "/api/v2/notifications", "").await;
        assert_eq!(response.status, 200, "{body}");
        let groups = body["notification_groups"].as_array().unwrap();
        let summary: Vec<(String, i64)> = groups.iter().map(|g| (g["type"].as_str().unwrap().to_string(), g["notifications_count"].as_i64().unwrap())).collect();
        assert_eq!(summary, [("favourite".into(), 2), ("mention".into(), 1), ("favourite".into(), 1)]);
        assert_eq!(groups[0]["status_id"], first);
        assert_eq!(groups[0]["sample_account_ids"], json!(["42"]));
        assert_eq!(body["accounts"].as_array().unwrap().len(), 1);
        assert_eq!(body["statuses"].as_array().unwrap().len(), 2);
        let (_, count) = env.send_as(&token, Get, "/api/v2/notifications/unread_count", "").await;
        assert_eq!(count["count"], 4);
        let key = groups[0]["group_key"].as_str().unwrap().to_string();
        let (dismissed, _) = env.send_as(&token, Post, &format!("/api/v2/notifications/{key}/dismiss"), "").await;
        assert_eq!(dismissed.status, 200);
        let (_, count) = env.send_as(&token, Get, "/api/v2/notifications/unread_count", "").await;
        assert_eq!(count["count"], 2);
        let (v1, list) = env.send_as(&token, Get, "/api/v1/notifications?types[]=mention", "").await;
        assert_eq!(v1.status, 200);
        assert_eq!(list.as_array().unwrap().len(), 1);
        assert_eq!(list[0]["account"]["acct"], "bob@remote.example");
    }

    #[test]
    fn favourites_of_one_status_group_and_mentions_stand_alone() {
        let rows = vec![row(5, "favourite", "favourite-1"), row(4, "mention", "ungrouped-4"), row(3, "favourite", "favourite-1"), row(2, "mention", "ungrouped-2")];
        let grouped: Vec<String> = DEFAULT_GROUPED.iter().map(|t| t.to_string()).collect();
        let groups = group_page(&rows, &grouped);
        let shape: Vec<(String, Vec<i64>)> = groups.iter().map(|g| (g.key.clone(), g.rows.iter().map(|r| r.id).collect())).collect();
        assert_eq!(shape, [("favourite-1".into(), vec![5, 3]), ("ungrouped-4".into(), vec![4]), ("ungrouped-2".into(), vec![2])]);
        let none = group_page(&rows, &[]);
        assert_eq!(none.len(), 4);
    }
}
