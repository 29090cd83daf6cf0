//! Federation: what local actions tell other servers. Every write in the client API ends by
//! calling `publish` once with what happened; the queue consumer turns events into activities
//! and deliveries (issue #4), so the request path never waits for a remote server.
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
    Unfollowed { account_id: String },
    FollowAccepted { account_id: String },
    FollowRejected { account_id: String },
    Blocked { account_id: String },
    PollVoted { poll_id: String },
    Unblocked { account_id: String },
}

#[derive(Debug, thiserror::Error)]
#[error("queue: {0}")]
pub struct QueueError(pub String);

/// The queue producer (`FEDERATION` binding); a list in tests.
#[async_trait(?Send)]
pub trait Jobs {
    async fn send(&self, event: &Event) -> Result<(), QueueError>;
}

pub async fn publish(ctx: &Ctx<'_>, event: Event) -> Result<(), ApiError> {
    ctx.jobs.send(&event).await.map_err(|e| ApiError::Internal(Box::new(e)))
}

/// Handles one queued event. Returns `Err` to have the queue retry it with backoff.
pub async fn handle(_ctx: &Ctx<'_>, event: &Event) -> Result<(), ApiError> {
    // TODO(#4): build the activity for `event` and fan it out to followers' inboxes. Until
    // following exists there is nobody to deliver to, so acknowledging loses nothing.
    let _ = event;
    Ok(())
}

/// How long to wait before retrying an event first sent `age_seconds` ago: as long again as it
/// has already waited, at least 30 s and at most an hour. Waiting as long as the age doubles the
/// delay on every attempt (30 s, 1 min, 2 min, … 1 h) without counting attempts, which the
/// Workers runtime does not expose to Rust.
pub fn retry_delay_seconds(age_seconds: u32) -> u32 {
    age_seconds.clamp(30, 3600)
}

#[cfg(test)]
mod tests {
    #[test]
    fn retries_back_off_exponentially_up_to_an_hour() {
        let mut age = 0;
        let mut delays = Vec::new();
        for _ in 0..9 {
            let delay = super::retry_delay_seconds(age);
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
    }
}
