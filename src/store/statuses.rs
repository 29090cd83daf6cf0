//! Statuses (local and remote, originals and reblogs), their tags, mentions, edits, and the
//! owner's interactions with them. Every read carries the viewer (`?1`, NULL when anonymous) so
//! that the viewer's flags come back in the same query.
use serde::Deserialize;

use super::db::{self, sqlite_bool, sqlite_id, sqlite_opt_id, Db, Query, StoreError};
use crate::domain::paging::Page;
use crate::query;

/// `SELECT` of every `StatusRow` column and the viewer's flags, then the rest of the query.
macro_rules! select_statuses {
    ($($rest:expr),+) => {
        concat!(
            "SELECT CAST(s.id AS TEXT) AS id, s.uri, s.url, CAST(s.account_id AS TEXT) AS account_id, s.local, ",
            "s.visibility, s.content, s.text, s.spoiler_text, s.sensitive, s.language, ",
            "CAST(s.in_reply_to_id AS TEXT) AS in_reply_to_id, CAST(s.in_reply_to_account_id AS TEXT) AS in_reply_to_account_id, ",
            "CAST(s.reblog_of_id AS TEXT) AS reblog_of_id, CAST(s.conversation_id AS TEXT) AS conversation_id, ",
            "CAST(s.application_id AS TEXT) AS application_id, s.replies_count, s.reblogs_count, s.favourites_count, ",
            "s.pinned_at, s.edited_at, s.created_at, s.emojis, ",
            "EXISTS (SELECT 1 FROM favourites f WHERE f.status_id = s.id AND f.account_id = ?1) AS favourited, ",
            "EXISTS (SELECT 1 FROM statuses r WHERE r.reblog_of_id = s.id AND r.account_id = ?1 AND r.deleted_at IS NULL) AS reblogged, ",
            "EXISTS (SELECT 1 FROM bookmarks b WHERE b.status_id = s.id AND b.account_id = ?1) AS bookmarked, ",
            "EXISTS (SELECT 1 FROM status_mutes m WHERE m.conversation_id = s.conversation_id AND m.account_id = ?1) AS muted ",
            $($rest),+
        )
    };
}

#[derive(Clone, Debug, Deserialize)]
pub struct StatusRow {
    #[serde(deserialize_with = "sqlite_id")]
    pub id: i64,
    /// JSON `[{shortcode, url, static_url, visible_in_picker}]`: a remote post's custom emoji.
    #[serde(default = "no_emojis")]
    pub emojis: String,
    pub uri: String,
    pub url: Option<String>,
    #[serde(deserialize_with = "sqlite_id")]
    pub account_id: i64,
    #[serde(deserialize_with = "sqlite_bool")]
    pub local: bool,
    pub visibility: String,
    pub content: String,
    pub text: Option<String>,
    pub spoiler_text: String,
    #[serde(deserialize_with = "sqlite_bool")]
    pub sensitive: bool,
    pub language: Option<String>,
    #[serde(deserialize_with = "sqlite_opt_id")]
    pub in_reply_to_id: Option<i64>,
    #[serde(deserialize_with = "sqlite_opt_id")]
    pub in_reply_to_account_id: Option<i64>,
    #[serde(deserialize_with = "sqlite_opt_id")]
    pub reblog_of_id: Option<i64>,
    #[serde(deserialize_with = "sqlite_opt_id")]
    pub conversation_id: Option<i64>,
    #[serde(deserialize_with = "sqlite_opt_id")]
    pub application_id: Option<i64>,
    pub replies_count: i64,
    pub reblogs_count: i64,
    pub favourites_count: i64,
    pub pinned_at: Option<i64>,
    pub edited_at: Option<i64>,
    pub created_at: i64,
    #[serde(deserialize_with = "sqlite_bool")]
    pub favourited: bool,
    #[serde(deserialize_with = "sqlite_bool")]
    pub reblogged: bool,
    #[serde(deserialize_with = "sqlite_bool")]
    pub bookmarked: bool,
    #[serde(deserialize_with = "sqlite_bool")]
    pub muted: bool,
}

/// A JSON array of ids for `json_each`, which keeps 64-bit integers exact (D1 binds only text
/// and doubles, and a variable-length `IN (?, ?, …)` cannot be a static statement).
pub fn id_list(ids: &[i64]) -> String {
    format!("[{}]", ids.iter().map(i64::to_string).collect::<Vec<_>>().join(","))
}

pub async fn get(db: &dyn Db, viewer: Option<i64>, id: i64) -> Result<Option<StatusRow>, StoreError> {
    db::first(db, &query!(select_statuses!("FROM statuses s WHERE s.id = ?2 AND s.deleted_at IS NULL"), viewer, id)).await
}

/// Statuses by id, in no particular order; deleted ones are left out.
pub async fn get_many(db: &dyn Db, viewer: Option<i64>, ids: &[i64]) -> Result<Vec<StatusRow>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    db::all(
        db,
        &query!(
            select_statuses!("FROM statuses s WHERE s.id IN (SELECT value FROM json_each(?2)) AND s.deleted_at IS NULL"),
            viewer,
            id_list(ids)
        ),
    )
    .await
}

/// Runs a paged query given in two orders: newest first, and (for `min_id`) oldest first, whose
/// result is reversed so that responses are always newest first. Arguments `?2`–`?4` are the
/// page bounds and limit; `extra` binds `?5` onwards.
async fn paged(db: &dyn Db, desc: &'static str, asc: &'static str, viewer: Option<i64>, page: &Page, extra: Vec<db::Arg>) -> Result<Vec<StatusRow>, StoreError> {
    let mut args = vec![viewer.into(), page.max_id.into(), page.lower().into(), page.limit.into()];
    args.extend(extra);
    let mut rows: Vec<StatusRow> = db::all(db, &Query { sql: if page.ascending() { asc } else { desc }, args }).await?;
    if page.ascending() {
        rows.reverse();
    }
    Ok(rows)
}

macro_rules! paged_pair {
    ($from_where:literal, $key:literal) => {
        paged_pair!($from_where, "", $key)
    };
    ($from_where:literal, $more:expr, $key:literal) => {
        (
            select_statuses!($from_where, $more, " AND (?2 IS NULL OR ", $key, " < ?2) AND (?3 IS NULL OR ", $key, " > ?3) ORDER BY ", $key, " DESC LIMIT ?4"),
            select_statuses!($from_where, $more, " AND (?2 IS NULL OR ", $key, " < ?2) AND (?3 IS NULL OR ", $key, " > ?3) ORDER BY ", $key, " ASC LIMIT ?4"),
        )
    };
}

/// The home timeline: the feed rows fanned out on write, one indexed range scan. Members of
/// the owner's exclusive lists are read only in those lists.
pub async fn home(db: &dyn Db, viewer: i64, page: &Page) -> Result<Vec<StatusRow>, StoreError> {
    let (desc, asc) = paged_pair!(
        "FROM home_feed h JOIN statuses s ON s.id = h.status_id WHERE h.account_id = ?1 AND s.deleted_at IS NULL \
         AND (s.account_id = ?1 OR NOT EXISTS (SELECT 1 FROM list_accounts la JOIN lists l ON l.id = la.list_id \
              WHERE l.account_id = ?1 AND l.exclusive = 1 AND la.account_id = s.account_id))",
        "h.status_id"
    );
    paged(db, desc, asc, Some(viewer), page, vec![]).await
}

/// A list's timeline: the owner's home feed narrowed to the list's members. Replies to others
/// follow the list's `replies_policy`: `list` (to members or the owner), `followed` (to accounts
/// the owner follows, or the owner), `none`.
pub async fn list_timeline(db: &dyn Db, viewer: i64, list_id: i64, replies_policy: &str, page: &Page) -> Result<Vec<StatusRow>, StoreError> {
    let (desc, asc) = paged_pair!(
        "FROM home_feed h JOIN statuses s ON s.id = h.status_id WHERE h.account_id = ?1 AND s.deleted_at IS NULL \
         AND s.account_id IN (SELECT account_id FROM list_accounts WHERE list_id = ?5) \
         AND (s.in_reply_to_account_id IS NULL OR s.in_reply_to_account_id = s.account_id \
              OR (?6 = 'list' AND (s.in_reply_to_account_id = ?1 OR s.in_reply_to_account_id IN \
                  (SELECT account_id FROM list_accounts WHERE list_id = ?5))) \
              OR (?6 = 'followed' AND (s.in_reply_to_account_id = ?1 OR EXISTS (SELECT 1 FROM follows f \
                  WHERE f.account_id = ?1 AND f.target_account_id = s.in_reply_to_account_id AND f.accepted_at IS NOT NULL))))",
        "h.status_id"
    );
    paged(db, desc, asc, Some(viewer), page, vec![list_id.into(), replies_policy.into()]).await
}

/// Public statuses whose preview card links to `url` (the link timeline of Mastodon 4.3).
pub async fn linking(db: &dyn Db, viewer: Option<i64>, url: &str, page: &Page) -> Result<Vec<StatusRow>, StoreError> {
    let (desc, asc) = paged_pair!(
        "FROM statuses s WHERE s.card IS NOT NULL AND json_extract(s.card, '$.url') = ?5 AND s.visibility = 'public' \
         AND s.reblog_of_id IS NULL AND s.deleted_at IS NULL",
        "s.id"
    );
    paged(db, desc, asc, viewer, page, vec![url.into()]).await
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

pub async fn public(db: &dyn Db, viewer: Option<i64>, page: &Page, locality: Locality, only_media: bool) -> Result<Vec<StatusRow>, StoreError> {
    // One statement per locality, so that each can walk its own index in id order
    // (`statuses_public` leads with `local`, `statuses_public_all` does not).
    let (desc, asc) = match locality {
        Locality::All => paged_pair!(
            "FROM statuses s WHERE s.visibility = 'public' AND s.reblog_of_id IS NULL AND s.deleted_at IS NULL \
             AND (?5 = 0 OR EXISTS (SELECT 1 FROM media_attachments m WHERE m.status_id = s.id))",
            "s.id"
        ),
        Locality::Local => paged_pair!(
            "FROM statuses s WHERE s.visibility = 'public' AND s.local = 1 AND s.reblog_of_id IS NULL AND s.deleted_at IS NULL \
             AND (?5 = 0 OR EXISTS (SELECT 1 FROM media_attachments m WHERE m.status_id = s.id))",
            "s.id"
        ),
        Locality::Remote => paged_pair!(
            "FROM statuses s WHERE s.visibility = 'public' AND s.local = 0 AND s.reblog_of_id IS NULL AND s.deleted_at IS NULL \
             AND (?5 = 0 OR EXISTS (SELECT 1 FROM media_attachments m WHERE m.status_id = s.id))",
            "s.id"
        ),
    };
    paged(db, desc, asc, viewer, page, vec![only_media.into()]).await
}

/// The conditions of a hashtag timeline after the choice of tags (`?6` all, `?7` none, `?8`
/// locality, `?9` only media), shared by its one-tag and many-tag statements.
macro_rules! tag_conditions {
    () => {
        " AND (SELECT count(DISTINCT t.normalized) FROM status_tags x JOIN tags t ON t.id = x.tag_id \
           WHERE x.status_id = s.id AND t.normalized IN (SELECT value FROM json_each(?6))) = json_array_length(?6) \
         AND NOT EXISTS (SELECT 1 FROM status_tags x JOIN tags t ON t.id = x.tag_id \
           WHERE x.status_id = s.id AND t.normalized IN (SELECT value FROM json_each(?7))) \
         AND s.visibility = 'public' AND s.reblog_of_id IS NULL AND s.deleted_at IS NULL AND (?8 IS NULL OR s.local = ?8) \
         AND (?9 = 0 OR EXISTS (SELECT 1 FROM media_attachments m WHERE m.status_id = s.id))"
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
    // `CROSS JOIN` keeps SQLite from driving from `statuses` (it has no statistics to know that
    // a tag matches few of them). One tag, the usual case, is an equality that walks the index in
    // order and stops at the limit; several need a sort of their matches.
    let (desc, asc) = if f.any.len() == 1 {
        paged_pair!(
            "FROM status_tags st CROSS JOIN statuses s ON s.id = st.status_id \
             WHERE st.tag_id = (SELECT id FROM tags WHERE normalized = json_extract(?5, '$[0]'))",
            tag_conditions!(),
            "st.status_id"
        )
    } else {
        paged_pair!(
            "FROM status_tags st CROSS JOIN statuses s ON s.id = st.status_id \
             WHERE st.tag_id IN (SELECT id FROM tags WHERE normalized IN (SELECT value FROM json_each(?5))) \
             AND st.tag_id = (SELECT min(x.tag_id) FROM status_tags x WHERE x.status_id = st.status_id \
                  AND x.tag_id IN (SELECT id FROM tags WHERE normalized IN (SELECT value FROM json_each(?5))))",
            tag_conditions!(),
            "st.status_id"
        )
    };
    let json = |names: &[String]| serde_json::to_string(names).unwrap_or_else(|_| "[]".into());
    let args = vec![json(&f.any).into(), json(&f.all).into(), json(&f.none).into(), f.locality.local().into(), f.only_media.into()];
    paged(db, desc, asc, viewer, page, args).await
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
    let (desc, asc) = paged_pair!(
        "FROM statuses s WHERE s.account_id = ?5 AND s.deleted_at IS NULL \
         AND (?6 = 1 OR s.visibility IN ('public', 'unlisted')) \
         AND (?7 = 0 OR s.in_reply_to_id IS NULL OR s.in_reply_to_account_id = s.account_id) \
         AND (?8 = 0 OR s.reblog_of_id IS NULL) \
         AND (?9 = 0 OR EXISTS (SELECT 1 FROM media_attachments m WHERE m.status_id = s.id)) \
         AND (?10 = 0 OR s.pinned_at IS NOT NULL) \
         AND (?11 IS NULL OR EXISTS (SELECT 1 FROM status_tags st JOIN tags t ON t.id = st.tag_id \
              WHERE st.status_id = s.id AND t.normalized = ?11))",
        "s.id"
    );
    let args = vec![
        account_id.into(),
        f.include_private.into(),
        f.exclude_replies.into(),
        f.exclude_reblogs.into(),
        f.only_media.into(),
        f.pinned.into(),
        f.tagged.clone().into(),
    ];
    paged(db, desc, asc, viewer, page, args).await
}

/// Ancestors of a status, oldest first (at most 40 levels up).
pub async fn ancestors(db: &dyn Db, viewer: Option<i64>, id: i64) -> Result<Vec<StatusRow>, StoreError> {
    db::all(
        db,
        &query!(
            select_statuses!(
                "FROM statuses s JOIN (WITH RECURSIVE up(id, depth) AS ( \
                   SELECT in_reply_to_id, 1 FROM statuses WHERE id = ?2 \
                   UNION ALL SELECT p.in_reply_to_id, up.depth + 1 FROM statuses p JOIN up ON p.id = up.id WHERE up.depth < 40) \
                 SELECT id FROM up WHERE id IS NOT NULL) a ON a.id = s.id \
                 WHERE s.deleted_at IS NULL ORDER BY s.id"
            ),
            viewer,
            id
        ),
    )
    .await
}

/// Replies, replies to replies, … of a status, in thread order (by id), at most 40 levels deep.
pub async fn descendants(db: &dyn Db, viewer: Option<i64>, id: i64) -> Result<Vec<StatusRow>, StoreError> {
    db::all(
        db,
        &query!(
            select_statuses!(
                "FROM statuses s JOIN (WITH RECURSIVE down(id, depth) AS ( \
                   SELECT id, 1 FROM statuses WHERE in_reply_to_id = ?2 \
                   UNION ALL SELECT c.id, down.depth + 1 FROM statuses c JOIN down ON c.in_reply_to_id = down.id WHERE down.depth < 40) \
                 SELECT id FROM down) d ON d.id = s.id \
                 WHERE s.deleted_at IS NULL ORDER BY s.id"
            ),
            viewer,
            id
        ),
    )
    .await
}

/// The viewer's existing reblog of a status, if any.
pub async fn reblog_by(db: &dyn Db, account_id: i64, status_id: i64) -> Result<Option<StatusRow>, StoreError> {
    db::first(
        db,
        &query!(
            select_statuses!("FROM statuses s WHERE s.account_id = ?1 AND s.reblog_of_id = ?2 AND s.deleted_at IS NULL"),
            account_id,
            status_id
        ),
    )
    .await
}

#[derive(Clone, Debug, Deserialize)]
pub struct TagRow {
    #[serde(deserialize_with = "sqlite_id")]
    pub status_id: i64,
    pub name: String,
}

pub async fn tags_of(db: &dyn Db, status_ids: &[i64]) -> Result<Vec<TagRow>, StoreError> {
    db::all(
        db,
        &query!(
            "SELECT CAST(st.status_id AS TEXT) AS status_id, t.name FROM status_tags st JOIN tags t ON t.id = st.tag_id \
             WHERE st.status_id IN (SELECT value FROM json_each(?1)) ORDER BY t.name",
            id_list(status_ids)
        ),
    )
    .await
}

#[derive(Clone, Debug, Deserialize)]
pub struct MentionRow {
    #[serde(deserialize_with = "sqlite_id")]
    pub status_id: i64,
    #[serde(deserialize_with = "sqlite_id")]
    pub account_id: i64,
    pub username: String,
    pub domain: Option<String>,
    pub url: Option<String>,
    pub uri: String,
}

pub async fn mentions_of(db: &dyn Db, status_ids: &[i64]) -> Result<Vec<MentionRow>, StoreError> {
    db::all(
        db,
        &query!(
            "SELECT CAST(m.status_id AS TEXT) AS status_id, CAST(a.id AS TEXT) AS account_id, a.username, a.domain, a.url, a.uri \
             FROM mentions m JOIN accounts a ON a.id = m.account_id WHERE m.status_id IN (SELECT value FROM json_each(?1))",
            id_list(status_ids)
        ),
    )
    .await
}

#[derive(Clone, Debug, Deserialize)]
pub struct ApplicationRow {
    #[serde(deserialize_with = "sqlite_id")]
    pub id: i64,
    pub name: String,
    pub website: Option<String>,
}

pub async fn applications(db: &dyn Db, ids: &[i64]) -> Result<Vec<ApplicationRow>, StoreError> {
    db::all(
        db,
        &query!(
            "SELECT CAST(id AS TEXT) AS id, name, website FROM oauth_apps WHERE id IN (SELECT value FROM json_each(?1))",
            id_list(ids)
        ),
    )
    .await
}

/// A status about to be written, already rendered.
pub struct NewStatus<'a> {
    pub id: i64,
    pub uri: &'a str,
    pub url: Option<&'a str>,
    pub account_id: i64,
    pub local: bool,
    pub visibility: &'a str,
    pub content: &'a str,
    pub text: Option<&'a str>,
    pub spoiler_text: &'a str,
    pub sensitive: bool,
    pub language: Option<&'a str>,
    pub in_reply_to: Option<(i64, i64)>,
    pub reblog_of_id: Option<i64>,
    pub conversation_id: i64,
    pub application_id: Option<i64>,
    pub now: i64,
}

impl<'a> NewStatus<'a> {
    /// A remote account's boost of `original`: no content of its own, in the original's
    /// conversation (a local boost sets `local` and `application_id` over it).
    pub fn reblog(id: i64, uri: &'a str, account_id: i64, visibility: &'a str, original: &StatusRow, now: i64) -> Self {
        NewStatus {
            id,
            uri,
            url: None,
            account_id,
            local: false,
            visibility,
            content: "",
            text: None,
            spoiler_text: "",
            sensitive: false,
            language: None,
            in_reply_to: None,
            reblog_of_id: Some(original.id),
            conversation_id: original.conversation_id.unwrap_or(original.id),
            application_id: None,
            now,
        }
    }
}

/// Links a status to its hashtags, creating the tags that are new (`tags`: new id, name).
fn tag_queries(status_id: i64, tags: &[(i64, String)], now: i64) -> Vec<Query> {
    tags.iter()
        .flat_map(|(tag_id, name)| {
            [
                query!("INSERT OR IGNORE INTO tags (id, name, normalized, created_at) VALUES (?1, ?2, lower(?2), ?3)", *tag_id, name.clone(), now),
                query!(
                    "INSERT OR IGNORE INTO status_tags (tag_id, status_id) SELECT id, ?1 FROM tags WHERE normalized = lower(?2)",
                    status_id, name.clone()
                ),
            ]
        })
        .collect()
}

/// Writes a status with everything that hangs off it. `tags` are (new tag id, name); existing
/// tags keep their id. `home_of` lists the accounts whose home feed gets it.
pub fn create(s: &NewStatus, tags: &[(i64, String)], mentioned: &[i64], home_of: &[i64]) -> Vec<Query> {
    let mut queries = vec![query!(
        "INSERT INTO statuses (id, uri, url, account_id, local, visibility, content, text, spoiler_text, sensitive, language, \
         in_reply_to_id, in_reply_to_account_id, reblog_of_id, conversation_id, application_id, created_at, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?17)",
        s.id, s.uri, s.url, s.account_id, s.local, s.visibility, s.content, s.text, s.spoiler_text, s.sensitive,
        s.language, s.in_reply_to.map(|r| r.0), s.in_reply_to.map(|r| r.1), s.reblog_of_id, s.conversation_id,
        s.application_id, s.now
    )];
    queries.extend(tag_queries(s.id, tags, s.now));
    for account_id in mentioned {
        queries.push(query!("INSERT OR IGNORE INTO mentions (status_id, account_id) VALUES (?1, ?2)", s.id, *account_id));
    }
    for account_id in home_of {
        queries.push(query!(
            "INSERT OR IGNORE INTO home_feed (account_id, status_id, reblog_of_id) VALUES (?1, ?2, ?3)",
            *account_id, s.id, s.reblog_of_id
        ));
    }
    if let Some((parent, _)) = s.in_reply_to {
        queries.push(query!("UPDATE statuses SET replies_count = replies_count + 1 WHERE id = ?1", parent));
    }
    // Mastodon counts every status but direct ones, boosts included.
    if s.visibility != "direct" {
        queries.push(query!(
            "UPDATE accounts SET statuses_count = statuses_count + 1, last_status_at = ?2 WHERE id = ?1",
            s.account_id, s.now
        ));
    }
    if let Some(original) = s.reblog_of_id {
        queries.push(query!("UPDATE statuses SET reblogs_count = reblogs_count + 1 WHERE id = ?1", original));
    } else {
        if let Some(text) = s.text {
            queries.push(query!("INSERT INTO statuses_fts (rowid, text) VALUES (?1, ?2)", s.id, format!("{} {text}", s.spoiler_text)));
        }
    }
    queries
}

/// Marks a status deleted (the row stays as a tombstone for federation) and undoes its counts.
/// Reblogs of it go with it.
pub fn delete(status: &StatusRow, now: i64) -> Vec<Query> {
    let mut queries = vec![
        // The boosts that go with it leave their authors' counts first.
        query!(
            "UPDATE accounts SET statuses_count = max(statuses_count - (SELECT count(*) FROM statuses b \
               WHERE b.reblog_of_id = ?1 AND b.deleted_at IS NULL AND b.visibility <> 'direct' AND b.account_id = accounts.id), 0) \
             WHERE id IN (SELECT account_id FROM statuses WHERE reblog_of_id = ?1 AND deleted_at IS NULL)",
            status.id
        ),
        query!("UPDATE statuses SET deleted_at = ?2 WHERE id = ?1 OR (reblog_of_id = ?1 AND deleted_at IS NULL)", status.id, now),
        query!("DELETE FROM home_feed WHERE status_id = ?1 OR reblog_of_id = ?1", status.id),
        query!("DELETE FROM status_tags WHERE status_id = ?1", status.id),
    ];
    if let Some(parent) = status.in_reply_to_id {
        queries.push(query!("UPDATE statuses SET replies_count = max(replies_count - 1, 0) WHERE id = ?1", parent));
    }
    if status.visibility != "direct" {
        queries.push(query!("UPDATE accounts SET statuses_count = max(statuses_count - 1, 0) WHERE id = ?1", status.account_id));
    }
    match status.reblog_of_id {
        Some(original) => queries.push(query!(
            "UPDATE statuses SET reblogs_count = max(reblogs_count - 1, 0) WHERE id = ?1",
            original
        )),
        None => {
            if status.text.is_some() {
                queries.push(query!(
                    "INSERT INTO statuses_fts (statuses_fts, rowid, text) VALUES ('delete', ?1, ?2)",
                    status.id,
                    format!("{} {}", status.spoiler_text, status.text.clone().unwrap_or_default())
                ));
            }
        }
    }
    queries
}

pub struct Edit<'a> {
    pub content: &'a str,
    pub text: &'a str,
    pub spoiler_text: &'a str,
    pub sensitive: bool,
    pub language: Option<&'a str>,
}

/// Applies an edit and records versions: the first edit also records the original.
pub fn edit(before: &StatusRow, after: &Edit, version_ids: (i64, i64), tags: &[(i64, String)], now: i64) -> Vec<Query> {
    let mut queries = Vec::new();
    if before.edited_at.is_none() {
        queries.push(query!(
            "INSERT INTO status_edits (id, status_id, content, spoiler_text, sensitive, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            version_ids.0, before.id, before.content.clone(), before.spoiler_text.clone(), before.sensitive, before.created_at
        ));
    }
    queries.push(query!(
        "INSERT INTO status_edits (id, status_id, content, spoiler_text, sensitive, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        version_ids.1, before.id, after.content, after.spoiler_text, after.sensitive, now
    ));
    queries.push(query!(
        "UPDATE statuses SET content = ?2, text = ?3, spoiler_text = ?4, sensitive = ?5, language = ?6, edited_at = ?7, updated_at = ?7 \
         WHERE id = ?1",
        before.id, after.content, after.text, after.spoiler_text, after.sensitive, after.language, now
    ));
    queries.push(query!("DELETE FROM status_tags WHERE status_id = ?1", before.id));
    queries.extend(tag_queries(before.id, tags, now));
    if let Some(old_text) = &before.text {
        queries.push(query!(
            "INSERT INTO statuses_fts (statuses_fts, rowid, text) VALUES ('delete', ?1, ?2)",
            before.id, format!("{} {old_text}", before.spoiler_text)
        ));
    }
    queries.push(query!("INSERT INTO statuses_fts (rowid, text) VALUES (?1, ?2)", before.id, format!("{} {}", after.spoiler_text, after.text)));
    queries
}

#[derive(Clone, Debug, Deserialize)]
pub struct EditRow {
    pub content: String,
    pub spoiler_text: String,
    #[serde(deserialize_with = "sqlite_bool")]
    pub sensitive: bool,
    pub created_at: i64,
}

pub async fn edits(db: &dyn Db, status_id: i64) -> Result<Vec<EditRow>, StoreError> {
    db::all(
        db,
        &query!("SELECT content, spoiler_text, sensitive, created_at FROM status_edits WHERE status_id = ?1 ORDER BY id", status_id),
    )
    .await
}

/// Idempotency: the status an earlier request with the same key created within `since`.
pub async fn by_idempotency_key(db: &dyn Db, account_id: i64, key: &str, since: i64) -> Result<Option<i64>, StoreError> {
    #[derive(Deserialize)]
    struct Hit {
        #[serde(deserialize_with = "sqlite_id")]
        status_id: i64,
    }
    let hit: Option<Hit> = db::first(
        db,
        &query!(
            "SELECT CAST(status_id AS TEXT) AS status_id FROM idempotency_keys WHERE account_id = ?1 AND key = ?2 AND created_at > ?3",
            account_id, key, since
        ),
    )
    .await?;
    Ok(hit.map(|h| h.status_id))
}

pub fn remember_idempotency_key(account_id: i64, key: &str, status_id: i64, now: i64) -> Query {
    query!(
        "INSERT OR REPLACE INTO idempotency_keys (account_id, key, status_id, created_at) VALUES (?1, ?2, ?3, ?4)",
        account_id, key, status_id, now
    )
}

// Interactions --------------------------------------------------------------------------------

pub fn favourite(id: i64, account_id: i64, status_id: i64, now: i64) -> [Query; 2] {
    [
        query!(
            "UPDATE statuses SET favourites_count = favourites_count + 1 WHERE id = ?2 \
             AND NOT EXISTS (SELECT 1 FROM favourites WHERE account_id = ?1 AND status_id = ?2)",
            account_id, status_id
        ),
        query!(
            "INSERT OR IGNORE INTO favourites (id, account_id, status_id, created_at) VALUES (?1, ?2, ?3, ?4)",
            id, account_id, status_id, now
        ),
    ]
}

pub fn unfavourite(account_id: i64, status_id: i64) -> [Query; 2] {
    [
        query!(
            "UPDATE statuses SET favourites_count = max(favourites_count - 1, 0) WHERE id = ?2 \
             AND EXISTS (SELECT 1 FROM favourites WHERE account_id = ?1 AND status_id = ?2)",
            account_id, status_id
        ),
        query!("DELETE FROM favourites WHERE account_id = ?1 AND status_id = ?2", account_id, status_id),
    ]
}

pub fn bookmark(id: i64, account_id: i64, status_id: i64, now: i64) -> Query {
    query!(
        "INSERT OR IGNORE INTO bookmarks (id, account_id, status_id, created_at) VALUES (?1, ?2, ?3, ?4)",
        id, account_id, status_id, now
    )
}

pub fn unbookmark(account_id: i64, status_id: i64) -> Query {
    query!("DELETE FROM bookmarks WHERE account_id = ?1 AND status_id = ?2", account_id, status_id)
}

pub fn set_pinned(status_id: i64, pinned_at: Option<i64>) -> Query {
    query!("UPDATE statuses SET pinned_at = ?2 WHERE id = ?1", status_id, pinned_at)
}

pub async fn count_pinned(db: &dyn Db, account_id: i64) -> Result<i64, StoreError> {
    #[derive(Deserialize)]
    struct Count {
        n: i64,
    }
    let row: Option<Count> = db::first(
        db,
        &query!("SELECT count(*) AS n FROM statuses WHERE account_id = ?1 AND pinned_at IS NOT NULL AND deleted_at IS NULL", account_id),
    )
    .await?;
    Ok(row.map_or(0, |r| r.n))
}

pub fn mute_conversation(account_id: i64, conversation_id: i64) -> Query {
    query!("INSERT OR IGNORE INTO status_mutes (account_id, conversation_id) VALUES (?1, ?2)", account_id, conversation_id)
}

pub fn unmute_conversation(account_id: i64, conversation_id: i64) -> Query {
    query!("DELETE FROM status_mutes WHERE account_id = ?1 AND conversation_id = ?2", account_id, conversation_id)
}

/// A status id with the id of the row that put it in a list (favourite, bookmark), which is
/// what those lists page by.
#[derive(Clone, Debug, Deserialize)]
pub struct ListedStatus {
    #[serde(deserialize_with = "sqlite_id")]
    pub row_id: i64,
    #[serde(deserialize_with = "sqlite_id")]
    pub status_id: i64,
}

macro_rules! listed_pair {
    ($table:literal) => {
        (
            concat!("SELECT CAST(id AS TEXT) AS row_id, CAST(status_id AS TEXT) AS status_id FROM ", $table,
                    " WHERE account_id = ?1 AND (?2 IS NULL OR id < ?2) AND (?3 IS NULL OR id > ?3) ORDER BY id DESC LIMIT ?4"),
            concat!("SELECT CAST(id AS TEXT) AS row_id, CAST(status_id AS TEXT) AS status_id FROM ", $table,
                    " WHERE account_id = ?1 AND (?2 IS NULL OR id < ?2) AND (?3 IS NULL OR id > ?3) ORDER BY id ASC LIMIT ?4"),
        )
    };
}

#[derive(Clone, Copy, Debug)]
pub enum StatusList {
    Favourites,
    Bookmarks,
}

pub async fn listed(db: &dyn Db, list: StatusList, account_id: i64, page: &Page) -> Result<Vec<ListedStatus>, StoreError> {
    let (desc, asc) = match list {
        StatusList::Favourites => listed_pair!("favourites"),
        StatusList::Bookmarks => listed_pair!("bookmarks"),
    };
    let args = vec![account_id.into(), page.max_id.into(), page.lower().into(), page.limit.into()];
    let mut rows: Vec<ListedStatus> = db::all(db, &Query { sql: if page.ascending() { asc } else { desc }, args }).await?;
    if page.ascending() {
        rows.reverse();
    }
    Ok(rows)
}

/// Accounts that favourited (or reblogged) a status, newest first.
#[derive(Clone, Debug, Deserialize)]
pub struct ActorRow {
    #[serde(deserialize_with = "sqlite_id")]
    pub row_id: i64,
    #[serde(deserialize_with = "sqlite_id")]
    pub account_id: i64,
}

pub async fn favourited_by(db: &dyn Db, status_id: i64, page: &Page) -> Result<Vec<ActorRow>, StoreError> {
    db::all(
        db,
        &query!(
            "SELECT CAST(id AS TEXT) AS row_id, CAST(account_id AS TEXT) AS account_id FROM favourites WHERE status_id = ?1 \
             AND (?2 IS NULL OR id < ?2) AND (?3 IS NULL OR id > ?3) ORDER BY id DESC LIMIT ?4",
            status_id, page.max_id, page.lower(), page.limit
        ),
    )
    .await
}

pub async fn reblogged_by(db: &dyn Db, status_id: i64, page: &Page) -> Result<Vec<ActorRow>, StoreError> {
    db::all(
        db,
        &query!(
            "SELECT CAST(id AS TEXT) AS row_id, CAST(account_id AS TEXT) AS account_id FROM statuses WHERE reblog_of_id = ?1 \
             AND deleted_at IS NULL AND (?2 IS NULL OR id < ?2) AND (?3 IS NULL OR id > ?3) ORDER BY id DESC LIMIT ?4",
            status_id, page.max_id, page.lower(), page.limit
        ),
    )
    .await
}

/// A status (not deleted) by its ActivityPub id.
pub async fn get_by_uri(db: &dyn Db, viewer: Option<i64>, uri: &str) -> Result<Option<StatusRow>, StoreError> {
    db::first(db, &query!(select_statuses!("FROM statuses s WHERE s.uri = ?2 AND s.deleted_at IS NULL"), viewer, uri)).await
}

/// Whether a status with this ActivityPub id was ever stored, deleted or not (a Delete that
/// arrives before its Create must not let the Create in afterwards).
pub async fn uri_known(db: &dyn Db, uri: &str) -> Result<bool, StoreError> {
    db::exists(db, &query!("SELECT 1 FROM statuses WHERE uri = ?1", uri)).await
}

/// Keeps the id of a reply's parent that is not stored yet, so that thread backfill can link
/// them when it arrives.
pub fn remember_parent_uri(status_id: i64, parent_uri: &str) -> Query {
    query!("UPDATE statuses SET in_reply_to_uri = ?2 WHERE id = ?1", status_id, parent_uri)
}

/// Links the replies that arrived before `parent` (known to them only as `parent_uri`) to it.
pub fn link_replies(parent: &StatusRow, parent_uri: &str) -> Query {
    query!(
        "UPDATE statuses SET in_reply_to_id = ?1, in_reply_to_account_id = ?2, conversation_id = coalesce(?3, conversation_id) \
         WHERE in_reply_to_uri = ?4 AND in_reply_to_id IS NULL",
        parent.id, parent.account_id, parent.conversation_id, parent_uri
    )
}

/// The URI of a status's parent when the parent is not stored.
pub async fn missing_parent_uri(db: &dyn Db, status_id: i64) -> Result<Option<String>, StoreError> {
    #[derive(Deserialize)]
    struct Parent {
        in_reply_to_uri: Option<String>,
    }
    let row: Option<Parent> =
        db::first(db, &query!("SELECT in_reply_to_uri FROM statuses WHERE id = ?1 AND in_reply_to_id IS NULL", status_id)).await?;
    Ok(row.and_then(|r| r.in_reply_to_uri))
}

/// Remembers a deleted remote status's id with no content, so that it stays deleted.
pub fn tombstone(id: i64, uri: &str, account_id: i64, now: i64) -> Query {
    query!(
        "INSERT OR IGNORE INTO statuses (id, uri, account_id, local, visibility, created_at, updated_at, deleted_at) \
         VALUES (?1, ?2, ?3, 0, 'direct', ?4, ?4, ?4)",
        id, uri, account_id, now
    )
}

fn no_emojis() -> String {
    "[]".into()
}

/// Sets a remote post's custom emoji (JSON, as `StatusRow::emojis`).
pub fn set_emojis(status_id: i64, emojis: &str) -> Query {
    query!("UPDATE statuses SET emojis = ?2 WHERE id = ?1", status_id, emojis)
}

/// Whether `account_id` is mentioned in (addressed by) the status.
pub async fn mentions_account(db: &dyn Db, status_id: i64, account_id: i64) -> Result<bool, StoreError> {
    db::exists(db, &query!("SELECT 1 FROM mentions WHERE status_id = ?1 AND account_id = ?2", status_id, account_id)).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::testing::memory_db;

    const OWNER: i64 = 1;

    async fn seed(db: &crate::store::testing::MemoryDb, n: i64) -> Vec<i64> {
        db.run(&query!("INSERT INTO accounts (id, username, uri, created_at, updated_at) VALUES (1, 'alice', 'u', 0, 0)"))
            .await
            .unwrap();
        let mut ids = Vec::new();
        for i in 0..n {
            let id = crate::domain::ids::from_parts(1_700_000_000_000 + i as u64, 7);
            let uri = format!("https://s.example/users/alice/statuses/{id}");
            let visibility = if i % 5 == 4 { "unlisted" } else { "public" };
            let tags: Vec<(i64, String)> = if i % 2 == 0 { vec![(1000 + i, "Even".into())] } else { vec![(1000 + i, "odd".into())] };
            let tags = if i % 3 == 0 { [tags, vec![(5000 + i, "three".into())]].concat() } else { tags };
            let new = NewStatus {
                id, uri: &uri, url: None, account_id: OWNER, local: true, visibility, content: "<p>x</p>", text: Some("x"),
                spoiler_text: "", sensitive: false, language: None, in_reply_to: None, reblog_of_id: None,
                conversation_id: id, application_id: None, now: 1_700_000_000_000 + i,
            };
            db.batch(&create(&new, &tags, &[], &[OWNER])).await.unwrap();
            ids.push(id);
        }
        ids.reverse(); // newest first
        ids
    }

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
        assert!(rows.iter().all(|r| r.visibility == "public"));
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
                id, uri: &uri, url: None, account_id: 2, local: false, visibility: "public", content: "<p>b</p>", text: None,
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
        assert_eq!(ids(list_timeline(&db, OWNER, 7, "list", &page).await.unwrap()), [original], "carol is not on the list");
        assert_eq!(ids(list_timeline(&db, OWNER, 7, "none", &page).await.unwrap()), [original]);
        assert!(home(&db, OWNER, &page).await.unwrap().iter().any(|r| r.account_id == 2));
        db.run(&query!("UPDATE lists SET exclusive = 1 WHERE id = 7")).await.unwrap();
        assert!(!home(&db, OWNER, &page).await.unwrap().iter().any(|r| r.account_id == 2), "exclusive lists keep their members out of home");
        assert_eq!(home(&db, OWNER, &page).await.unwrap().len(), 1, "the owner's own post stays");
    }

    #[tokio::test(flavor = "current_thread")]
    async fn favourites_count_once_and_deleting_undoes_counts() {
        let db = memory_db();
        let all = seed(&db, 1).await;
        db.batch(&favourite(77, OWNER, all[0], 5)).await.unwrap();
        db.batch(&favourite(78, OWNER, all[0], 6)).await.unwrap();
        let row = get(&db, Some(OWNER), all[0]).await.unwrap().unwrap();
        assert_eq!((row.favourites_count, row.favourited), (1, true));
        db.batch(&unfavourite(OWNER, all[0])).await.unwrap();
        db.batch(&unfavourite(OWNER, all[0])).await.unwrap();
        let row = get(&db, Some(OWNER), all[0]).await.unwrap().unwrap();
        assert_eq!((row.favourites_count, row.favourited), (0, false));
        db.batch(&delete(&row, 9)).await.unwrap();
        assert!(get(&db, Some(OWNER), all[0]).await.unwrap().is_none());
        assert!(home(&db, OWNER, &Page { limit: 40, ..Default::default() }).await.unwrap().is_empty());
    }

    #[tokio::test(flavor = "current_thread")]
    async fn statuses_count_has_boosts_and_not_direct_messages() {
        use crate::edge::http::Method;
        let env = crate::testing::TestEnv::new();
        let token = env.owner_token().await;
        let count = || async { env.send_as(&token, Method::Get, "/api/v1/accounts/verify_credentials", "").await.1["statuses_count"].clone() };
        let (_, public) = env.send_as(&token, Method::Post, "/api/v1/statuses", "status=hello").await;
        env.send_as(&token, Method::Post, "/api/v1/statuses", "status=psst&visibility=direct").await;
        let id = public["id"].as_str().unwrap();
        let (response, body) = env.send_as(&token, Method::Post, &format!("/api/v1/statuses/{id}/reblog"), "").await;
        assert_eq!(response.status, 200, "{body}");
        assert_eq!(count().await, 2, "the post and its boost; not the direct message");
        env.send_as(&token, Method::Delete, &format!("/api/v1/statuses/{id}"), "").await;
        assert_eq!(count().await, 0, "the boost went with the post");
    }
}
