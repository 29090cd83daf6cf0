//! An import's files (`app::archive::import`, phase `media`): each file the imported posts'
//! attachments name, copied from the uploaded zip into its media row's R2 key. Stored files
//! larger than `SMALL_FILE` are copied by R2 itself (a one-part multipart upload joined from a
//! range of the zip: no byte enters wasm); deflated ones and small ones pass through the Worker,
//! `BYTES_PER_STEP` a step.
use super::import::record;
use crate::app::error::Result;
use crate::ctx::Ctx;
use crate::domain::zip;
use crate::store::archive_imports::{self as store, CopyRow, ImportProgress, ImportRow};
use crate::store::db::decode;

/// Files copied per step, and the bytes that may pass through the Worker (deflated files, and
/// small stored ones) in one.
const FILES_PER_STEP: i64 = 12;
const BYTES_PER_STEP: u64 = 2 * 1024 * 1024;
/// Stored files larger than this are copied by R2 itself (a one-part multipart upload).
const SMALL_FILE: u64 = 1024 * 1024;
/// Deflated files are inflated here, in one step: larger ones are left out (with a record).
/// Measured in workerd (docs/free-plan.md): a step that inflates and stores 2 MB spends ~3.3 ms,
/// about 1 ms a MB above its fixed cost, so 4 MiB stays near 6 ms. TODO(#12): inflate larger
/// files across steps (`zip::inflate_some`) into a multipart upload.
const MAX_INFLATED_BYTES: u64 = 4 * 1024 * 1024;

/// Copies the files of the posts' media rows from the zip into R2, as many as a step allows.
pub async fn copy(ctx: &Ctx<'_>, row: &ImportRow, progress: &mut ImportProgress) -> Result<()> {
    let copies: Vec<CopyRow> = decode(ctx.db.rows(&store::copies_after(row.id, progress.cursor, FILES_PER_STEP)).await?)?;
    if copies.is_empty() {
        progress.phase = "done".into();
        return Ok(());
    }
    let mut through = 0;
    for copy in copies {
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
    if copy.method == 8 && size > MAX_INFLATED_BYTES {
        return Err(format!("deflated and larger than {} MiB: too large to inflate here", MAX_INFLATED_BYTES >> 20));
    }
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
