//! Instance-level domain blocks: the admin's commands and what federation asks of them. The list
//! (with the accounts the admin suspended, `app::reports`) is read from every path that meets
//! another server (the inbox, fetches, deliveries, stored actors and posts), so each isolate
//! keeps it for `FRESH_MS`; this isolate's own changes take effect at once.
use std::rc::Rc;

use super::error::{Error, Result};
use crate::ctx::Ctx;
use crate::domain::moderation::{self, Block, Policy, Severity, Standing};
use crate::domain::blocklist::{self, Listed};
use crate::store::db::decode;
use crate::store::instance_domain_allows::{self as allows, AllowRow, MAX_ALLOWS};
use crate::store::instance_domain_blocks::{self as store, BlockRow, MAX_BLOCKS};

/// How long an isolate trusts its copy of the list: another isolate's block applies here within
/// this time (Mastodon applies its own through a background job, no faster).
pub const FRESH_MS: i64 = 30_000;

/// What every enforcement point reads: one round trip per isolate every `FRESH_MS`.
pub async fn policy(ctx: &Ctx<'_>) -> Result<Rc<Policy>> {
    let now = ctx.now_ms();
    if let Some((loaded_at, policy)) = ctx.cache.moderation.borrow().as_ref() {
        if now - loaded_at < FRESH_MS {
            return Ok(policy.clone());
        }
    }
    let mut answers = ctx
        .db
        .batch_rows(&[store::all_query(), crate::store::accounts::locally_suspended_query(), allows::mode_query(), allows::all_query()])
        .await?
        .into_iter();
    let blocks = decode::<BlockRow>(answers.next().unwrap_or_default())?.iter().filter_map(block_of).collect();
    let suspended_actors = decode::<crate::store::accounts::UriRow>(answers.next().unwrap_or_default())?.into_iter().map(|r| r.uri).collect();
    let mode_on = decode::<allows::ModeRow>(answers.next().unwrap_or_default())?.pop().is_some_and(|m| m.allow_list_mode);
    let allowed = mode_on.then(|| {
        let mut allowed: Vec<String> = vec![ctx.config.host.to_ascii_lowercase(), ctx.config.handle_domain.to_ascii_lowercase()];
        allowed.extend(decode::<AllowRow>(answers.next().unwrap_or_default()).unwrap_or_default().into_iter().map(|a| a.domain));
        allowed
    });
    let policy = Rc::new(Policy { blocks, suspended_actors, allowed });
    *ctx.cache.moderation.borrow_mut() = Some((now, policy.clone()));
    Ok(policy)
}

fn block_of(row: &BlockRow) -> Option<Block> {
    Some(Block {
        domain: row.domain.clone(),
        severity: Severity::parse(&row.severity)?,
        reject_media: row.reject_media,
        reject_reports: row.reject_reports,
    })
}

/// What the blocks say about the server at `authority` (an account's domain, `host[:port]`).
pub async fn standing(ctx: &Ctx<'_>, authority: Option<&str>) -> Result<Standing> {
    match authority {
        Some(authority) => Ok(policy(ctx).await?.standing(authority)),
        None => Ok(Standing::default()),
    }
}

/// `standing` for the fetch layer, whose errors are `FetchError`s.
pub async fn standing_for_fetch(ctx: &Ctx<'_>, authority: Option<&str>) -> Result<Standing, crate::app::remote::fetch::FetchError> {
    standing(ctx, authority).await.map_err(|e| crate::app::remote::fetch::FetchError::Network(e.to_string()))
}

/// A block as the admin writes it (`POST`/`PUT /api/v1/admin/domain_blocks`).
#[derive(Clone, Debug)]
pub struct BlockDomain {
    pub severity: Severity,
    pub reject_media: bool,
    pub reject_reports: bool,
    pub private_comment: Option<String>,
    pub public_comment: Option<String>,
    pub obfuscate: bool,
}

/// Comments are for people: a screenful is plenty.
const MAX_COMMENT_CHARS: usize = 1_000;

fn comment(text: Option<String>) -> Result<Option<String>> {
    match text.map(|t| t.trim().to_string()).filter(|t| !t.is_empty()) {
        Some(t) if t.chars().count() > MAX_COMMENT_CHARS => Err(Error::Invalid(format!("Comment is too long (maximum is {MAX_COMMENT_CHARS} characters)"))),
        other => Ok(other),
    }
}

/// `row` with what the admin wrote.
fn written(row: BlockRow, command: &BlockDomain) -> Result<BlockRow> {
    Ok(BlockRow {
        severity: command.severity.as_str().into(),
        reject_media: command.reject_media,
        reject_reports: command.reject_reports,
        private_comment: comment(command.private_comment.clone())?,
        public_comment: comment(command.public_comment.clone())?,
        obfuscate: command.obfuscate,
        ..row
    })
}

pub async fn create(ctx: &Ctx<'_>, domain: &str, command: BlockDomain) -> Result<BlockRow> {
    let domain = moderation::normalize(domain).ok_or_else(|| Error::Invalid(format!("Domain is not a valid domain name: {domain}")))?;
    if moderation::covers(&domain, &ctx.config.host) || moderation::covers(&domain, &ctx.config.handle_domain) {
        return Err(Error::Invalid("You cannot block your own domain".into()));
    }
    let existing = store::all(ctx.db).await?;
    if existing.iter().any(|b| b.domain == domain) {
        return Err(Error::Invalid(format!("Domain {domain} is already blocked; change that block instead")));
    }
    if existing.len() as i64 >= MAX_BLOCKS {
        return Err(Error::Invalid(format!("An instance holds at most {MAX_BLOCKS} domain blocks")));
    }
    let base = BlockRow {
        id: ctx.new_id(),
        domain,
        severity: String::new(),
        reject_media: false,
        reject_reports: false,
        private_comment: None,
        public_comment: None,
        obfuscate: false,
        created_at: ctx.now_ms(),
    };
    let row = written(base, &command)?;
    let mut queries = vec![store::insert(&row)];
    if command.severity == Severity::Suspend {
        queries.extend(store::suspend(&row.domain, row.created_at));
    }
    if command.reject_media || command.severity == Severity::Suspend {
        queries.extend(store::reject_media(&row.domain));
    }
    ctx.db.batch(&queries).await?;
    forget(ctx);
    Ok(row)
}

pub async fn update(ctx: &Ctx<'_>, id: i64, command: BlockDomain) -> Result<BlockRow> {
    let before = store::get(ctx.db, id).await?.ok_or(Error::NotFound)?;
    let was_suspended = before.severity == Severity::Suspend.as_str();
    let row = written(before.clone(), &command)?;
    let mut queries = vec![store::update(&row)];
    match (was_suspended, command.severity == Severity::Suspend) {
        (false, true) => queries.extend(store::suspend(&row.domain, ctx.now_ms())),
        (true, false) => queries.push(store::unsuspend(&row.domain, before.created_at)),
        _ => {}
    }
    if command.reject_media && !before.reject_media {
        queries.extend(store::reject_media(&row.domain));
    }
    ctx.db.batch(&queries).await?;
    forget(ctx);
    Ok(row)
}

pub async fn remove(ctx: &Ctx<'_>, id: i64) -> Result<()> {
    let block = store::get(ctx.db, id).await?.ok_or(Error::NotFound)?;
    let mut queries = vec![store::delete(id)];
    if block.severity == Severity::Suspend.as_str() {
        queries.push(store::unsuspend(&block.domain, block.created_at));
    }
    ctx.db.batch(&queries).await?;
    forget(ctx);
    Ok(())
}

/// This isolate's copy is stale after a change of the admin's.
pub fn forget(ctx: &Ctx<'_>) {
    *ctx.cache.moderation.borrow_mut() = None;
}

/// Whether the admin suspended the actor `uri`.
pub async fn actor_suspended(ctx: &Ctx<'_>, uri: &str) -> Result<bool> {
    Ok(policy(ctx).await?.actor_suspended(uri))
}

/// What an imported blocklist did: the blocks made, and the domains it left as they were
/// (already blocked here: their blocks are the admin's to change).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Imported {
    pub created: usize,
    pub kept: Vec<String>,
}

/// A blocklist file (`domain::blocklist`): every new domain blocked in one D1 batch, or nothing
/// when any row is bad (all of them are named in the error, a line each).
pub async fn import(ctx: &Ctx<'_>, file: &[u8]) -> Result<Imported> {
    let listed = blocklist::read(file).map_err(|problems| Error::Invalid(format!("Nothing was imported: {}", problems.join("; "))))?;
    let own: Vec<&Listed> =
        listed.iter().filter(|b| moderation::covers(&b.domain, &ctx.config.host) || moderation::covers(&b.domain, &ctx.config.handle_domain)).collect();
    if let Some(b) = own.first() {
        return Err(Error::Invalid(format!("Nothing was imported: line {}: you cannot block your own domain", b.line)));
    }
    let existing = store::all(ctx.db).await?;
    let (kept, new): (Vec<&Listed>, Vec<&Listed>) = listed.iter().partition(|b| existing.iter().any(|e| e.domain == b.domain));
    if (existing.len() + new.len()) as i64 > MAX_BLOCKS {
        return Err(Error::Invalid(format!("Nothing was imported: an instance holds at most {MAX_BLOCKS} domain blocks")));
    }
    let now = ctx.now_ms();
    let rows: Vec<BlockRow> = new
        .iter()
        .map(|b| BlockRow {
            id: ctx.new_id(),
            domain: b.domain.clone(),
            severity: b.severity.as_str().into(),
            reject_media: b.reject_media,
            reject_reports: b.reject_reports,
            private_comment: None,
            public_comment: b.public_comment.clone(),
            obfuscate: b.obfuscate,
            created_at: now,
        })
        .collect();
    if !rows.is_empty() {
        let suspended: Vec<&str> = new.iter().filter(|b| b.severity == Severity::Suspend).map(|b| b.domain.as_str()).collect();
        let media: Vec<&str> = new.iter().filter(|b| b.reject_media || b.severity == Severity::Suspend).map(|b| b.domain.as_str()).collect();
        let mut queries = vec![store::insert_all(&rows)];
        if !suspended.is_empty() {
            queries.extend(store::suspend_all(&suspended, now));
        }
        if !media.is_empty() {
            queries.extend(store::reject_media_all(&media));
        }
        ctx.db.batch(&queries).await?;
        forget(ctx);
    }
    Ok(Imported { created: rows.len(), kept: kept.iter().map(|b| b.domain.clone()).collect() })
}

/// Every block as Mastodon's blocklist export writes it.
pub async fn export(ctx: &Ctx<'_>) -> Result<String> {
    let rows = store::all(ctx.db).await?;
    let exported: Vec<blocklist::Exported<'_>> = rows
        .iter()
        .map(|r| blocklist::Exported {
            domain: &r.domain,
            severity: &r.severity,
            reject_media: r.reject_media,
            reject_reports: r.reject_reports,
            public_comment: r.public_comment.as_deref(),
            obfuscate: r.obfuscate,
        })
        .collect();
    Ok(blocklist::write(&exported))
}

/// The allow-list mode and its domains, as the admin's page shows them.
pub async fn allow_list(ctx: &Ctx<'_>) -> Result<(bool, Vec<AllowRow>)> {
    let mut answers = ctx.db.batch_rows(&[allows::mode_query(), allows::all_query()]).await?.into_iter();
    let on = decode::<allows::ModeRow>(answers.next().unwrap_or_default())?.pop().is_some_and(|m| m.allow_list_mode);
    Ok((on, decode(answers.next().unwrap_or_default())?))
}

/// Turns the allow-list mode on or off. Turning it on does not remove what servers no longer
/// allowed sent (their activities are refused from then on; a block removes content).
pub async fn set_allow_list_mode(ctx: &Ctx<'_>, on: bool) -> Result<()> {
    ctx.db.run(&allows::set_mode(on, ctx.now_ms())).await?;
    forget(ctx);
    Ok(())
}

/// `POST /api/v1/admin/domain_allows`: Mastodon answers an existing allow with itself.
pub async fn allow(ctx: &Ctx<'_>, domain: &str) -> Result<AllowRow> {
    let domain = moderation::normalize(domain).ok_or_else(|| Error::Invalid(format!("Domain is not a valid domain name: {domain}")))?;
    let existing = allows::all(ctx.db).await?;
    if let Some(row) = existing.iter().find(|a| a.domain == domain) {
        return Ok(row.clone());
    }
    if existing.len() as i64 >= MAX_ALLOWS {
        return Err(Error::Invalid(format!("An instance allows at most {MAX_ALLOWS} domains")));
    }
    let row = AllowRow { id: ctx.new_id(), domain, created_at: ctx.now_ms() };
    ctx.db.run(&allows::insert(&row)).await?;
    forget(ctx);
    Ok(row)
}

pub async fn disallow(ctx: &Ctx<'_>, id: i64) -> Result<()> {
    allows::get(ctx.db, id).await?.ok_or(Error::NotFound)?;
    ctx.db.run(&allows::delete(id)).await?;
    forget(ctx);
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::query;
    use crate::store::db::Db;
    use crate::testing::TestEnv;

    fn command(severity: Severity) -> BlockDomain {
        BlockDomain { severity, reject_media: false, reject_reports: false, private_comment: None, public_comment: None, obfuscate: false }
    }

    #[tokio::test(flavor = "current_thread")]
    async fn an_exported_blocklist_imports_back_as_it_was_in_one_batch() {
        let env = TestEnv::new();
        let ctx = env.ctx();
        env.db
            .run(&query!(
                "INSERT INTO accounts (id, username, domain, uri, created_at, updated_at) \
                 VALUES (900, 'troll', 'a.evil.example', 'https://a.evil.example/users/troll', 0, 0)"
            ))
            .await
            .unwrap();
        create(&ctx, "evil.example", BlockDomain { public_comment: Some("spam, \"lots\"".into()), obfuscate: true, ..command(Severity::Suspend) }).await.unwrap();
        create(&ctx, "loud.example:8443", BlockDomain { reject_media: true, ..command(Severity::Silence) }).await.unwrap();
        let file = export(&ctx).await.unwrap();
        let before: Vec<(String, String, bool, Option<String>, bool)> =
            store::all(&env.db).await.unwrap().into_iter().map(|b| (b.domain, b.severity, b.reject_media, b.public_comment, b.obfuscate)).collect();
        for block in store::all(&env.db).await.unwrap() {
            remove(&ctx, block.id).await.unwrap();
        }
        let batches = env.db.round_trips.get();
        assert_eq!(import(&ctx, file.as_bytes()).await.unwrap(), Imported { created: 2, kept: vec![] });
        assert_eq!(env.db.round_trips.get() - batches, 2, "the existing blocks read, then one batch");
        let after: Vec<(String, String, bool, Option<String>, bool)> =
            store::all(&env.db).await.unwrap().into_iter().map(|b| (b.domain, b.severity, b.reject_media, b.public_comment, b.obfuscate)).collect();
        let sorted = |mut v: Vec<_>| {
            v.sort();
            v
        };
        assert_eq!(sorted(after), sorted(before));
        assert!(crate::store::accounts::get_active_by_uri(&env.db, "https://a.evil.example/users/troll").await.unwrap().is_none(), "the suspension applied");
        assert!(standing(&ctx, Some("a.evil.example")).await.unwrap().suspended);

        let again = import(&ctx, b"evil.example\nnew.example\n").await.unwrap();
        assert_eq!(again, Imported { created: 1, kept: vec!["evil.example".into()] }, "what is blocked stays as it was");
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_bad_blocklist_imports_nothing() {
        let env = TestEnv::new();
        let ctx = env.ctx();
        let Err(Error::Invalid(why)) = import(&ctx, b"fine.example\nnot a domain\n").await else { panic!("refused") };
        assert!(why.contains("line 2: not a domain"), "{why}");
        let own = format!("fine.example\n{}\n", ctx.config.host);
        let Err(Error::Invalid(why)) = import(&ctx, own.as_bytes()).await else { panic!("refused") };
        assert!(why.contains("line 2: you cannot block your own domain"), "{why}");
        assert!(store::all(&env.db).await.unwrap().is_empty());
    }

    #[tokio::test(flavor = "current_thread")]
    async fn in_allow_list_mode_only_allowed_servers_and_our_own_federate() {
        let env = TestEnv::new();
        let ctx = env.ctx();
        let friend = allow(&ctx, "https://Friends.Example/").await.unwrap();
        assert_eq!(friend.domain, "friends.example");
        assert_eq!(allow(&ctx, "friends.example").await.unwrap().id, friend.id, "allowing twice is one allow");
        assert!(!standing(&ctx, Some("stranger.example")).await.unwrap().suspended, "the mode is off");
        set_allow_list_mode(&ctx, true).await.unwrap();
        assert!(standing(&ctx, Some("stranger.example")).await.unwrap().suspended);
        assert!(!standing(&ctx, Some("social.friends.example")).await.unwrap().suspended);
        assert!(!standing(&ctx, Some(&ctx.config.host)).await.unwrap().suspended, "our own server always");
        assert!(allow_list(&ctx).await.unwrap().0);
        disallow(&ctx, friend.id).await.unwrap();
        assert!(standing(&ctx, Some("friends.example")).await.unwrap().suspended);
        set_allow_list_mode(&ctx, false).await.unwrap();
        assert!(!standing(&ctx, Some("friends.example")).await.unwrap().suspended);
        assert!(matches!(disallow(&ctx, friend.id).await, Err(Error::NotFound)));
    }
}
