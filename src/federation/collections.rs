//! The owner's public collections (outbox, followers, following, featured) and their posts as
//! ActivityPub objects, for peers that read profiles and fetch statuses by URL.
use serde_json::{json, Value};

use crate::activitypub::ACTIVITYSTREAMS;
use crate::ctx::Ctx;
use crate::domain::ids;
use crate::domain::paging::Page;
use crate::domain::time::iso8601;
use crate::federation::outbound;
use crate::app::owner::{self, Owner};
use crate::edge::error::ApiError;
use crate::edge::http::{Request, Response, ACTIVITY_JSON};
use crate::store::relationships::{self, AccountList};
use crate::store::statuses::{self, AccountFilter, StatusRow};
use crate::store::accounts;

const PAGE_SIZE: i64 = 20;

fn respond(document: &Value) -> Response {
    Response::typed_json(200, ACTIVITY_JSON, document).header("Vary", "Accept")
}

async fn named_owner(ctx: &Ctx<'_>, username: &str) -> Result<Owner, ApiError> {
    owner::named(ctx, username).await?.ok_or(ApiError::NotFound)
}

/// `GET /users/{name}/outbox`: the collection, and with `?page=true` (or `max_id`) its pages of
/// Create and Announce activities, newest first. Only public and unlisted posts.
pub async fn outbox(ctx: &Ctx<'_>, req: &Request, username: &str) -> Result<Response, ApiError> {
    let owner = named_owner(ctx, username).await?;
    let id = format!("{}/outbox", owner.account.uri);
    let params = req.query_params();
    if params.str("page").is_none() && params.str("max_id").is_none() {
        return Ok(respond(&json!({
            "@context": ACTIVITYSTREAMS,
            "id": id,
            "type": "OrderedCollection",
            "totalItems": owner.account.statuses_count,
            "first": format!("{id}?page=true"),
            "last": format!("{id}?page=true&min_id=0"),
        })));
    }
    // `max_id` pages back from the newest; `min_id` forward from the oldest (the collection's
    // `last` is `min_id=0`, the page just above the beginning).
    let bound = |key: &str| params.str(key).and_then(|m| ids::parse(&m));
    let page = Page { max_id: bound("max_id"), since_id: None, min_id: bound("min_id"), limit: PAGE_SIZE };
    let filter = AccountFilter { include_private: false, exclude_replies: false, exclude_reblogs: false, only_media: false, pinned: false, tagged: None };
    let rows = statuses::by_account(ctx.db, None, owner.account.id, &page, &filter).await?;
    let items = activities_of(ctx, &owner, &rows).await?;
    let mut document = json!({
        "@context": ACTIVITYSTREAMS,
        "id": format!(
            "{id}?page=true{}{}",
            page.max_id.map(|m| format!("&max_id={m}")).unwrap_or_default(),
            page.min_id.map(|m| format!("&min_id={m}")).unwrap_or_default()
        ),
        "type": "OrderedCollectionPage",
        "partOf": id,
        "orderedItems": items,
    });
    if let (Some(newest), Some(oldest)) = (rows.first(), rows.last()) {
        if rows.len() as i64 == PAGE_SIZE || page.min_id.is_some() {
            document["next"] = json!(format!("{id}?page=true&max_id={}", oldest.id));
        }
        document["prev"] = json!(format!("{id}?page=true&min_id={}", newest.id));
    }
    Ok(respond(&document))
}

/// A Note inside a collection or an activity: the outer document's `@context` covers it.
fn embedded(mut note: Value) -> Value {
    if let Some(o) = note.as_object_mut() {
        o.remove("@context");
    }
    note
}

/// Statuses as their Create activities (boosts as their Announce), in a fixed number of queries.
async fn activities_of(ctx: &Ctx<'_>, owner: &Owner, rows: &[StatusRow]) -> Result<Vec<Value>, ApiError> {
    let me = &owner.account.uri;
    let original_ids: Vec<i64> = rows.iter().filter_map(|r| r.reblog_of_id).collect();
    let originals = if original_ids.is_empty() { Vec::new() } else { statuses::get_many(ctx.db, None, &original_ids).await? };
    let posts: Vec<StatusRow> = rows.iter().filter(|r| r.reblog_of_id.is_none()).cloned().collect();
    // In the order of `rows`, skipping the boosts.
    let mut notes = outbound::notes_of(ctx, owner, &posts).await?.into_iter();
    let mut activities = Vec::with_capacity(rows.len());
    for row in rows {
        if let Some(original) = row.reblog_of_id {
            let original_uri = originals.iter().find(|s| s.id == original).map(|s| s.uri.clone()).unwrap_or_default();
            activities.push(json!({
                "id": format!("{}/activity", row.uri), "type": "Announce", "actor": me, "published": iso8601(row.created_at),
                "to": [crate::activitypub::vocab::PUBLIC], "cc": [format!("{me}/followers")], "object": original_uri,
            }));
            continue;
        }
        let Some(note) = notes.next().map(embedded) else { continue };
        activities.push(json!({
            "id": format!("{}/activity", row.uri), "type": "Create", "actor": me, "published": iso8601(row.created_at),
            "to": note["to"].clone(), "cc": note["cc"].clone(), "object": note,
        }));
    }
    Ok(activities)
}

/// `GET /users/{name}/followers` and `/following`: counts for everyone, the accounts too
/// unless the owner hides their network.
pub async fn follows(ctx: &Ctx<'_>, req: &Request, username: &str, which: AccountList) -> Result<Response, ApiError> {
    let owner = named_owner(ctx, username).await?;
    let (name, total) = match which {
        AccountList::Followers => ("followers", owner.account.followers_count),
        _ => ("following", owner.account.following_count),
    };
    let id = format!("{}/{name}", owner.account.uri);
    let params = req.query_params();
    if params.str("page").is_none() || owner.account.hide_collections {
        let mut document = json!({"@context": ACTIVITYSTREAMS, "id": id, "type": "OrderedCollection", "totalItems": total});
        if !owner.account.hide_collections {
            document["first"] = json!(format!("{id}?page=1"));
        }
        return Ok(respond(&document));
    }
    let number = params.str("page").and_then(|p| p.parse::<i64>().ok()).unwrap_or(1).max(1);
    let page = Page { max_id: None, since_id: None, min_id: None, limit: 1000 };
    let rows = relationships::list(ctx.db, which, owner.account.id, &page).await?;
    let start = ((number - 1) * 40) as usize;
    let ids: Vec<i64> = rows.iter().skip(start).take(40).map(|r| r.account_id).collect();
    let accounts = accounts::get_many(ctx.db, &ids).await?;
    let items: Vec<&str> = ids.iter().filter_map(|i| accounts.iter().find(|a| a.id == *i)).map(|a| a.uri.as_str()).collect();
    let mut document = json!({
        "@context": ACTIVITYSTREAMS, "id": format!("{id}?page={number}"), "type": "OrderedCollectionPage",
        "totalItems": total, "partOf": id, "orderedItems": items,
    });
    if rows.len() > start + 40 {
        document["next"] = json!(format!("{id}?page={}", number + 1));
    }
    Ok(respond(&document))
}

/// `GET /users/{name}/collections/featured`: pinned posts.
pub async fn featured(ctx: &Ctx<'_>, username: &str) -> Result<Response, ApiError> {
    let owner = named_owner(ctx, username).await?;
    let page = Page { max_id: None, since_id: None, min_id: None, limit: 5 };
    let filter = AccountFilter { include_private: false, exclude_replies: false, exclude_reblogs: true, only_media: false, pinned: true, tagged: None };
    let rows = statuses::by_account(ctx.db, None, owner.account.id, &page, &filter).await?;
    let items: Vec<Value> = outbound::notes_of(ctx, &owner, &rows).await?.into_iter().map(embedded).collect();
    Ok(respond(&json!({
        "@context": ACTIVITYSTREAMS, "id": format!("{}/collections/featured", owner.account.uri),
        "type": "OrderedCollection", "totalItems": items.len(), "orderedItems": items,
    })))
}

/// A public or unlisted post of the owner, as a Note with its FEP-8b32 proof (`activity`: as
/// its Create). Other posts are not served: they reach their audience by delivery only.
pub async fn status(ctx: &Ctx<'_>, username: &str, id: &str, activity: bool) -> Result<Response, ApiError> {
    let owner = named_owner(ctx, username).await?;
    let id = ids::parse(id).ok_or(ApiError::NotFound)?;
    let row = statuses::get(ctx.db, None, id).await?.ok_or(ApiError::NotFound)?;
    if row.account_id != owner.account.id || !row.visibility.is_public_to_anyone() {
        return Err(ApiError::NotFound);
    }
    let document = if activity || row.reblog_of_id.is_some() {
        let mut create = activities_of(ctx, &owner, std::slice::from_ref(&row)).await?.pop().ok_or(ApiError::NotFound)?;
        create["@context"] = json!(ACTIVITYSTREAMS);
        create
    } else {
        outbound::note_of(ctx, &owner, &row).await?
    };
    Ok(respond(&outbound::with_proof(ctx, &owner, &document)?).header("Cache-Control", "max-age=60, public"))
}
