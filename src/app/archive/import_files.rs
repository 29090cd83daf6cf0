//! An import's files (`app::archive::import`, phase `media`): each file the imported posts'
//! attachments name, copied from the uploaded zip into its media row's R2 key. Stored files
//! larger than `SMALL_FILE` are copied by R2 itself (a one-part multipart upload joined from a
//! range of the zip: no byte enters wasm); deflated ones and small ones pass through the Worker,
//! `BYTES_PER_STEP` a step. A deflated file larger than that is inflated across steps
//! (`Streamed`), `STREAM_BYTES` a step from one deflate block boundary to the next: each step
//! writes what it inflated to R2 as a segment, and R2 joins segments into the parts of a
//! multipart upload (`Blobs::upload_part_from`), as the export's writer does.
use serde::{Deserialize, Serialize};

use super::import::record;
use crate::app::error::Result;
use crate::ctx::{log_error, Ctx};
use crate::domain::zip::{self, Inflate};
use crate::store::archive_imports::{self as store, CopyRow, ImportRow};
use crate::store::db::decode;

/// Files copied per step, and the bytes that may pass through the Worker (deflated files, and
/// small stored ones) in one. Measured in workerd (docs/free-plan.md): a step that inflates and
/// stores 2 MB spends ~3.3 ms, about 1 ms a MB above its fixed cost.
const FILES_PER_STEP: i64 = 12;
const BYTES_PER_STEP: u64 = 2 * 1024 * 1024;
/// Stored files larger than this are copied by R2 itself (a one-part multipart upload).
const SMALL_FILE: u64 = 1024 * 1024;
/// Every part of a streamed file's upload but the last is this long (R2 wants equal parts of
/// at least 5 MiB).
const PART_BYTES: u64 = 5 * 1024 * 1024;
/// What a step inflates of a large file (measured in workerd: 2 MiB a step was 6.9 ms median,
/// 3 of 36 over 10 ms), and the compressed bytes it reads past that: a block boundary must
/// fall inside.
const STREAM_BYTES: u64 = 1024 * 1024;
const READ_SLACK: u64 = 256 * 1024;

/// Bytes of an R2 object: (key, offset, length).
type Range = (String, u64, u64);

/// A deflated file being inflated across steps, kept in the import's row (`file`).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct Streamed {
    media_id: i64,
    /// The media row's R2 key, and its multipart upload.
    key: String,
    upload_id: String,
    /// Where the file's compressed data starts in the zip.
    start: u64,
    consumed: u64,
    num_bits: u8,
    bit_buf: u8,
    produced: u64,
    /// Compressed bytes to read next (more after a read that held no whole block).
    read: u64,
    parts: Vec<(u16, String)>,
    /// Inflated bytes not yet in a part, in order, in the segments steps wrote.
    pending: Vec<Range>,
}

fn window_key(row: &ImportRow, media_id: i64) -> String {
    format!("{}.window-{media_id}", row.r2_key)
}

fn segment_key(row: &ImportRow, media_id: i64, step: i64) -> String {
    format!("{}.file-{media_id}-{step}", row.r2_key)
}

/// Copies the files of the posts' media rows from the zip into R2, as many as a step allows.
/// `after`: R2 objects this step used up, removed once its progress is saved.
pub async fn copy(ctx: &Ctx<'_>, row: &ImportRow, progress: &mut ImportRow, after: &mut Vec<String>) -> Result<()> {
    let copies: Vec<CopyRow> = decode(ctx.db.rows(&store::copies_after(row.id, progress.cursor, FILES_PER_STEP)).await?)?;
    if copies.is_empty() {
        progress.phase = "done".into();
        return Ok(());
    }
    let mut through = 0;
    for copy in copies {
        let streamed = copy.method == 8 && copy.size as u64 > BYTES_PER_STEP;
        if streamed && through > 0 {
            // A step of its own, or of several.
            break;
        }
        if streamed {
            match stream(ctx, row, progress, &copy, after).await {
                Ok(false) => return Ok(()),
                Ok(true) => progress.media_copied += 1,
                Err(why) => {
                    progress.media_skipped += 1;
                    record(progress, &copy.name, &why);
                }
            }
            progress.file = None;
            progress.cursor = copy.media_id;
            return Ok(());
        }
        let passes = copy.method != 0 || (copy.size as u64) <= SMALL_FILE;
        if passes && through > 0 && through + copy.size as u64 > BYTES_PER_STEP {
            break;
        }
        match copy_file(ctx, row, &copy).await {
            Ok(()) => progress.media_copied += 1,
            Err(why) => {
                progress.media_skipped += 1;
                record(progress, &copy.name, &why);
            }
        }
        if passes {
            through += copy.size as u64;
        }
        progress.cursor = copy.media_id;
    }
    Ok(())
}

/// One file from the zip into its media row's R2 key; `Err` says why it was left out (a fault
/// of R2 itself fails the step, to be retried).
async fn copy_file(ctx: &Ctx<'_>, row: &ImportRow, copy: &CopyRow) -> std::result::Result<(), String> {
    let content_type = copy.content_type.clone().unwrap_or_else(|| "application/octet-stream".into());
    let (size, compressed) = (copy.size as u64, copy.compressed_size as u64);
    if !matches!(copy.method, 0 | 8) {
        return Err(format!("compressed with method {}", copy.method));
    }
    // The local header, and as much after it as the data may take when it passes through.
    let through = copy.method == 8 || size <= SMALL_FILE;
    let head = zip::LOCAL_HEADER_BYTES as u64 + copy.name.len() as u64 + 1024;
    let read = if through { head + compressed } else { head };
    let offset = copy.offset as u64;
    let (bytes, _) = ctx.blobs.get_range(&row.r2_key, offset, read).await.map_err(|e| e.to_string())?.ok_or("the archive is gone")?;
    let start = zip::data_start(&bytes).map_err(|e| e.to_string())?;
    if !through {
        let upload = ctx.blobs.create_multipart(&copy.r2_key, &content_type).await.map_err(|e| e.to_string())?;
        let part = ctx.blobs.upload_part_from(&copy.r2_key, &upload, 1, &[(row.r2_key.clone(), offset + start, size)]).await.map_err(|e| e.to_string())?;
        return ctx.blobs.complete_multipart(&copy.r2_key, &upload, &[(1, part)]).await.map_err(|e| e.to_string());
    }
    let data = match bytes.get(start as usize..(start + compressed) as usize) {
        Some(data) => data.to_vec(),
        // A local header with a longer extra field than guessed: read the data exactly.
        None => ctx.blobs.get_range(&row.r2_key, offset + start, compressed).await.map_err(|e| e.to_string())?.ok_or("the archive is gone")?.0,
    };
    let file = match copy.method {
        8 => miniz_oxide::inflate::decompress_to_vec_with_limit(&data, size as usize).map_err(|e| format!("not inflated: {e}"))?,
        _ => data,
    };
    if file.len() as u64 != size {
        return Err(format!("{} bytes where the directory says {size}", file.len()));
    }
    ctx.blobs.put(&copy.r2_key, file, &content_type).await.map_err(|e| e.to_string())
}

/// What a failed import leaves of a file half inflated: its upload aborted here, and the keys
/// of its pieces to remove.
pub async fn abandon(ctx: &Ctx<'_>, row: &ImportRow) -> Vec<String> {
    let Some(Ok(state)) = row.file.as_deref().map(serde_json::from_str::<Streamed>) else { return Vec::new() };
    if let Err(e) = ctx.blobs.abort_multipart(&state.key, &state.upload_id).await {
        log_error(&format!("import: the upload of {} could not be aborted: {e}", state.key));
    }
    let mut keys: Vec<String> = state.pending.into_iter().map(|(key, ..)| key).collect();
    keys.push(window_key(row, state.media_id));
    keys
}

/// The next piece of a large deflated file: `Ok(true)` once it is whole in R2, `Ok(false)`
/// while more steps are needed, `Err` why it was left out (its upload aborted). A step that
/// runs again writes the same segment and part numbers, which R2 replaces.
async fn stream(ctx: &Ctx<'_>, row: &ImportRow, progress: &mut ImportRow, copy: &CopyRow, after: &mut Vec<String>) -> std::result::Result<bool, String> {
    let mut state = match progress.file.as_deref().map(serde_json::from_str::<Streamed>) {
        Some(Ok(state)) if state.media_id == copy.media_id => state,
        _ => {
            let content_type = copy.content_type.clone().unwrap_or_else(|| "application/octet-stream".into());
            let head = zip::LOCAL_HEADER_BYTES as u64 + copy.name.len() as u64 + 1024;
            let (bytes, _) = ctx.blobs.get_range(&row.r2_key, copy.offset as u64, head).await.map_err(|e| e.to_string())?.ok_or("the archive is gone")?;
            let start = copy.offset as u64 + zip::data_start(&bytes).map_err(|e| e.to_string())?;
            let upload_id = ctx.blobs.create_multipart(&copy.r2_key, &content_type).await.map_err(|e| e.to_string())?;
            Streamed { media_id: copy.media_id, key: copy.r2_key.clone(), upload_id, start, read: STREAM_BYTES + READ_SLACK, ..Streamed::default() }
        }
    };
    match inflate_piece(ctx, row, copy, &mut state, after).await {
        Ok(done) => {
            progress.file = Some(serde_json::to_string(&state).unwrap_or_default());
            Ok(done)
        }
        Err(why) => {
            if let Err(e) = ctx.blobs.abort_multipart(&copy.r2_key, &state.upload_id).await {
                log_error(&format!("import: the upload of {} could not be aborted: {e}", copy.r2_key));
            }
            after.extend(state.pending.iter().map(|(key, ..)| key.clone()));
            after.push(window_key(row, copy.media_id));
            Err(why)
        }
    }
}

async fn inflate_piece(ctx: &Ctx<'_>, row: &ImportRow, copy: &CopyRow, state: &mut Streamed, after: &mut Vec<String>) -> std::result::Result<bool, String> {
    let (size, compressed) = (copy.size as u64, copy.compressed_size as u64);
    let window = match state.produced {
        0 => Vec::new(),
        _ => ctx.blobs.get(&window_key(row, copy.media_id)).await.map_err(|e| e.to_string())?.ok_or("the inflater's window is gone")?.0,
    };
    let length = state.read.min(compressed - state.consumed);
    let (input, _) = ctx.blobs.get_range(&row.r2_key, state.start + state.consumed, length).await.map_err(|e| e.to_string())?.ok_or("the archive is gone")?;
    let mut inflate = Inflate { consumed: state.consumed, num_bits: state.num_bits, bit_buf: state.bit_buf, window, produced: state.produced, done: false };
    let last = state.consumed + length >= compressed;
    let piece = zip::inflate_some(&mut inflate, &input, last, STREAM_BYTES as usize).map_err(|e| e.to_string())?;
    if inflate.produced > size {
        return Err(format!("inflates to more than the {size} bytes the directory says"));
    }
    if piece.is_empty() && !inflate.done {
        // Not one whole block in what was read: read more next time.
        state.read = (state.read * 2).min(8 * STREAM_BYTES);
        return Ok(false);
    }
    (state.consumed, state.num_bits, state.bit_buf, state.produced) = (inflate.consumed, inflate.num_bits, inflate.bit_buf, inflate.produced);
    state.read = STREAM_BYTES + READ_SLACK;
    if !piece.is_empty() {
        let key = segment_key(row, copy.media_id, row.step);
        let length = piece.len() as u64;
        ctx.blobs.put(&key, piece, "application/octet-stream").await.map_err(|e| e.to_string())?;
        state.pending.push((key, 0, length));
    }
    if inflate.done && state.produced != size {
        return Err(format!("{} bytes where the directory says {size}", state.produced));
    }
    let mut pending: u64 = state.pending.iter().map(|p| p.2).sum();
    while pending >= PART_BYTES || (inflate.done && pending > 0) {
        let take = pending.min(PART_BYTES);
        let (sources, rest) = split_sources(&state.pending, take);
        let number = state.parts.len() as u16 + 1;
        let etag = ctx.blobs.upload_part_from(&copy.r2_key, &state.upload_id, number, &sources).await.map_err(|e| e.to_string())?;
        state.parts.push((number, etag));
        after.extend(state.pending.iter().filter(|(key, ..)| !rest.iter().any(|(k, ..)| k == key)).map(|(key, ..)| key.clone()));
        state.pending = rest;
        pending -= take;
    }
    if inflate.done {
        ctx.blobs.complete_multipart(&copy.r2_key, &state.upload_id, &state.parts).await.map_err(|e| e.to_string())?;
        after.push(window_key(row, copy.media_id));
        return Ok(true);
    }
    ctx.blobs.put(&window_key(row, copy.media_id), inflate.window, "application/octet-stream").await.map_err(|e| e.to_string())?;
    Ok(false)
}

/// The first `take` bytes of `pending` as ranges of their segments, and what is left after.
fn split_sources(pending: &[Range], take: u64) -> (Vec<Range>, Vec<Range>) {
    let (mut sources, mut rest, mut left) = (Vec::new(), Vec::new(), take);
    for (key, offset, length) in pending {
        if left == 0 {
            rest.push((key.clone(), *offset, *length));
        } else if *length <= left {
            sources.push((key.clone(), *offset, *length));
            left -= length;
        } else {
            sources.push((key.clone(), *offset, left));
            rest.push((key.clone(), offset + left, length - left));
            left = 0;
        }
    }
    (sources, rest)
}

#[cfg(test)]
mod tests {
    use super::split_sources;

    #[test]
    fn a_part_takes_its_bytes_from_the_segments_in_order() {
        let pending = vec![("a".to_string(), 0, 3), ("b".to_string(), 0, 4), ("c".to_string(), 1, 5)];
        let (sources, rest) = split_sources(&pending, 5);
        assert_eq!(sources, vec![("a".to_string(), 0, 3), ("b".to_string(), 0, 2)]);
        assert_eq!(rest, vec![("b".to_string(), 2, 2), ("c".to_string(), 1, 5)]);
        let (all, none) = split_sources(&pending, 12);
        assert_eq!((all.len(), none.len()), (3, 0));
    }
}
