//! The federation surface: what other servers see and send. Endpoints (`webfinger`,
//! `nodeinfo`, `actors`, `collections`, `inbox`), applying what the inbox verified (`inbound`),
//! and the queue consumer: an `Event` published by a use case becomes an activity (`outbound`)
//! and `DeliverMany` tasks of up to eight inboxes each (`deliver`), so the request path never
//! waits for a peer.
pub mod actors;
pub mod collections;
pub mod deliver;
pub mod inbound;
pub mod inbox;
pub mod nodeinfo;
pub mod outbound;
pub mod webfinger;

#[cfg(test)]
mod scenarios;
#[cfg(test)]
mod hostile;
#[cfg(test)]
mod kept_messages;
#[cfg(test)]
mod remote_content;

use crate::app::jobs::{Job, Task};
use crate::app::remote;
use crate::ctx::Ctx;
use crate::edge::error::ApiError;

/// Handles one queued message. `Err` has the queue retry it with backoff; after the
/// configured number of attempts it goes to the dead-letter queue (`dead_lettered`).
pub async fn handle(ctx: &Ctx<'_>, job: &Job) -> Result<(), ApiError> {
    match job {
        Job::Task(Task::Deliver { activity_id, inbox }) => deliver::deliver(ctx, activity_id, std::slice::from_ref(inbox)).await,
        Job::Task(Task::DeliverMany { activity_id, inboxes }) => deliver::deliver(ctx, activity_id, inboxes).await,
        Job::Task(Task::FetchThread { uri, depth }) => Ok(remote::fetch_thread(ctx, uri, *depth).await?),
        Job::Task(Task::Push { subscription_id, notification_id }) => match crate::app::push::deliver(ctx, subscription_id, notification_id).await {
            // Only a push service's bad moment is worth the queue's retries; anything else would
            // fail the same way each time, spending the day's queue operations.
            Err(error @ crate::app::error::Error::RetryLater(_)) => Err(error.into()),
            Err(error) => {
                crate::ctx::log_error(&format!("push {notification_id} to subscription {subscription_id} dropped: {error}"));
                Ok(())
            }
            Ok(()) => Ok(()),
        },
        Job::Task(Task::ImportBatch { import_id }) => Ok(crate::app::imports::run(ctx, import_id).await?),
        Job::Task(Task::ArchiveExport { archive_id, step }) => Ok(crate::app::archive::export::step(ctx, archive_id, *step).await?),
        Job::Task(Task::ArchiveImport { import_id, step }) => Ok(crate::app::archive::import::step(ctx, import_id, *step).await?),
        Job::Task(Task::VerifyLinks) => Ok(crate::app::profile::verify_links(ctx).await?),
        Job::Event(event) => outbound::fan_out(ctx, event).await,
    }
}

/// A message the queue gave up on after its last retry: recorded, and its peer marked
/// unreachable so that later deliveries wait for it instead of failing one by one.
pub async fn dead_lettered(ctx: &Ctx<'_>, job: &Job) -> Result<(), ApiError> {
    match job {
        Job::Task(Task::Deliver { activity_id, inbox }) => deliver::give_up(ctx, activity_id, std::slice::from_ref(inbox)).await,
        Job::Task(Task::DeliverMany { activity_id, inboxes }) => deliver::give_up(ctx, activity_id, inboxes).await,
        Job::Task(Task::ImportBatch { import_id }) => {
            crate::ctx::log_error(&format!("federation: gave up on a batch of import {import_id}"));
            Ok(crate::app::imports::give_up(ctx, import_id).await?)
        }
        Job::Task(Task::ArchiveExport { archive_id, .. }) => Ok(crate::app::archive::export::give_up(ctx, archive_id).await?),
        Job::Task(Task::ArchiveImport { import_id, .. }) => Ok(crate::app::archive::import::give_up(ctx, import_id).await?),
        other => {
            crate::ctx::log_error(&format!("federation: gave up on {other:?}"));
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

