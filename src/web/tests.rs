//! The public pages natively: what they show and leave out, escaping, paging, feeds, remote
//! interaction, and their round trips to D1. The same in a real browser: tests/e2e/test_public_pages.py.
#![allow(clippy::unwrap_used)]
use crate::domain::visibility::Visibility;
use crate::edge::http::Method::{Get, Post};
use crate::edge::http::Response;
use crate::query;
use crate::store::db::Db;
use crate::store::statuses::{create, NewStatus};
use crate::testing::TestEnv;

const BOB: i64 = 42;
const PROFILE: &str = "https://social.example/@alice";

fn html(response: &Response) -> String {
    String::from_utf8_lossy(&response.body).into_owned()
}

async fn get(env: &TestEnv, path: &str) -> (u16, String) {
    let (response, _) = env.send(Get, path, "").await;
    (response.status, html(&response))
}

/// Posts as the owner; returns the status id.
async fn post(env: &TestEnv, token: &str, form: &str) -> i64 {
    let (response, status) = env.send_as(token, Post, "/api/v1/statuses", form).await;
    assert_eq!(response.status, 200, "{status}");
    status["id"].as_str().unwrap().parse().unwrap()
}

/// A remote account, bob@social.r.example:8443.
async fn bob(env: &TestEnv) {
    let insert = query!(
        "INSERT INTO accounts (id, username, domain, uri, url, display_name, created_at, updated_at) \
         VALUES (?1, 'bob', 'social.r.example:8443', 'https://r.example/users/bob', 'https://r.example/@bob', 'Bob', 0, 0)",
        BOB
    );
    env.db.run(&insert).await.unwrap();
}

/// A remote post by `account` replying to `parent` (of `parent_account`).
async fn remote_reply(env: &TestEnv, account: i64, parent: (i64, i64), content: &str, visibility: Visibility) -> i64 {
    env.advance(10);
    let id = env.ctx().new_id();
    let uri = format!("https://r.example/s/{id}");
    let new = NewStatus {
        id, uri: &uri, url: Some(&uri), account_id: account, local: false, visibility, content, text: None, spoiler_text: "",
        sensitive: false, language: None, in_reply_to: Some(parent), reblog_of_id: None, conversation_id: id, application_id: None,
        now: env.clock.0.get(),
    };
    env.db.batch(&create(&new, &[], &[], &[])).await.unwrap();
    id
}

/// An image of the owner's with `description`, not yet attached; returns its id.
async fn image(env: &TestEnv, owner: i64, description: &str) -> i64 {
    let id = env.ctx().new_id();
    let key = format!("media/{id}/original.png");
    let new = crate::store::media::NewMedia {
        id, account_id: owner, kind: "image", r2_key: &key, content_type: "image/png", file_size: 10,
        description: Some(description), meta: r#"{"width":640,"height":480}"#, focus: None, now: env.clock.0.get(),
    };
    env.db.run(&crate::store::media::create(&new)).await.unwrap();
    id
}

async fn owner_id(env: &TestEnv) -> i64 {
    crate::app::owner::account(&env.ctx()).await.unwrap().id
}

#[tokio::test(flavor = "current_thread")]
async fn only_public_and_unlisted_posts_reach_the_pages_and_feeds() {
    let env = TestEnv::new();
    let token = env.owner_token().await;
    let public = post(&env, &token, "status=shown+in+public+%23topi").await;
    post(&env, &token, "status=quietly+unlisted+%23topi&visibility=unlisted").await;
    let private = post(&env, &token, "status=for+followers+only+%23topi&visibility=private").await;
    post(&env, &token, "status=a+direct+word+%23topi&visibility=direct").await;
    let private_reply = post(&env, &token, &format!("status=private+self+reply&visibility=private&in_reply_to_id={public}")).await;
    for path in ["/@alice", "/", "/@alice.rss", "/@alice.atom", "/users/alice.rss", "/@alice/tagged/topi"] {
        let (status, body) = get(&env, path).await;
        assert_eq!(status, 200, "{path}");
        assert!(body.contains("shown in public") && body.contains("quietly unlisted"), "{path}: {body}");
        assert!(!body.contains("for followers only") && !body.contains("a direct word"), "{path}");
    }
    for path in ["/tags/topi", "/tags/TOPI", "/tags/topi.rss", "/tags/topi.atom"] {
        let (status, body) = get(&env, path).await;
        assert_eq!(status, 200, "{path}");
        assert!(body.contains("shown in public"), "{path}: {body}");
        // Unlisted posts stay off hashtags, as in every hashtag timeline.
        assert!(!body.contains("quietly unlisted") && !body.contains("for followers only") && !body.contains("a direct word"), "{path}");
    }
    let (status, thread) = get(&env, &format!("/@alice/{public}")).await;
    assert_eq!(status, 200);
    assert!(thread.contains("shown in public") && !thread.contains("private self reply"));
    for path in [format!("/@alice/{private}"), format!("/@alice/{private_reply}"), "/@alice/123".into(), "/@alice/x".into(), "/@bob/1".into()] {
        assert_eq!(get(&env, &path).await.0, 404, "{path}");
    }
    let (status, page) = get(&env, "/tags/nobody-used-this").await;
    assert_eq!(status, 404, "{page}");
    assert!(page.contains("<html") && page.contains("Not found"), "a page's errors are pages");
}

#[tokio::test(flavor = "current_thread")]
async fn a_thread_shows_others_public_replies_but_not_blocked_ones() {
    let env = TestEnv::new();
    let token = env.owner_token().await;
    let owner = owner_id(&env).await;
    bob(&env).await;
    env.db.run(&query!("INSERT INTO accounts (id, username, domain, uri, created_at, updated_at) VALUES (43, 'carol', 'c.example', 'https://c.example/users/carol', 0, 0)")).await.unwrap();
    let root = post(&env, &token, "status=the+root").await;
    let from_bob = remote_reply(&env, BOB, (root, owner), "<p>bob answers</p>", Visibility::Public).await;
    let under_bob = remote_reply(&env, 43, (from_bob, BOB), "<p>carol under bob</p>", Visibility::Public).await;
    remote_reply(&env, 43, (root, owner), "<p>carol privately</p>", Visibility::Private).await;
    let own_answer = post(&env, &token, &format!("status=owner+again&in_reply_to_id={under_bob}")).await;
    let (_, page) = get(&env, &format!("/@alice/{root}")).await;
    for shown in ["the root", "bob answers", "carol under bob", "owner again"] {
        assert!(page.contains(shown), "{shown}: {page}");
    }
    assert!(!page.contains("carol privately"));
    assert!(page.contains(r#"href="https://r.example/@bob""#), "others link to their own pages");
    assert!(!page.contains("r.example/avatars"), "no remote images");
    let (_, answer) = get(&env, &format!("/@alice/{own_answer}")).await;
    assert!(answer.contains("bob answers") && answer.contains("the root"), "ancestors: {answer}");

    let (response, _) = env.send_as(&token, Post, &format!("/api/v1/accounts/{BOB}/block"), "").await;
    assert_eq!(response.status, 200);
    let (_, page) = get(&env, &format!("/@alice/{root}")).await;
    assert!(!page.contains("bob answers") && !page.contains("carol under bob") && !page.contains("owner again"), "{page}");
    let (_, answer) = get(&env, &format!("/@alice/{own_answer}")).await;
    assert!(!answer.contains("bob answers") && answer.contains("the root"));

    env.send_as(&token, Post, &format!("/api/v1/accounts/{BOB}/unblock"), "").await;
    env.send_as(&token, Post, "/api/v1/domain_blocks", "domain=r.example").await;
    let (_, page) = get(&env, &format!("/@alice/{root}")).await;
    assert!(!page.contains("bob answers") && page.contains("the root"), "a blocked domain covers its subdomains, whatever their port");
}

#[tokio::test(flavor = "current_thread")]
async fn what_anyone_wrote_is_escaped_in_titles_attributes_and_feeds() {
    let env = TestEnv::new();
    let token = env.owner_token().await;
    let owner = owner_id(&env).await;
    let hostile = "\"><script>alert(1)</script>";
    let name = format!("display_name={}", urlencode(hostile));
    assert_eq!(env.send_as(&token, crate::edge::http::Method::Patch, "/api/v1/accounts/update_credentials", &name).await.0.status, 200);
    let media = image(&env, owner, "alt \"><img src=x onerror=alert(2)>").await;
    let form = format!("status=hi&spoiler_text={}&media_ids[]={media}", urlencode("cw \"><b onmouseover=alert(3)>"));
    let id = post(&env, &token, &form).await;
    for path in [format!("/@alice/{id}"), "/@alice".into(), "/about".into(), "/@alice.rss".into(), "/@alice.atom".into()] {
        let (status, body) = get(&env, &path).await;
        assert_eq!(status, 200, "{path}");
        for raw in ["<script>", "<img src=x", "<b onmouseover"] {
            assert!(!body.contains(raw), "{path} holds {raw}: {body}");
        }
    }
    let (_, page) = get(&env, &format!("/@alice/{id}")).await;
    // askama escapes with numeric references: `"` `<` `>` are &#34; &#60; &#62;.
    assert!(page.contains("<title>&#34;&#62;&#60;script&#62;alert(1)&#60;/script&#62;: cw &#34;&#62;&#60;b"), "{page}");
    assert!(page.contains(r#"alt="alt &#34;&#62;&#60;img src=x onerror=alert(2)&#62;""#), "{page}");
    assert!(page.contains(r#"<meta property="og:title" content="&#34;&#62;&#60;script&#62;alert(1)&#60;/script&#62; (@alice@social.example)">"#), "{page}");
    assert!(page.contains(r#"<meta property="og:description" content="Content warning: cw &#34;&#62;&#60;b onmouseover=alert(3)&#62;">"#), "{page}");
    let (_, feed) = get(&env, "/@alice.atom").await;
    assert!(feed.contains("<name>&#34;&#62;&#60;script&#62;alert(1)&#60;/script&#62;</name>"), "{feed}");
}

fn urlencode(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

#[tokio::test(flavor = "current_thread")]
async fn warnings_and_sensitive_media_are_collapsed_and_images_carry_alt_text() {
    let env = TestEnv::new();
    let token = env.owner_token().await;
    let owner = owner_id(&env).await;
    let warned = post(&env, &token, "status=behind+the+warning&spoiler_text=spoilers").await;
    let (_, page) = get(&env, &format!("/@alice/{warned}")).await;
    let details = page.find("<details class=\"cw\">").expect("a warning is a closed <details>");
    assert!(page[details..].find("behind the warning").is_some() && !page.contains("<details class=\"cw\" open"));
    assert!(page.contains(r#"content="Content warning: spoilers""#) && !page.contains(r#"content="behind the warning"#), "the card keeps the warning");
    let media = image(&env, owner, "a frog on a log").await;
    let sensitive = post(&env, &token, &format!("status=look&sensitive=true&media_ids[]={media}")).await;
    let (_, page) = get(&env, &format!("/@alice/{sensitive}")).await;
    assert!(page.contains("<details class=\"sensitive\">") && page.contains(r#"alt="a frog on a log""#), "{page}");
    assert!(!page.contains(r#"og:image" content="https://social.example/media/"#), "no sensitive picture in previews");
    let plain_media = image(&env, owner, "a plain frog").await;
    let shown = post(&env, &token, &format!("status=frog&media_ids[]={plain_media}")).await;
    let (_, page) = get(&env, &format!("/@alice/{shown}")).await;
    assert!(page.contains(&format!(r#"<meta property="og:image" content="https://social.example/media/media/{plain_media}/original.png">"#)), "{page}");
    assert!(page.contains(r#"<meta property="og:image:alt" content="a plain frog">"#) && page.contains(r#"content="summary_large_image""#));
    assert!(page.contains(r#"width="640" height="480""#));
}

#[tokio::test(flavor = "current_thread")]
async fn the_profile_pages_through_older_and_newer_posts_with_pinned_ones_first() {
    let env = TestEnv::new();
    let token = env.owner_token().await;
    let mut posted = Vec::new();
    for i in 0..25 {
        env.advance(1000);
        posted.push(post(&env, &token, &format!("status=number+{i}+end")).await);
    }
    env.send_as(&token, Post, &format!("/api/v1/statuses/{}/pin", posted[2]), "").await;
    let (_, first) = get(&env, "/@alice").await;
    assert!(first.contains("Pinned posts") && first.contains("number 24 end") && !first.contains("number 4 end"));
    assert_eq!(first.matches("number 2 end").count(), 1, "pinned, and on its own page later");
    let older = format!("{PROFILE}?max_id={}", posted[5]);
    assert!(first.contains(&format!("href=\"{older}\"")) && !first.contains("min_id="), "{first}");
    let (_, second) = get(&env, &older.replace("https://social.example", "")).await;
    assert!(second.contains("number 4 end") && second.contains("number 0 end") && !second.contains("number 5 end"));
    assert!(!second.contains("Pinned posts") && !second.contains("max_id="));
    let newer = format!("{PROFILE}?min_id={}", posted[4]);
    assert!(second.contains(&format!("href=\"{newer}\"")), "{second}");
    let (_, back) = get(&env, &newer.replace("https://social.example", "")).await;
    assert!(back.contains("number 24 end") && back.contains("number 5 end") && !back.contains("number 4 end"));
    assert!(back.contains(&format!("max_id={}", posted[5])) && !back.contains("min_id="), "nothing newer than the newest");
}

#[tokio::test(flavor = "current_thread")]
async fn profile_fields_link_with_rel_me_and_robots_follow_the_owner() {
    let env = TestEnv::new();
    let token = env.owner_token().await;
    let form = "fields_attributes[0][name]=Site&fields_attributes[0][value]=https://alice.example&note=Hello+there";
    env.send_as(&token, crate::edge::http::Method::Patch, "/api/v1/accounts/update_credentials", form).await;
    post(&env, &token, "status=%23rust+and+more").await;
    env.send_as(&token, Post, "/api/v1/featured_tags", "name=rust").await;
    let (_, page) = get(&env, "/@alice").await;
    assert!(page.contains(r#"<a href="https://alice.example" target="_blank" rel="me nofollow noopener""#), "{page}");
    assert!(page.contains(r#"<a href="https://social.example/@alice/tagged/rust" rel="tag">#rust</a></li>"#), "{page}");
    assert!(page.contains(r#"<meta property="og:description" content="Hello there">"#));
    assert!(page.contains(r#"<link rel="alternate" type="application/activity+json" href="https://social.example/users/alice">"#));
    assert!(page.contains(r#"<link rel="alternate" type="application/rss+xml" title="alice (RSS)" href="https://social.example/@alice.rss">"#));
    for path in ["/@alice", "/about", "/tags/rust"] {
        assert!(get(&env, path).await.1.contains(r#"<meta name="robots" content="noindex, noarchive">"#), "{path}: not indexable by default");
    }
    let (feed, _) = env.send(Get, "/@alice.rss", "").await;
    assert_eq!(feed.header_value("x-robots-tag"), Some("noindex"));
    env.send_as(&token, crate::edge::http::Method::Patch, "/api/v1/accounts/update_credentials", "indexable=true").await;
    for path in ["/@alice", "/about", "/tags/rust"] {
        assert!(!get(&env, path).await.1.contains("noindex"), "{path}");
    }
}

#[tokio::test(flavor = "current_thread")]
async fn feeds_say_what_they_are() {
    let env = TestEnv::new();
    let token = env.owner_token().await;
    let owner = owner_id(&env).await;
    let media = image(&env, owner, "alt & more").await;
    let id = post(&env, &token, &format!("status=feed+me+%23topi&spoiler_text=careful&media_ids[]={media}")).await;
    let (rss, _) = env.send(Get, "/@alice.rss", "").await;
    assert_eq!(rss.header_value("content-type"), Some("application/rss+xml; charset=utf-8"));
    let body = html(&rss);
    assert!(body.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\""), "{body}");
    assert!(body.contains(&format!("<guid isPermaLink=\"true\">{PROFILE}/{id}</guid>")));
    assert!(body.contains("<category>topi</category>") && body.contains("<media:description type=\"plain\">alt &#38; more</media:description>"));
    assert!(body.contains("&#60;p&#62;&#60;strong&#62;careful&#60;/strong&#62;&#60;/p&#62;&#60;hr /&#62;&#60;p&#62;feed me"), "HTML as text: {body}");
    let (atom, _) = env.send(Get, "/tags/topi.atom", "").await;
    assert_eq!(atom.header_value("content-type"), Some("application/atom+xml; charset=utf-8"));
    let body = html(&atom);
    assert!(body.contains("<title type=\"text\">Content warning: careful</title>") && body.contains("<summary type=\"text\">careful</summary>"));
    assert!(body.contains("<link rel=\"self\" type=\"application/atom+xml\" href=\"https://social.example/tags/topi.atom\"/>"));
    assert_eq!(get(&env, "/@bob.rss").await.0, 404);
    assert_eq!(get(&env, "/tags/nothing.rss").await.0, 404);
}

#[tokio::test(flavor = "current_thread")]
async fn a_visitor_is_shown_the_way_to_their_own_server() {
    use crate::activitypub::webfinger::SUBSCRIBE_REL;
    let env = TestEnv::new();
    let token = env.owner_token().await;
    let id = post(&env, &token, "status=answer+me").await;
    let webfinger = "https://home.example/.well-known/webfinger?resource=acct%3Abob%40home%2Eexample";
    let template = "https://home.example/authorize_interaction?uri={uri}";
    env.http.answer_as(webfinger, "application/jrd+json", &serde_json::json!({"links": [{"rel": SUBSCRIBE_REL, "template": template}]}));
    let (response, _) = env.send(Post, "/interact", "acct=%40bob%40home.example").await;
    let page = html(&response);
    assert_eq!(response.status, 200, "{page}");
    assert!(page.contains(r#"href="https://home.example/authorize_interaction?uri=https%3A%2F%2Fsocial.example%2Fusers%2Falice""#), "{page}");
    let (response, _) = env.send(Post, "/interact", &format!("acct=bob@home.example&status_id={id}")).await;
    assert!(html(&response).contains(&format!("uri=https%3A%2F%2Fsocial.example%2Fusers%2Falice%2Fstatuses%2F{id}")));
    assert!(html(&response).contains("this post"));

    let (refused, _) = env.send(Post, "/interact", "acct=%22%3E%3Cscript%3Ex%40y").await;
    let page = html(&refused);
    assert_eq!(refused.status, 422);
    assert!(page.contains("That is not a handle") && page.contains(r#"value="&#34;&#62;&#60;script&#62;x@y""#), "{page}");
    assert_eq!(env.send(Post, "/interact", "acct=bob@home.example&status_id=1").await.0.status, 404);
    let private = post(&env, &token, "status=hush&visibility=private").await;
    assert_eq!(env.send(Post, "/interact", &format!("acct=bob@home.example&status_id={private}")).await.0.status, 404);
    let (form, _) = env.send(Get, &format!("/interact?status_id={id}"), "").await;
    assert!(html(&form).contains(r#"<label for="acct">Your handle</label>"#));
    assert_eq!(form.header_value("content-security-policy").map(|c| c.ends_with("form-action 'self'")), Some(true));

    // Our WebFinger names our own interaction page, which sends the owner to our pages.
    let (_, jrd) = env.send(Get, "/.well-known/webfinger?resource=acct:alice@social.example", "").await;
    let ours = crate::activitypub::webfinger::subscribe_template(&jrd).unwrap().to_string();
    assert_eq!(ours, "https://social.example/authorize_interaction?uri={uri}");
    for (uri, to) in [
        (format!("https://social.example/users/alice/statuses/{id}"), format!("{PROFILE}/{id}")),
        (format!("https://social.example/@alice/{id}"), format!("{PROFILE}/{id}")),
        ("https://social.example/users/alice".into(), PROFILE.into()),
        ("acct:alice@social.example".into(), PROFILE.into()),
    ] {
        let (response, _) = env.send(Get, &format!("/authorize_interaction?uri={}", urlencode(&uri)), "").await;
        assert_eq!((response.status, response.header_value("location")), (302, Some(to.as_str())), "{uri}");
    }
    let (response, _) = env.send(Get, "/authorize_interaction?uri=https%3A%2F%2Fr.example%2F%40bob%2F1", "").await;
    assert!(html(&response).contains(r#"value="https://r.example/@bob/1" readonly"#) && html(&response).contains(r#"<a href="https://r.example/@bob/1""#));
    let (response, _) = env.send(Get, "/authorize_interaction?uri=javascript%3Aalert(1)", "").await;
    assert!(!html(&response).contains("<a href=\"javascript"), "only http(s) is linked");
    assert_eq!(env.send(Get, "/authorize_interaction", "").await.0.status, 400);
    let asked: Vec<String> = env.http.sent.borrow().iter().map(|r| r.url.clone()).collect();
    assert_eq!(asked, [webfinger, webfinger], "only the visitor's server, once per form that got that far");
}

/// Every public page is three round trips to D1 at most, cold (the owner not cached) or warm.
#[tokio::test(flavor = "current_thread")]
async fn every_public_page_is_three_round_trips_at_most() {
    let env = TestEnv::new();
    let token = env.owner_token().await;
    let owner = owner_id(&env).await;
    bob(&env).await;
    let media = image(&env, owner, "a picture").await;
    let root = post(&env, &token, &format!("status=root+%23one&media_ids[]={media}")).await;
    let reply = remote_reply(&env, BOB, (root, owner), "<p>bob</p>", Visibility::Public).await;
    let middle = post(&env, &token, &format!("status=middle+%23one&in_reply_to_id={reply}")).await;
    env.send_as(&token, Post, &format!("/api/v1/statuses/{root}/pin"), "").await;
    env.send_as(&token, Post, "/api/v1/featured_tags", "name=one").await;
    let pages = [
        "/".to_string(), "/@alice".into(), format!("/@alice?max_id={middle}"), format!("/@alice?min_id={root}"), "/@alice/tagged/one".into(),
        format!("/@alice/{middle}"), format!("/@alice/{root}"), "/tags/one".into(), "/about".into(), "/@alice.rss".into(),
        "/@alice.atom".into(), "/tags/one.rss".into(), format!("/interact?status_id={root}"), "/authorize_interaction?uri=https://r.example/x".into(),
    ];
    let mut over = Vec::new();
    for path in pages {
        assert_eq!(get(&env, &path).await.0, 200, "{path}");
        env.db.round_trips.set(0);
        get(&env, &path).await;
        let warm = env.db.round_trips.get();
        *env.cache.owner.borrow_mut() = None;
        *env.cache.instance_summary.borrow_mut() = None;
        env.db.round_trips.set(0);
        get(&env, &path).await;
        let cold = env.db.round_trips.get();
        if warm.max(cold) > 3 {
            over.push(format!("{path}: {warm} warm, {cold} cold"));
        }
    }
    assert!(over.is_empty(), "pages over three round trips:\n{}", over.join("\n"));
}
