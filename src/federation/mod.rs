//! Federation: what local actions tell other servers, and the queue that carries it. Every
//! write in the client API ends by publishing one `Event`; the queue consumer turns it into an
//! activity (`outbound`) and one `Deliver` message per inbox (`deliver`), so the request path
//! never waits for a remote server. `inbound` applies what other servers send to our inboxes.
pub mod actors;
pub mod deliver;
pub mod fetch;
pub mod inbound;
pub mod outbound;

#[cfg(test)]
mod scenarios;
#[cfg(test)]
mod hostile;
#[cfg(test)]
mod remote_content;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::ctx::Ctx;
use crate::router::error::ApiError;

/// Cloudflare Queues messages. Some are still in flight during a deploy: add variants and
/// optional fields, but never rename or remove one in the same release that stops sending it.
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
    /// One signed POST of a stored activity to one inbox.
    Deliver { activity_id: String, inbox: String },
    /// Fetch a remote post's missing ancestors and some of its replies (thread backfill).
    FetchThread { uri: String, depth: u32 },
}

#[derive(Debug, thiserror::Error)]
#[error("queue: {0}")]
pub struct QueueError(pub String);

/// The queue producer (`FEDERATION` binding); a list in tests.
#[async_trait(?Send)]
pub trait Jobs {
    async fn send(&self, event: &Event) -> Result<(), QueueError>;
    /// Many messages in one call (fan-out to many inboxes).
    async fn send_all(&self, events: &[Event]) -> Result<(), QueueError>;
}

pub async fn publish(ctx: &Ctx<'_>, event: Event) -> Result<(), ApiError> {
    ctx.jobs.send(&event).await.map_err(|e| ApiError::Internal(Box::new(e)))
}

/// Handles one queued message. `Err` has the queue retry it with backoff; after the
/// configured number of attempts it goes to the dead-letter queue (`dead_lettered`).
pub async fn handle(ctx: &Ctx<'_>, event: &Event) -> Result<(), ApiError> {
    match event {
        Event::Deliver { activity_id, inbox } => deliver::deliver(ctx, activity_id, inbox).await,
        Event::FetchThread { uri, depth } => inbound::fetch_thread(ctx, uri, *depth).await,
        other => outbound::fan_out(ctx, other).await,
    }
}

/// A message the queue gave up on after its last retry: recorded, and its peer marked
/// unreachable so that later deliveries wait for it instead of failing one by one.
pub async fn dead_lettered(ctx: &Ctx<'_>, event: &Event) -> Result<(), ApiError> {
    match event {
        Event::Deliver { activity_id, inbox } => deliver::give_up(ctx, activity_id, inbox).await,
        other => {
            crate::router::error::log_error(&format!("federation: gave up on {other:?}"));
            Ok(())
        }
    }
}

/// How long to wait before retrying a message first sent `age_seconds` ago: as long again as it
/// has already waited, at least `base` and at most an hour. Waiting as long as the age doubles
/// the delay on every attempt (30 s, 1 min, 2 min, … 1 h) without counting attempts, which the
/// Workers runtime does not expose to Rust.
pub fn retry_delay_seconds(age_seconds: u32, base: u32) -> u32 {
    age_seconds.clamp(base, 3600.max(base))
}

#[cfg(test)]
mod tests {
    #[test]
    fn retries_back_off_exponentially_up_to_an_hour() {
        let mut age = 0;
        let mut delays = Vec::new();
        for _ in 0..9 {
            let delay = super::retry_delay_seconds(age, 30);
            delays.push(delay);
            age += delay;
        }
        assert_eq!(delays, [30, 30, 60, 120, 240, 480, 960, 1920, 3600]);
    }
}

#[cfg(test)]
pub mod testing {
    use std::cell::RefCell;

    use super::*;

    #[derive(Default)]
    pub struct RecordedJobs(pub RefCell<Vec<Event>>);

    #[async_trait(?Send)]
    impl Jobs for RecordedJobs {
        async fn send(&self, event: &Event) -> Result<(), QueueError> {
            self.0.borrow_mut().push(event.clone());
            Ok(())
        }

        async fn send_all(&self, events: &[Event]) -> Result<(), QueueError> {
            self.0.borrow_mut().extend(events.iter().cloned());
            Ok(())
        }
    }
}
