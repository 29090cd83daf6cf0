//! Writing the archive: `request` starts an export (one at a time) and queues its first step;
//! each `step` (a queue task) loads where the last one stopped, writes what one invocation of the
//! free plan allows (`STEP_UNITS`, measured as posts rendered and bytes copied), saves its
//! progress and queues the next. The last step writes the zip's directory, uploads the last part
//! and completes the upload.
//!
//! Bytes not yet in an uploaded part are kept in R2 between steps, in order: sealed segments
//! (what steps wrote, once more than `CARRY_BYTES` had gathered; the first may be partly used),
//! then the carry (fewer bytes, read and written again by the next step). Moving bytes between
//! wasm and R2 is what a step spends most on (measured: a step that carried 4 MiB spent ~2.5 ms
//! on it, and as much again collecting the buffers' garbage), so a byte of the zip is written to
//! R2 once, in a segment, and R2 itself joins segments into parts (`Blobs::upload_part_from`):
//! a step that finds a part's worth sealed only uploads that part.
//!
//! A step reads and writes the same things however often it runs: a retried step starts again
//! from the saved row; what it writes is named by its step number (R2 replaces it), parts by
//! their number (R2 replaces them too); what it used up is removed only once the row moved on.
use serde::{Deserialize, Serialize};

use super::phases::{Phase, State};
use super::writer::Writer;
use super::PART_BYTES;
use crate::app::error::{Error, Result};
use crate::app::jobs::{self, Task};
use crate::app::owner;
use crate::ctx::{log_error, Ctx};
use crate::domain::ids;
use crate::domain::time::iso8601;
use crate::domain::zip::DosTime;
use crate::store::archives::{self as store, ExportRow, NewExport, Progress};

/// What one step may spend on its work, in units of about 0.1 ms of Worker CPU: a post read and
/// rendered is two, and so are `2 × BYTES_PER_UNIT` bytes copied from R2 (read into wasm, their
/// CRC, written out again in a segment). Measured per step (bench/invocation-cpu.sh): loading,
/// saving and queuing the next step add about 1.5 ms, and a step stays near 6 ms of the free
/// plan's 10.
pub const STEP_UNITS: u64 = 50;
pub const BYTES_PER_UNIT: u64 = 32 * 1024;
/// Bytes a step leaves for the next one to carry on; more are sealed in a segment.
pub const CARRY_BYTES: usize = 512 * 1024;
/// An export that made no progress for this long is given up when another is requested.
const STALLED_MS: i64 = 60 * 60 * 1000;
/// Finished archives are removed after a week, as Mastodon removes its backups.
pub const KEPT_MS: i64 = 7 * 24 * 60 * 60 * 1000;

/// Bytes `start..start + len` of the segment a step sealed (`seq`: its step number).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Segment(i64, u64, u64);

fn carry_key(row: &ExportRow, step: i64) -> String {
    format!("{}.carry-{step}", row.r2_key)
}

fn segment_key(row: &ExportRow, seq: i64) -> String {
    format!("{}.segment-{seq}", row.r2_key)
}

fn segments_of(row: &ExportRow) -> Result<Vec<Segment>> {
    serde_json::from_str(&row.segments).map_err(Error::internal)
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
    let mut segments = segments_of(&row)?;
    let sealed: u64 = segments.iter().map(|s| s.2).sum();
    let mut state = State::of(&row)?;
    if sealed >= PART_BYTES as u64 {
        // The segments hold a part: only that part this step, the carry left where it is.
        let (part, rest) = cut(&segments, PART_BYTES as u64);
        let number = row.parts as u16 + 1;
        let etag = upload_segments(ctx, &row, number, &part).await?;
        let saves = [
            store::advance(&Progress {
                segments: serde_json::to_string(&rest).unwrap_or_else(|_| "[]".into()),
                parts: row.parts + 1,
                ..Progress::unchanged(&row, state.phase.name(), ctx.now_ms())
            }),
            store::add_parts(row.id, &[(number, etag)]),
        ];
        ctx.db.batch(&saves).await?;
        for Segment(seq, ..) in part {
            if !rest.iter().any(|r| r.0 == seq) {
                forget(ctx, &segment_key(&row, seq)).await;
            }
        }
        return jobs::publish(ctx, Task::ArchiveExport { archive_id: row.id.to_string(), step: step + 1 }).await;
    }
    let carry = match row.pending {
        0 => Vec::new(),
        _ => ctx.blobs.get(&carry_key(&row, row.carry_step)).await?.ok_or_else(|| Error::Internal("the archive's carried bytes are missing".into()))?.0,
    };
    let base = row.parts as u64 * PART_BYTES as u64 + sealed;
    let mut out = Writer::new(carry, base, DosTime::from_unix_ms(row.created_at));
    {
        let owner = owner::load(ctx).await?;
        while !state.spent() && state.phase != Phase::Done {
            state.work(ctx, &owner, &row, &mut out).await?;
        }
        if state.phase == Phase::Done {
            return finish(ctx, &row, &state, out, segments).await;
        }
    }
    let rest = std::mem::take(&mut out.pending);
    let carried = rest.len();
    if carried > CARRY_BYTES {
        ctx.blobs.put(&segment_key(&row, step), rest, "application/octet-stream").await?;
        segments.push(Segment(step, 0, carried as u64));
    } else if carried > 0 {
        ctx.blobs.put(&carry_key(&row, step), rest, "application/octet-stream").await?;
    }
    let mut saves = vec![store::advance(&Progress {
        id: row.id,
        step,
        phase: state.phase.name(),
        cursor: state.cursor,
        entry: state.open.as_ref().map(|open| serde_json::to_string(open).unwrap_or_default()),
        segments: serde_json::to_string(&segments).unwrap_or_else(|_| "[]".into()),
        parts: row.parts,
        pending: if carried > CARRY_BYTES { 0 } else { carried as i64 },
        carry_step: step,
        entries: row.entries + out.finished.len() as i64,
        statuses_done: state.statuses_done,
        media_done: state.media_done,
        now: ctx.now_ms(),
    })];
    if !out.finished.is_empty() {
        saves.push(store::add_entries(row.id, row.entries + 1, &out.finished));
    }
    ctx.db.batch(&saves).await?;
    if row.pending > 0 {
        forget(ctx, &carry_key(&row, row.carry_step)).await;
    }
    jobs::publish(ctx, Task::ArchiveExport { archive_id: row.id.to_string(), step: step + 1 }).await
}

/// Splits the first `bytes` off the front of `segments`: `(taken, rest)`, a segment cut in two
/// where the boundary falls inside it.
fn cut(segments: &[Segment], bytes: u64) -> (Vec<Segment>, Vec<Segment>) {
    let (mut taken, mut rest, mut left) = (Vec::new(), Vec::new(), bytes);
    for &Segment(seq, start, len) in segments {
        match left {
            0 => rest.push(Segment(seq, start, len)),
            _ if len <= left => {
                taken.push(Segment(seq, start, len));
                left -= len;
            }
            _ => {
                taken.push(Segment(seq, start, left));
                rest.push(Segment(seq, start + left, len - left));
                left = 0;
            }
        }
    }
    (taken, rest)
}

/// Uploads part `number` from segments: R2 joins their ranges, the Worker never holds them.
async fn upload_segments(ctx: &Ctx<'_>, row: &ExportRow, number: u16, segments: &[Segment]) -> Result<String> {
    let upload_id = row.upload_id.as_deref().ok_or_else(|| Error::Internal("the archive has no upload".into()))?;
    let sources: Vec<(String, u64, u64)> = segments.iter().map(|&Segment(seq, start, len)| (segment_key(row, seq), start, len)).collect();
    Ok(ctx.blobs.upload_part_from(&row.r2_key, upload_id, number, &sources).await?)
}

/// The last step: everything gathered (segments, the carry and the directory just written, put
/// in a last segment) uploaded as the last parts, the upload completed, and every older archive
/// removed.
async fn finish(ctx: &Ctx<'_>, row: &ExportRow, state: &State, out: Writer, mut segments: Vec<Segment>) -> Result<()> {
    let size = out.position();
    let tail = out.pending;
    if !tail.is_empty() {
        let len = tail.len() as u64;
        ctx.blobs.put(&segment_key(row, row.step), tail, "application/octet-stream").await?;
        segments.push(Segment(row.step, 0, len));
    }
    let mut parts = store::parts(ctx.db, row.id).await?;
    let mut rest = segments.clone();
    while !rest.is_empty() {
        let (part, after) = cut(&rest, PART_BYTES as u64);
        // The saved parts are 1..=row.parts; these follow.
        let number = parts.len() as u16 + 1;
        parts.push((number, upload_segments(ctx, row, number, &part).await?));
        rest = after;
    }
    let upload_id = row.upload_id.as_deref().unwrap_or_default();
    ctx.blobs.complete_multipart(&row.r2_key, upload_id, &parts).await?;
    ctx.db.batch(&store::finish(row.id, row.step, size as i64, row.entries, state.statuses_done, state.media_done, ctx.now_ms())).await?;
    if row.pending > 0 {
        forget(ctx, &carry_key(row, row.carry_step)).await;
    }
    for Segment(seq, ..) in segments {
        forget(ctx, &segment_key(row, seq)).await;
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
    forget_gathered(ctx, row).await;
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
    forget_gathered(ctx, row).await;
}

/// The carry and segments an unfinished export left.
async fn forget_gathered(ctx: &Ctx<'_>, row: &ExportRow) {
    if row.state == "done" {
        return;
    }
    if row.pending > 0 {
        forget(ctx, &carry_key(row, row.carry_step)).await;
    }
    for Segment(seq, ..) in segments_of(row).unwrap_or_default() {
        forget(ctx, &segment_key(row, seq)).await;
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

#[cfg(test)]
mod tests {
    use super::{cut, Segment};

    #[test]
    fn a_part_is_cut_from_the_front_of_the_segments() {
        let segments = [Segment(3, 100, 50), Segment(5, 0, 80), Segment(9, 0, 10)];
        let (part, rest) = cut(&segments, 90);
        assert_eq!(part, [Segment(3, 100, 50), Segment(5, 0, 40)]);
        assert_eq!(rest, [Segment(5, 40, 40), Segment(9, 0, 10)]);
        assert_eq!(cut(&segments, 50), (vec![Segment(3, 100, 50)], vec![Segment(5, 0, 80), Segment(9, 0, 10)]));
        assert_eq!(cut(&segments, 1000).1, []);
    }
}
