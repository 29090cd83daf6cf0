//! The report queue natively: which account a report's actions reach, the queue's order and
//! filter, and what each action leaves behind (in D1 and in the policy the inbox reads).
#![allow(clippy::unwrap_used)]
use super::*;
use crate::query;
use crate::store::db::{decode, Db};
use crate::store::reports::{Filter, NewReport, ReportedStatus, PAGE_SIZE};
use crate::testing::TestEnv;

const REMOTE: i64 = 900;
const REMOTE_URI: &str = "https://evil.example/users/troll";

async fn setup() -> (TestEnv, i64) {
    let env = TestEnv::new();
    let owner = crate::app::owner::load(&env.ctx()).await.unwrap().account.id;
    env.db
        .run(&query!(
            "INSERT INTO accounts (id, username, domain, uri, inbox_url, fetched_at, created_at, updated_at) \
             VALUES (?1, 'troll', 'evil.example', ?2, ?2 || '/inbox', 0, 0, 0)",
            REMOTE, REMOTE_URI
        ))
        .await
        .unwrap();
    env.db
        .run(&query!(
            "INSERT INTO statuses (id, uri, account_id, local, visibility, content, spoiler_text, created_at, updated_at) \
             VALUES (901, 'https://evil.example/notes/1', ?1, 0, 'public', '<p>bad words</p>', 'cw', 0, 0)",
            REMOTE
        ))
        .await
        .unwrap();
    (env, owner)
}

async fn file(env: &TestEnv, id: i64, reporter: i64, target: i64, statuses: &str) {
    let report = NewReport { id, reporter, target, status_ids: statuses, rule_ids: "[\"1\"]", comment: "look", category: "spam", forward: false, now: id };
    env.db.run(&crate::store::reports::create_report(&report)).await.unwrap();
}

fn row(target_domain: Option<&str>, reporter_domain: Option<&str>) -> ReportRow {
    serde_json::from_value(serde_json::json!({
        "id": "1", "account_id": "2", "target_account_id": "3", "status_ids": "[]", "rule_ids": "[]", "comment": "",
        "category": "other", "forwarded": 0, "action_taken": null, "action_taken_at": null, "created_at": 0,
        "reporter_username": "r", "reporter_domain": reporter_domain, "reporter_uri": "https://r.example/r",
        "target_username": "t", "target_domain": target_domain, "target_uri": "https://t.example/t",
        "target_silenced_at": null, "target_suspended_at": null, "reporter_silenced_at": null, "reporter_suspended_at": null,
    }))
    .unwrap()
}

#[test]
fn actions_reach_the_remote_target_else_the_remote_reporter() {
    let owners_report = subject(&row(Some("t.example"), None)).unwrap();
    assert_eq!((owners_report.id, owners_report.domain.as_str(), owners_report.is_target), (3, "t.example", true));
    let flag = subject(&row(None, Some("r.example"))).unwrap();
    assert_eq!((flag.id, flag.uri.as_str(), flag.is_target), (2, "https://r.example/r", false));
    assert_eq!(subject(&row(None, None)), None);
}

#[test]
fn actions_parse_as_they_are_stored() {
    for action in [ReportAction::Resolve, ReportAction::Reopen, ReportAction::Limit, ReportAction::Suspend, ReportAction::BlockDomain] {
        assert_eq!(ReportAction::parse(action.as_str()), Some(action));
    }
    assert_eq!(ReportAction::parse("obliterate"), None);
}

#[tokio::test(flavor = "current_thread")]
async fn the_queue_lists_open_reports_first_with_their_posts() {
    let (env, owner) = setup().await;
    file(&env, 10, owner, REMOTE, "[\"901\", \"junk\"]").await;
    file(&env, 11, REMOTE, owner, "[]").await;
    file(&env, 12, owner, REMOTE, "[]").await;
    act(&env.ctx(), 12, ReportAction::Resolve).await.unwrap();
    let db = &env.db;
    let queue = |filter| async move {
        let mut answers = db.batch_rows(&crate::store::reports::queue_queries(filter, None, PAGE_SIZE)).await.unwrap().into_iter();
        let reports: Vec<ReportRow> = decode(answers.next().unwrap()).unwrap();
        let posts: Vec<ReportedStatus> = decode(answers.next().unwrap()).unwrap();
        (reports.iter().map(|r| r.id).collect::<Vec<_>>(), posts.iter().map(|p| p.id).collect::<Vec<_>>())
    };
    assert_eq!(queue(Filter::Open).await, (vec![11, 10], vec![901]));
    assert_eq!(queue(Filter::Resolved).await, (vec![12], vec![]));
    let report = crate::store::reports::get(&env.db, 10).await.unwrap().unwrap();
    assert_eq!((report.statuses(), report.rules()), (vec![901], vec![1]));
}

#[tokio::test(flavor = "current_thread")]
async fn resolve_and_reopen_set_and_clear_the_action() {
    let (env, owner) = setup().await;
    file(&env, 10, owner, REMOTE, "[]").await;
    let resolved = act(&env.ctx(), 10, ReportAction::Resolve).await.unwrap();
    assert_eq!((resolved.action_taken.as_deref(), resolved.action_taken_at.is_some()), (Some("resolve"), true));
    let reopened = act(&env.ctx(), 10, ReportAction::Reopen).await.unwrap();
    assert_eq!((reopened.action_taken, reopened.action_taken_at), (None, None));
    assert!(matches!(act(&env.ctx(), 99, ReportAction::Resolve).await, Err(Error::NotFound)));
}

#[tokio::test(flavor = "current_thread")]
async fn a_suspension_removes_the_content_refuses_the_actor_and_survives_a_refresh() {
    let (env, owner) = setup().await;
    file(&env, 10, REMOTE, owner, "[]").await;
    let ctx = env.ctx();
    assert!(!moderation::actor_suspended(&ctx, REMOTE_URI).await.unwrap(), "loads the policy");
    let report = act(&ctx, 10, ReportAction::Suspend).await.unwrap();
    assert_eq!((report.action_taken.as_deref(), report.reporter_suspended_at.is_some()), (Some("suspend"), true));
    assert!(moderation::actor_suspended(&ctx, REMOTE_URI).await.unwrap(), "this isolate's copy is refreshed at once");
    assert!(crate::store::statuses::get(&env.db, None, 901).await.unwrap().is_none(), "its posts are removed");
    // The actor document fetched again (as a search or a boost would) does not lift it.
    let actor = crate::activitypub::vocab::parse_actor(
        &serde_json::json!({"id": REMOTE_URI, "type": "Person", "preferredUsername": "troll", "inbox": format!("{REMOTE_URI}/inbox")}),
        REMOTE_URI,
    )
    .unwrap();
    assert!(crate::app::remote::actors::save(&ctx, &actor).await.is_err(), "a suspended actor is not stored again");
    assert!(crate::app::remote::actors::get_or_fetch(&ctx, REMOTE_URI).await.is_err(), "nor anything's author");
    // Nor does an upsert from elsewhere (another isolate's stale policy) lift the suspension.
    env.db.batch(&crate::store::accounts::upsert_remote(1, &crate::app::remote::actors::remote_account(&actor), 5)).await.unwrap();
    assert!(crate::store::accounts::get_active_by_uri(&env.db, REMOTE_URI).await.unwrap().is_none(), "still suspended");
}

#[tokio::test(flavor = "current_thread")]
async fn limit_marks_the_account_and_block_domain_suspends_its_server() {
    let (env, owner) = setup().await;
    file(&env, 10, owner, REMOTE, "[]").await;
    file(&env, 11, owner, REMOTE, "[]").await;
    let ctx = env.ctx();
    let limited = act(&ctx, 10, ReportAction::Limit).await.unwrap();
    assert_eq!((limited.action_taken.as_deref(), limited.target_silenced_at.is_some()), (Some("limit"), true));
    assert!(crate::store::accounts::get(&env.db, REMOTE).await.unwrap().unwrap().silenced_at.is_some());

    act(&ctx, 11, ReportAction::BlockDomain).await.unwrap();
    let [block] = crate::store::instance_domain_blocks::all(&env.db).await.unwrap().try_into().unwrap();
    assert_eq!((block.domain.as_str(), block.severity.as_str()), ("evil.example", "suspend"));
    assert!(moderation::standing(&ctx, Some("evil.example")).await.unwrap().suspended);
    act(&ctx, 11, ReportAction::BlockDomain).await.unwrap();
    assert_eq!(crate::store::instance_domain_blocks::all(&env.db).await.unwrap().len(), 1, "done twice, one block");

    file(&env, 12, owner, owner, "[]").await;
    assert!(matches!(act(&ctx, 12, ReportAction::Suspend).await, Err(Error::Invalid(_))), "nobody remote to act on");
}

#[tokio::test(flavor = "current_thread")]
async fn the_admin_api_lists_resolves_and_reopens() {
    let (env, owner) = setup().await;
    file(&env, 10, REMOTE, owner, "[\"901\"]").await;
    let token = env.owner_token_with("read admin:read admin:write").await;
    let before = env.db.round_trips.get();
    let (listed, body) = env.send_as(&token, crate::edge::http::Method::Get, "/api/v1/admin/reports", "").await;
    assert_eq!(listed.status, 200, "{body}");
    // The token, the reports, and their accounts, posts and rules in one batch (plus what
    // rendering the posts reads).
    assert!(env.db.round_trips.get() - before <= 5, "{} round trips", env.db.round_trips.get() - before);
    let report = &body[0];
    assert_eq!((report["id"].as_str(), report["action_taken"].as_bool()), (Some("10"), Some(false)));
    assert_eq!(report["account"]["domain"], "evil.example");
    assert_eq!(report["target_account"]["role"]["name"], "Owner");
    assert_eq!(report["statuses"][0]["id"], "901");
    let (_, resolved) = env.send_as(&token, crate::edge::http::Method::Post, "/api/v1/admin/reports/10/resolve", "").await;
    assert_eq!(resolved["action_taken"], true);
    let (_, open) = env.send_as(&token, crate::edge::http::Method::Get, "/api/v1/admin/reports", "").await;
    assert_eq!(open, serde_json::json!([]));
    let (_, reopened) = env.send_as(&token, crate::edge::http::Method::Post, "/api/v1/admin/reports/10/reopen", "").await;
    assert_eq!((reopened["action_taken"].as_bool(), reopened["action_taken_at"].is_null()), (Some(false), true));
    let plain = env.owner_token().await;
    let (refused, _) = env.send_as(&plain, crate::edge::http::Method::Get, "/api/v1/admin/reports", "").await;
    assert_eq!(refused.status, 403);
}
