//! The timelines: home, lists, public, hashtags, links, and an account's posts. Each is one
//! keyset-paged statement (`store::keyset`) whose text is fixed at compile time so that D1 can
//! reuse it; what varies is bound as an argument, except where another text lets SQLite walk a
//! better index (the public timeline's locality, one tag or several).
use super::StatusRow;
use crate::domain::paging::Page;
use crate::query;
use crate::store::db::{Db, Query, StoreError};
use crate::store::keyset::{keyset, PageQuery};

/// The home timeline: the feed rows fanned out on write, one indexed range scan. Members of
/// the owner's exclusive lists are read only in those lists.
pub async fn home(db: &dyn Db, viewer: i64, page: &Page) -> Result<Vec<StatusRow>, StoreError> {
    let statement = keyset!("h.status_id"; select_statuses!(
        "FROM home_feed h JOIN statuses s ON s.id = h.status_id WHERE h.account_id = ?1 AND s.deleted_at IS NULL \
         AND (s.account_id = ?1 OR NOT EXISTS (SELECT 1 FROM list_accounts la JOIN lists l ON l.id = la.list_id \
              WHERE l.account_id = ?1 AND l.exclusive = 1 AND la.account_id = s.account_id))"
    ));
    statement.fetch(db, Some(viewer), page, vec![]).await
}

/// A list's timeline: the owner's home feed narrowed to the list's members. Replies to others
/// follow the list's `replies_policy`: `list` (to members or the owner), `followed` (to accounts
/// the owner follows, or the owner), `none`. The policy is read with the page, so that a list
/// and its page can be read in one round trip.
pub fn list_timeline(viewer: i64, list_id: i64, page: &Page) -> PageQuery<StatusRow> {
    let statement = keyset!("h.status_id"; select_statuses!(
        "FROM home_feed h JOIN statuses s ON s.id = h.status_id JOIN lists l ON l.id = ?5 \
         WHERE h.account_id = ?1 AND s.deleted_at IS NULL \
         AND s.account_id IN (SELECT account_id FROM list_accounts WHERE list_id = ?5) \
         AND (s.in_reply_to_account_id IS NULL OR s.in_reply_to_account_id = s.account_id \
              OR (l.replies_policy = 'list' AND (s.in_reply_to_account_id = ?1 OR s.in_reply_to_account_id IN \
                  (SELECT account_id FROM list_accounts WHERE list_id = ?5))) \
              OR (l.replies_policy = 'followed' AND (s.in_reply_to_account_id = ?1 OR EXISTS (SELECT 1 FROM follows f \
                  WHERE f.account_id = ?1 AND f.target_account_id = s.in_reply_to_account_id AND f.accepted_at IS NOT NULL))))"
    ));
    statement.page(Some(viewer), page, vec![list_id.into()])
}

/// Where one status stands for `viewer` among the timelines: in their home feed (members of an
/// exclusive list only in that list, as `home` reads it), in which of their lists (the replies
/// rules of `list_timeline`), and whether its author is someone the viewer blocked, muted or
/// whose domain they blocked. For streaming, which renders each new status once.
#[derive(Debug, serde::Deserialize)]
pub struct Placement {
    #[serde(deserialize_with = "crate::store::db::sqlite_bool")]
    pub home: bool,
    /// JSON array of list ids, as text.
    pub lists: String,
    #[serde(deserialize_with = "crate::store::db::sqlite_bool")]
    pub hidden: bool,
}

pub async fn placement(db: &dyn Db, viewer: i64, status_id: i64, now: i64) -> Result<Option<Placement>, StoreError> {
    crate::store::db::first(
        db,
        &crate::query!(
            "SELECT EXISTS (SELECT 1 FROM home_feed h WHERE h.account_id = ?1 AND h.status_id = s.id) \
               AND (s.account_id = ?1 OR NOT EXISTS (SELECT 1 FROM list_accounts la JOIN lists l ON l.id = la.list_id \
                    WHERE l.account_id = ?1 AND l.exclusive = 1 AND la.account_id = s.account_id)) AS home, \
             (SELECT json_group_array(CAST(l.id AS TEXT)) FROM lists l JOIN list_accounts la ON la.list_id = l.id \
               WHERE l.account_id = ?1 AND la.account_id = s.account_id \
               AND EXISTS (SELECT 1 FROM home_feed h WHERE h.account_id = ?1 AND h.status_id = s.id) \
               AND (s.in_reply_to_account_id IS NULL OR s.in_reply_to_account_id = s.account_id \
                    OR (l.replies_policy = 'list' AND (s.in_reply_to_account_id = ?1 OR s.in_reply_to_account_id IN \
                        (SELECT account_id FROM list_accounts WHERE list_id = l.id))) \
                    OR (l.replies_policy = 'followed' AND (s.in_reply_to_account_id = ?1 OR EXISTS (SELECT 1 FROM follows f \
                        WHERE f.account_id = ?1 AND f.target_account_id = s.in_reply_to_account_id AND f.accepted_at IS NOT NULL))))) AS lists, \
             (EXISTS (SELECT 1 FROM blocks b WHERE b.account_id = ?1 AND b.target_account_id = s.account_id) \
               OR EXISTS (SELECT 1 FROM mutes m WHERE m.account_id = ?1 AND m.target_account_id = s.account_id \
                          AND (m.expires_at IS NULL OR m.expires_at > ?3)) \
               OR EXISTS (SELECT 1 FROM domain_blocks d JOIN accounts a ON a.id = s.account_id \
                          WHERE d.account_id = ?1 AND d.domain = a.domain)) AS hidden \
             FROM statuses s WHERE s.id = ?2 AND s.deleted_at IS NULL",
            viewer, status_id, now
        ),
    )
    .await
}

/// Public statuses whose preview card links to `url` (the link timeline of Mastodon 4.3).
pub async fn linking(db: &dyn Db, viewer: Option<i64>, url: &str, page: &Page) -> Result<Vec<StatusRow>, StoreError> {
    let statement = keyset!("s.id"; select_statuses!(
        "FROM statuses s WHERE s.card IS NOT NULL AND json_extract(s.card, '$.url') = ?5 AND s.visibility = 'public' \
         AND s.reblog_of_id IS NULL AND s.deleted_at IS NULL"
    ));
    statement.fetch(db, viewer, page, vec![url.into()]).await
}

/// Which statuses the public timeline shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Locality {
    All,
    Local,
    Remote,
}

impl Locality {
    /// The `local` column value to match, none for all.
    fn local(self) -> Option<i64> {
        match self {
            Locality::All => None,
            Locality::Local => Some(1),
            Locality::Remote => Some(0),
        }
    }
}

/// Public timelines leave out limited accounts (the admin's, `silenced_at`) and accounts of
/// silenced servers (instance domain blocks), unless the viewer (`?1`) follows them, as
/// Mastodon's limited accounts and servers.
macro_rules! not_silenced {
    () => {
        concat!(
            " AND (s.local = 1 OR NOT EXISTS (SELECT 1 FROM accounts sa WHERE sa.id = s.account_id AND sa.domain IS NOT NULL \
               AND (sa.silenced_at IS NOT NULL OR EXISTS (SELECT 1 FROM instance_domain_blocks b WHERE b.severity = 'silence' AND ",
            $crate::covered_by!("sa.domain", "b.domain"),
            ")) AND NOT EXISTS (SELECT 1 FROM follows sf WHERE sf.account_id = ?1 AND sf.target_account_id = sa.id \
               AND sf.accepted_at IS NOT NULL)))"
        )
    };
}

pub async fn public(db: &dyn Db, viewer: Option<i64>, page: &Page, locality: Locality, only_media: bool) -> Result<Vec<StatusRow>, StoreError> {
    // One statement per locality, so that each can walk its own index in id order
    // (`statuses_public` leads with `local`, `statuses_public_all` does not).
    let statement = match locality {
        Locality::All => keyset!("s.id"; select_statuses!(
            "FROM statuses s WHERE s.visibility = 'public' AND s.reblog_of_id IS NULL AND s.deleted_at IS NULL \
             AND (?5 = 0 OR EXISTS (SELECT 1 FROM media_attachments m WHERE m.status_id = s.id))",
            not_silenced!()
        )),
        Locality::Local => keyset!("s.id"; select_statuses!(
            "FROM statuses s WHERE s.visibility = 'public' AND s.local = 1 AND s.reblog_of_id IS NULL AND s.deleted_at IS NULL \
             AND (?5 = 0 OR EXISTS (SELECT 1 FROM media_attachments m WHERE m.status_id = s.id))",
            not_silenced!()
        )),
        Locality::Remote => keyset!("s.id"; select_statuses!(
            "FROM statuses s WHERE s.visibility = 'public' AND s.local = 0 AND s.reblog_of_id IS NULL AND s.deleted_at IS NULL \
             AND (?5 = 0 OR EXISTS (SELECT 1 FROM media_attachments m WHERE m.status_id = s.id))",
            not_silenced!()
        )),
    };
    statement.fetch(db, viewer, page, vec![only_media.into()]).await
}

/// The conditions of a hashtag timeline after the choice of tags (`?6` all, `?7` none, `?8`
/// locality, `?9` only media), shared by its one-tag and many-tag statements.
macro_rules! tag_conditions {
    () => {
        concat!(" AND (SELECT count(DISTINCT t.normalized) FROM status_tags x JOIN tags t ON t.id = x.tag_id \
           WHERE x.status_id = s.id AND t.normalized IN (SELECT value FROM json_each(?6))) = json_array_length(?6) \
         AND NOT EXISTS (SELECT 1 FROM status_tags x JOIN tags t ON t.id = x.tag_id \
           WHERE x.status_id = s.id AND t.normalized IN (SELECT value FROM json_each(?7))) \
         AND s.visibility = 'public' AND s.reblog_of_id IS NULL AND s.deleted_at IS NULL AND (?8 IS NULL OR s.local = ?8) \
         AND (?9 = 0 OR EXISTS (SELECT 1 FROM media_attachments m WHERE m.status_id = s.id))",
        not_silenced!())
    };
}

/// What a hashtag timeline shows: tags as normalized names.
pub struct TagFilter {
    pub any: Vec<String>,
    pub all: Vec<String>,
    pub none: Vec<String>,
    pub locality: Locality,
    pub only_media: bool,
}

/// Public statuses with any of `any`, all of `all`, none of `none`. Driven from `status_tags`
/// so that a single tag walks its (tag_id, status_id) index newest first and stops at the limit;
/// a status carrying several of the `any` tags is counted once, under its lowest tag id.
pub async fn tagged(db: &dyn Db, viewer: Option<i64>, page: &Page, f: &TagFilter) -> Result<Vec<StatusRow>, StoreError> {
    tagged_page(viewer, page, f).fetch(db).await
}

/// `tagged` as a statement, to read beside other reads in one round trip.
pub fn tagged_page(viewer: Option<i64>, page: &Page, f: &TagFilter) -> PageQuery<StatusRow> {
    // `CROSS JOIN` keeps SQLite from driving from `statuses` (it has no statistics to know that
    // a tag matches few of them). One tag, the usual case, is an equality that walks the index in
    // order and stops at the limit; several need a sort of their matches.
    let statement = if f.any.len() == 1 {
        keyset!("st.status_id"; select_statuses!(
            "FROM status_tags st CROSS JOIN statuses s ON s.id = st.status_id \
             WHERE st.tag_id = (SELECT id FROM tags WHERE normalized = json_extract(?5, '$[0]'))",
            tag_conditions!()
        ))
    } else {
        keyset!("st.status_id"; select_statuses!(
            "FROM status_tags st CROSS JOIN statuses s ON s.id = st.status_id \
             WHERE st.tag_id IN (SELECT id FROM tags WHERE normalized IN (SELECT value FROM json_each(?5))) \
             AND st.tag_id = (SELECT min(x.tag_id) FROM status_tags x WHERE x.status_id = st.status_id \
                  AND x.tag_id IN (SELECT id FROM tags WHERE normalized IN (SELECT value FROM json_each(?5))))",
            tag_conditions!()
        ))
    };
    let json = |names: &[String]| serde_json::to_string(names).unwrap_or_else(|_| "[]".into());
    let args = vec![json(&f.any).into(), json(&f.all).into(), json(&f.none).into(), f.locality.local().into(), f.only_media.into()];
    statement.page(viewer, page, args)
}

/// An account's pinned posts that anyone may see (public and unlisted, no boosts), the most
/// recently pinned first as Mastodon orders them, at most `limit`, for a batch of reads. It walks
/// `statuses_pinned`; `by_account` with `pinned` walks every post of the account.
pub fn pinned_public_query(account_id: i64, limit: i64) -> Query {
    query!(
        select_statuses!(
            "FROM statuses s WHERE s.account_id = ?2 AND s.pinned_at IS NOT NULL AND s.deleted_at IS NULL \
             AND s.visibility IN ('public', 'unlisted') AND s.reblog_of_id IS NULL ORDER BY s.pinned_at DESC LIMIT ?3"
        ),
        None::<i64>,
        account_id,
        limit
    )
}

/// Filters of `GET /api/v1/accounts/:id/statuses`.
#[derive(Clone, Debug, Default)]
pub struct AccountFilter {
    /// Also private and direct statuses (the owner looking at their own profile).
    pub include_private: bool,
    pub exclude_replies: bool,
    pub exclude_reblogs: bool,
    pub only_media: bool,
    pub pinned: bool,
    pub tagged: Option<String>,
}

pub async fn by_account(db: &dyn Db, viewer: Option<i64>, account_id: i64, page: &Page, f: &AccountFilter) -> Result<Vec<StatusRow>, StoreError> {
    by_account_page(viewer, account_id, page, f).fetch(db).await
}

/// `by_account` as a statement, to read beside other reads in one round trip.
pub fn by_account_page(viewer: Option<i64>, account_id: i64, page: &Page, f: &AccountFilter) -> PageQuery<StatusRow> {
    let statement = keyset!("s.id"; select_statuses!(
        "FROM statuses s WHERE s.account_id = ?5 AND s.deleted_at IS NULL \
         AND (?6 = 1 OR s.visibility IN ('public', 'unlisted')) \
         AND (?7 = 0 OR s.in_reply_to_id IS NULL OR s.in_reply_to_account_id = s.account_id) \
         AND (?8 = 0 OR s.reblog_of_id IS NULL) \
         AND (?9 = 0 OR EXISTS (SELECT 1 FROM media_attachments m WHERE m.status_id = s.id)) \
         AND (?10 = 0 OR s.pinned_at IS NOT NULL) \
         AND (?11 IS NULL OR EXISTS (SELECT 1 FROM status_tags st JOIN tags t ON t.id = st.tag_id \
              WHERE st.status_id = s.id AND t.normalized = ?11))"));
    let args = vec![
        account_id.into(),
        f.include_private.into(),
        f.exclude_replies.into(),
        f.exclude_reblogs.into(),
        f.only_media.into(),
        f.pinned.into(),
        f.tagged.clone().into(),
    ];
    statement.page(viewer, page, args)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query;
    use crate::store::statuses::{create, NewStatus};
    use crate::store::testing::{assert_pages_like_mastodon, memory_db, seed_statuses as seed, OWNER};

    #[tokio::test(flavor = "current_thread")]
    async fn paging_the_home_timeline_returns_each_status_once_in_order() {
        let db = memory_db();
        let all = seed(&db, 45).await;
        let mut seen = Vec::new();
        let mut page = Page { limit: 20, ..Default::default() };
        loop {
            let rows = home(&db, OWNER, &page).await.unwrap();
            if rows.is_empty() {
                break;
            }
            seen.extend(rows.iter().map(|r| r.id));
            page.max_id = rows.last().map(|r| r.id);
        }
        assert_eq!(seen, all);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn min_id_returns_the_page_just_above_it_newest_first() {
        let db = memory_db();
        let all = seed(&db, 10).await; // newest first
        let page = Page { min_id: Some(all[9]), limit: 3, ..Default::default() };
        let ids: Vec<i64> = home(&db, OWNER, &page).await.unwrap().iter().map(|r| r.id).collect();
        assert_eq!(ids, [all[6], all[7], all[8]]);
        let page = Page { since_id: Some(all[9]), limit: 3, ..Default::default() };
        let ids: Vec<i64> = home(&db, OWNER, &page).await.unwrap().iter().map(|r| r.id).collect();
        assert_eq!(ids, [all[0], all[1], all[2]]);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn public_timeline_leaves_out_unlisted() {
        let db = memory_db();
        seed(&db, 10).await;
        let rows = public(&db, None, &Page { limit: 40, ..Default::default() }, Locality::All, false).await.unwrap();
        assert_eq!(rows.len(), 8);
        assert!(rows.iter().all(|r| r.visibility == crate::domain::visibility::Visibility::Public));
        assert!(public(&db, None, &Page { limit: 40, ..Default::default() }, Locality::Remote, false).await.unwrap().is_empty());
        assert!(public(&db, None, &Page { limit: 40, ..Default::default() }, Locality::All, true).await.unwrap().is_empty());
    }

    #[tokio::test(flavor = "current_thread")]
    async fn tag_timeline_combines_any_all_and_none() {
        let db = memory_db();
        seed(&db, 12).await; // i = 0..12; "even" for even i, "three" for multiples of 3
        let page = Page { limit: 40, ..Default::default() };
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let count = |any: &[&str], all: &[&str], none: &[&str]| {
            let f = TagFilter { any: s(any), all: s(all), none: s(none), locality: Locality::All, only_media: false };
            let db = &db;
            async move { tagged(db, None, &page, &f).await.unwrap().len() }
        };
        // public ones only: i % 5 != 4 leaves out i = 4 and 9.
        assert_eq!(count(&["even"], &[], &[]).await, 5); // 0 2 6 8 10
        assert_eq!(count(&["even"], &["three"], &[]).await, 2); // 0 6
        assert_eq!(count(&["even"], &[], &["three"]).await, 3); // 2 8 10
        assert_eq!(count(&["odd", "even"], &[], &[]).await, 10);
    }

    /// Remote statuses in the owner's home: bob (in an exclusive list) posts, and replies to carol.
    #[tokio::test(flavor = "current_thread")]
    async fn exclusive_lists_and_replies_policies_shape_timelines() {
        let db = memory_db();
        seed(&db, 1).await;
        for (id, name) in [(2, "bob"), (3, "carol")] {
            db.run(&query!(
                "INSERT INTO accounts (id, username, domain, uri, created_at, updated_at) VALUES (?1, ?2, 'r.example', ?2, 0, 0)",
                id as i64, name
            ))
            .await
            .unwrap();
        }
        db.run(&query!("INSERT INTO follows (id, account_id, target_account_id, accepted_at, created_at) VALUES (9, 1, 2, 1, 1)")).await.unwrap();
        let post = |id: i64, reply_to: Option<(i64, i64)>| {
            let uri = format!("https://r.example/s/{id}");
            let new = NewStatus {
                id, uri: &uri, url: None, account_id: 2, local: false, visibility: crate::domain::visibility::Visibility::Public, content: "<p>b</p>", text: None,
                spoiler_text: "", sensitive: false, language: None, in_reply_to: reply_to, reblog_of_id: None,
                conversation_id: id, application_id: None, now: id,
            };
            create(&new, &[], &[], &[OWNER])
        };
        let original = crate::domain::ids::from_parts(1_800_000_000_000, 1);
        let reply_to_carol = crate::domain::ids::from_parts(1_800_000_000_001, 1);
        db.run(&query!("INSERT INTO statuses (id, uri, account_id, local, visibility, created_at, updated_at) VALUES (5, 'c', 3, 0, 'public', 0, 0)")).await.unwrap();
        db.batch(&post(original, None)).await.unwrap();
        db.batch(&post(reply_to_carol, Some((5, 3)))).await.unwrap();
        db.run(&query!("INSERT INTO lists (id, account_id, title, replies_policy, exclusive, created_at) VALUES (7, 1, 'b', 'list', 0, 0)")).await.unwrap();
        db.run(&query!("INSERT INTO list_accounts (list_id, account_id) VALUES (7, 2)")).await.unwrap();
        let page = Page { limit: 40, ..Default::default() };
        let ids = |rows: Vec<StatusRow>| rows.iter().map(|r| r.id).collect::<Vec<_>>();
        assert_eq!(ids(list_timeline(OWNER, 7, &page).fetch(&db).await.unwrap()), [original], "carol is not on the list");
        db.run(&query!("UPDATE lists SET replies_policy = 'none' WHERE id = 7")).await.unwrap();
        assert_eq!(ids(list_timeline(OWNER, 7, &page).fetch(&db).await.unwrap()), [original]);
        assert!(home(&db, OWNER, &page).await.unwrap().iter().any(|r| r.account_id == 2));
        db.run(&query!("UPDATE lists SET exclusive = 1 WHERE id = 7")).await.unwrap();
        assert!(!home(&db, OWNER, &page).await.unwrap().iter().any(|r| r.account_id == 2), "exclusive lists keep their members out of home");
        assert_eq!(home(&db, OWNER, &page).await.unwrap().len(), 1, "the owner's own post stays");
    }


    #[tokio::test(flavor = "current_thread")]
    async fn every_timeline_pages_like_mastodon() {
        let db = &memory_db();
        let all = seed(db, 10).await; // i = 9 (all[0]) and 4 (all[5]) unlisted
        let ids = |rows: Vec<StatusRow>| rows.iter().map(|r| r.id).collect::<Vec<_>>();
        assert_pages_like_mastodon(&all, |page| async move { ids(home(db, OWNER, &page).await.unwrap()) }).await;
        let filter = &AccountFilter::default();
        assert_pages_like_mastodon(&all, |page| async move { ids(by_account(db, None, OWNER, &page, filter).await.unwrap()) }).await;
        let public_ids: Vec<i64> = [&all[1..5], &all[6..]].concat();
        assert_pages_like_mastodon(&public_ids, |page| async move { ids(public(db, None, &page, Locality::Local, false).await.unwrap()) }).await;
        let tags = &TagFilter { any: vec!["even".into(), "odd".into()], all: vec![], none: vec![], locality: Locality::All, only_media: false };
        assert_pages_like_mastodon(&public_ids, |page| async move { ids(tagged(db, None, &page, tags).await.unwrap()) }).await;
    }
}
