//! <https://docs.joinmastodon.org/methods/statuses/>: posting, reading, editing, deleting, and the
//! owner's interactions with statuses.
use serde_json::json;

use super::entities::account::Account;
use super::entities::status::{self, Shown, Status};
use super::paginated;
use super::polls;
use super::scheduled_statuses;
use crate::app::posting::{self, NewPost};
use crate::ctx::Ctx;
use crate::domain::ids;
use crate::domain::time::iso8601;
use crate::domain::visibility::{self, Visibility};
use crate::app::jobs::{self, Event};
use crate::app::{live, owner};
use crate::edge::auth;
use crate::edge::error::ApiError;
use crate::edge::http::{Request, Response};
use crate::edge::params::Params;
use crate::store::accounts::{self, AccountRow};
use crate::store::db::decode;
use crate::store::statuses::{self as store, Edit, EditRow, NewStatus, StatusRow};

/// `Idempotency-Key` answers the same status for this long (Tusky always sends one).
const IDEMPOTENCY_MS: i64 = 60 * 60 * 1000;
const MAX_PINNED: i64 = 5;

/// The viewer of a read of statuses: the owner when the token is a user token. A token must
/// allow `read:statuses` (403 otherwise, as Mastodon): private and direct posts are behind it.
pub async fn viewer(ctx: &Ctx<'_>, req: &Request) -> Result<Option<i64>, ApiError> {
    Ok(auth::reader(ctx, req, &["read:statuses"]).await?.and_then(|a| a.token.account_id))
}

async fn render(ctx: &Ctx<'_>, viewer: Option<i64>, row: &StatusRow) -> Result<Response, ApiError> {
    Response::ok_json(&status::render_one(ctx, viewer, row).await?)
}

/// A post as create-status parameters give it (JSON, form or multipart).
pub fn new_post(params: &Params) -> Result<NewPost, ApiError> {
    let poll = match params.get("poll") {
        Some(value) => Some(polls::parse(&Params::from_value(value.clone()))?),
        None => None,
    };
    let visibility = match params.non_empty("visibility") {
        Some(v) => Some(Visibility::parse(&v).ok_or_else(|| ApiError::Invalid(format!("Visibility is not valid: {v}")))?),
        None => None,
    };
    Ok(NewPost {
        text: params.str("status").unwrap_or_default(),
        spoiler_text: params.str("spoiler_text").unwrap_or_default(),
        media_ids: params.strings("media_ids"),
        poll,
        visibility,
        sensitive: params.bool("sensitive").map_err(|k| ApiError::Invalid(format!("{k} must be a boolean")))?,
        language: params.non_empty("language"),
        in_reply_to_id: params.non_empty("in_reply_to_id"),
    })
}

/// <https://docs.joinmastodon.org/methods/statuses/#create>
pub async fn create(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    let (auth, account_id) = auth::require_user(ctx, req, &["write:statuses"]).await?;
    let idempotency_key = req.header("idempotency-key").map(str::trim).filter(|k| !k.is_empty());
    if let Some(key) = idempotency_key {
        let since = ctx.now_ms() - IDEMPOTENCY_MS;
        if let Some(id) = store::by_idempotency_key(ctx.db, account_id, key, since).await? {
            if let Some(row) = store::get(ctx.db, Some(account_id), id).await? {
                return render(ctx, Some(account_id), &row).await;
            }
        }
    }
    let params = req.params()?;
    let post = new_post(&params)?;
    if let Some(at) = params.non_empty("scheduled_at") {
        return scheduled_statuses::schedule(ctx, account_id, auth.token.app_id, post, &at).await;
    }
    let id = posting::publish(ctx, account_id, Some(auth.token.app_id), &post, idempotency_key).await?;
    let row = store::get(ctx.db, Some(account_id), id).await?.ok_or(ApiError::NotFound)?;
    render(ctx, Some(account_id), &row).await
}

/// <https://docs.joinmastodon.org/methods/statuses/#get>
pub async fn get(ctx: &Ctx<'_>, req: &Request, id: &str) -> Result<Response, ApiError> {
    let viewer = viewer(ctx, req).await?;
    let row = posting::visible(ctx, viewer, id).await?;
    render(ctx, viewer, &row).await
}

/// <https://docs.joinmastodon.org/methods/statuses/#index>: the visible ones of `id[]`, in order.
pub async fn get_many(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    let viewer = viewer(ctx, req).await?;
    let mut wanted: Vec<i64> = Vec::new();
    for id in req.query_params().strings("id").iter().filter_map(|id| ids::parse(id)).take(40) {
        if !wanted.contains(&id) {
            wanted.push(id);
        }
    }
    Response::ok_json(&status::render_with(ctx, viewer, Shown::Ids(&wanted), None, Vec::new()).await?.0)
}

/// <https://docs.joinmastodon.org/methods/statuses/#context>: the status and its thread are read
/// in one round trip, and the whole thread is rendered in another.
pub async fn context(ctx: &Ctx<'_>, req: &Request, id: &str) -> Result<Response, ApiError> {
    let viewer = viewer(ctx, req).await?;
    let id = ids::parse(id).ok_or(ApiError::NotFound)?;
    let thread = vec![store::ancestors_query(viewer, id), store::descendants_query(viewer, id)];
    let (_, answers) = posting::visible_with(ctx, viewer, id, thread).await?;
    let mut answers = answers.into_iter();
    let mut keep = || -> Result<Vec<StatusRow>, ApiError> {
        let rows = decode::<StatusRow>(answers.next().unwrap_or_default())?;
        Ok(rows.into_iter().filter(|r| visibility::may_see(r.visibility, viewer.is_some())).collect())
    };
    let ancestors = keep()?;
    let rows = [ancestors.as_slice(), &keep()?].concat();
    // Rendering keeps the rows' order and leaves some out (filtered away), so the ancestors are
    // the rendered statuses that match the ancestor rows in turn.
    let mut rendered = status::render_many_in(ctx, viewer, &rows, "thread").await?.into_iter().peekable();
    let ancestors: Vec<Status> = ancestors.iter().filter_map(|a| rendered.next_if(|s| s.id == a.id.to_string())).collect();
    Response::ok_json(&json!({"ancestors": ancestors, "descendants": rendered.collect::<Vec<_>>()}))
}

/// A status of the owner's own, for changes only its author may make.
async fn own(ctx: &Ctx<'_>, account_id: i64, id: &str) -> Result<StatusRow, ApiError> {
    let row = posting::visible(ctx, Some(account_id), id).await?;
    if row.account_id != account_id {
        return Err(ApiError::Forbidden);
    }
    Ok(row)
}

/// <https://docs.joinmastodon.org/methods/statuses/#delete>: answers the deleted status with its
/// source `text`, for "delete and redraft".
pub async fn delete(ctx: &Ctx<'_>, req: &Request, id: &str) -> Result<Response, ApiError> {
    let (_, account_id) = auth::require_user(ctx, req, &["write:statuses"]).await?;
    let row = own(ctx, account_id, id).await?;
    let mut rendered: Status = status::render_one(ctx, Some(account_id), &row).await?;
    rendered.text = Some(row.text.clone().unwrap_or_default());
    ctx.db.batch(&store::delete(&row, ctx.now_ms())).await?;
    owner::invalidate(ctx);
    live::status_deleted(ctx, row.id);
    jobs::publish(ctx, Event::StatusDeleted { status_id: row.id.to_string(), uri: row.uri.clone() }).await?;
    Response::ok_json(&rendered)
}

/// <https://docs.joinmastodon.org/methods/statuses/#edit>
pub async fn update(ctx: &Ctx<'_>, req: &Request, id: &str) -> Result<Response, ApiError> {
    let (_, account_id) = auth::require_user(ctx, req, &["write:statuses"]).await?;
    let row = own(ctx, account_id, id).await?;
    if row.reblog_of_id.is_some() {
        return Err(ApiError::NotFound);
    }
    let params = req.params()?;
    if params.get("poll").is_some() {
        // TODO(#3): editing a poll resets its votes in Mastodon; not supported yet.
        return Err(ApiError::Invalid("Editing polls is not supported yet".into()));
    }
    let text = params.str("status").unwrap_or_default();
    let spoiler_text = params.str("spoiler_text").unwrap_or_default();
    let composed = posting::compose(ctx, &text, &spoiler_text, &params.strings("media_ids"), false, Some(row.id)).await?;
    let sensitive = params.bool("sensitive").map_err(|k| ApiError::Invalid(format!("{k} must be a boolean")))?;
    let sensitive = sensitive.unwrap_or(row.sensitive) || !composed.spoiler_text.is_empty();
    let language = params.non_empty("language").or_else(|| row.language.clone());
    let edit = Edit {
        content: &composed.rendered.html,
        text: &composed.text,
        spoiler_text: &composed.spoiler_text,
        sensitive,
        language: language.as_deref(),
    };
    let versions = (ctx.new_id(), ctx.new_id());
    let mut queries = store::edit(&row, &edit, versions, &posting::new_tags(ctx, &composed.rendered.tags), ctx.now_ms());
    // The edit's media list replaces the old one (when the client sends one).
    if params.get("media_ids").is_some() {
        queries.push(crate::store::media::detach_all_but(row.id, &composed.media_ids));
        queries.push(crate::store::media::attach(row.id, &composed.media_ids));
    }
    if composed.emojis != row.emojis {
        queries.push(store::set_emojis(row.id, &composed.emojis));
    }
    ctx.db.batch(&queries).await?;
    live::status_edited(ctx, row.id);
    jobs::publish(ctx, Event::StatusUpdated { status_id: row.id.to_string() }).await?;
    let row = store::get(ctx.db, Some(account_id), row.id).await?.ok_or(ApiError::NotFound)?;
    render(ctx, Some(account_id), &row).await
}

/// <https://docs.joinmastodon.org/methods/statuses/#history>: every version, oldest first.
pub async fn history(ctx: &Ctx<'_>, req: &Request, id: &str) -> Result<Response, ApiError> {
    let viewer = viewer(ctx, req).await?;
    let id = ids::parse(id).ok_or(ApiError::NotFound)?;
    let (row, answers) = posting::visible_with(ctx, viewer, id, vec![accounts::author_query(id), store::edits_query(id)]).await?;
    let mut answers = answers.into_iter();
    let author = decode::<AccountRow>(answers.next().unwrap_or_default())?.pop().ok_or(ApiError::NotFound)?;
    let edits = decode::<EditRow>(answers.next().unwrap_or_default())?;
    let account = serde_json::to_value(Account::from_row(&author, ctx.config)).unwrap_or_default();
    let version = |content: &str, spoiler_text: &str, sensitive: bool, at: i64| {
        json!({"content": content, "spoiler_text": spoiler_text, "sensitive": sensitive, "created_at": iso8601(at),
               "account": account, "media_attachments": [], "emojis": []})
    };
    let versions: Vec<_> = if edits.is_empty() {
        vec![version(&row.content, &row.spoiler_text, row.sensitive, row.created_at)]
    } else {
        edits.iter().map(|e| version(&e.content, &e.spoiler_text, e.sensitive, e.created_at)).collect()
    };
    Response::ok_json(&versions)
}

/// <https://docs.joinmastodon.org/methods/statuses/#source>
pub async fn source(ctx: &Ctx<'_>, req: &Request, id: &str) -> Result<Response, ApiError> {
    let (_, account_id) = auth::require_user(ctx, req, &["read:statuses"]).await?;
    let row = own(ctx, account_id, id).await?;
    Response::ok_json(&json!({"id": row.id.to_string(), "text": row.text.unwrap_or_default(), "spoiler_text": row.spoiler_text}))
}

/// What an interaction endpoint does to a status, once found and checked.
#[derive(Clone, Copy, Debug)]
pub enum Interaction {
    Favourite,
    Unfavourite,
    Bookmark,
    Unbookmark,
    Pin,
    Unpin,
    Mute,
    Unmute,
}

impl Interaction {
    fn scope(self) -> &'static str {
        match self {
            Interaction::Favourite | Interaction::Unfavourite => "write:favourites",
            Interaction::Bookmark | Interaction::Unbookmark => "write:bookmarks",
            Interaction::Pin | Interaction::Unpin => "write:accounts",
            Interaction::Mute | Interaction::Unmute => "write:mutes",
        }
    }
}

/// `POST /api/v1/statuses/:id/{favourite,bookmark,pin,mute,…}`: answers the status as it is now.
pub async fn interact(ctx: &Ctx<'_>, req: &Request, id: &str, interaction: Interaction) -> Result<Response, ApiError> {
    let (_, account_id) = auth::require_user(ctx, req, &[interaction.scope()]).await?;
    let row = posting::visible(ctx, Some(account_id), id).await?;
    let now = ctx.now_ms();
    let status_id = row.id.to_string();
    match interaction {
        Interaction::Favourite => {
            ctx.db.batch(&store::favourite(ctx.new_id(), account_id, row.id, now)).await?;
            jobs::publish(ctx, Event::Favourited { status_id }).await?;
        }
        Interaction::Unfavourite => {
            ctx.db.batch(&store::unfavourite(account_id, row.id)).await?;
            jobs::publish(ctx, Event::Unfavourited { status_id }).await?;
        }
        Interaction::Bookmark => {
            ctx.db.run(&store::bookmark(ctx.new_id(), account_id, row.id, now)).await?;
        }
        Interaction::Unbookmark => {
            ctx.db.run(&store::unbookmark(account_id, row.id)).await?;
        }
        Interaction::Pin | Interaction::Unpin => {
            if row.account_id != account_id || row.reblog_of_id.is_some() {
                return Err(ApiError::Invalid("You can only pin your own posts".into()));
            }
            let pin = matches!(interaction, Interaction::Pin);
            if pin && row.visibility == Visibility::Direct {
                return Err(ApiError::Invalid("Private mentions cannot be pinned".into()));
            }
            if pin && row.pinned_at.is_none() && store::count_pinned(ctx.db, account_id).await? >= MAX_PINNED {
                return Err(ApiError::Invalid(format!("You can pin at most {MAX_PINNED} posts")));
            }
            if pin != row.pinned_at.is_some() {
                ctx.db.run(&store::set_pinned(row.id, pin.then_some(now))).await?;
            }
        }
        Interaction::Mute | Interaction::Unmute => {
            let conversation = row.conversation_id.unwrap_or(row.id);
            let query = match interaction {
                Interaction::Mute => store::mute_conversation(account_id, conversation),
                _ => store::unmute_conversation(account_id, conversation),
            };
            ctx.db.run(&query).await?;
        }
    }
    let row = store::get(ctx.db, Some(account_id), row.id).await?.ok_or(ApiError::NotFound)?;
    render(ctx, Some(account_id), &row).await
}

/// <https://docs.joinmastodon.org/methods/statuses/#boost>: answers the reblog, which wraps the
/// original. Reblogging twice answers the existing reblog.
pub async fn reblog(ctx: &Ctx<'_>, req: &Request, id: &str) -> Result<Response, ApiError> {
    let (auth, account_id) = auth::require_user(ctx, req, &["write:statuses"]).await?;
    let mut original = posting::visible(ctx, Some(account_id), id).await?;
    if let Some(inner) = original.reblog_of_id {
        original = store::get(ctx.db, Some(account_id), inner).await?.ok_or(ApiError::NotFound)?;
    }
    if !visibility::may_reblog(original.visibility, original.account_id == account_id) {
        return Err(ApiError::Forbidden);
    }
    if let Some(existing) = store::reblog_by(ctx.db, account_id, original.id).await? {
        return render(ctx, Some(account_id), &existing).await;
    }
    let params = req.params()?;
    let owner = owner::load(ctx).await?;
    // As Mastodon's ReblogService: a followers-only post's boost keeps its audience; otherwise
    // the requested visibility, or the owner's default.
    let visibility = match (original.visibility, params.non_empty("visibility")) {
        (Visibility::Private, _) => Visibility::Private,
        (_, Some(v)) => Visibility::parse(&v)
            .filter(|v| *v != Visibility::Direct)
            .ok_or_else(|| ApiError::Invalid(format!("Visibility is not valid: {v}")))?,
        (_, None) => Visibility::parse(&owner.user.default_privacy).unwrap_or(Visibility::Public),
    };
    let id = ctx.new_id();
    let uri = format!("{}/statuses/{id}/activity", owner.account.uri);
    let new = NewStatus {
        local: true,
        application_id: Some(auth.token.app_id),
        ..NewStatus::reblog(id, &uri, account_id, visibility, &original, ctx.now_ms())
    };
    ctx.db.batch(&store::create(&new, &[], &[], &[account_id])).await?;
    // A boost counts in the owner's statuses_count.
    owner::count_status(ctx, new.visibility, 1);
    live::status_added(ctx, id);
    jobs::publish(ctx, Event::Reblogged { reblog_id: id.to_string() }).await?;
    let row = store::get(ctx.db, Some(account_id), id).await?.ok_or(ApiError::NotFound)?;
    render(ctx, Some(account_id), &row).await
}

/// <https://docs.joinmastodon.org/methods/statuses/#unreblog>: answers the original.
pub async fn unreblog(ctx: &Ctx<'_>, req: &Request, id: &str) -> Result<Response, ApiError> {
    let (_, account_id) = auth::require_user(ctx, req, &["write:statuses"]).await?;
    let mut original = posting::visible(ctx, Some(account_id), id).await?;
    if let Some(inner) = original.reblog_of_id {
        original = store::get(ctx.db, Some(account_id), inner).await?.ok_or(ApiError::NotFound)?;
    }
    if let Some(reblog) = store::reblog_by(ctx.db, account_id, original.id).await? {
        ctx.db.batch(&store::delete(&reblog, ctx.now_ms())).await?;
        owner::invalidate(ctx);
        live::status_deleted(ctx, reblog.id);
        jobs::publish(ctx, Event::Unreblogged { reblog_id: reblog.id.to_string(), status_id: original.id.to_string() }).await?;
    }
    let row = store::get(ctx.db, Some(account_id), original.id).await?.ok_or(ApiError::NotFound)?;
    render(ctx, Some(account_id), &row).await
}

/// Who favourited or reblogged a status.
#[derive(Clone, Copy, Debug)]
pub enum Actors {
    FavouritedBy,
    RebloggedBy,
}

/// <https://docs.joinmastodon.org/methods/statuses/#favourited_by> and `#reblogged_by`.
pub async fn actors(ctx: &Ctx<'_>, req: &Request, id: &str, which: Actors) -> Result<Response, ApiError> {
    // Mastodon asks `read:accounts` of these lists; the status itself is read as the owner only
    // with `read:statuses`, so that a private one stays hidden from a token without it.
    let reader = auth::reader(ctx, req, &["read:accounts", "read:statuses"]).await?;
    let viewer = reader.and_then(|a| a.user_allowing(&["read:statuses"]));
    let id = ids::parse(id).ok_or(ApiError::NotFound)?;
    let page = req.query_params().page_with_limits(40, 80);
    let page = match which {
        Actors::FavouritedBy => store::favourited_by(id, &page),
        Actors::RebloggedBy => store::reblogged_by(id, &page),
    };
    let (_, answers) = posting::visible_with(ctx, viewer, id, vec![page.query.clone()]).await?;
    let rows = page.rows(answers.into_iter().next().unwrap_or_default())?;
    let account_ids: Vec<i64> = rows.iter().map(|r| r.account_id).collect();
    let accounts = super::entities::account::render_many(ctx, &account_ids).await?;
    let keys: Vec<i64> = rows.iter().map(|r| r.row_id).collect();
    Ok(paginated(ctx, req, &accounts, &keys))
}

#[cfg(test)]
mod tests {
    use crate::edge::http::Method::{Get, Post};
    use crate::testing::TestEnv;

    /// Every read that can show a status, with `{id}` (a direct post), `{poll}` and `{account}`.
    const STATUS_READS: &[&str] = &[
        "/api/v1/statuses/{id}",
        "/api/v1/statuses?id[]={id}",
        "/api/v1/statuses/{id}/context",
        "/api/v1/statuses/{id}/history",
        "/api/v1/statuses/{id}/source",
        "/api/v1/statuses/{id}/favourited_by",
        "/api/v1/statuses/{id}/reblogged_by",
        "/api/v1/accounts/{account}/statuses",
        "/api/v1/polls/{poll}",
        "/api/v1/timelines/home",
        "/api/v1/timelines/public",
        "/api/v1/timelines/tag/secret",
        "/api/v1/timelines/link?url=https://example.com/",
        "/api/v1/favourites",
        "/api/v1/bookmarks",
        "/api/v1/conversations",
        "/api/v1/notifications",
        "/api/v2/notifications",
        "/api/v2/search?q=secret",
        "/api/v1/scheduled_statuses",
        "/api/v1/markers?timeline[]=home",
    ];

    #[tokio::test(flavor = "current_thread")]
    async fn a_token_without_read_statuses_reads_no_status() {
        let env = TestEnv::new();
        let owner = env.owner_token().await;
        let form = "status=secret+%23secret&visibility=direct&poll[options][]=a&poll[options][]=b&poll[expires_in]=300";
        let (_, dm) = env.send_as(&owner, Post, "/api/v1/statuses", form).await;
        let paths: Vec<String> = STATUS_READS
            .iter()
            .map(|p| {
                p.replace("{id}", dm["id"].as_str().unwrap())
                    .replace("{poll}", dm["poll"]["id"].as_str().unwrap())
                    .replace("{account}", dm["account"]["id"].as_str().unwrap())
            })
            .collect();
        for scopes in ["profile", "write:media", "push", "write", "read:accounts"] {
            let token = env.owner_token_with(scopes).await;
            for path in &paths {
                let (response, body) = env.send_as(&token, Get, path, "").await;
                // favourited_by and reblogged_by accept read:accounts, as in Mastodon, but then
                // read the status as anonymous.
                let expected = if scopes == "read:accounts" && path.ends_with("_by") { 404 } else { 403 };
                assert_eq!(response.status, expected, "{scopes} {path}: {body}");
            }
        }
        let reader = env.owner_token_with("read:statuses").await;
        let (response, body) = env.send_as(&reader, Get, &paths[0], "").await;
        assert_eq!((response.status, &body["visibility"]), (200, &serde_json::json!("direct")), "{body}");
    }
}
