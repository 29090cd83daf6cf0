//! Deliveries: a stored activity POSTed to each inbox of a message, signed at send time. The answer
//! decides what happens next: 2xx done; 5xx, 408, 429 and network errors retried by the queue;
//! any other 4xx recorded as a permanent failure. A peer the dead-letter queue marked
//! unreachable gets its deliveries held (recorded, not attempted) until housekeeping retries it.
use crate::app::remote::fetch::{self, FetchError, Format, SigningKey};
use crate::activitypub::vocab::host_of;
use crate::ctx::{Ctx, HttpRequest, HttpResponse};
use crate::domain::ids;
use crate::app::owner;
use crate::edge::error::ApiError;
use crate::app::jobs::{self, Task};
use crate::store::federation::{self as store, ActivityRow, Failure, InstanceRow};

const MAX_ANSWER_BYTES: usize = 64 * 1024;

fn internal(e: impl std::error::Error + 'static) -> ApiError {
    ApiError::Internal(Box::new(e))
}

/// The key that signs for `actor_account_id` (0: the instance actor).
async fn signing_key(ctx: &Ctx<'_>, actor_account_id: i64) -> Result<SigningKey, ApiError> {
    if actor_account_id == 0 {
        return fetch::instance_key(ctx).await.map_err(internal);
    }
    let owner = owner::load(ctx).await?;
    Ok(SigningKey { key_id: format!("{}#main-key", owner.account.uri), private_pem: owner.user.rsa_private_key_pem })
}

/// Builds the signed POST of `body` to `inbox`.
pub async fn signed_post(ctx: &Ctx<'_>, key: &SigningKey, inbox: &str, body: &[u8], format: Format) -> Result<HttpRequest, FetchError> {
    let mut headers = fetch::signature_headers(ctx, key, "POST", inbox, Some(body), format).await?;
    headers.push(("content-type".into(), "application/activity+json".into()));
    headers.push(("user-agent".into(), fetch::user_agent(ctx)));
    Ok(HttpRequest { method: "POST", url: inbox.to_string(), headers, body: Some(body.to_vec()) })
}

/// How one delivery ended.
enum Sent {
    /// Delivered, refused for good (recorded), or held for a peer that is down (recorded).
    Settled,
    /// The peer or the network had a bad moment: try this inbox again later.
    Again(String),
}

/// Sends a stored activity to `inboxes` (one queue message). When every inbox failed
/// transiently, `Err` has the queue retry the message with backoff, down to the dead-letter
/// queue; when only some did, those are queued again as a message of their own, so that the
/// inboxes that answered get exactly one copy.
pub async fn deliver(ctx: &Ctx<'_>, activity_id: &str, inboxes: &[String]) -> Result<(), ApiError> {
    let activity_id = ids::parse(activity_id).ok_or(ApiError::NotFound)?;
    let Some(activity) = store::activity(ctx.db, activity_id).await? else {
        crate::ctx::log_error(&format!("delivery to {inboxes:?}: activity {activity_id} is not stored"));
        return Ok(());
    };
    let key = signing_key(ctx, activity.actor_account_id).await?;
    let domains: Vec<String> = inboxes.iter().filter_map(|inbox| host_of(inbox)).collect();
    let peers = store::instances(ctx.db, &domains).await?;
    let mut again = Vec::new();
    let mut why = String::new();
    for inbox in inboxes {
        let domain = host_of(inbox).unwrap_or_default();
        let peer = peers.iter().find(|p| p.domain == domain);
        if let Sent::Again(reason) = deliver_one(ctx, activity_id, &activity, &key, inbox, peer).await? {
            again.push(inbox.clone());
            why = reason;
        }
    }
    if again.is_empty() {
        return Ok(());
    }
    if again.len() == inboxes.len() {
        return Err(ApiError::Unavailable(why));
    }
    let retry = Task::DeliverMany { activity_id: activity_id.to_string(), inboxes: again };
    jobs::publish_later(ctx, retry, ctx.config.retry_base_seconds).await?;
    Ok(())
}

async fn deliver_one(ctx: &Ctx<'_>, activity_id: i64, activity: &ActivityRow, key: &SigningKey, inbox: &str, peer: Option<&InstanceRow>) -> Result<Sent, ApiError> {
    let domain = host_of(inbox).unwrap_or_default();
    let now = ctx.now_ms();
    let unreachable = peer.and_then(|p| p.unreachable_since);
    if unreachable.is_some() {
        let failure = Failure { id: ctx.new_id(), activity_id, inbox, status: None, error: "held: peer unreachable", dead_lettered: false, now };
        ctx.db.run(&store::record_failure(&failure)).await?;
        return Ok(Sent::Settled);
    }
    let body = activity.body.as_bytes();
    let mut answer = post(ctx, key, inbox, body, Format::Cavage).await;
    // Double knock: a peer that refuses a draft-cavage signature may want RFC 9421.
    if matches!(&answer, Ok(r) if r.status == 401 || r.status == 400) {
        answer = post(ctx, key, inbox, body, Format::Rfc9421).await;
    }
    match answer {
        Ok(response) if (200..300).contains(&response.status) => {
            if peer.is_none() {
                ctx.db.run(&store::mark_reachable(&domain, now)).await?;
            }
            Ok(Sent::Settled)
        }
        Ok(response) if !(response.status >= 500 || response.status == 408 || response.status == 429) => {
            let error = String::from_utf8_lossy(&response.body).chars().take(500).collect::<String>();
            crate::ctx::log_error(&format!("delivery of {} to {inbox} refused: HTTP {} {error}", activity.uri, response.status));
            let failure = Failure { id: ctx.new_id(), activity_id, inbox, status: Some(response.status), error: &error, dead_lettered: false, now };
            ctx.db.run(&store::record_failure(&failure)).await?;
            Ok(Sent::Settled)
        }
        Ok(response) => Ok(Sent::Again(format!("delivery of {} to {inbox}: HTTP {}", activity.uri, response.status))),
        Err(FetchError::Refused(reason)) => {
            let failure = Failure { id: ctx.new_id(), activity_id, inbox, status: Some(0), error: &reason, dead_lettered: false, now };
            ctx.db.run(&store::record_failure(&failure)).await?;
            Ok(Sent::Settled)
        }
        Err(e) => Ok(Sent::Again(format!("delivery of {} to {inbox}: {e}", activity.uri))),
    }
}

async fn post(ctx: &Ctx<'_>, key: &SigningKey, inbox: &str, body: &[u8], format: Format) -> Result<HttpResponse, FetchError> {
    let request = signed_post(ctx, key, inbox, body, format).await?;
    fetch::send(ctx, request, MAX_ANSWER_BYTES).await
}

/// The queue ran out of retries for these deliveries: recorded, and their peers marked
/// unreachable so that later deliveries wait for them instead of failing one by one.
pub async fn give_up(ctx: &Ctx<'_>, activity_id: &str, inboxes: &[String]) -> Result<(), ApiError> {
    let activity_id = ids::parse(activity_id).ok_or(ApiError::NotFound)?;
    let now = ctx.now_ms();
    let mut queries = Vec::new();
    for inbox in inboxes {
        let domain = host_of(inbox).unwrap_or_default();
        crate::ctx::log_error(&format!("delivery of activity {activity_id} to {inbox}: retries exhausted; {domain} marked unreachable"));
        let failure = Failure { id: ctx.new_id(), activity_id, inbox, status: None, error: "retries exhausted", dead_lettered: true, now };
        queries.push(store::record_failure(&failure));
        queries.push(store::mark_unreachable(&domain, "retries exhausted", now));
    }
    ctx.db.batch(&queries).await?;
    Ok(())
}

