//! <https://docs.joinmastodon.org/methods/streaming/>: the WebSocket API. The Worker checks the
//! token and the first stream here (`admit`), then hands the socket to the streaming hub, a
//! Durable Object that holds every socket (`platform/hub.rs`). What the hub sends is rendered
//! here too (`render`), once per happening, as the owner sees it.
//!
//! The server-sent-events variants (`/api/v1/streaming/user` over plain HTTP) are not offered:
//! an open event stream keeps its Durable Object awake and billed for duration, and one client
//! connected all day would spend most of the free plan's daily Durable Object allowance, where
//! hibernating WebSockets cost nothing while idle.
use super::conversations;
use super::entities::status;
use super::notifications;
use crate::ctx::Ctx;
use crate::domain::ids;
use crate::domain::streams::{Broadcast, Happening, Stream, Subscriber};
use crate::domain::visibility::Visibility;
use crate::edge::auth;
use crate::edge::error::ApiError;
use crate::edge::http::{Request, Response};
use crate::store::notifications as notification_rows;
use crate::store::statuses;

/// A socket the hub may accept: who it is for, and the subprotocol to echo (masto.js sends the
/// token as the first `Sec-WebSocket-Protocol`; Chromium fails a handshake that does not echo it).
pub struct Admission {
    pub subscriber: Subscriber,
    pub protocol: Option<String>,
}

/// Checks an upgrade to `/api/v1/streaming`: a user token (header, query or subprotocol) and
/// the stream the query names, if any (more can be subscribed to on the socket).
pub async fn admit(ctx: &Ctx<'_>, req: &Request) -> Result<Admission, ApiError> {
    let protocol = req.header("sec-websocket-protocol").and_then(|p| p.split(',').next()).map(|p| p.trim().to_string());
    let token = auth::bearer(req).or_else(|| protocol.clone().filter(|p| !p.is_empty())).ok_or(ApiError::InvalidToken)?;
    let auth = auth::token_auth(ctx, &token).await?;
    if auth.token.account_id.is_none() {
        return Err(ApiError::UserRequired);
    }
    if !auth.allows_any(&["read:statuses", "read:notifications"]) {
        return Err(ApiError::Scope);
    }
    let params = req.query_params();
    let mut streams = Vec::new();
    if let Some(name) = params.non_empty("stream") {
        let stream = Stream::parse(&name, params.str("tag").as_deref(), params.str("list").as_deref())
            .map_err(|e| ApiError::BadRequest(e.message.into()))?;
        stream.allowed_by(&auth.scopes).map_err(|_| ApiError::Scope)?;
        if let Stream::List(id) = &stream {
            let list = ids::parse(id).ok_or(ApiError::NotFound)?;
            crate::store::lists::get(ctx.db, auth.token.account_id.unwrap_or_default(), list).await?.ok_or(ApiError::NotFound)?;
        }
        streams.push(stream);
    }
    let subscriber = Subscriber { token_id: auth.token.id.to_string(), scopes: auth.scopes.to_string(), streams };
    let protocol = protocol.filter(|p| *p == token);
    Ok(Admission { subscriber, protocol })
}

/// Which of the sockets' tokens were revoked: the hub closes their sockets at each broadcast,
/// so a revocation whose own message was lost (or raced an upgrade) still takes effect.
pub async fn revoked(ctx: &Ctx<'_>, token_ids: &[String]) -> Result<Vec<String>, ApiError> {
    let ids: Vec<i64> = token_ids.iter().filter_map(|id| ids::parse(id)).collect();
    let live = crate::store::oauth::live_ids(ctx.db, &ids).await?;
    Ok(token_ids.iter().filter(|id| !ids::parse(id).is_some_and(|id| live.contains(&id))).cloned().collect())
}

/// `GET /api/v1/streaming/health`, which apps ask before they connect.
pub fn health() -> Response {
    Response::new(200, "text/plain; charset=utf-8", "OK")
}

/// The broadcasts for what happened, rendered as the owner (the only user) sees them: a status
/// goes where its timelines would show it, with the owner's filters, blocks and mutes applied.
pub async fn render(ctx: &Ctx<'_>, happenings: &[Happening]) -> Result<Vec<Broadcast>, ApiError> {
    let owner = crate::app::owner::account(ctx).await?.id;
    let mut out = Vec::new();
    for happening in happenings {
        match happening {
            Happening::Status(id) => out.extend(status_broadcasts(ctx, owner, id, "update").await?),
            Happening::Edited(id) => out.extend(status_broadcasts(ctx, owner, id, "status.update").await?),
            // Every stream a socket holds may show it (`Subscriber::frames`).
            Happening::Deleted(id) => out.push(Broadcast { event: "delete".into(), payload: Some(id.clone()), streams: Vec::new() }),
            Happening::Notification(id) => {
                let Some(id) = ids::parse(id) else { continue };
                let Some(row) = notification_rows::get(ctx.db, owner, id).await? else { continue };
                if let Some(rendered) = notifications::render(ctx, owner, &[row]).await?.pop() {
                    let payload = serde_json::to_string(&rendered).map_err(|e| ApiError::Internal(Box::new(e)))?;
                    out.push(Broadcast { event: "notification".into(), payload: Some(payload), streams: vec![Stream::UserNotification] });
                }
            }
            Happening::FiltersChanged => out.push(Broadcast { event: "filters_changed".into(), payload: None, streams: vec![Stream::User] }),
            Happening::TokenRevoked(_) => {}
            Happening::Announcement(id) => {
                let Some(id) = ids::parse(id) else { continue };
                if let Some(entity) = super::announcements::shown(ctx, owner, id).await? {
                    out.push(Broadcast { event: "announcement".into(), payload: Some(entity.to_string()), streams: vec![Stream::User] });
                }
            }
            Happening::AnnouncementDeleted(id) => {
                out.push(Broadcast { event: "announcement.delete".into(), payload: Some(id.clone()), streams: vec![Stream::User] });
            }
        }
    }
    Ok(out)
}

/// `row` rendered in filter `context` (none when a `hide` filter removes it) for `streams` and
/// those `more` finds in the rendering.
async fn rendered_to(
    ctx: &Ctx<'_>,
    owner: i64,
    row: &statuses::StatusRow,
    context: &str,
    event: &str,
    mut streams: Vec<Stream>,
    more: impl Fn(&status::Status) -> Vec<Stream>,
) -> Result<Option<Broadcast>, ApiError> {
    let Some(rendered) = status::render_many_in(ctx, Some(owner), std::slice::from_ref(row), context).await?.pop() else {
        return Ok(None);
    };
    streams.extend(more(&rendered));
    let payload = serde_json::to_string(&rendered).map_err(|e| ApiError::Internal(Box::new(e)))?;
    Ok(Some(Broadcast { event: event.into(), payload: Some(payload), streams }))
}

/// A status where it belongs: `event` on the timelines that show it, and for a direct status its
/// conversation on the `direct` stream.
async fn status_broadcasts(ctx: &Ctx<'_>, owner: i64, id: &str, event: &str) -> Result<Vec<Broadcast>, ApiError> {
    let Some(id) = ids::parse(id) else { return Ok(Vec::new()) };
    let Some(row) = statuses::get(ctx.db, Some(owner), id).await? else { return Ok(Vec::new()) };
    let Some(placement) = statuses::placement(ctx.db, owner, id, ctx.now_ms()).await? else { return Ok(Vec::new()) };
    let lists: Vec<String> = serde_json::from_str(&placement.lists).unwrap_or_default();
    let mut out = Vec::new();
    // Each kind of timeline with its own filters, as the owner's timelines apply them.
    let mut home: Vec<Stream> = lists.into_iter().map(Stream::List).collect();
    if placement.home {
        home.insert(0, Stream::User);
    }
    if !home.is_empty() {
        out.extend(rendered_to(ctx, owner, &row, "home", event, home, |_| Vec::new()).await?);
    }
    // The public timelines' rules (`store::statuses::public`, `tagged`): public, not a boost.
    if row.visibility == Visibility::Public && row.reblog_of_id.is_none() && !placement.hidden {
        let local = row.local;
        out.extend(
            rendered_to(ctx, owner, &row, "public", event, Vec::new(), |rendered| {
                let mut streams = Vec::new();
                let media = !rendered.media_attachments.is_empty();
                for locality in [None, Some(local)] {
                    streams.push(Stream::Public { local: locality, media: false });
                    if media {
                        streams.push(Stream::Public { local: locality, media: true });
                    }
                }
                for tag in &rendered.tags {
                    let tag = tag.name.to_lowercase();
                    streams.push(Stream::Hashtag { tag: tag.clone(), local: false });
                    if local {
                        streams.push(Stream::Hashtag { tag, local: true });
                    }
                }
                streams
            })
            .await?,
        );
    }
    if let (Visibility::Direct, Some(thread)) = (row.visibility, row.conversation_id) {
        if let Some(conversation) = conversations::entity(ctx, owner, thread).await? {
            out.push(Broadcast { event: "conversation".into(), payload: Some(conversation.to_string()), streams: vec![Stream::Direct] });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edge::http::Method::{Post, Put};
    use crate::testing::TestEnv;

    /// What the hub would get for everything recorded since the last call.
    async fn broadcasts(env: &TestEnv) -> Vec<Broadcast> {
        let happenings = env.live.take();
        render(&env.ctx(), &happenings).await.unwrap()
    }

    fn public(local: Option<bool>) -> Stream {
        Stream::Public { local, media: false }
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_public_post_goes_home_to_the_public_streams_and_its_hashtags() {
        let env = TestEnv::new();
        let token = env.owner_token().await;
        let (_, status) = env.send_as(&token, Post, "/api/v1/statuses", "status=hello+%23Streams&visibility=public").await;
        let sent = broadcasts(&env).await;
        assert_eq!(sent.len(), 2, "home and public, each with its filters: {sent:?}");
        for broadcast in &sent {
            assert_eq!(broadcast.event, "update");
            let payload: serde_json::Value = serde_json::from_str(broadcast.payload.as_deref().unwrap()).unwrap();
            assert_eq!(payload["id"], status["id"]);
        }
        let streams: Vec<&Stream> = sent.iter().flat_map(|b| &b.streams).collect();
        let tag = |local| Stream::Hashtag { tag: "streams".into(), local };
        for stream in [Stream::User, public(None), public(Some(true)), tag(false), tag(true)] {
            assert!(streams.contains(&&stream), "{stream:?} missing from {streams:?}");
        }
        assert!(!streams.contains(&&public(Some(false))));
        assert!(!streams.contains(&&Stream::Public { local: None, media: true }), "no media, no media stream");
    }

    #[tokio::test(flavor = "current_thread")]
    async fn private_and_direct_posts_stay_off_the_public_streams() {
        let env = TestEnv::new();
        let token = env.owner_token().await;
        env.send_as(&token, Post, "/api/v1/statuses", "status=friends+only+%23hidden&visibility=private").await;
        let sent = broadcasts(&env).await;
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].streams, vec![Stream::User]);

        env.send_as(&token, Post, "/api/v1/statuses", "status=just+me&visibility=direct").await;
        let sent = broadcasts(&env).await;
        assert!(sent.iter().all(|b| !b.streams.iter().any(|s| matches!(s, Stream::Public { .. } | Stream::Hashtag { .. }))), "{sent:?}");
        let conversation = sent.iter().find(|b| b.event == "conversation").expect("a conversation frame for the direct stream");
        assert_eq!(conversation.streams, vec![Stream::Direct]);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn edits_deletes_and_filters_are_announced() {
        let env = TestEnv::new();
        let token = env.owner_token().await;
        let (_, status) = env.send_as(&token, Post, "/api/v1/statuses", "status=first&visibility=public").await;
        broadcasts(&env).await;
        let id = status["id"].as_str().unwrap();
        env.send_as(&token, Put, &format!("/api/v1/statuses/{id}"), "status=second").await;
        let edited = broadcasts(&env).await;
        assert_eq!(edited[0].event, "status.update");
        assert!(edited[0].payload.as_deref().unwrap().contains("second"));
        env.send_as(&token, crate::edge::http::Method::Delete, &format!("/api/v1/statuses/{id}"), "").await;
        let deleted = broadcasts(&env).await;
        assert_eq!((deleted[0].event.as_str(), deleted[0].payload.as_deref()), ("delete", Some(id)));
        let reader = Subscriber { token_id: "1".into(), scopes: "read".into(), streams: vec![Stream::User, public(None)] };
        assert_eq!(reader.frames(&deleted[0]).len(), 2, "a delete reaches every stream the socket holds");
        env.send_as(&token, Post, "/api/v2/filters", "title=f&context[]=home&keywords_attributes[][keyword]=zzz").await;
        assert_eq!(broadcasts(&env).await, vec![Broadcast { event: "filters_changed".into(), payload: None, streams: vec![Stream::User] }]);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn the_hub_learns_which_sockets_tokens_were_revoked() {
        let env = TestEnv::new();
        let kept = env.owner_token().await;
        let gone = env.owner_token().await;
        let kept_id = crate::store::oauth::get_live_token(&env.db, &crate::crypto::tokens::hash(&kept)).await.unwrap().unwrap().id.to_string();
        let gone_id = crate::store::oauth::get_live_token(&env.db, &crate::crypto::tokens::hash(&gone)).await.unwrap().unwrap().id.to_string();
        env.ctx().db.run(&crate::query!("UPDATE oauth_tokens SET revoked_at = 1 WHERE id = ?1", gone_id.parse::<i64>().unwrap())).await.unwrap();
        let revoked = revoked(&env.ctx(), &[kept_id, gone_id.clone(), "nonsense".into()]).await.unwrap();
        assert_eq!(revoked, vec![gone_id, "nonsense".to_string()]);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn each_stream_gets_the_filters_of_its_timeline() {
        let env = TestEnv::new();
        let token = env.owner_token().await;
        env.send_as(&token, Post, "/api/v2/filters", "title=f&context[]=public&filter_action=hide&keywords_attributes[][keyword]=spoilers").await;
        env.live.take();
        env.send_as(&token, Post, "/api/v1/statuses", "status=big+spoilers+here&visibility=public").await;
        let sent = broadcasts(&env).await;
        assert_eq!(sent.len(), 1, "{sent:?}");
        assert_eq!(sent[0].streams, vec![Stream::User], "hidden from the public streams, not from home");
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_hide_filter_keeps_the_status_off_the_stream() {
        let env = TestEnv::new();
        let token = env.owner_token().await;
        env.send_as(&token, Post, "/api/v2/filters", "title=f&context[]=home&context[]=public&filter_action=hide&keywords_attributes[][keyword]=spoilers").await;
        env.live.take();
        env.send_as(&token, Post, "/api/v1/statuses", "status=big+spoilers+here&visibility=public").await;
        assert_eq!(broadcasts(&env).await, vec![]);
    }
}
