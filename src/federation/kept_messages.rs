//! The queue refuses (the free plan's daily operations are spent) and nothing is lost: what a
//! use case or the consumer queues is kept in D1 and sent by a later cron run, in order, once;
//! what every call sends fits one `sendBatch`; an event handled again still delivers; and what
//! a post costs in queue operations.
#![allow(clippy::unwrap_used)]
use serde_json::json;

use crate::app::jobs::{self, Event, Job, Task};
use crate::edge::http::Method;
use crate::query;
use crate::store::db::Db;
use crate::testing::TestEnv;

/// `followers` remote accounts following the owner, spread evenly over `servers` servers that
/// each offer a shared inbox and answer it with 202. Returns the shared inboxes.
async fn followers(env: &TestEnv, followers: i64, servers: i64) -> Vec<String> {
    let owner = crate::app::owner::load(&env.ctx()).await.unwrap();
    env.db
        .run(&query!(
            "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?1) \
             INSERT INTO accounts (id, username, domain, uri, inbox_url, shared_inbox_url, created_at, updated_at) \
             SELECT 1000 + i, 'f' || i, 'peer' || (i % ?2) || '.example', 'https://peer' || (i % ?2) || '.example/users/f' || i, \
               'https://peer' || (i % ?2) || '.example/users/f' || i || '/inbox', 'https://peer' || (i % ?2) || '.example/inbox', 0, 0 FROM n",
            followers, servers
        ))
        .await
        .unwrap();
    env.db
        .run(&query!(
            "INSERT INTO follows (id, account_id, target_account_id, accepted_at, created_at) \
             SELECT id, id, ?1, 0, 0 FROM accounts WHERE id >= 1000 AND id < 1000 + ?2",
            owner.account.id, followers
        ))
        .await
        .unwrap();
    let inboxes: Vec<String> = (0..servers).map(|i| format!("https://peer{i}.example/inbox")).collect();
    for inbox in &inboxes {
        env.http.answer_json(inbox, 202, &json!({}));
    }
    inboxes
}

/// Handles every queued message as the consumer would, and what those queue in turn, until none
/// is left. Returns how many were handled.
async fn drain(env: &TestEnv) -> usize {
    let mut handled = 0;
    loop {
        let jobs = env.jobs.take();
        if jobs.is_empty() {
            return handled;
        }
        for job in &jobs {
            super::handle(&env.ctx(), job).await.unwrap();
            handled += 1;
        }
    }
}

async fn cron(env: &TestEnv) {
    crate::housekeeping::run(&env.ctx()).await.unwrap();
}

fn inboxes_of(jobs: &[Job]) -> Vec<Vec<String>> {
    jobs.iter()
        .map(|job| match job {
            Job::Task(Task::DeliverMany { inboxes, .. }) => inboxes.clone(),
            other => panic!("{other:?}"),
        })
        .collect()
}

fn threads(n: usize, uri_len: usize) -> Vec<Job> {
    (0..n).map(|i| Job::Task(Task::FetchThread { uri: format!("https://x.example/{i:0>width$}", width = uri_len), depth: 1 })).collect()
}

#[tokio::test(flavor = "current_thread")]
async fn a_post_whose_event_the_queue_refuses_is_kept_and_sent_by_the_next_cron_run() {
    let env = TestEnv::new();
    let token = env.owner_token().await;
    env.jobs.refuse();
    let (response, status) = env.send_as(&token, Method::Post, "/api/v1/statuses", "status=hello").await;
    assert_eq!(response.status, 200, "the post is stored, its event kept: {status}");
    assert!(env.jobs.sent.borrow().is_empty());
    env.jobs.accept();
    cron(&env).await;
    let created = Job::Event(Event::StatusCreated { status_id: status["id"].as_str().unwrap().to_string() });
    assert_eq!(env.jobs.take(), [created]);
    cron(&env).await;
    assert!(env.jobs.sent.borrow().is_empty(), "sent once, then forgotten");
}

/// The consumer turns a post's event into deliveries; the queue refuses them, and the event is
/// still done (the consumer acks it): the deliveries wait in D1, whole and in order.
#[tokio::test(flavor = "current_thread")]
async fn a_refused_delivery_fan_out_is_kept_and_every_inbox_gets_one_copy() {
    let env = TestEnv::new();
    let inboxes = followers(&env, 40, 20).await;
    let token = env.owner_token().await;
    env.send_as(&token, Method::Post, "/api/v1/statuses", "status=to+all").await;
    let events = env.jobs.take();
    env.jobs.refuse();
    super::handle(&env.ctx(), &events[0]).await.unwrap();
    assert!(env.jobs.sent.borrow().is_empty());
    cron(&env).await;
    assert!(env.jobs.sent.borrow().is_empty(), "still refused: still kept");
    env.jobs.accept();
    cron(&env).await;
    let mut sorted = inboxes.clone();
    sorted.sort();
    let sent = inboxes_of(&env.jobs.sent.borrow());
    let expected: Vec<Vec<String>> = sorted.chunks(jobs::INBOXES_PER_MESSAGE).map(<[String]>::to_vec).collect();
    assert_eq!(sent, expected);
    assert_eq!(drain(&env).await, expected.len());
    assert!(inboxes.iter().all(|inbox| env.http.requests_to(inbox) == 1), "one copy each");
}

/// While the queue refuses, cron runs keep every message; then they go oldest first, one call
/// (100 messages at most) a run, and a retry kept with a delay waits for it.
#[tokio::test(flavor = "current_thread")]
async fn a_cron_run_while_the_queue_still_refuses_keeps_everything_in_order() {
    let env = TestEnv::new();
    let ctx = env.ctx();
    env.jobs.refuse();
    let first = threads(150, 10);
    jobs::publish_all(&ctx, first.clone()).await.unwrap();
    let retry = Job::Task(Task::DeliverMany { activity_id: "7".into(), inboxes: vec!["https://x.example/inbox".into()] });
    jobs::publish_later(&ctx, retry.clone(), 30).await.unwrap();
    let last = Job::Event(Event::ProfileUpdated);
    jobs::publish(&ctx, last.clone()).await.unwrap();
    for _ in 0..3 {
        cron(&env).await;
    }
    assert!(env.jobs.sent.borrow().is_empty());
    env.jobs.accept();
    cron(&env).await;
    assert_eq!(env.jobs.take(), first[..100]);
    cron(&env).await;
    assert_eq!(env.jobs.take(), [&first[100..], &[last]].concat(), "the delayed retry is not due yet");
    env.advance(30_000);
    cron(&env).await;
    assert_eq!(env.jobs.take(), [retry]);
    cron(&env).await;
    assert!(env.jobs.sent.borrow().is_empty());
}

/// More than one `sendBatch` takes is split by count and by bytes; when the queue refuses part
/// way, the calls it took are not sent again and the rest are kept.
#[tokio::test(flavor = "current_thread")]
async fn a_batch_beyond_one_send_is_split_and_a_partial_refusal_keeps_only_the_rest() {
    let env = TestEnv::new();
    let ctx = env.ctx();
    let many = threads(250, 10);
    jobs::publish_all(&ctx, many.clone()).await.unwrap();
    assert_eq!(*env.jobs.calls.borrow(), [100, 100, 50]);
    assert_eq!(env.jobs.take(), many);

    // 3 KB a message: 256 KB hold about 80 of them.
    env.jobs.calls.borrow_mut().clear();
    let large = threads(100, 3_000);
    jobs::publish_all(&ctx, large.clone()).await.unwrap();
    let calls = env.jobs.calls.borrow().clone();
    assert_eq!((calls.len(), calls.iter().sum::<usize>()), (2, 100), "{calls:?}");
    assert_eq!(env.jobs.take(), large);

    env.jobs.quota.set(Some(100));
    jobs::publish_all(&ctx, many.clone()).await.unwrap();
    assert_eq!(env.jobs.take(), many[..100]);
    env.jobs.accept();
    cron(&env).await;
    cron(&env).await;
    assert_eq!(env.jobs.take(), many[100..], "the rest once, in order");
}

/// What a post costs in queue operations at 1,000 followers: its event, then one delivery
/// message per six distinct inboxes (followers on one server share its inbox), each written,
/// read and deleted once: `3 · (1 + ⌈inboxes/6⌉)`. 100 servers: 54; 500 servers: 255.
#[tokio::test(flavor = "current_thread")]
async fn a_post_to_a_thousand_followers_costs_three_operations_per_delivery_message() {
    for (servers, operations) in [(100, 54), (500, 255)] {
        let env = TestEnv::new();
        let inboxes = followers(&env, 1_000, servers).await;
        let token = env.owner_token().await;
        let (response, _) = env.send_as(&token, Method::Post, "/api/v1/statuses", "status=to+everyone").await;
        assert_eq!(response.status, 200);
        let messages = drain(&env).await;
        assert_eq!(3 * messages, operations, "{servers} inboxes");
        assert_eq!(3 * messages, 3 * (1 + inboxes.len().div_ceil(jobs::INBOXES_PER_MESSAGE)));
        assert_eq!(env.jobs.calls.borrow().len(), 2, "one send for the event, one for its deliveries");
        assert!(inboxes.iter().all(|inbox| env.http.requests_to(inbox) == 1), "{servers} inboxes: one copy each");
        assert_eq!(env.http.sent.borrow().len(), inboxes.len(), "and nothing else");
    }
}

/// An event handled again (the queue delivers at least once; a consumer that failed after
/// storing the activity is retried) delivers the activity stored the first time. Its deliveries
/// carried a fresh id that no row had, and every one was dropped as "not stored".
#[tokio::test(flavor = "current_thread")]
async fn an_event_handled_again_delivers_the_activity_stored_the_first_time() {
    let env = TestEnv::new();
    let inboxes = followers(&env, 4, 2).await;
    let token = env.owner_token().await;
    env.send_as(&token, Method::Post, "/api/v1/statuses", "status=again").await;
    let event = env.jobs.take();
    super::handle(&env.ctx(), &event[0]).await.unwrap();
    env.jobs.take();
    super::handle(&env.ctx(), &event[0]).await.unwrap();
    drain(&env).await;
    assert!(inboxes.iter().all(|inbox| env.http.requests_to(inbox) == 1), "{:?}", env.http.sent.borrow().iter().map(|r| &r.url).collect::<Vec<_>>());
}
