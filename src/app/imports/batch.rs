//! The queue's half of an import: one `Task::ImportBatch` message takes the next rows of one
//! import, and queues the message for the rows after them.
//!
//! A batch fits the free plan's per-invocation limits (50 D1 queries, 50 subrequests, 10 ms of
//! CPU): three reads in one round trip (the import, its next `ROWS_PER_BATCH` rows, the day's
//! pace), one lookup of every account the rows name that we know, at most `LOOKUPS_PER_BATCH`
//! accounts fetched (WebFinger, then the signed GET of the actor: the signature and sanitizing
//! the profile are most of a batch's CPU), the relationships in one read, then one batch of
//! set-wise writes (`store::imports`), and one queue call for the deliveries of the Follow and
//! Block activities and the next batch. Measured (bench/invocation-cpu.sh, `import-fetch` and
//! `import-known`): two accounts fetched, 7.4 ms of Worker CPU at the median (p99 13), 14 D1
//! round trips / 22 statements, 4 subrequests; 25 known accounts blocked, 5.4 ms (p99 8.2),
//! 6 / 18.
//!
//! Rows are taken in the file's order. A row that cannot be imported (unknown account, a peer
//! that did not answer, an account that blocks us, …) fails with the reason; rows left when the
//! lookups run out wait for the next batch.
use std::collections::{HashMap, HashSet};

use serde_json::Value;

use super::formats::{account_key, Acct, Kind, RowData};
use super::{local_domains, DAY_MS, PACE_KEY, ROWS_PER_DAY};
use crate::activitypub::build;
use crate::app::error::{Error, Result};
use crate::app::jobs::{self, Job, Task};
use crate::app::owner::{self, Owner};
use crate::app::remote::{actors, fetch::FetchError, resolve_post};
use crate::ctx::{log_error, Ctx};
use crate::domain::ids;
use crate::store::accounts::{self, AccountRow};
use crate::store::db::{decode, Query};
use crate::store::imports::{self as store, FollowWrite, Import, Item, SavedActivity};
use crate::store::relationships::{self, RelationshipRow};
use crate::store::{lists, rate_limits, statuses};

/// Rows one batch reads: 25 rows of known accounts measured 5.4 ms of Worker CPU (50: 7–10).
pub const ROWS_PER_BATCH: i64 = 25;
/// Accounts fetched per batch at most (2–5 subrequests and 5 D1 statements each): a lookup is
/// ~3 ms of Worker CPU (the signed GET, parsing and sanitizing the profile), so two fit the
/// free plan's 10 ms with the rest of the batch at the median (four measured 14 ms).
pub const LOOKUPS_PER_BATCH: u32 = 2;
/// A post fetched for a bookmark counts as two lookups: its author may be fetched with it.
const POST_LOOKUP: u32 = 2;
/// Follows undone or blocks lifted by one batch of an overwrite.
pub const DROPS_PER_BATCH: i64 = 25;
/// How long a batch waits when the day's pace is spent.
const PACE_WAIT_SECONDS: u32 = 3600;

/// One batch of the import `import_id` (a `Task::ImportBatch`). `Err` has the queue retry it:
/// every write is idempotent, so a batch run twice writes the same.
pub async fn run(ctx: &Ctx<'_>, import_id: &str) -> Result<()> {
    let Some(id) = ids::parse(import_id) else {
        log_error(&format!("import batch for {import_id:?}: not an id"));
        return Ok(());
    };
    let reads = [store::get_query(id), store::pending_query(id, ROWS_PER_BATCH), rate_limits::window_query(PACE_KEY)];
    let mut answers = ctx.db.batch_rows(&reads).await?.into_iter();
    // Deleted, or done: nothing to do.
    let Some(import) = decode::<Import>(answers.next().unwrap_or_default())?.pop().filter(|i| !i.finished()) else { return Ok(()) };
    let items: Vec<Item> = decode(answers.next().unwrap_or_default())?;
    let window = decode::<rate_limits::Window>(answers.next().unwrap_or_default())?.pop();
    let now = ctx.now_ms();
    let Some(kind) = Kind::parse(&import.kind) else {
        ctx.db.run(&store::stop(id, "unknown import type", now)).await?;
        return Ok(());
    };
    if kind != Kind::DomainBlocking && window.is_some_and(|w| w.count_at(DAY_MS, now) >= ROWS_PER_DAY) {
        return jobs::publish_later(ctx, Task::ImportBatch { import_id: import_id.to_string() }, PACE_WAIT_SECONDS).await;
    }
    let owner = owner::load(ctx).await?;
    if import.overwrite && !import.pruned {
        return drop_unnamed(ctx, &owner, &import, kind).await;
    }
    import_rows(ctx, &owner, &import, kind, &items).await
}

/// The queue gave up on a batch of `import_id` after its retries: the import stops, saying why.
pub async fn give_up(ctx: &Ctx<'_>, import_id: &str) -> Result<()> {
    if let Some(id) = ids::parse(import_id) {
        let reason = "stopped: a batch failed again and again (see the server's log); import the rows not processed again";
        ctx.db.run(&store::stop(id, reason, ctx.now_ms())).await?;
    }
    Ok(())
}

/// Activities of the owner to store and deliver: `(id, uri, body, inbox)`.
#[derive(Default)]
struct Outbox(Vec<(i64, String, Value, String)>);

impl Outbox {
    /// `activity` to `inbox` (remote accounts only: a local account has none).
    fn push(&mut self, ctx: &Ctx<'_>, activity: Value, inbox: Option<&str>) {
        if let Some(inbox) = inbox {
            let uri = activity["id"].as_str().unwrap_or_default().to_string();
            self.0.push((ctx.new_id(), uri, activity, inbox.to_string()));
        }
    }
}

/// `{me}#blocks/{target}`: the id `federation::outbound` gives a Block, so that a later unblock
/// through the API undoes the same activity.
fn block_activity(me: &str, target: &AccountRow) -> Value {
    build::simple("Block", &format!("{me}#blocks/{}", target.id), me, &target.uri, std::slice::from_ref(&target.uri), &[])
}

/// Runs `writes` and stores `outbox` in one round trip; returns the delivery messages.
async fn write(ctx: &Ctx<'_>, owner: i64, mut writes: Vec<Query>, outbox: Outbox) -> Result<Vec<Job>> {
    if outbox.0.is_empty() {
        ctx.db.batch(&writes).await?;
        return Ok(Vec::new());
    }
    let rows: Vec<(i64, String, String)> = outbox.0.iter().map(|(id, uri, body, _)| (*id, uri.clone(), body.to_string())).collect();
    writes.insert(0, store::save_activities(owner, &rows, ctx.now_ms()));
    let saved: Vec<SavedActivity> = decode(ctx.db.batch_rows(&writes).await?.into_iter().next().unwrap_or_default())?;
    let inboxes: HashMap<&str, &str> = outbox.0.iter().map(|(_, uri, _, inbox)| (uri.as_str(), inbox.as_str())).collect();
    Ok(saved.iter().filter_map(|s| inboxes.get(s.uri.as_str()).map(|inbox| jobs::deliveries(s.id, &[inbox.to_string()]))).flatten().collect())
}

/// An overwrite's first step: what the file leaves out goes. Follows and blocks are undone
/// `DROPS_PER_BATCH` at a time, with the Undo delivered; mutes, domain blocks, bookmarks and
/// lists in one statement or two.
async fn drop_unnamed(ctx: &Ctx<'_>, owner: &Owner, import: &Import, kind: Kind) -> Result<()> {
    let now = ctx.now_ms();
    let (me, me_uri) = (owner.account.id, owner.account.uri.as_str());
    let handle_domain = ctx.config.handle_domain.to_ascii_lowercase();
    let mut writes = Vec::new();
    let mut outbox = Outbox::default();
    let mut done = true;
    if matches!(kind, Kind::Following | Kind::Blocking) {
        let blocks = kind == Kind::Blocking;
        let dropped = store::dropped(ctx.db, me, import.id, blocks, &handle_domain, DROPS_PER_BATCH).await?;
        done = (dropped.len() as i64) < DROPS_PER_BATCH;
        let ids: Vec<i64> = dropped.iter().map(|d| d.account_id).collect();
        if !ids.is_empty() {
            if blocks {
                writes.push(store::unblock_many(me, &ids));
            } else {
                writes.extend(store::unfollow_many(me, &ids, true));
            }
            writes.push(rate_limits::add(PACE_KEY, ids.len() as i64, DAY_MS, now));
        }
        for d in &dropped {
            let undone = if blocks {
                build::simple("Block", &format!("{me_uri}#blocks/{}", d.account_id), me_uri, &d.account_uri, std::slice::from_ref(&d.account_uri), &[])
            } else {
                let uri = d.activity_uri.clone().unwrap_or_else(|| format!("{me_uri}#follows/{}", d.account_id));
                build::follow(&uri, me_uri, &d.account_uri)
            };
            outbox.push(ctx, build::undo(me_uri, undone), d.inbox_url.as_deref());
        }
    } else {
        writes.extend(store::drop_unnamed(kind.as_str(), me, import.id, &handle_domain));
    }
    if done {
        writes.push(store::mark_pruned(import.id, now));
    }
    let mut jobs = write(ctx, me, writes, outbox).await?;
    owner::invalidate(ctx);
    jobs.push(Job::Task(Task::ImportBatch { import_id: import.id.to_string() }));
    jobs::publish_all(ctx, jobs).await
}

/// What a row names, found.
enum Target {
    Account(Box<AccountRow>),
    Domain(String),
    Status(i64),
}

/// A row taken by this batch: its position and data, and what it names or why it failed.
struct Taken {
    position: i64,
    data: RowData,
    target: std::result::Result<Target, String>,
    /// Failed when the file was read: the row holds its reason already.
    failed_on_upload: bool,
}

/// The rows of this batch, processed: targets found, then written set-wise.
async fn import_rows(ctx: &Ctx<'_>, owner: &Owner, import: &Import, kind: Kind, items: &[Item]) -> Result<()> {
    let now = ctx.now_ms();
    let taken = match kind {
        Kind::DomainBlocking => items
            .iter()
            .map(|item| {
                let data: RowData = serde_json::from_str(&item.data).unwrap_or_default();
                let target = match (&item.error, &data.domain) {
                    (None, Some(domain)) => Ok(Target::Domain(domain.clone())),
                    (error, _) => Err(error.clone().unwrap_or_else(|| "the row has no domain".into())),
                };
                Taken { position: item.position, data, target, failed_on_upload: item.error.is_some() }
            })
            .collect(),
        Kind::Bookmarks => find_posts(ctx, items).await?,
        _ => find_accounts(ctx, owner, items).await?,
    };
    let cursor = taken.last().map_or(import.cursor, |t| t.position + 1);
    // Positions run 1..=total: past the last, nothing is left.
    let finished = cursor > import.total_items;
    let (mut writes, outbox, outcomes) = apply(ctx, owner, kind, &taken).await?;
    let succeeded: Vec<i64> = outcomes.iter().filter(|(_, r)| r.is_ok()).map(|(p, _)| *p).collect();
    let failed: Vec<(i64, String)> = outcomes.into_iter().filter_map(|(p, r)| r.err().map(|e| (p, e))).collect();
    writes.extend(store::settle(import.id, &succeeded, &failed));
    writes.push(store::advance(import.id, cursor, finished, now));
    if kind != Kind::DomainBlocking && !taken.is_empty() {
        writes.push(rate_limits::add(PACE_KEY, taken.len() as i64, DAY_MS, now));
    }
    let mut jobs = write(ctx, owner.account.id, writes, outbox).await?;
    owner::invalidate(ctx);
    if !finished {
        jobs.push(Job::Task(Task::ImportBatch { import_id: import.id.to_string() }));
    }
    if jobs.is_empty() {
        return Ok(());
    }
    jobs::publish_all(ctx, jobs).await
}

fn lookup_failed(acct: &str, e: &FetchError) -> String {
    let later = if e.is_transient() { " (the server may answer later: import the failed rows again)" } else { "" };
    format!("{acct} could not be found: {e}{later}")
}

/// The accounts the rows name, in order: known ones from one query, others fetched while the
/// batch's lookups last (a stale copy stands in when its refresh fails).
async fn find_accounts(ctx: &Ctx<'_>, owner: &Owner, items: &[Item]) -> Result<Vec<Taken>> {
    let local = local_domains(ctx);
    let handle_domain = &ctx.config.handle_domain;
    let rows: Vec<(RowData, Option<Acct>)> = items
        .iter()
        .map(|item| {
            let data: RowData = serde_json::from_str(&item.data).unwrap_or_default();
            let acct = data.acct.as_deref().and_then(|a| Acct::parse(a, &local).ok()).filter(|_| item.error.is_none());
            (data, acct)
        })
        .collect();
    let handles: Vec<(String, Option<String>)> =
        rows.iter().filter_map(|(_, acct)| acct.as_ref()).filter(|a| a.domain.is_some()).map(|a| (a.username.clone(), a.domain.clone())).collect();
    let mut known: HashMap<String, AccountRow> = accounts::get_by_handles(ctx.db, &handles)
        .await?
        .into_iter()
        .map(|a| (account_key(&a.username, a.domain.as_deref(), handle_domain), a))
        .collect();
    let now = ctx.now_ms();
    let mut lookups = 0;
    let mut taken = Vec::new();
    for (item, (data, acct)) in items.iter().zip(rows) {
        let Some(acct) = acct else {
            let error = item.error.clone().unwrap_or_else(|| "the row has no account address".into());
            taken.push(Taken { position: item.position, data, target: Err(error), failed_on_upload: item.error.is_some() });
            continue;
        };
        let address = data.acct.clone().unwrap_or_default();
        let target = match &acct.domain {
            None if acct.username.eq_ignore_ascii_case(&owner.account.username) => Ok(Target::Account(Box::new(owner.account.clone()))),
            None => Err(format!("there is no account {address} here")),
            Some(domain) => {
                let key = acct.key(handle_domain);
                let stored = known.get(&key).cloned();
                match stored {
                    Some(account) if account.fetched_at.is_some_and(|t| now - t < actors::STALE_AFTER_MS) => Ok(Target::Account(Box::new(account))),
                    _ if lookups == LOOKUPS_PER_BATCH => break,
                    stale => {
                        lookups += 1;
                        match actors::resolve_handle(ctx, &acct.username, domain).await {
                            Ok(account) => {
                                known.insert(key, account.clone());
                                Ok(Target::Account(Box::new(account)))
                            }
                            Err(e) => stale.map(|a| Target::Account(Box::new(a))).ok_or_else(|| lookup_failed(&address, &e)),
                        }
                    }
                }
            }
        };
        taken.push(Taken { position: item.position, data, target, failed_on_upload: false });
    }
    Ok(taken)
}

/// The posts bookmark rows name: ours and stored ones from one query, others fetched while the
/// batch's lookups last.
async fn find_posts(ctx: &Ctx<'_>, items: &[Item]) -> Result<Vec<Taken>> {
    let rows: Vec<RowData> = items.iter().map(|item| serde_json::from_str(&item.data).unwrap_or_default()).collect();
    let uris: Vec<String> = items.iter().zip(&rows).filter(|(i, _)| i.error.is_none()).filter_map(|(_, d)| d.uri.clone()).collect();
    let known: HashMap<String, i64> = statuses::ids_by_uris(ctx.db, &uris).await?.into_iter().map(|(id, uri)| (uri, id)).collect();
    let ours = format!("{}/", ctx.config.public_url);
    let mut lookups = 0;
    let mut taken = Vec::new();
    for (item, data) in items.iter().zip(rows) {
        let target = match (&item.error, data.uri.clone()) {
            (Some(error), _) => Err(error.clone()),
            (None, None) => Err("the row has no post address".into()),
            (None, Some(uri)) => match known.get(&uri) {
                Some(id) => Ok(Target::Status(*id)),
                None if uri.starts_with(&ours) => Err(format!("there is no post {uri} here")),
                None if lookups + POST_LOOKUP > LOOKUPS_PER_BATCH => break,
                None => {
                    lookups += POST_LOOKUP;
                    match resolve_post(ctx, &uri, None).await {
                        Ok(Some(status)) => Ok(Target::Status(status.id)),
                        Ok(None) => Err(format!("{uri} is not a post that can be shown here")),
                        Err(Error::RetryLater(e)) => Err(format!("{uri} could not be fetched: {e} (the server may answer later: import the failed rows again)")),
                        Err(e) => Err(format!("{uri} could not be fetched: {e}")),
                    }
                }
            },
        };
        taken.push(Taken { position: item.position, data, target, failed_on_upload: item.error.is_some() });
    }
    Ok(taken)
}

type Outcomes = Vec<(i64, std::result::Result<(), String>)>;

/// Why the owner may not follow an account (Mastodon's `FollowService#following_not_allowed?`).
fn follow_refused(account: &AccountRow, relationship: Option<&RelationshipRow>) -> Option<String> {
    let r = relationship?;
    if r.blocking {
        Some("you block this account: unblock it first".into())
    } else if r.blocked_by {
        Some("this account blocks you".into())
    } else if r.domain_blocking {
        Some("you block this account's domain".into())
    } else if account.moved_to_account_id.is_some() {
        Some("this account has moved".into())
    } else {
        None
    }
}

/// The writes, activities and outcome of each row taken. Rows that failed on upload keep their
/// reason and are left out of the outcomes (their reason is stored already).
async fn apply(ctx: &Ctx<'_>, owner: &Owner, kind: Kind, taken: &[Taken]) -> Result<(Vec<Query>, Outbox, Outcomes)> {
    let now = ctx.now_ms();
    let (me, me_uri) = (owner.account.id, owner.account.uri.as_str());
    let mut outcomes: Outcomes = Vec::new();
    let mut outbox = Outbox::default();
    let mut writes = Vec::new();
    let others: Vec<i64> = taken.iter().filter_map(|t| match &t.target {
        Ok(Target::Account(a)) if a.id != me => Some(a.id),
        _ => None,
    }).collect();
    let relationships: HashMap<i64, RelationshipRow> = if matches!(kind, Kind::Following | Kind::Lists | Kind::Blocking) && !others.is_empty() {
        relationships::relationships(ctx.db, me, &others).await?.into_iter().map(|r| (r.id, r)).collect()
    } else {
        HashMap::new()
    };
    let mut lists_by_title: HashMap<String, i64> = if kind == Kind::Lists {
        lists::all(ctx.db, me).await?.into_iter().map(|l| (l.title, l.id)).collect()
    } else {
        HashMap::new()
    };
    let mut seen = HashSet::new();
    let mut follows: Vec<FollowWrite> = Vec::new();
    let (mut blocks, mut mutes, mut domains, mut bookmarks, mut new_lists, mut members) = (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for row in taken.iter().filter(|t| !t.failed_on_upload) {
        let target = match &row.target {
            Ok(target) => target,
            Err(error) => {
                outcomes.push((row.position, Err(error.clone())));
                continue;
            }
        };
        let data = &row.data;
        let outcome: std::result::Result<(), String> = match (kind, target) {
            (Kind::Following | Kind::Lists, Target::Account(account)) => {
                let own = account.id == me;
                let relationship = relationships.get(&account.id);
                match follow_refused(account, relationship).filter(|_| !own) {
                    Some(refused) => Err(refused),
                    None if own && kind == Kind::Following => Err("You cannot follow yourself".into()),
                    None => {
                        let following = relationship.is_some_and(|r| r.following || r.requested);
                        if !own && seen.insert(account.id) {
                            let (show_reblogs, notify, languages) = match kind {
                                Kind::Following => (data.show_reblogs, data.notify, data.languages.as_ref().map(|l| serde_json::to_string(l).unwrap_or_default())),
                                _ => (None, None, None),
                            };
                            if following {
                                // New options for a follow that exists (Mastodon's `change_follow_options!`).
                                let r = relationship.cloned();
                                if kind == Kind::Following {
                                    let id = ctx.new_id();
                                    follows.push(FollowWrite {
                                        id,
                                        target: account.id,
                                        // Kept only if the follow went in the meantime.
                                        uri: format!("{me_uri}#follows/{id}"),
                                        show_reblogs: show_reblogs.unwrap_or(r.as_ref().is_none_or(|r| r.showing_reblogs)),
                                        notify: notify.unwrap_or(r.as_ref().is_some_and(|r| r.notifying)),
                                        languages: languages.or(r.and_then(|r| r.languages)),
                                    });
                                }
                            } else {
                                let id = ctx.new_id();
                                let uri = format!("{me_uri}#follows/{id}");
                                outbox.push(ctx, build::follow(&uri, me_uri, &account.uri), account.inbox_url.as_deref().filter(|_| !account.is_local()));
                                follows.push(FollowWrite { id, target: account.id, uri, show_reblogs: show_reblogs.unwrap_or(true), notify: notify.unwrap_or(false), languages });
                            }
                        }
                        if kind == Kind::Lists {
                            let title = data.list_name.clone().unwrap_or_default();
                            let list = *lists_by_title.entry(title.clone()).or_insert_with(|| {
                                let id = ctx.new_id();
                                new_lists.push((id, title));
                                id
                            });
                            members.push((list, account.id));
                        }
                        Ok(())
                    }
                }
            }
            (Kind::Blocking, Target::Account(account)) if account.id == me => Err("You cannot block yourself".into()),
            (Kind::Blocking, Target::Account(account)) => {
                if seen.insert(account.id) {
                    blocks.push((ctx.new_id(), account.id));
                    if !relationships.get(&account.id).is_some_and(|r| r.blocking) {
                        outbox.push(ctx, block_activity(me_uri, account), account.inbox_url.as_deref().filter(|_| !account.is_local()));
                    }
                }
                Ok(())
            }
            (Kind::Muting, Target::Account(account)) if account.id == me => Err("You cannot mute yourself".into()),
            (Kind::Muting, Target::Account(account)) => {
                mutes.push((ctx.new_id(), account.id, data.hide_notifications.unwrap_or(true)));
                Ok(())
            }
            (Kind::DomainBlocking, Target::Domain(domain)) => {
                domains.push((ctx.new_id(), domain.clone()));
                Ok(())
            }
            (Kind::Bookmarks, Target::Status(status)) => {
                bookmarks.push((ctx.new_id(), *status));
                Ok(())
            }
            _ => Err("the row does not fit the import's type".into()),
        };
        outcomes.push((row.position, outcome));
    }
    if !new_lists.is_empty() {
        writes.push(store::create_lists(me, &new_lists, now));
    }
    if !members.is_empty() {
        writes.push(store::add_list_members(&members));
    }
    if !follows.is_empty() {
        writes.push(store::follow_many(me, &follows, now));
    }
    if !blocks.is_empty() {
        writes.extend(store::block_many(me, &blocks, now));
    }
    if !mutes.is_empty() {
        writes.push(store::mute_many(me, &mutes, now));
    }
    if !domains.is_empty() {
        writes.push(store::domain_block_many(me, &domains, now));
    }
    if !bookmarks.is_empty() {
        writes.push(store::bookmark_many(me, &bookmarks, now));
    }
    Ok((writes, outbox, outcomes))
}
