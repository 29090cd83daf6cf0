//! The queue's messages: `Event`s (something happened here that other servers must hear of)
//! and `Task`s (a piece of federation work: one delivery, one thread to backfill). Use cases
//! publish them; the federation surface consumes them (`federation::handle`).
//!
//! Some messages are still in flight during a deploy: add variants and optional fields, but
//! never rename or remove one in the same release that stops sending it. Both kinds share one
//! wire shape, `{"event": "<snake_case variant>", …fields}`.
use serde::{Deserialize, Serialize};

use super::error::{Error, Result};
use crate::activitypub::vocab::host_of;
use crate::ctx::{log_error, log_info, Ctx, QueueError};
use crate::store::federation as store;
use crate::store::kept_jobs as kept;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    StatusCreated { status_id: String },
    StatusUpdated { status_id: String },
    StatusDeleted { status_id: String, uri: String },
    Favourited { status_id: String },
    Unfavourited { status_id: String },
    Reblogged { reblog_id: String },
    Unreblogged { reblog_id: String, status_id: String },
    ProfileUpdated,
    Followed { account_id: String },
    Unfollowed {
        account_id: String,
        #[serde(default)]
        follow_uri: Option<String>,
    },
    FollowAccepted { account_id: String },
    FollowRejected {
        account_id: String,
        #[serde(default)]
        follow_uri: Option<String>,
    },
    Blocked { account_id: String },
    PollVoted { poll_id: String },
    Unblocked { account_id: String },
    /// A report the owner asked to forward to the reported account's server.
    ReportForwarded { account_id: String, status_ids: Vec<String>, comment: String },
    /// The owner moved to `target` (an actor id that lists us in `alsoKnownAs`).
    Moved { target: String },
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Task {
    /// One signed POST of a stored activity to one inbox (what earlier releases queued; still read).
    Deliver { activity_id: String, inbox: String },
    /// Signed POSTs of one stored activity to up to `INBOXES_PER_MESSAGE` inboxes: three queue
    /// operations (write, read, delete) for all of them instead of three each.
    DeliverMany { activity_id: String, inboxes: Vec<String> },
    /// Fetch a remote post's missing ancestors and some of its replies (thread backfill).
    FetchThread { uri: String, depth: u32 },
    /// One notification, encrypted to one Web Push subscription.
    Push { subscription_id: String, notification_id: String },
    /// The next rows of a CSV import (`app::imports`); each batch queues the one after it.
    ImportBatch { import_id: String },
    /// The next piece of an archive export (`app::archive::export::step`); each queues the one
    /// after it. `step` is the export's step count when queued: a duplicate finds it moved on.
    ArchiveExport { archive_id: String, step: i64 },
    /// The next piece of an archive import (`app::archive::import::step`), likewise.
    ArchiveImport { import_id: String, step: i64 },
    /// Check the owner's profile links for a `rel="me"` link back (`app::profile::verify_links`).
    VerifyLinks,
}

/// One queue message: a task when its tag names one, else an event.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Job {
    Task(Task),
    Event(Event),
}

/// By the tag, not by trying each kind in turn (`untagged` would buffer and retry).
impl<'de> Deserialize<'de> for Job {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> std::result::Result<Job, D::Error> {
        use serde::de::Error as _;
        let message = serde_json::Value::deserialize(deserializer)?;
        let job = match message.get("event").and_then(serde_json::Value::as_str) {
            Some("deliver" | "deliver_many" | "fetch_thread" | "push" | "import_batch" | "archive_export" | "archive_import" | "verify_links") => serde_json::from_value(message).map(Job::Task),
            _ => serde_json::from_value(message).map(Job::Event),
        };
        job.map_err(D::Error::custom)
    }
}

impl From<Event> for Job {
    fn from(event: Event) -> Job {
        Job::Event(event)
    }
}

impl From<Task> for Job {
    fn from(task: Task) -> Job {
        Job::Task(task)
    }
}

fn encode(job: Job) -> String {
    // A derived Serialize of plain strings and numbers cannot fail.
    serde_json::to_string(&job).unwrap_or_default()
}

/// Inboxes one delivery message carries: what one queue invocation can sign and send inside the
/// free plan's 10 ms of CPU and 50 subrequests (a peer that refuses one signature format is asked
/// again in the other). Measured (bench/invocation-cpu.sh): each inbox costs ~1.5 ms of Worker
/// CPU (the RSA signature through WebCrypto ~0.7 ms, the fetch, the bookkeeping), so eight took
/// 11–12 ms; six leave headroom at the price of a third more queue operations per post.
pub const INBOXES_PER_MESSAGE: usize = 6;

/// The delivery messages of one stored activity to `inboxes`.
pub fn deliveries(activity_id: i64, inboxes: &[String]) -> Vec<Job> {
    inboxes
        .chunks(INBOXES_PER_MESSAGE)
        .map(|chunk| Job::Task(Task::DeliverMany { activity_id: activity_id.to_string(), inboxes: chunk.to_vec() }))
        .collect()
}

/// What one `sendBatch` call takes: 100 messages and 256 KB, a message counted with its ~100
/// bytes of metadata (Cloudflare's KB is 1,000 bytes).
const BATCH_MESSAGES: usize = 100;
const BATCH_BYTES: usize = 256_000;
const MESSAGE_METADATA_BYTES: usize = 100;

/// How many of `messages`, from the first, one `sendBatch` call takes. One at least: a message
/// too large for any call is refused on its own, not with its neighbours.
fn batch_len(messages: &[String]) -> usize {
    let mut bytes = 0;
    let fitting = messages.iter().take(BATCH_MESSAGES).take_while(|m| {
        bytes += m.len() + MESSAGE_METADATA_BYTES;
        bytes <= BATCH_BYTES
    });
    fitting.count().max(1)
}

/// Queues one message to be read in `delay_seconds` (a retry of some deliveries of a message).
/// A refused send is kept (`keep`): the caller's work is done either way.
pub async fn publish_later(ctx: &Ctx<'_>, job: impl Into<Job>, delay_seconds: u32) -> Result<()> {
    let message = encode(job.into());
    match ctx.queue.send_later(message.clone(), delay_seconds).await {
        Ok(()) => Ok(()),
        Err(refused) => keep(ctx, &[message], delay_seconds, &refused).await,
    }
}

/// Queues one message (see `publish_later`).
pub async fn publish(ctx: &Ctx<'_>, job: impl Into<Job>) -> Result<()> {
    publish_later(ctx, job, 0).await
}

/// Queues many messages, as few `sendBatch` calls as Cloudflare's limits allow. When the queue
/// refuses a call, the messages already taken stay taken and the rest are kept, in order.
pub async fn publish_all(ctx: &Ctx<'_>, jobs: Vec<Job>) -> Result<()> {
    let messages: Vec<String> = jobs.into_iter().map(encode).collect();
    let mut rest = messages.as_slice();
    while !rest.is_empty() {
        let (batch, after) = rest.split_at(batch_len(rest));
        if let Err(refused) = ctx.queue.send_all(batch.to_vec()).await {
            return keep(ctx, rest, 0, &refused).await;
        }
        rest = after;
    }
    Ok(())
}

/// Keeps messages the queue refused in D1 for the cron (`send_kept`). The free plan's queue
/// refuses every send once the day's 10,000 operations are spent; failing the caller then would
/// lose work already done (a post stored, but never federated).
async fn keep(ctx: &Ctx<'_>, messages: &[String], delay_seconds: u32, refused: &QueueError) -> Result<()> {
    let now = ctx.now_ms();
    ctx.db.run(&kept::keep(messages, now + i64::from(delay_seconds) * 1000, now)).await?;
    log_error(&format!("{refused}: {} messages kept for the cron to send", messages.len()));
    Ok(())
}

/// The cron: kept messages sent again, oldest first, as many as one `sendBatch` call takes, and
/// forgotten once the queue took them. A queue that still refuses leaves them for the next run.
/// Two D1 round trips and one queue call whatever the backlog.
pub async fn send_kept(ctx: &Ctx<'_>) -> Result<usize> {
    let rows = kept::due(ctx.db, ctx.now_ms(), BATCH_MESSAGES as i64).await?;
    if rows.is_empty() {
        return Ok(0);
    }
    let messages: Vec<String> = rows.iter().map(|row| row.body.clone()).collect();
    let sent = batch_len(&messages);
    if let Err(refused) = ctx.queue.send_all(messages[..sent].to_vec()).await {
        log_info(&format!("{refused}: kept messages wait for the next cron run"));
        return Ok(0);
    }
    ctx.db.run(&kept::forget(&rows[..sent].iter().map(|row| row.id).collect::<Vec<_>>())).await?;
    Ok(sent)
}

/// The cron: deliveries held or dead-lettered for peers that have been down for an hour
/// (or came back) are queued again, a week at most; the peer is given another chance.
pub async fn requeue_held(ctx: &Ctx<'_>) -> Result<usize, Error> {
    const PROBE_AFTER_MS: i64 = 60 * 60 * 1000;
    let now = ctx.now_ms();
    requeue(ctx, store::deferred(ctx.db, now - PROBE_AFTER_MS, now - GIVE_UP_AFTER_MS, 100, None).await?).await
}

/// Deliveries are tried again for a week, then left recorded.
const GIVE_UP_AFTER_MS: i64 = 7 * 24 * 60 * 60 * 1000;

/// The admin's "retry now" for one peer: its held and dead-lettered deliveries of the last week
/// (100 at most) are queued again at once, and the peer is no longer held.
pub async fn retry_peer(ctx: &Ctx<'_>, domain: &str) -> Result<usize, Error> {
    let now = ctx.now_ms();
    let rows = store::deferred(ctx.db, now + 1, now - GIVE_UP_AFTER_MS, 100, Some(domain)).await?;
    if rows.is_empty() {
        ctx.db.run(&store::clear_unreachable(domain)).await?;
    }
    requeue(ctx, rows).await
}

async fn requeue(ctx: &Ctx<'_>, rows: Vec<store::FailureRow>) -> Result<usize, Error> {
    let now = ctx.now_ms();
    if rows.is_empty() {
        return Ok(0);
    }
    let mut queries = Vec::new();
    let mut domains: Vec<String> = Vec::new();
    let mut by_activity: Vec<(i64, Vec<String>)> = Vec::new();
    for row in &rows {
        queries.push(store::delete_failure(row.id));
        let domain = host_of(&row.inbox_url).unwrap_or_default();
        if !domains.contains(&domain) {
            queries.push(store::mark_reachable(&domain, now));
            domains.push(domain);
        }
        match by_activity.iter_mut().find(|(id, _)| *id == row.activity_id) {
            Some((_, inboxes)) => inboxes.push(row.inbox_url.clone()),
            None => by_activity.push((row.activity_id, vec![row.inbox_url.clone()])),
        }
    }
    ctx.db.batch(&queries).await?;
    publish_all(ctx, by_activity.iter().flat_map(|(id, inboxes)| deliveries(*id, inboxes)).collect()).await?;
    Ok(rows.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_kinds_keep_the_wire_shape_of_one_tagged_enum() {
        let deliver = Job::Task(Task::Deliver { activity_id: "1".into(), inbox: "https://x.example/inbox".into() });
        assert_eq!(serde_json::to_value(&deliver).unwrap()["event"], "deliver");
        let created = serde_json::json!({"event": "status_created", "status_id": "5"});
        assert_eq!(serde_json::from_value::<Job>(created).unwrap(), Job::Event(Event::StatusCreated { status_id: "5".into() }));
        let thread = serde_json::json!({"event": "fetch_thread", "uri": "https://x.example/n/1", "depth": 2});
        assert!(matches!(serde_json::from_value::<Job>(thread).unwrap(), Job::Task(Task::FetchThread { depth: 2, .. })));
        assert!(serde_json::from_value::<Job>(serde_json::json!({"event": "nonsense"})).is_err());
        let import = serde_json::json!({"event": "import_batch", "import_id": "7"});
        assert_eq!(serde_json::from_value::<Job>(import).unwrap(), Job::Task(Task::ImportBatch { import_id: "7".into() }));
        let export = serde_json::json!({"event": "archive_export", "archive_id": "9", "step": 3});
        assert_eq!(serde_json::from_value::<Job>(export).unwrap(), Job::Task(Task::ArchiveExport { archive_id: "9".into(), step: 3 }));
    }
}
