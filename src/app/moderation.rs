//! Instance-level domain blocks: the admin's commands and what federation asks of them. The list
//! (with the accounts the admin suspended, `app::reports`) is read from every path that meets
//! another server (the inbox, fetches, deliveries, stored actors and posts), so each isolate
//! keeps it for `FRESH_MS`; this isolate's own changes take effect at once.
use std::rc::Rc;

use super::error::{Error, Result};
use crate::ctx::Ctx;
use crate::domain::moderation::{self, Block, Policy, Severity, Standing};
use crate::store::db::decode;
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
    let mut answers = ctx.db.batch_rows(&[store::all_query(), crate::store::accounts::locally_suspended_query()]).await?.into_iter();
    let blocks = decode::<BlockRow>(answers.next().unwrap_or_default())?.iter().filter_map(block_of).collect();
    let suspended_actors = decode::<crate::store::accounts::UriRow>(answers.next().unwrap_or_default())?.into_iter().map(|r| r.uri).collect();
    let policy = Rc::new(Policy { blocks, suspended_actors });
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
