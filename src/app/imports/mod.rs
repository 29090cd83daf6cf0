//! Importing Mastodon's CSV files (follows, blocks, mutes, blocked domains, bookmarks, lists) and
//! the variants other software writes (`formats`), with Mastodon's two modes: *merge* adds what
//! the file names; *overwrite* first removes what it leaves out (follows are undone, blocks
//! lifted, with the Undo sent), then adds the rest.
//!
//! The upload (`start`) parses and checks the whole file, stores every row, and queues the first
//! `Task::ImportBatch`; nothing else happens in the request. Each batch (`batch::run`, one queue
//! message) then takes the next rows: accounts are resolved (WebFinger and the actor, at most
//! `batch::LOOKUPS_PER_BATCH` fetched per batch), relationships written set-wise, the Follow and
//! Block activities stored and their deliveries queued, and the next batch queued, all inside
//! the free plan's per-invocation limits. A row that fails keeps why (never skipped silently);
//! a row that succeeds is deleted, as Mastodon deletes its rows, and the failures can be read
//! and downloaded as a file of the same format, ready to import again.
//!
//! Imports go at most `ROWS_PER_DAY` rows a day: a follow of an account never seen costs 4.5
//! queue operations (its share of a batch message, and its own delivery message; the free plan
//! has 10,000 a day) and 13 D1 rows written, and an import must not spend the budget the
//! instance needs to federate. Past the pace, the batch waits an hour and looks again.
//! docs/free-plan.md has the figures.
pub mod formats;
mod batch;

use serde::Serialize;

use super::error::{Error, Result};
use super::jobs::{self, Task};
use crate::ctx::Ctx;
use crate::domain::ids;
use crate::store::imports::{self as store, Import, NewItem};

pub use batch::{give_up, run};
pub use formats::{Kind, RowData};

/// Rows an instance imports in a day at most (domain blocks, which cost neither queue
/// operations nor lookups, are not counted).
pub const ROWS_PER_DAY: i64 = 1_000;
const PACE_KEY: &str = "imports:rows";
const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// An upload, checked by the surface for its scope.
pub struct NewImport<'a> {
    pub kind: Kind,
    pub overwrite: bool,
    pub filename: &'a str,
    pub bytes: &'a [u8],
}

/// The names this server answers to, the handle domain first: rows naming them are ours.
pub fn local_domains<'a>(ctx: &'a Ctx<'_>) -> [&'a str; 2] {
    [ctx.config.handle_domain.as_str(), ctx.config.host.as_str()]
}

/// Parses, checks and stores an upload, and queues its first batch. A file Mastodon would
/// refuse (empty, another kind's columns, too many rows) is `Invalid`.
pub async fn start(ctx: &Ctx<'_>, owner: i64, new: NewImport<'_>) -> Result<Import> {
    let parsed = formats::parse(new.kind, new.bytes, new.filename, &local_domains(ctx)).map_err(|e| Error::Invalid(e.to_string()))?;
    let id = ctx.new_id();
    let items: Vec<NewItem> = parsed
        .rows
        .iter()
        .map(|row| NewItem {
            line: row.line,
            key: &row.key,
            data: serde_json::to_string(&row.data).unwrap_or_else(|_| "{}".into()),
            error: row.error.as_deref(),
        })
        .collect();
    let filename: String = new.filename.chars().take(255).collect();
    let import = store::NewImport {
        id,
        owner,
        kind: new.kind.as_str(),
        overwrite: new.overwrite,
        filename: &filename,
        likely_mismatched: parsed.likely_mismatched,
        now: ctx.now_ms(),
    };
    ctx.db.batch(&store::create(&import, &items)).await?;
    jobs::publish(ctx, Task::ImportBatch { import_id: id.to_string() }).await?;
    get(ctx, owner, &id.to_string()).await
}

pub async fn get(ctx: &Ctx<'_>, owner: i64, id: &str) -> Result<Import> {
    let id = ids::parse(id).ok_or(Error::NotFound)?;
    store::get(ctx.db, owner, id).await?.ok_or(Error::NotFound)
}

/// The owner's latest imports, newest first.
pub async fn list(ctx: &Ctx<'_>, owner: i64, limit: i64) -> Result<Vec<Import>> {
    Ok(store::list(ctx.db, owner, limit).await?)
}

/// A row that failed, as the owner reads it.
#[derive(Clone, Debug, Serialize)]
pub struct Failure {
    pub line: i64,
    pub data: RowData,
    pub error: String,
}

/// The first `limit` rows that failed, in the file's order.
pub async fn failures(ctx: &Ctx<'_>, import: &Import, limit: i64) -> Result<Vec<Failure>> {
    let rows = store::failures(ctx.db, import.id, 0, limit).await?;
    Ok(rows
        .into_iter()
        .map(|row| Failure { line: row.line, data: serde_json::from_str(&row.data).unwrap_or_default(), error: row.error.unwrap_or_default() })
        .collect())
}

/// Failures read per query when they are written out as a file.
const FAILURES_PAGE: i64 = 1_000;

/// Every row that failed, as Mastodon's failures file of the import's kind (`failures.csv`),
/// which can be imported again: pages of `FAILURES_PAGE`, `formats::MAX_ROWS` rows in all.
pub async fn failures_csv(ctx: &Ctx<'_>, import: &Import) -> Result<(Kind, String)> {
    let kind = Kind::parse(&import.kind).ok_or(Error::NotFound)?;
    let mut out = String::new();
    formats::write_header(&mut out, kind);
    let mut after = 0;
    loop {
        let rows = store::failures(ctx.db, import.id, after, FAILURES_PAGE).await?;
        for row in &rows {
            formats::write_row(&mut out, kind, &serde_json::from_str(&row.data).unwrap_or_default());
        }
        match rows.last() {
            Some(last) if rows.len() as i64 == FAILURES_PAGE => after = last.position,
            _ => return Ok((kind, out)),
        }
    }
}

/// Forgets an import; a batch still queued for it finds nothing and stops.
pub async fn delete(ctx: &Ctx<'_>, owner: i64, id: &str) -> Result<()> {
    let import = get(ctx, owner, id).await?;
    ctx.db.batch(&store::delete(owner, import.id)).await?;
    Ok(())
}

#[cfg(test)]
mod tests;
