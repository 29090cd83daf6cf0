//! Importing the posts of a Mastodon archive (or GoToSocial's, or Topi's own export).
//!
//! The zip is uploaded in chunks of `CHUNK_BYTES` (a request body is at most 100 MB on the free
//! plan), each one part of an R2 multipart upload: resumable (a chunk sent again replaces
//! itself; `chunks` says which arrived), and in the Worker a chunk's body is piped into R2
//! without entering wasm. Once every chunk is in, queue steps (`Task::ArchiveImport`) read it:
//! - `open`: the zip's directory, from its last bytes, into D1 (`archive_import_files`), and
//!   where `outbox.json` starts;
//! - `posts`: `outbox.json` a piece at a time — inflated from one deflate block boundary to the
//!   next (`zip::inflate_some`), its items found (`scan`), up to `POSTS_PER_STEP` posts written
//!   per step in one D1 batch with the step's progress (`ingest`); the bytes read past the last
//!   whole item and the inflater's 32 KiB window wait in R2 for the next step;
//! - `boosts`: the boosts the outbox held, re-linked to their originals: those stored here at
//!   once, a few a step; one not stored is fetched (one a step), and skipped with a record when
//!   it cannot be;
//! - `media`: every file the posts' attachments name, copied from the zip into R2
//!   (`import_files`);
//! - `done`: the uploaded zip and its directory removed.
//!
//! Imported posts are not delivered to anyone, and a post imported before (by its id in the
//! archive) is not imported again. Posts are paced to `POSTS_PER_DAY` (each writes ~12.5 D1
//! rows; the free plan allows 100,000 a day): past it the import waits for the next UTC day.
//!
//! The archive is hostile until read: the directory is bounded (`MAX_ENTRIES`, names without
//! `..`, a total of `MAX_TOTAL_BYTES` inflated, no entry inflating more than `MAX_RATIO` times),
//! the outbox inflates to no more than its directory says, an item longer than `MAX_ITEM_BYTES`
//! stops the import, and an outbox's items past `MAX_ITEMS` are not read. An archive found bad
//! fails the import with the reason (`error`), never retried.
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::import_files as files;
use super::ingest::{self, Outcome};
use super::scan;
use crate::app::error::{Error, Result};
use crate::app::jobs::{self, Task};
use crate::app::{owner, remote};
use crate::ctx::{log_error, Ctx};
use crate::domain::ids;
use crate::domain::time::date;
use crate::domain::zip::{self, Inflate};
use crate::store::archive_imports::{self as store, BoostRow, FileRow, ImportRow, KnownRow};
use crate::store::db::decode;

/// Every chunk but the last is this long (R2 wants equal parts of at least 5 MiB).
pub const CHUNK_BYTES: u64 = 8 * 1024 * 1024;
/// The largest archive taken: what R2's free storage holds.
pub const MAX_ARCHIVE_BYTES: u64 = 10 * 1024 * 1024 * 1024;
/// Posts written per step: each is parsed, its HTML sanitized, and its rows built.
pub const POSTS_PER_STEP: usize = 20;
/// Posts imported per UTC day: ~12.5 D1 rows each (measured, docs/free-plan.md) keeps an
/// import under 40 % of the 100,000 rows the free plan writes a day.
pub const POSTS_PER_DAY: i64 = 3_000;
/// Outbox text inflated per read, and compressed bytes read for it at first.
const INFLATE_WANT: usize = 128 * 1024;
const READ_BYTES: u64 = 64 * 1024;
/// Directory records written per step (a statement each thousand).
const FILES_PER_OPEN_STEP: usize = 5_000;
/// Records kept of what was left out.
const SKIPPED_KEPT: usize = 100;
/// Boosts looked at per step; at most one of them has its original fetched.
const BOOSTS_PER_STEP: i64 = 10;
/// Bounds on what an archive may hold (see the module's doc).
pub const MAX_ENTRIES: usize = 20_000;
const MAX_DIRECTORY_BYTES: u64 = 4 << 20;
pub const MAX_TOTAL_BYTES: u64 = 16 << 30;
/// Deflate cannot do better than ~1032:1; text does 5 to 20, pictures about 1.
pub const MAX_RATIO: u64 = 200;
pub const MAX_ITEM_BYTES: usize = 1 << 20;
pub const MAX_ITEMS: i64 = 200_000;
const MAX_NAME_BYTES: usize = 1024;

/// Where `outbox.json` is in the zip and how far it was read.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct Outbox {
    /// Where its data starts, how it is compressed, its sizes.
    start: u64,
    method: u16,
    compressed_size: u64,
    size: u64,
    consumed: u64,
    num_bits: u8,
    bit_buf: u8,
    produced: u64,
    done: bool,
    /// Past the `[` of `orderedItems`.
    in_items: bool,
    /// The step whose R2 object holds the window and the unread text (`window` + `rest` bytes).
    carry_step: i64,
    window: usize,
    rest: usize,
    /// Compressed bytes to read next time (more after a read that held no whole block).
    read: u64,
}

fn carry_key(row: &ImportRow, step: i64) -> String {
    format!("{}.outbox-{step}", row.r2_key)
}

/// How many chunks an archive of `size` bytes is sent in, and how long chunk `number` is.
pub fn chunk_count(size: u64) -> u64 {
    size.div_ceil(CHUNK_BYTES)
}

pub fn chunk_length(size: u64, number: u64) -> u64 {
    size.saturating_sub((number - 1) * CHUNK_BYTES).min(CHUNK_BYTES)
}

/// The chunks received: (number, etag), in order.
pub fn chunks_of(row: &ImportRow) -> Vec<(u16, String)> {
    let mut chunks: Vec<(u16, String)> = serde_json::from_str(&row.chunks).unwrap_or_default();
    chunks.sort();
    chunks.dedup_by_key(|(n, _)| *n);
    chunks
}

/// A new import of an archive of `size` bytes, waiting for its chunks.
pub async fn create(ctx: &Ctx<'_>, size: u64) -> Result<ImportRow> {
    if !(22..=MAX_ARCHIVE_BYTES).contains(&size) {
        return Err(Error::Invalid(format!("size must be between 22 and {MAX_ARCHIVE_BYTES} bytes")));
    }
    if let Some(running) = store::active(ctx.db).await? {
        // An upload nobody finished in a day is given up; anything else is still going.
        if running.state == "uploading" && ctx.now_ms() - running.updated_at > 24 * 60 * 60 * 1000 {
            give_up(ctx, &running.id.to_string()).await?;
        } else {
            return Err(Error::Invalid(format!("Import {} is not finished yet", running.id)));
        }
    }
    let id = ctx.new_id();
    let key = format!("imports/import-{id}.zip");
    let upload_id = ctx.blobs.create_multipart(&key, "application/zip").await?;
    ctx.db.run(&store::create(id, &key, &upload_id, size as i64, ctx.now_ms())).await?;
    store::get(ctx.db, id).await?.ok_or(Error::NotFound)
}

pub async fn get(ctx: &Ctx<'_>, id: Option<&str>) -> Result<ImportRow> {
    let row = match id {
        Some(id) => store::get(ctx.db, ids::parse(id).ok_or(Error::NotFound)?).await?,
        None => store::latest(ctx.db).await?,
    };
    row.ok_or(Error::NotFound)
}

/// Where chunk `number` of import `id` goes, if it may be sent now with `length` bytes: the
/// R2 key and upload id of the zip.
pub async fn chunk_target(ctx: &Ctx<'_>, id: &str, number: u64, length: Option<u64>) -> Result<(ImportRow, String, String)> {
    let row = get(ctx, Some(id)).await?;
    if row.state != "uploading" {
        return Err(Error::Invalid("The archive is already uploaded".into()));
    }
    let size = row.size as u64;
    if !(1..=chunk_count(size)).contains(&number) {
        return Err(Error::Invalid(format!("chunks are numbered 1 to {}", chunk_count(size))));
    }
    let expected = chunk_length(size, number);
    if length != Some(expected) {
        return Err(Error::Invalid(format!("chunk {number} must be {expected} bytes (Content-Length)")));
    }
    let upload_id = row.upload_id.clone().ok_or(Error::NotFound)?;
    let key = row.r2_key.clone();
    Ok((row, key, upload_id))
}

/// A chunk whose bytes are here (natively, and for bodies the platform did not pipe itself).
pub async fn receive_chunk(ctx: &Ctx<'_>, id: &str, number: u64, bytes: Vec<u8>) -> Result<ImportRow> {
    let (row, key, upload_id) = chunk_target(ctx, id, number, Some(bytes.len() as u64)).await?;
    let etag = ctx.blobs.upload_part(&key, &upload_id, number as u16, bytes).await?;
    chunk_received(ctx, &row, number, &etag).await
}

/// Records a chunk R2 took.
pub async fn chunk_received(ctx: &Ctx<'_>, row: &ImportRow, number: u64, etag: &str) -> Result<ImportRow> {
    ctx.db.run(&store::add_chunk(row.id, number as i64, etag, ctx.now_ms())).await?;
    store::get(ctx.db, row.id).await?.ok_or(Error::NotFound)
}

/// Every chunk is in: the upload is completed and the import queued.
pub async fn finish_upload(ctx: &Ctx<'_>, id: &str) -> Result<ImportRow> {
    let row = get(ctx, Some(id)).await?;
    if row.state != "uploading" {
        return Ok(row);
    }
    let chunks = chunks_of(&row);
    let missing: Vec<u64> = (1..=chunk_count(row.size as u64)).filter(|n| !chunks.iter().any(|(c, _)| u64::from(*c) == *n)).collect();
    if !missing.is_empty() {
        let first: Vec<String> = missing.iter().take(10).map(u64::to_string).collect();
        return Err(Error::Invalid(format!("{} chunks are missing: {}", missing.len(), first.join(", "))));
    }
    let upload_id = row.upload_id.as_deref().unwrap_or_default();
    ctx.blobs.complete_multipart(&row.r2_key, upload_id, &chunks).await.map_err(|e| Error::Invalid(format!("The chunks could not be joined: {e}")))?;
    ctx.db.run(&store::start(row.id, ctx.now_ms())).await?;
    jobs::publish(ctx, Task::ArchiveImport { import_id: row.id.to_string(), step: 0 }).await?;
    store::get(ctx.db, row.id).await?.ok_or(Error::NotFound)
}

/// An import given up (by the queue, or an upload left unfinished): failed, its files removed.
pub async fn give_up(ctx: &Ctx<'_>, id: &str) -> Result<()> {
    match store::get(ctx.db, ids::parse(id).ok_or(Error::NotFound)?).await? {
        Some(row) if matches!(row.state.as_str(), "uploading" | "importing" | "paused") => fail(ctx, &row, "given up").await,
        _ => Ok(()),
    }
}

async fn forget(ctx: &Ctx<'_>, key: &str) {
    if let Err(e) = ctx.blobs.delete(key).await {
        log_error(&format!("import: {key} could not be removed: {e}"));
    }
}

/// One queue task: the next piece of the import. A message for another step than the row's
/// changes nothing. An archive found bad fails the import with the reason: trying again would
/// find it as bad.
pub async fn step(ctx: &Ctx<'_>, import_id: &str, step: i64) -> Result<()> {
    let Some(row) = store::get(ctx.db, ids::parse(import_id).ok_or(Error::NotFound)?).await? else { return Ok(()) };
    if !matches!(row.state.as_str(), "importing" | "paused") || row.step != step {
        return Ok(());
    }
    match run_step(ctx, &row, step).await {
        Err(Error::Invalid(why) | Error::Malformed(why)) => fail(ctx, &row, &why).await,
        other => other,
    }
}

/// Fails an import with `why`, and removes what it kept in R2: the upload, or the zip, the
/// outbox's carried text and a file half inflated.
async fn fail(ctx: &Ctx<'_>, row: &ImportRow, why: &str) -> Result<()> {
    let mut writes = vec![store::fail(row.id, why, ctx.now_ms())];
    writes.extend(store::forget_files(row.id));
    ctx.db.batch(&writes).await?;
    if row.state == "uploading" {
        if let Some(upload_id) = &row.upload_id {
            if let Err(e) = ctx.blobs.abort_multipart(&row.r2_key, upload_id).await {
                log_error(&format!("import: the upload of {} could not be aborted: {e}", row.r2_key));
            }
        }
        return Ok(());
    }
    forget(ctx, &row.r2_key).await;
    if let Some(carried) = serde_json::from_str::<Outbox>(row.outbox.as_deref().unwrap_or("{}")).ok().filter(|o| o.carry_step >= 0) {
        forget(ctx, &carry_key(row, carried.carry_step)).await;
    }
    for key in files::abandon(ctx, row).await {
        forget(ctx, &key).await;
    }
    Ok(())
}

async fn run_step(ctx: &Ctx<'_>, row: &ImportRow, step: i64) -> Result<()> {
    let mut progress = row.clone();
    progress.state = "importing".into();
    let today = date(ctx.now_ms());
    if progress.day.as_deref() != Some(today.as_str()) {
        (progress.day, progress.day_posts) = (Some(today), 0);
    }
    let mut writes = Vec::new();
    let mut after = Vec::new();
    match row.phase.as_str() {
        "open" => open(ctx, row, &mut progress, &mut writes).await?,
        "posts" if progress.day_posts >= POSTS_PER_DAY => progress.state = "paused".into(),
        "posts" => posts(ctx, row, &mut progress, &mut writes, &mut after).await?,
        "boosts" if progress.day_posts >= POSTS_PER_DAY => progress.state = "paused".into(),
        "boosts" => boosts(ctx, row, &mut progress, &mut writes).await?,
        "media" => files::copy(ctx, row, &mut progress, &mut after).await?,
        _ => progress.phase = "done".into(),
    }
    if progress.phase == "done" {
        progress.state = "done".into();
        writes.extend(store::forget_files(row.id));
    }
    writes.insert(0, store::advance(&progress, ctx.now_ms()));
    ctx.db.batch(&writes).await?;
    for key in after {
        forget(ctx, &key).await;
    }
    match progress.state.as_str() {
        "done" => forget(ctx, &row.r2_key).await,
        "paused" => {
            // Until the next UTC day (the queue delays at most 12 hours; it may wait again).
            let left_ms = 86_400_000 - ctx.now_ms().rem_euclid(86_400_000);
            let delay = (left_ms / 1000 + 60).min(12 * 60 * 60) as u32;
            jobs::publish_later(ctx, Task::ArchiveImport { import_id: row.id.to_string(), step: step + 1 }, delay).await?;
        }
        _ => jobs::publish(ctx, Task::ArchiveImport { import_id: row.id.to_string(), step: step + 1 }).await?,
    }
    Ok(())
}

/// The zip's directory into D1 (`FILES_PER_OPEN_STEP` records a step), and where the outbox is.
async fn open(ctx: &Ctx<'_>, row: &ImportRow, progress: &mut ImportRow, writes: &mut Vec<crate::store::db::Query>) -> Result<()> {
    let total = row.size as u64;
    let tail_from = total.saturating_sub(zip::TAIL_BYTES);
    let (tail, _) = ctx.blobs.get_range(&row.r2_key, tail_from, total - tail_from).await?.ok_or(Error::NotFound)?;
    let malformed = |e: zip::ZipError| Error::Invalid(e.to_string());
    let (offset, size, count) = zip::find_directory(&tail, total).map_err(malformed)?;
    if size > MAX_DIRECTORY_BYTES || count > MAX_ENTRIES as u64 {
        return Err(Error::Invalid(format!("The archive holds more than {MAX_ENTRIES} files")));
    }
    let (directory, _) = ctx.blobs.get_range(&row.r2_key, offset, size).await?.ok_or(Error::NotFound)?;
    let entries = admitted(zip::read_directory(&directory).map_err(malformed)?, total)?;
    let first = row.cursor.max(0) as usize;
    let files: Vec<Value> = entries
        .iter()
        .skip(first)
        .take(FILES_PER_OPEN_STEP)
        .map(|e| serde_json::json!([e.name, e.method, e.offset, e.compressed_size, e.size]))
        .collect();
    for chunk in files.chunks(1000) {
        writes.push(store::add_files(row.id, chunk));
    }
    progress.cursor = (first + FILES_PER_OPEN_STEP).min(entries.len()) as i64;
    if (progress.cursor as usize) < entries.len() {
        return Ok(());
    }
    let outbox = entries.iter().find(|e| e.name == "outbox.json").ok_or_else(|| Error::Invalid("This is not a Mastodon archive: it has no outbox.json".into()))?;
    if !matches!(outbox.method, 0 | 8) {
        return Err(Error::Invalid(format!("outbox.json is compressed with method {}, which is not read here", outbox.method)));
    }
    let (header, _) = ctx.blobs.get_range(&row.r2_key, outbox.offset, zip::LOCAL_HEADER_BYTES as u64).await?.ok_or(Error::NotFound)?;
    let start = outbox.offset + zip::data_start(&header).map_err(malformed)?;
    let state = Outbox { start, method: outbox.method, compressed_size: outbox.compressed_size, size: outbox.size, carry_step: -1, read: READ_BYTES, ..Outbox::default() };
    progress.outbox = Some(serde_json::to_string(&state).unwrap_or_default());
    (progress.phase, progress.cursor) = ("posts".into(), 0);
    Ok(())
}

/// The entries of a directory worth recording: files (not folders) with names that are paths
/// within the archive. Refuses the whole archive when it is too large or a bomb.
pub fn admitted(entries: Vec<zip::Entry>, archive_size: u64) -> Result<Vec<zip::Entry>> {
    if entries.len() > MAX_ENTRIES {
        return Err(Error::Invalid(format!("The archive holds more than {MAX_ENTRIES} files")));
    }
    let sane = |name: &str| {
        name.len() <= MAX_NAME_BYTES
            && !name.ends_with('/')
            && !name.starts_with('/')
            && !name.split(['/', '\\']).any(|part| part == "..")
            && !name.chars().any(char::is_control)
    };
    let entries: Vec<zip::Entry> = entries.into_iter().filter(|e| sane(&e.name)).collect();
    let mut total = 0u64;
    for entry in &entries {
        if entry.offset.saturating_add(entry.compressed_size) > archive_size {
            return Err(Error::Invalid(format!("{} lies past the end of the archive", entry.name)));
        }
        if entry.method == 8 && entry.size > (1 << 20) && entry.size / entry.compressed_size.max(1) > MAX_RATIO {
            return Err(Error::Invalid(format!("{} inflates more than {MAX_RATIO} times its size: the archive is refused", entry.name)));
        }
        total = total.saturating_add(entry.size);
    }
    if total > MAX_TOTAL_BYTES {
        return Err(Error::Invalid(format!("The archive's files come to more than {} GiB", MAX_TOTAL_BYTES >> 30)));
    }
    Ok(entries)
}

/// Up to `POSTS_PER_STEP` posts of the outbox, written with the step's progress.
async fn posts(ctx: &Ctx<'_>, row: &ImportRow, progress: &mut ImportRow, writes: &mut Vec<crate::store::db::Query>, after: &mut Vec<String>) -> Result<()> {
    let mut state: Outbox = serde_json::from_str(row.outbox.as_deref().unwrap_or("{}")).map_err(Error::internal)?;
    let (mut window, mut text) = match state.carry_step {
        -1 => (Vec::new(), Vec::new()),
        carried => {
            let key = carry_key(row, carried);
            let (mut bytes, _) = ctx.blobs.get(&key).await?.ok_or_else(|| Error::Internal("the import's carried text is missing".into()))?;
            after.push(key);
            let text = bytes.split_off(state.window.min(bytes.len()));
            (bytes, text)
        }
    };
    let want = (POSTS_PER_DAY - progress.day_posts).clamp(0, POSTS_PER_STEP as i64) as usize;
    let mut items: Vec<Value> = Vec::new();
    let mut ended = false;
    let mut reads = 0;
    loop {
        if !state.in_items {
            if let Some((start, head)) = scan::items_start(&text) {
                progress.posts_total = head.get("totalItems").and_then(Value::as_i64);
                text.drain(..start);
                state.in_items = true;
            }
        }
        if state.in_items {
            let found = scan::items(&text, want - items.len());
            for range in &found.items {
                match serde_json::from_slice::<Value>(&text[range.clone()]) {
                    Ok(item) => items.push(item),
                    Err(e) => skip(progress, "an item", &format!("not JSON: {e}")),
                }
            }
            text.drain(..found.rest);
            ended = found.ended;
        }
        if ended || items.len() >= want {
            break;
        }
        // Every whole item of the text was taken: with nothing more to read, the outbox is over
        // (one cut short ends here too).
        if state.done || (state.method == 0 && state.produced >= state.size) {
            ended = true;
            break;
        }
        if reads >= 8 || text.len() > MAX_ITEM_BYTES {
            break;
        }
        reads += 1;
        text.extend(read_outbox(ctx, row, &mut state, &mut window).await?);
    }
    if items.is_empty() && !ended && text.len() > MAX_ITEM_BYTES {
        return Err(Error::Invalid(format!("outbox.json holds an item longer than {} KiB", MAX_ITEM_BYTES >> 10)));
    }
    let read_before = progress.posts_created + progress.posts_existing + progress.posts_skipped + progress.media_skipped;
    let created = write_posts(ctx, row, progress, &items, writes).await?;
    progress.day_posts += created;
    if !ended && read_before + items.len() as i64 >= MAX_ITEMS {
        skip(progress, "outbox.json", &format!("only its first {MAX_ITEMS} items are read"));
        ended = true;
    }
    if ended {
        progress.phase = "boosts".into();
        progress.cursor = 0;
    } else {
        state.carry_step = row.step;
        (state.window, state.rest) = (window.len(), text.len());
        window.extend_from_slice(&text);
        ctx.blobs.put(&carry_key(row, row.step), window, "application/octet-stream").await?;
    }
    progress.outbox = Some(serde_json::to_string(&state).unwrap_or_default());
    Ok(())
}

/// More of the outbox's text: inflated from the last block boundary (or read as stored).
async fn read_outbox(ctx: &Ctx<'_>, row: &ImportRow, state: &mut Outbox, window: &mut Vec<u8>) -> Result<Vec<u8>> {
    if state.method == 0 {
        let length = (INFLATE_WANT as u64).min(state.size - state.produced);
        let (bytes, _) = ctx.blobs.get_range(&row.r2_key, state.start + state.produced, length).await?.ok_or(Error::NotFound)?;
        state.produced += bytes.len() as u64;
        return Ok(bytes);
    }
    let from = state.consumed;
    let length = state.read.min(state.compressed_size - from);
    let (input, _) = ctx.blobs.get_range(&row.r2_key, state.start + from, length).await?.ok_or(Error::NotFound)?;
    let mut inflate = Inflate { consumed: from, num_bits: state.num_bits, bit_buf: state.bit_buf, window: std::mem::take(window), produced: state.produced, done: false };
    let text = zip::inflate_some(&mut inflate, &input, from + length >= state.compressed_size, INFLATE_WANT).map_err(|e| Error::Invalid(format!("outbox.json: {e}")))?;
    if inflate.produced > state.size {
        return Err(Error::Invalid("outbox.json inflates to more than the archive's directory says".into()));
    }
    (state.consumed, state.num_bits, state.bit_buf, state.produced, state.done) = (inflate.consumed, inflate.num_bits, inflate.bit_buf, inflate.produced, inflate.done);
    *window = inflate.window;
    // A read that held no whole block is read again, longer.
    state.read = if text.is_empty() && !state.done { (state.read * 2).min(8 << 20) } else { READ_BYTES };
    Ok(text)
}

fn skip(progress: &mut ImportRow, item: &str, why: &str) {
    progress.posts_skipped += 1;
    record(progress, item, why);
}

/// Keeps what was left out and why, up to `SKIPPED_KEPT` records.
pub(super) fn record(progress: &mut ImportRow, item: &str, why: &str) {
    let mut skipped: Vec<(String, String)> = serde_json::from_str(&progress.skipped).unwrap_or_default();
    if skipped.len() < SKIPPED_KEPT {
        skipped.push((item.to_string(), why.to_string()));
        progress.skipped = serde_json::to_string(&skipped).unwrap_or_else(|_| "[]".into());
    }
}

/// The posts of `items` as one batch of writes (after the progress, in the step's D1 batch);
/// answers how many were created.
async fn write_posts(ctx: &Ctx<'_>, row: &ImportRow, progress: &mut ImportRow, items: &[Value], writes: &mut Vec<crate::store::db::Query>) -> Result<i64> {
    if items.is_empty() {
        return Ok(0);
    }
    let reads = [store::known(&ingest::sources_and_parents(items)), store::files_named(row.id, &ingest::attachment_paths(items))];
    let mut results = ctx.db.batch_rows(&reads).await?.into_iter();
    let known: Vec<KnownRow> = decode(results.next().unwrap_or_default())?;
    let files: Vec<FileRow> = decode(results.next().unwrap_or_default())?;
    let owner = owner::load(ctx).await?;
    let (batch, outcomes) = ingest::plan(ctx, &owner, items, &known, &files);
    let mut created = 0;
    for (item, outcome) in outcomes {
        match outcome {
            Outcome::Created => created += 1,
            Outcome::Deferred => {}
            Outcome::Existing => progress.posts_existing += 1,
            Outcome::Skipped(why) if item.contains(' ') => {
                progress.media_skipped += 1;
                record(progress, &item, &why);
            }
            Outcome::Skipped(why) => skip(progress, &item, &why),
        }
    }
    progress.posts_created += created;
    if !batch.is_empty() {
        writes.extend(batch.queries(owner.account.id, row.id, ctx.now_ms()));
        owner::invalidate(ctx);
    }
    Ok(created)
}

/// Boosts, re-linked to their originals in the archive's order: those whose original is
/// stored here (imported, or known) set-wise, and at most one original fetched a step.
async fn boosts(ctx: &Ctx<'_>, row: &ImportRow, progress: &mut ImportRow, writes: &mut Vec<crate::store::db::Query>) -> Result<()> {
    let pending: Vec<BoostRow> = decode(ctx.db.rows(&store::boosts_after(row.id, progress.cursor, BOOSTS_PER_STEP)).await?)?;
    if pending.is_empty() {
        (progress.phase, progress.cursor) = ("media".into(), 0);
        return Ok(());
    }
    let objects: Vec<String> = pending.iter().map(|b| b.object.clone()).collect();
    let known: Vec<KnownRow> = decode(ctx.db.rows(&store::known(&objects)).await?)?;
    let owner = owner::load(ctx).await?;
    let mut linked = Vec::new();
    let mut fetched = false;
    for boost in pending {
        let original = match known.iter().find(|k| k.source == boost.object) {
            Some(k) => Ok((k.status_id, true)),
            None if fetched => break,
            None => {
                fetched = true;
                match remote::posts::resolve_post(ctx, &boost.object, None).await {
                    Ok(Some(status)) => Ok((status.id, status.visibility.is_public_to_anyone() || status.account_id == owner.account.id)),
                    Ok(None) => Err("its original is gone".to_string()),
                    Err(e) => Err(format!("its original could not be fetched: {e}")),
                }
            }
        };
        match original {
            Ok((id, true)) => {
                linked.push(serde_json::json!([boost.status_id.to_string(), boost.source, boost.visibility, boost.created_at, id.to_string()]));
                progress.posts_created += 1;
                progress.day_posts += 1;
            }
            Ok((_, false)) => skip(progress, &boost.source, "its original is not public"),
            Err(why) => skip(progress, &boost.source, &why),
        }
        progress.cursor = boost.status_id;
    }
    if !linked.is_empty() {
        writes.extend(store::boosts(owner.account.id, &linked));
        owner::invalidate(ctx);
    }
    Ok(())
}
