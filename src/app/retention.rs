//! Retention: remote posts nobody here needs are forgotten once they were stored longer ago than
//! `REMOTE_CONTENT_RETENTION_DAYS`, so that a year of following people fits D1's 500 MB
//! (docs/free-plan.md). What keeps a post is `store::statuses::retention`'s rule: the owner's
//! own posts, anything the owner favourited, bookmarked, boosted, replied to or voted in, posts
//! that mention the owner or belong to a conversation the owner took part in, the ancestors of
//! the owner's replies, originals of boosts still stored, and posts of a notification the owner
//! has not dismissed. Remote accounts are kept: too much refers to them (follows, blocks, mutes,
//! lists, notes, notifications) for a sweep to decide safely, and they are few.
use super::error::Error;
use super::owner;
use crate::ctx::Ctx;
use crate::domain::ids;
use crate::store::statuses as store;

/// Remote statuses a run examines: what bounds its reads, whatever the backlog.
pub const EXAMINED_PER_RUN: i64 = 100;
/// Statuses a run forgets. Forgetting one writes nearly as many D1 rows as storing it (~12), so
/// with a run every five minutes this caps what a backlog (retention just turned on, or
/// shortened) spends of the 100,000 rows written a day at ~28,000 (docs/free-plan.md).
pub const FORGOTTEN_PER_RUN: i64 = 8;

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// One run of the sweep (the cron): forgets up to `FORGOTTEN_PER_RUN` of the oldest remote
/// statuses nobody needs; returns how many it found to forget.
pub async fn forget_old_remote_posts(ctx: &Ctx<'_>) -> Result<usize, Error> {
    let Some(days) = ctx.config.remote_content_retention_days else { return Ok(0) };
    let cutoff = ids::lower_bound_for((ctx.now_ms() - i64::from(days) * DAY_MS).max(0) as u64);
    let Some(window) = store::retention_window(ctx.db, cutoff, EXAMINED_PER_RUN).await? else {
        ctx.db.run(&store::resume_retention_after(None)).await?;
        return Ok(0);
    };
    let owner = owner::account(ctx).await?.id;
    let doomed = store::forgettable(ctx.db, owner, &window, FORGOTTEN_PER_RUN).await?;
    let next = match doomed.last() {
        // More of this window may be forgettable: the next run looks again right after.
        Some(&last) if doomed.len() as i64 == FORGOTTEN_PER_RUN && last < window.last => Some(last),
        _ if window.len == EXAMINED_PER_RUN => Some(window.last),
        // The end of the old posts: the next run starts over from the oldest.
        _ => None,
    };
    let mut queries = store::forget(owner, &doomed);
    queries.push(store::resume_retention_after(next));
    ctx.db.batch(&queries).await?;
    Ok(doomed.len())
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::*;
    use crate::app::remote::posts;
    use crate::crypto::testing::TEST_RSA_PUBLIC_PEM;
    use crate::edge::http::Method;
    use crate::query;
    use crate::store::db::Db;
    use crate::store::relationships::{self, NewFollow};
    use crate::testing::TestEnv;

    const AGED: i64 = 31 * DAY_MS;

    fn author(i: usize) -> String {
        format!("https://r.example/users/u{i}")
    }

    /// The owner follows remote authors `0..n` (`u0@r.example`…), ringing the bell for those in `bell`.
    async fn following(env: &TestEnv, n: usize, bell: &[usize]) -> Vec<i64> {
        let ctx = env.ctx();
        let owner = owner::account(&ctx).await.unwrap().id;
        let mut ids = Vec::new();
        for i in 0..n {
            let uri = author(i);
            let document = json!({"id": uri, "type": "Person", "preferredUsername": format!("u{i}"), "inbox": format!("{uri}/inbox"),
                "publicKey": {"id": format!("{uri}#main-key"), "owner": uri, "publicKeyPem": TEST_RSA_PUBLIC_PEM}});
            env.http.answer_json(&uri, 200, &document);
            let account = crate::app::remote::actors::save_document(&ctx, &document, &uri).await.unwrap();
            let follow = NewFollow {
                id: ctx.new_id(), follower: owner, target: account.id, uri: format!("{uri}#follow"), show_reblogs: true,
                notify: bell.contains(&i), languages: None, now: ctx.now_ms(),
            };
            ctx.db.run(&relationships::follow(follow)).await.unwrap();
            ctx.db.batch(&relationships::accept_follow(owner, account.id, ctx.now_ms())).await.unwrap();
            ids.push(account.id);
        }
        ids
    }

    /// Author `by`'s post `n` arriving in the inbox; `extra` overrides or adds fields of the Note.
    async fn receive(env: &TestEnv, by: usize, n: u32, extra: Value) -> i64 {
        let ctx = env.ctx();
        let mut note = json!({"id": format!("{}/statuses/{n}", author(by)), "type": "Note", "attributedTo": author(by),
            "content": format!("<p>post {n}</p>"), "to": ["https://www.w3.org/ns/activitystreams#Public"]});
        for (key, value) in extra.as_object().into_iter().flatten() {
            note[key] = value.clone();
        }
        let uri = note["id"].as_str().unwrap().to_string();
        let activity = json!({"id": format!("{uri}/activity"), "type": "Create", "actor": author(by), "object": note});
        let owner = owner::load(&ctx).await.unwrap();
        let actor = crate::store::accounts::get_by_uri(ctx.db, &author(by)).await.unwrap().unwrap();
        let outcome = posts::create(&ctx, &owner, &actor, &activity).await.unwrap();
        assert_eq!(outcome, crate::app::remote::Outcome::Applied, "{uri}");
        store::get_by_uri(ctx.db, None, &uri).await.unwrap().unwrap().id
    }

    /// Runs the sweep until a whole lap forgets nothing more.
    async fn sweep(env: &TestEnv) {
        let mut idle_runs = 0;
        for _ in 0..1000 {
            let forgotten = forget_old_remote_posts(&env.ctx()).await.unwrap();
            idle_runs = if forgotten == 0 { idle_runs + 1 } else { 0 };
            if idle_runs > 2 && count(env, query!("SELECT count(*) AS n FROM housekeeping_cursors")).await == 0 {
                return;
            }
        }
        panic!("the sweep never settled");
    }

    /// What `q`, a `SELECT count(*) AS n …`, counts.
    async fn count(env: &TestEnv, q: crate::store::db::Query) -> i64 {
        env.db.rows(&q).await.unwrap()[0]["n"].as_i64().unwrap()
    }

    async fn stored(env: &TestEnv, id: i64) -> bool {
        count(env, query!("SELECT count(*) AS n FROM statuses WHERE id = ?1", id)).await == 1
    }

    /// Full-text matches of `word`, whether or not their status is still stored.
    async fn indexed(env: &TestEnv, word: &str) -> Vec<i64> {
        let rows = env.db.rows(&query!("SELECT rowid AS id FROM statuses_fts WHERE statuses_fts MATCH ?1", word)).await.unwrap();
        rows.iter().map(|r| r["id"].as_i64().unwrap()).collect()
    }

    #[tokio::test(flavor = "current_thread")]
    async fn an_old_untouched_remote_post_goes_with_everything_that_hangs_off_it() {
        let env = TestEnv::new();
        let token = env.owner_token().await;
        let accounts = following(&env, 2, &[0]).await;
        let question = json!({"type": "Question", "content": "<p>zebracorn #Retained @u1</p>", "summary": "cw",
            "tag": [{"type": "Hashtag", "name": "#Retained"}, {"type": "Mention", "href": author(1)}],
            "attachment": [{"type": "Document", "mediaType": "image/png", "url": "https://r.example/m/1.png", "name": "alt"}],
            "oneOf": [{"type": "Note", "name": "yes", "replies": {"totalItems": 1}}, {"type": "Note", "name": "no"}],
            "endTime": "2023-11-20T00:00:00Z"});
        let old = receive(&env, 0, 1, question.clone()).await;
        let update = json!({"id": "https://r.example/users/u0/statuses/1#update", "type": "Update", "actor": author(0),
            "object": {"id": "https://r.example/users/u0/statuses/1", "type": "Question", "attributedTo": author(0),
                "content": "<p>zebracorn edited #Retained</p>", "tag": [{"type": "Hashtag", "name": "#Retained"}],
                "oneOf": [{"type": "Note", "name": "yes"}, {"type": "Note", "name": "no"}]}});
        let owner = owner::load(&env.ctx()).await.unwrap();
        let actor = crate::store::accounts::get(&env.db, accounts[0]).await.unwrap().unwrap();
        posts::update(&env.ctx(), &owner, &actor, &update).await.unwrap();
        // Another account's vote, and the owner's filter of the post.
        env.db.run(&query!("INSERT INTO poll_votes (id, poll_id, account_id, choice, created_at) SELECT 1, id, ?2, 0, 0 FROM polls WHERE status_id = ?1",
            old, accounts[1])).await.unwrap();
        env.db.run(&query!("INSERT INTO filters (id, account_id, title, contexts, created_at) VALUES (1, ?1, 'f', '[\"home\"]', 0)", owner.account.id)).await.unwrap();
        env.db.run(&query!("INSERT INTO filter_statuses (id, filter_id, status_id) VALUES (1, 1, ?1)", old)).await.unwrap();
        // The bell's notification, dismissed: it no longer keeps the post.
        env.send_as(&token, Method::Post, "/api/v1/notifications/clear", "").await;
        let dependents = [
            "SELECT count(*) AS n FROM mentions WHERE status_id = ?1",
            "SELECT count(*) AS n FROM status_tags WHERE status_id = ?1",
            "SELECT count(*) AS n FROM status_edits WHERE status_id = ?1",
            "SELECT count(*) AS n FROM polls WHERE status_id = ?1",
            "SELECT count(*) AS n FROM poll_votes WHERE poll_id IN (SELECT id FROM polls WHERE status_id = ?1) \
             OR poll_id NOT IN (SELECT id FROM polls)",
            "SELECT count(*) AS n FROM media_attachments WHERE status_id = ?1",
            "SELECT count(*) AS n FROM home_feed WHERE status_id = ?1",
            "SELECT count(*) AS n FROM notifications WHERE status_id = ?1",
            "SELECT count(*) AS n FROM filter_statuses WHERE status_id = ?1",
        ];
        for sql in dependents {
            assert!(count(&env, query!(sql, old)).await > 0, "the test sets up {sql}");
        }
        assert_eq!((indexed(&env, "zebracorn").await, indexed(&env, "edited").await), (vec![old], vec![old]));

        env.advance(AGED);
        let young = receive(&env, 0, 2, question).await;
        sweep(&env).await;
        assert!(!stored(&env, old).await, "an old post nobody touched is forgotten");
        for sql in dependents {
            assert_eq!(count(&env, query!(sql, old)).await, 0, "{sql}");
        }
        // A contentless index forgets only the words it is told: these are the edited text's.
        assert_eq!(indexed(&env, "zebracorn").await, [young], "its full-text entry went, the young post's stays");
        assert_eq!((indexed(&env, "edited").await, indexed(&env, "cw").await), (vec![], vec![young]));
        assert!(stored(&env, young).await && count(&env, query!("SELECT count(*) AS n FROM media_attachments WHERE status_id = ?1", young)).await == 1);
        assert_eq!(count(&env, query!("SELECT count(*) AS n FROM tags WHERE normalized = 'retained'")).await, 1, "tags are shared");
        let author_row = crate::store::accounts::get(&env.db, accounts[0]).await.unwrap().unwrap();
        assert_eq!(author_row.statuses_count, 2, "the post still exists on its server");
    }

    /// Every reason to keep a remote post, each on its own post (notifications dismissed, so that
    /// only the reason under test holds), beside an untouched one that goes.
    #[tokio::test(flavor = "current_thread")]
    async fn what_the_owner_needs_is_kept() {
        let env = TestEnv::new();
        let token = env.owner_token().await;
        following(&env, 3, &[2]).await;
        let api = |method, path: String, form: String| {
            let token = token.clone();
            let env = &env;
            async move {
                let (response, body) = env.send_as(&token, method, &path, &form).await;
                assert_eq!(response.status, 200, "{path}: {body}");
                body
            }
        };
        let (_, mine) = env.send_as(&token, Method::Post, "/api/v1/statuses", "status=mine").await;
        let mine = mine["id"].as_str().unwrap().to_string();
        let untouched = receive(&env, 0, 1, json!({})).await;
        let favourited = receive(&env, 0, 2, json!({})).await;
        api(Method::Post, format!("/api/v1/statuses/{favourited}/favourite"), String::new()).await;
        let bookmarked = receive(&env, 0, 3, json!({})).await;
        api(Method::Post, format!("/api/v1/statuses/{bookmarked}/bookmark"), String::new()).await;
        let boosted = receive(&env, 0, 4, json!({})).await;
        api(Method::Post, format!("/api/v1/statuses/{boosted}/reblog"), String::new()).await;
        let replied_to = receive(&env, 0, 5, json!({})).await;
        api(Method::Post, "/api/v1/statuses".into(), format!("status=reply&in_reply_to_id={replied_to}")).await;
        let voted = receive(&env, 0, 6, json!({"type": "Question", "oneOf": [{"type": "Note", "name": "a"}, {"type": "Note", "name": "b"}],
            "endTime": "2023-12-01T00:00:00Z"})).await;
        let poll = api(Method::Get, format!("/api/v1/statuses/{voted}"), String::new()).await["poll"]["id"].as_str().unwrap().to_string();
        api(Method::Post, format!("/api/v1/polls/{poll}/votes"), "choices[]=0".into()).await;
        let mentioning = receive(&env, 1, 1, json!({"tag": [{"type": "Mention", "href": "https://social.example/users/alice"}]})).await;
        // A thread the owner wrote in: a reply there by someone else, which mentions nobody.
        let thread = receive(&env, 0, 7, json!({})).await;
        api(Method::Post, "/api/v1/statuses".into(), format!("status=me+too&in_reply_to_id={thread}")).await;
        let sibling = receive(&env, 1, 2, json!({"inReplyTo": format!("{}/statuses/7", author(0))})).await;
        // A reply that arrived before its parent, answered by the owner; the parent is fetched
        // later, so it is in another conversation than the owner's reply: only the chain keeps it.
        let parent_uri = format!("{}/statuses/8", author(0));
        let middle = receive(&env, 1, 3, json!({"inReplyTo": parent_uri})).await;
        api(Method::Post, "/api/v1/statuses".into(), format!("status=answer&in_reply_to_id={middle}")).await;
        env.http.answer_json(&parent_uri, 200, &json!({"id": parent_uri, "type": "Note", "attributedTo": author(0), "content": "<p>root</p>",
            "to": ["https://www.w3.org/ns/activitystreams#Public"]}));
        posts::fetch_thread(&env.ctx(), &parent_uri, 1).await.unwrap();
        let ancestor = store::get_by_uri(&env.db, None, &parent_uri).await.unwrap().unwrap();
        let middle_row = store::get(&env.db, None, middle).await.unwrap().unwrap();
        assert_eq!(middle_row.in_reply_to_id, Some(ancestor.id));
        let owners_there = count(&env, query!("SELECT count(*) AS n FROM statuses WHERE conversation_id = ?1 AND local = 1", ancestor.id)).await;
        assert_eq!(owners_there, 0, "the owner's reply is in the middle post's conversation");
        api(Method::Post, "/api/v1/notifications/clear".into(), String::new()).await;
        // The bell's notification, still there.
        let belled = receive(&env, 2, 1, json!({})).await;

        env.advance(AGED);
        sweep(&env).await;
        assert!(!stored(&env, untouched).await, "the untouched post goes");
        let mine: i64 = mine.parse().unwrap();
        for (id, why) in [
            (mine, "the owner's own post"),
            (favourited, "favourited"),
            (bookmarked, "bookmarked"),
            (boosted, "boosted by the owner"),
            (replied_to, "replied to by the owner"),
            (voted, "voted in"),
            (mentioning, "mentions the owner"),
            (thread, "the owner wrote in its thread"),
            (sibling, "in a conversation the owner took part in"),
            (middle, "replied to by the owner"),
            (ancestor.id, "an ancestor of the owner's reply"),
            (belled, "a notification the owner still has"),
        ] {
            assert!(stored(&env, id).await, "kept: {why}");
        }

        // Needs end: what nothing else keeps goes on a later lap.
        api(Method::Post, format!("/api/v1/statuses/{favourited}/unfavourite"), String::new()).await;
        api(Method::Post, "/api/v1/notifications/clear".into(), String::new()).await;
        sweep(&env).await;
        assert!(!stored(&env, favourited).await && !stored(&env, belled).await);
        assert!(stored(&env, bookmarked).await && stored(&env, ancestor.id).await);
    }

    /// A thread goes from its leaves up, and a boost still stored keeps its original.
    #[tokio::test(flavor = "current_thread")]
    async fn replies_and_boosts_keep_what_they_point_at_while_they_are_kept() {
        let env = TestEnv::new();
        following(&env, 2, &[]).await;
        let original = receive(&env, 0, 1, json!({})).await;
        let reply = receive(&env, 1, 1, json!({"inReplyTo": format!("{}/statuses/1", author(0))})).await;
        let reply_to_reply = receive(&env, 0, 2, json!({"inReplyTo": format!("{}/statuses/1", author(1))})).await;
        env.advance(AGED);
        let announce = json!({"id": format!("{}/boosts/1", author(1)), "type": "Announce", "actor": author(1),
            "object": format!("{}/statuses/1", author(0)), "to": ["https://www.w3.org/ns/activitystreams#Public"]});
        let owner = owner::load(&env.ctx()).await.unwrap();
        let booster = crate::store::accounts::get_by_uri(&env.db, &author(1)).await.unwrap().unwrap();
        posts::announce(&env.ctx(), &owner, &booster, &announce).await.unwrap();

        // One run: the leaf goes; its parent waits for the next lap.
        forget_old_remote_posts(&env.ctx()).await.unwrap();
        assert!(!stored(&env, reply_to_reply).await && stored(&env, reply).await);
        sweep(&env).await;
        assert!(!stored(&env, reply).await, "the reply went once its own reply had");
        assert!(stored(&env, original).await, "a boost from yesterday keeps its original");
        env.advance(AGED);
        sweep(&env).await;
        assert_eq!(count(&env, query!("SELECT count(*) AS n FROM statuses WHERE local = 0")).await, 0, "the boost, then the original");
        assert_eq!(count(&env, query!("SELECT count(*) AS n FROM home_feed")).await, 0);
    }

    /// However long the backlog, a run costs a fixed number of statements and forgets at most
    /// `FORGOTTEN_PER_RUN`; the runs after it go on from where it stopped.
    #[tokio::test(flavor = "current_thread")]
    async fn a_run_is_bounded_and_the_next_goes_on() {
        let env = TestEnv::new();
        let token = env.owner_token().await;
        following(&env, 1, &[]).await;
        let mut kept = Vec::new();
        for n in 0..300 {
            let id = receive(&env, 0, n, json!({"tag": [{"type": "Hashtag", "name": format!("#t{}", n % 7)}]})).await;
            if n % 2 == 0 {
                env.send_as(&token, Method::Post, &format!("/api/v1/statuses/{id}/favourite"), "").await;
                kept.push(id);
            }
        }
        env.advance(AGED);
        let remote = || count(&env, query!("SELECT count(*) AS n FROM statuses WHERE local = 0"));
        let mut runs = 0;
        while remote().await > kept.len() as i64 {
            let before = remote().await;
            env.db.statements.set(0);
            env.db.round_trips.set(0);
            // The whole cron first, against the plan's 50 queries; then the sweep alone.
            if runs == 0 {
                crate::housekeeping::run(&env.ctx()).await.unwrap();
                assert!(env.db.statements.get() < 30, "a cron run took {} statements", env.db.statements.get());
            } else {
                owner::invalidate(&env.ctx());
                forget_old_remote_posts(&env.ctx()).await.unwrap();
                let (statements, round_trips) = (env.db.statements.get(), env.db.round_trips.get());
                // The window, the owner (not cached here), what to forget; then one batch of 7.
                assert!(statements <= 11 && round_trips <= 5, "a sweep took {statements} statements in {round_trips} round trips");
            }
            assert!(before - remote().await <= FORGOTTEN_PER_RUN);
            runs += 1;
            assert!(runs <= 150 / FORGOTTEN_PER_RUN + 3, "each run goes on from the last: {runs} runs");
        }
        for id in kept {
            assert!(stored(&env, id).await);
        }
    }

    #[tokio::test(flavor = "current_thread")]
    async fn zero_days_keeps_everything_and_a_post_needed_since_it_was_read_stays() {
        let mut env = TestEnv::new();
        following(&env, 1, &[]).await;
        let old = receive(&env, 0, 1, json!({})).await;
        env.advance(AGED);
        env.config.remote_content_retention_days = None;
        sweep(&env).await;
        assert!(stored(&env, old).await);

        // Read as forgettable, then bookmarked before the batch ran.
        let ctx = env.ctx();
        let owner = owner::account(&ctx).await.unwrap().id;
        let window = store::retention_window(ctx.db, ids::lower_bound_for(ctx.now_ms() as u64), EXAMINED_PER_RUN).await.unwrap().unwrap();
        assert_eq!(store::forgettable(ctx.db, owner, &window, FORGOTTEN_PER_RUN).await.unwrap(), [old]);
        ctx.db.run(&query!("INSERT INTO bookmarks (id, account_id, status_id, created_at) VALUES (1, ?1, ?2, 0)", owner, old)).await.unwrap();
        ctx.db.batch(&store::forget(owner, &[old])).await.unwrap();
        assert!(stored(&env, old).await);
    }
}
