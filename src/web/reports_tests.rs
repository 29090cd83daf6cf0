//! The report pages natively: what the queue shows and escapes, the forms' CSRF check, and
//! what a page costs in D1 round trips. The same in a real browser: tests/e2e/test_reports.py.
#![allow(clippy::unwrap_used)]
use super::sign_in_tests::{csrf_of, get_as, html, sign_in};
use crate::edge::http::Method::Post;
use crate::query;
use crate::store::db::Db;
use crate::testing::TestEnv;

const TROLL: &str = "https://evil.example/users/troll";

/// A report the troll sent about the owner's post, with a comment that looks like markup.
async fn flagged(env: &TestEnv) {
    let owner = crate::app::owner::load(&env.ctx()).await.unwrap().account.id;
    for q in [
        query!(
            "INSERT INTO accounts (id, username, domain, uri, inbox_url, fetched_at, created_at, updated_at) \
             VALUES (900, 'troll', 'evil.example', ?1, ?1 || '/inbox', 0, 0, 0)",
            TROLL
        ),
        query!(
            "INSERT INTO statuses (id, uri, account_id, local, visibility, content, spoiler_text, created_at, updated_at) \
             VALUES (901, 'https://social.example/users/alice/statuses/901', ?1, 1, 'public', '<p>my post</p>', 'spoilers', 0, 0)",
            owner
        ),
        crate::store::reports::create_report(&crate::store::reports::NewReport {
            id: 77, reporter: 900, target: owner, status_ids: "[\"901\"]", rule_ids: "[]",
            comment: "<b>made up</b>", category: "other", forward: false, now: 0,
        }),
    ] {
        env.db.run(&q).await.unwrap();
    }
}

#[tokio::test(flavor = "current_thread")]
async fn the_queue_shows_a_flag_escaped_with_its_post_behind_its_warning() {
    let env = TestEnv::new();
    flagged(&env).await;
    let session = sign_in(&env).await;
    let before = env.db.round_trips.get();
    let page = get_as(&env, &session, "/admin/reports").await;
    // The session (one read) and the queue with its posts (one batch).
    assert_eq!(env.db.round_trips.get() - before, 2, "round trips of the queue page");
    assert_eq!(page.status, 200);
    let page = html(&page);
    assert!(page.contains("@troll@evil.example") && page.contains("&#60;b&#62;made up&#60;/b&#62;"), "{page}");
    assert!(page.contains("<details class=\"cw\"><summary>spoilers"), "the warning is collapsed");
    assert!(page.contains("<p>my post</p>"), "the stored HTML is shown as HTML");
    assert!(page.contains("Suspend the reporter"), "actions reach the remote reporter");
    assert!(html(&get_as(&env, &session, "/admin/reports?resolved=1").await).contains("No resolved reports."));
    let before = env.db.round_trips.get();
    assert_eq!(get_as(&env, &session, "/admin/reports/77").await.status, 200);
    assert_eq!(env.db.round_trips.get() - before, 2, "round trips of the report page");
    assert_eq!(get_as(&env, &session, "/admin/reports/78").await.status, 404);
}

#[tokio::test(flavor = "current_thread")]
async fn actions_need_the_forms_token() {
    let env = TestEnv::new();
    flagged(&env).await;
    let session = sign_in(&env).await;
    let token = csrf_of(&html(&get_as(&env, &session, "/admin/reports").await));
    let headers = [("cookie", session.clone())];
    let (refused, _) = env.send_with(Post, "/admin/reports/77/suspend", &headers, "").await;
    assert_eq!(refused.status, 403);
    assert!(crate::store::accounts::get_active_by_uri(&env.db, TROLL).await.unwrap().is_some(), "nothing changed");
    let (done, _) = env.send_with(Post, "/admin/reports/77/suspend", &headers, &format!("authenticity_token={token}&back=queue")).await;
    assert_eq!((done.status, done.header_value("location")), (303, Some("/admin/reports")));
    assert!(crate::store::accounts::get_active_by_uri(&env.db, TROLL).await.unwrap().is_none(), "suspended");
    let resolved = html(&get_as(&env, &session, "/admin/reports?resolved=1").await);
    assert!(resolved.contains("the account was suspended") && resolved.contains("Reopen"), "{resolved}");
    let (reopened, _) = env.send_with(Post, "/admin/reports/77/reopen", &headers, &format!("authenticity_token={token}")).await;
    assert_eq!((reopened.status, reopened.header_value("location")), (303, Some("/admin/reports/77")));
    let (unknown, _) = env.send_with(Post, "/admin/reports/77/obliterate", &headers, &format!("authenticity_token={token}")).await;
    assert_eq!(unknown.status, 404);
}
