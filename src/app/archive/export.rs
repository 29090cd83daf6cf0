//! Writing the archive: `request` starts an export (one at a time) and queues its first step;
//! each `step` (a queue task) loads where the last one stopped, writes what one invocation of the
//! free plan allows (`STEP_UNITS`, measured as posts rendered and bytes copied), uploads every
//! full part, keeps the rest in R2 for the next step, saves its progress and queues the next.
//! The last step writes the zip's directory, uploads the last part and completes the upload.
//!
//! A step reads and writes the same things however often it runs: a retried step starts again
//! from the saved row, the pending bytes of the step before (kept under their step's number until
//! the row moved on) and the same part numbers, which R2 replaces.
use serde_json::{json, Value};

use super::items::{activities, actor, collection_start, extension, stored_key};
use super::writer::{Open, Writer};
use super::{context, media_path};
use crate::app::error::{Error, Result};
use crate::app::jobs::{self, Task};
use crate::app::owner::{self, Owner};
use crate::ctx::{log_error, Ctx};
use crate::domain::ids;
use crate::domain::time::iso8601;
use crate::domain::zip::{self, DosTime};
use crate::store::archives::{self as store, ExportRow, FileRow, MarkedRow, NewExport, Progress};
use crate::store::db::decode;
use crate::store::statuses::{self, StatusRow};

/// What one step may spend, in units of about 0.1 ms of Worker CPU: a post rendered is one, and
/// so are `BYTES_PER_UNIT` bytes copied from R2 (their CRC runs at about 1 GB/s in wasm).
/// Fifty keep a step near 5 ms, half the free plan's 10 ms per invocation.
pub const STEP_UNITS: u64 = 50;
pub const BYTES_PER_UNIT: u64 = 64 * 1024;
/// Posts rendered per D1 read (at most a step's units).
const POSTS_PER_READ: i64 = 50;
/// Favourites or bookmarks per read, and what they cost: a URI in a list is cheap.
const MARKS_PER_READ: i64 = 1000;
const MARKS_PER_UNIT: u64 = 50;
const FILES_PER_READ: i64 = 50;
/// Directory records per read.
const RECORDS_PER_READ: i64 = 2000;
const RECORDS_PER_UNIT: u64 = 100;
/// D1 statements and R2 reads one step may spend on its work, whatever its units: D1 allows 50
/// queries per invocation, and a step needs a few more to load and save itself.
const CALLS_PER_STEP: u32 = 24;
/// What a page of the outbox costs in statements: the page, then what its posts refer to.
const OUTBOX_CALLS: u32 = 7;
/// An export that made no progress for this long is given up when another is requested.
const STALLED_MS: i64 = 60 * 60 * 1000;
/// Finished archives are removed after a week, as Mastodon removes its backups.
pub const KEPT_MS: i64 = 7 * 24 * 60 * 60 * 1000;

/// The R2 key of the bytes a step left after its last full part.
fn pending_key(row: &ExportRow, step: i64) -> String {
    format!("{}.pending-{step}", row.r2_key)
}

/// The running export, or a new one: its row is written and its first step queued.
pub async fn request(ctx: &Ctx<'_>) -> Result<ExportRow> {
    let now = ctx.now_ms();
    if let Some(latest) = store::latest(ctx.db).await? {
        if latest.state == "running" && now - latest.updated_at < STALLED_MS {
            return Ok(latest);
        }
        if latest.state == "running" {
            ctx.db.batch(&store::fail(latest.id, "stalled", now)).await?;
        }
    }
    let owner = owner::account(ctx).await?;
    let id = ctx.new_id();
    let stamp: String = iso8601(now).chars().filter(char::is_ascii_digit).take(14).collect();
    let r2_key = format!("archives/archive-{stamp}-{id}.zip");
    let upload_id = ctx.blobs.create_multipart(&r2_key, "application/zip").await?;
    let total = store::count_statuses(ctx.db, owner.id).await?;
    ctx.db.run(&store::create(&NewExport { id, r2_key: &r2_key, upload_id: &upload_id, statuses_total: total, now })).await?;
    jobs::publish(ctx, Task::ArchiveExport { archive_id: id.to_string(), step: 0 }).await?;
    store::get(ctx.db, id).await?.ok_or(Error::NotFound)
}

pub async fn get(ctx: &Ctx<'_>, id: Option<&str>) -> Result<ExportRow> {
    let row = match id {
        Some(id) => store::get(ctx.db, ids::parse(id).ok_or(Error::NotFound)?).await?,
        None => store::latest(ctx.db).await?,
    };
    row.ok_or(Error::NotFound)
}

/// The finished archive: its R2 key, size and file name.
pub async fn download(ctx: &Ctx<'_>, id: &str) -> Result<(String, u64, String)> {
    let row = get(ctx, Some(id)).await?;
    if row.state != "done" {
        return Err(Error::NotFound);
    }
    let name = row.r2_key.rsplit('/').next().unwrap_or("archive.zip").to_string();
    Ok((row.r2_key, row.size.unwrap_or(0) as u64, name))
}

/// One queue task: the next piece of the archive. A message for another step than the row's
/// (a duplicate, or one for an export given up) changes nothing.
pub async fn step(ctx: &Ctx<'_>, archive_id: &str, step: i64) -> Result<()> {
    let Some(row) = store::get(ctx.db, ids::parse(archive_id).ok_or(Error::NotFound)?).await? else { return Ok(()) };
    if row.state != "running" || row.step != step {
        return Ok(());
    }
    let pending = match row.pending {
        0 => Vec::new(),
        _ => ctx.blobs.get(&pending_key(&row, step - 1)).await?.ok_or_else(|| Error::Internal("the archive's pending bytes are missing".into()))?.0,
    };
    let mut state = State::of(&row)?;
    let mut out = Writer::new(pending, row.parts as u64, DosTime::from_unix_ms(row.created_at));
    let owner = owner::load(ctx).await?;
    while !state.spent() && state.phase != Phase::Done {
        state.work(ctx, &owner, &row, &mut out).await?;
    }
    let mut parts = Vec::new();
    while let Some(part) = out.take_part() {
        let number = (row.parts as usize + parts.len() + 1) as u16;
        parts.push((number, upload_part(ctx, &row, number, part).await?));
    }
    if state.phase == Phase::Done {
        return finish(ctx, &row, &state, out, parts).await;
    }
    let entries = row.entries + out.finished.len() as i64;
    if !out.pending.is_empty() {
        ctx.blobs.put(&pending_key(&row, step), out.pending.clone(), "application/octet-stream").await?;
    }
    let mut saves = vec![store::advance(&Progress {
        id: row.id,
        step,
        phase: state.phase.name(),
        cursor: state.cursor,
        entry: state.open.as_ref().map(|open| serde_json::to_string(open).unwrap_or_default()),
        parts: row.parts + parts.len() as i64,
        pending: out.pending.len() as i64,
        entries,
        statuses_done: state.statuses_done,
        media_done: state.media_done,
        now: ctx.now_ms(),
    })];
    if !out.finished.is_empty() {
        saves.push(store::add_entries(row.id, row.entries + 1, &out.finished));
    }
    if !parts.is_empty() {
        saves.push(store::add_parts(row.id, &parts));
    }
    ctx.db.batch(&saves).await?;
    if row.pending > 0 {
        forget(ctx, &pending_key(&row, step - 1)).await;
    }
    jobs::publish(ctx, Task::ArchiveExport { archive_id: row.id.to_string(), step: step + 1 }).await
}

async fn upload_part(ctx: &Ctx<'_>, row: &ExportRow, number: u16, bytes: Vec<u8>) -> Result<String> {
    let upload_id = row.upload_id.as_deref().ok_or_else(|| Error::Internal("the archive has no upload".into()))?;
    Ok(ctx.blobs.upload_part(&row.r2_key, upload_id, number, bytes).await?)
}

/// The last step: the last part, the upload completed, and every older archive removed.
async fn finish(ctx: &Ctx<'_>, row: &ExportRow, state: &State, mut out: Writer, mut parts: Vec<(u16, String)>) -> Result<()> {
    let size = out.position();
    if !out.pending.is_empty() {
        let number = (row.parts as usize + parts.len() + 1) as u16;
        let last = std::mem::take(&mut out.pending);
        parts.push((number, upload_part(ctx, row, number, last).await?));
    }
    let mut all = store::parts(ctx.db, row.id).await?;
    all.retain(|(number, _)| !parts.iter().any(|(n, _)| n == number));
    all.extend(parts);
    all.sort();
    let upload_id = row.upload_id.as_deref().unwrap_or_default();
    ctx.blobs.complete_multipart(&row.r2_key, upload_id, &all).await?;
    let entries = row.entries + out.finished.len() as i64;
    ctx.db.batch(&store::finish(row.id, row.step, size as i64, entries, state.statuses_done, state.media_done, ctx.now_ms())).await?;
    if row.pending > 0 {
        forget(ctx, &pending_key(row, row.step - 1)).await;
    }
    for older in store::others(ctx.db, row.id).await? {
        remove(ctx, &older).await?;
    }
    Ok(())
}

/// An export and what it left in R2: the archive, an unfinished upload, pending bytes.
async fn remove(ctx: &Ctx<'_>, row: &ExportRow) -> Result<()> {
    match (row.state.as_str(), &row.upload_id) {
        ("done", _) => forget(ctx, &row.r2_key).await,
        (_, Some(upload_id)) => {
            if let Err(e) = ctx.blobs.abort_multipart(&row.r2_key, upload_id).await {
                log_error(&format!("archive {}: aborting its upload: {e}", row.id));
            }
        }
        _ => {}
    }
    if row.pending > 0 {
        forget(ctx, &pending_key(row, row.step - 1)).await;
    }
    Ok(ctx.db.batch(&store::remove(row.id)).await?)
}

/// Removes an R2 object that is no longer needed; one left behind costs storage, not data.
async fn forget(ctx: &Ctx<'_>, key: &str) {
    if let Err(e) = ctx.blobs.delete(key).await {
        log_error(&format!("archive: {key} could not be removed: {e}"));
    }
}

/// An export whose queue task was given up: failed, with what it left in R2 removed.
pub async fn give_up(ctx: &Ctx<'_>, archive_id: &str) -> Result<()> {
    let Some(row) = store::get(ctx.db, ids::parse(archive_id).ok_or(Error::NotFound)?).await? else { return Ok(()) };
    if row.state == "running" {
        ctx.db.batch(&store::fail(row.id, "the queue gave up on a step", ctx.now_ms())).await?;
        let failed = ExportRow { state: "failed".into(), ..row };
        remove_files(ctx, &failed).await;
    }
    Ok(())
}

async fn remove_files(ctx: &Ctx<'_>, row: &ExportRow) {
    if let Some(upload_id) = &row.upload_id {
        let _ = ctx.blobs.abort_multipart(&row.r2_key, upload_id).await;
    }
    if row.pending > 0 {
        forget(ctx, &pending_key(row, row.step - 1)).await;
    }
}

/// The cron: archives finished a week ago are removed (a few per run).
pub async fn expire(ctx: &Ctx<'_>) -> Result<usize> {
    let old = store::finished_before(ctx.db, ctx.now_ms() - KEPT_MS).await?;
    for row in &old {
        remove(ctx, row).await?;
    }
    Ok(old.len())
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Outbox,
    Media,
    Likes,
    Bookmarks,
    Avatar,
    Header,
    Actor,
    Directory,
    Done,
}

const PHASES: [(Phase, &str); 9] = [
    (Phase::Outbox, "outbox"),
    (Phase::Media, "media"),
    (Phase::Likes, "likes"),
    (Phase::Bookmarks, "bookmarks"),
    (Phase::Avatar, "avatar"),
    (Phase::Header, "header"),
    (Phase::Actor, "actor"),
    (Phase::Directory, "directory"),
    (Phase::Done, "done"),
];

impl Phase {
    fn name(self) -> &'static str {
        PHASES.iter().find(|(p, _)| *p == self).map_or("done", |(_, n)| n)
    }

    fn parse(name: &str) -> Option<Phase> {
        PHASES.iter().find(|(_, n)| *n == name).map(|(p, _)| *p)
    }

    fn next(self) -> Phase {
        let at = PHASES.iter().position(|(p, _)| *p == self).unwrap_or(PHASES.len() - 1);
        PHASES[(at + 1).min(PHASES.len() - 1)].0
    }
}

/// Where the export is, and what this step has spent.
struct State {
    phase: Phase,
    cursor: i64,
    open: Option<Open>,
    statuses_total: i64,
    statuses_done: i64,
    media_done: i64,
    entries_before: i64,
    units: u64,
    calls: u32,
}

impl State {
    fn of(row: &ExportRow) -> Result<State> {
        let open = match &row.entry {
            Some(text) => Some(serde_json::from_str(text).map_err(Error::internal)?),
            None => None,
        };
        Ok(State {
            phase: Phase::parse(&row.phase).ok_or_else(|| Error::Internal(format!("unknown archive phase {}", row.phase).into()))?,
            cursor: row.cursor,
            open,
            statuses_total: row.statuses_total,
            statuses_done: row.statuses_done,
            media_done: row.media_done,
            entries_before: row.entries,
            units: 0,
            calls: 0,
        })
    }

    fn spent(&self) -> bool {
        self.units >= STEP_UNITS || self.calls >= CALLS_PER_STEP
    }

    fn left(&self) -> u64 {
        STEP_UNITS.saturating_sub(self.units).max(1)
    }

    /// The phase is over: the next one starts from its beginning.
    fn next_phase(&mut self) {
        self.phase = self.phase.next();
        self.cursor = 0;
        self.open = None;
    }

    /// One piece of work of the current phase.
    async fn work(&mut self, ctx: &Ctx<'_>, owner: &Owner, row: &ExportRow, out: &mut Writer) -> Result<()> {
        match self.phase {
            Phase::Outbox => self.outbox(ctx, owner, out).await,
            Phase::Media => self.media(ctx, owner, out).await,
            Phase::Likes | Phase::Bookmarks => self.marks(ctx, owner, out).await,
            Phase::Avatar | Phase::Header => {
                let url = if self.phase == Phase::Avatar { &owner.account.avatar_remote_url } else { &owner.account.header_remote_url };
                let base = if self.phase == Phase::Avatar { "avatar" } else { "header" };
                match url.as_deref().and_then(|u| stored_key(ctx, u)) {
                    Some(key) => {
                        let name = format!("{base}.{}", extension(&key));
                        if self.copy(ctx, out, &name, &key, None).await? {
                            self.next_phase();
                        }
                    }
                    None => self.next_phase(),
                }
                Ok(())
            }
            Phase::Actor => {
                out.whole("actor.json", actor(ctx, owner)?.to_string().as_bytes());
                self.next_phase();
                // The directory is read from D1, where this step's entries are not yet.
                self.units = STEP_UNITS;
                Ok(())
            }
            Phase::Directory => self.directory(ctx, row, out).await,
            Phase::Done => Ok(()),
        }
    }

    /// A page of posts into `outbox.json`.
    async fn outbox(&mut self, ctx: &Ctx<'_>, owner: &Owner, out: &mut Writer) -> Result<()> {
        let mut open = match self.open.take() {
            Some(open) => open,
            None => {
                let mut open = out.open("outbox.json");
                let head = json!({"@context": context(), "id": "outbox.json", "type": "OrderedCollection", "totalItems": self.statuses_total});
                out.append(&mut open, collection_start(&head).as_bytes());
                open
            }
        };
        let limit = POSTS_PER_READ.min(self.left() as i64);
        self.calls += OUTBOX_CALLS;
        let rows: Vec<StatusRow> = decode(ctx.db.rows(&statuses::archive::written_after_query(owner.account.id, self.cursor, limit)).await?)?;
        let items = activities(ctx, owner, &rows).await?;
        for item in &items {
            if open.items > 0 {
                out.append(&mut open, b",");
            }
            out.append(&mut open, item.to_string().as_bytes());
            open.items += 1;
        }
        self.units += rows.len() as u64;
        self.statuses_done += rows.len() as i64;
        self.cursor = rows.last().map_or(self.cursor, |r| r.id);
        if (rows.len() as i64) < limit {
            out.append(&mut open, b"]}");
            out.close(open);
            self.next_phase();
        } else {
            self.open = Some(open);
        }
        Ok(())
    }

    /// The stored files of the posts, each at its `media_path`, one piece at a time.
    async fn media(&mut self, ctx: &Ctx<'_>, owner: &Owner, out: &mut Writer) -> Result<()> {
        if let Some(open) = self.open.clone() {
            // A file begun by an earlier step.
            let key = open.file.clone().unwrap_or_default();
            if self.copy(ctx, out, &open.name, &key, None).await? {
                self.media_done += 1;
            }
            return Ok(());
        }
        self.calls += 1;
        let files: Vec<FileRow> = decode(ctx.db.rows(&store::files_after(owner.account.id, self.cursor, FILES_PER_READ)).await?)?;
        if files.is_empty() {
            self.next_phase();
            return Ok(());
        }
        for file in files {
            if self.spent() {
                break;
            }
            let name = media_path(file.id, &file.r2_key);
            self.cursor = file.id;
            if self.copy(ctx, out, &name, &file.r2_key, file.file_size.map(|s| s as u64)).await? {
                self.media_done += 1;
            } else {
                break;
            }
        }
        Ok(())
    }

    /// Copies (more of) the stored file `key` into the entry `name`, as far as the step's units
    /// go: whole when it fits, else through an open entry. Answers whether the file is done
    /// (copied, or missing from R2 and left out).
    async fn copy(&mut self, ctx: &Ctx<'_>, out: &mut Writer, name: &str, key: &str, size: Option<u64>) -> Result<bool> {
        let budget = self.left() * BYTES_PER_UNIT;
        self.calls += 1;
        if self.open.is_none() && size.is_some_and(|s| s <= budget) {
            let Some((bytes, _)) = ctx.blobs.get(key).await? else { return Ok(missing(key)) };
            self.units += (bytes.len() as u64).div_ceil(BYTES_PER_UNIT).max(1);
            out.whole(name, &bytes);
            return Ok(true);
        }
        let mut open = match self.open.take() {
            Some(open) => open,
            None => {
                let total = match size {
                    Some(size) => size,
                    None => match ctx.blobs.size(key).await? {
                        Some(size) => size,
                        None => return Ok(missing(key)),
                    },
                };
                let mut open = out.open(name);
                (open.file, open.file_size) = (Some(key.to_string()), total);
                open
            }
        };
        if open.size < open.file_size {
            let Some((bytes, total)) = ctx.blobs.get_range(key, open.size, budget).await? else { return Ok(missing(key)) };
            self.units += (bytes.len() as u64).div_ceil(BYTES_PER_UNIT).max(1);
            // R2's size wins over the row's; a file that shrank under us ends where it ends.
            open.file_size = if bytes.is_empty() { open.size } else { total };
            out.append(&mut open, &bytes);
        }
        if open.size >= open.file_size {
            out.close(open);
            return Ok(true);
        }
        self.open = Some(open);
        self.units = STEP_UNITS;
        Ok(false)
    }

    /// A page of `likes.json` or `bookmarks.json`: the URIs of the posts, oldest mark first.
    async fn marks(&mut self, ctx: &Ctx<'_>, owner: &Owner, out: &mut Writer) -> Result<()> {
        let name = if self.phase == Phase::Likes { "likes.json" } else { "bookmarks.json" };
        let mut open = match self.open.take() {
            Some(open) => open,
            None => {
                let mut open = out.open(name);
                let head = json!({"@context": crate::activitypub::ACTIVITYSTREAMS, "id": name, "type": "OrderedCollection"});
                out.append(&mut open, collection_start(&head).as_bytes());
                open
            }
        };
        let query = match self.phase {
            Phase::Likes => store::favourites_after(owner.account.id, self.cursor, MARKS_PER_READ),
            _ => store::bookmarks_after(owner.account.id, self.cursor, MARKS_PER_READ),
        };
        self.calls += 1;
        let rows: Vec<MarkedRow> = decode(ctx.db.rows(&query).await?)?;
        for row in &rows {
            if open.items > 0 {
                out.append(&mut open, b",");
            }
            out.append(&mut open, Value::from(row.uri.as_str()).to_string().as_bytes());
            open.items += 1;
        }
        self.units += (rows.len() as u64).div_ceil(MARKS_PER_UNIT).max(1);
        self.cursor = rows.last().map_or(self.cursor, |r| r.id);
        if (rows.len() as i64) < MARKS_PER_READ {
            out.append(&mut open, b"]}");
            out.close(open);
            self.next_phase();
        } else {
            self.open = Some(open);
        }
        Ok(())
    }

    /// The central directory, from the records saved by every step, then the end records.
    /// `open.offset` is where the directory starts, `cursor` the last record written.
    async fn directory(&mut self, ctx: &Ctx<'_>, row: &ExportRow, out: &mut Writer) -> Result<()> {
        let start = self.open.as_ref().map_or_else(|| out.position(), |o| o.offset);
        self.calls += 1;
        let records = store::entries(ctx.db, row.id, self.cursor, RECORDS_PER_READ).await?;
        for (seq, entry) in &records {
            out.pending.extend(zip::central_record(entry, out.time));
            self.cursor = *seq;
        }
        self.units += (records.len() as u64).div_ceil(RECORDS_PER_UNIT).max(1);
        if (records.len() as i64) < RECORDS_PER_READ {
            let count = self.entries_before as u64;
            out.pending.extend(zip::end_records(count, start, out.position() - start));
            self.open = None;
            self.phase = Phase::Done;
        } else {
            self.open = Some(Open { offset: start, ..Open::default() });
        }
        Ok(())
    }
}

fn missing(key: &str) -> bool {
    log_error(&format!("archive: {key} is not in R2; left out"));
    true
}
