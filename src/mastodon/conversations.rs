//! <https://docs.joinmastodon.org/methods/conversations/>: direct-message threads.
use serde_json::{json, Value};

use super::entities::account::Account;
use super::entities::status::{self, Shown};
use super::paginated;
use crate::ctx::Ctx;
use crate::domain::ids;
use crate::domain::paging::Page;
use crate::edge::auth;
use crate::edge::error::ApiError;
use crate::edge::http::{Request, Response};
use crate::store::accounts::AccountRow;
use crate::store::conversations::{self as store, ConversationRow, Participant};
use crate::store::db::decode;

/// Conversation entities for a page of threads, in one round trip: the last statuses, everyone
/// in the threads and their accounts, each read once for the page.
async fn entities(ctx: &Ctx<'_>, owner: i64, rows: &[ConversationRow]) -> Result<Vec<Value>, ApiError> {
    let last_ids: Vec<i64> = rows.iter().map(|c| c.last_status_id).collect();
    let conversation_ids: Vec<i64> = rows.iter().map(|c| c.id).collect();
    let people = vec![store::participants_query(&conversation_ids), store::participant_accounts_query(&conversation_ids, owner)];
    let (rendered, people) = status::render_with(ctx, Some(owner), Shown::Ids(&last_ids), None, people).await?;
    let mut people = people.into_iter();
    let participants = decode::<Participant>(people.next().unwrap_or_default())?;
    let accounts = decode::<AccountRow>(people.next().unwrap_or_default())?;
    let mut items = Vec::new();
    for c in rows {
        let last_id = c.last_status_id.to_string();
        let Some(last) = rendered.iter().find(|s| s.id == last_id) else { continue };
        let accounts: Vec<Account> = participants
            .iter()
            .filter(|p| p.conversation_id == c.id && p.account_id != owner)
            .filter_map(|p| accounts.iter().find(|a| a.id == p.account_id))
            .map(|a| Account::from_row(a, ctx.config))
            .collect();
        let unread = c.last_author_id != owner && c.read_up_to.is_none_or(|read| read < c.last_status_id);
        items.push(json!({"id": c.id.to_string(), "unread": unread, "accounts": accounts, "last_status": last}));
    }
    Ok(items)
}

pub async fn index(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    let (_, owner) = auth::require_user(ctx, req, &["read:statuses"]).await?;
    let rows = store::conversations(ctx.db, owner, &req.query_params().page_with_limits(20, 40)).await?;
    let items = entities(ctx, owner, &rows).await?;
    let keys: Vec<i64> = rows.iter().map(|r| r.last_status_id).collect();
    Ok(paginated(ctx, req, &items, &keys))
}

async fn find(ctx: &Ctx<'_>, owner: i64, id: &str) -> Result<ConversationRow, ApiError> {
    let id = ids::parse(id).ok_or(ApiError::NotFound)?;
    let page = Page { limit: 40, ..Default::default() };
    // A thread is found among the latest ones; older threads page in through the list.
    let mut rows = store::conversations(ctx.db, owner, &page).await?;
    rows.retain(|r| r.id == id);
    rows.pop().ok_or(ApiError::NotFound)
}

/// The conversation entity of thread `conversation_id`, as the streaming API's `direct` stream
/// sends it when the thread gets a new status.
pub async fn entity(ctx: &Ctx<'_>, owner: i64, conversation_id: i64) -> Result<Option<Value>, ApiError> {
    let Ok(conversation) = find(ctx, owner, &conversation_id.to_string()).await else { return Ok(None) };
    Ok(entities(ctx, owner, std::slice::from_ref(&conversation)).await?.pop())
}

pub async fn read(ctx: &Ctx<'_>, req: &Request, id: &str) -> Result<Response, ApiError> {
    let (_, owner) = auth::require_user(ctx, req, &["write:conversations"]).await?;
    let mut c = find(ctx, owner, id).await?;
    ctx.db.run(&store::touch_conversation(owner, c.id, c.last_status_id, false, ctx.now_ms())).await?;
    c.read_up_to = Some(c.last_status_id);
    Response::ok_json(&entities(ctx, owner, std::slice::from_ref(&c)).await?.pop().ok_or(ApiError::NotFound)?)
}

pub async fn remove(ctx: &Ctx<'_>, req: &Request, id: &str) -> Result<Response, ApiError> {
    let (_, owner) = auth::require_user(ctx, req, &["write:conversations"]).await?;
    let c = find(ctx, owner, id).await?;
    ctx.db.run(&store::touch_conversation(owner, c.id, c.last_status_id, true, ctx.now_ms())).await?;
    Response::ok_json(&json!({}))
}

#[cfg(test)]
mod tests {
    use crate::edge::http::Method::{Get, Post};
    use crate::testing::TestEnv;

    /// A page of conversations loads its statuses and people once for the page (it was five
    /// queries and more per thread: 37 for the e2e suite's few threads, past 50 with more).
    #[tokio::test(flavor = "current_thread")]
    async fn a_page_of_conversations_costs_a_fixed_number_of_statements() {
        let env = TestEnv::new();
        let token = env.owner_token().await;
        for i in 0..12 {
            let (response, body) = env.send_as(&token, Post, "/api/v1/statuses", &format!("status=%40alice+note+{i}&visibility=direct")).await;
            assert_eq!(response.status, 200, "{body}");
        }
        env.db.statements.set(0);
        let (response, page) = env.send_as(&token, Get, "/api/v1/conversations", "").await;
        assert_eq!(response.status, 200, "{page}");
        assert_eq!(page.as_array().unwrap().len(), 12);
        assert!(page[0]["last_status"]["content"].as_str().unwrap().contains("note 11"), "{}", page[0]);
        let statements = env.db.statements.get();
        assert!(statements <= 15, "a page of conversations took {statements} statements");
    }
}
