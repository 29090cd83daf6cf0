//! ZIP archives (PKWARE APPNOTE 6.3), the little of them Topi needs: writing stored (uncompressed)
//! entries a piece at a time, so that an archive far larger than memory is built by many queue
//! invocations, and reading the central directory of an uploaded one. Hand-written: the `zip`
//! crate would bring its compressors and `std::fs` plumbing into the Worker for a few dozen lines
//! of headers.
//!
//! Written entries are UTF-8 named and stored. An entry written in one piece carries its CRC-32
//! and size in its local header; an entry written across invocations (the outbox, a large
//! video) has bit 3 set and a data descriptor after its data, as streaming writers do. Offsets
//! past 4 GiB and more than 65,535 entries use the Zip64 records; an entry itself stays below
//! 4 GiB (`MAX_ENTRY_BYTES`).

/// One entry of the central directory: what a reader needs to find and check its data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub name: String,
    /// 0 stored, 8 deflated (read only: what we write is stored).
    pub method: u16,
    pub crc32: u32,
    pub compressed_size: u64,
    pub size: u64,
    /// Where the entry's local header starts.
    pub offset: u64,
    /// General purpose bits: 3 (data descriptor follows), 11 (UTF-8 name).
    pub flags: u16,
}

/// What our writer allows in one entry: no Zip64 sizes are written.
pub const MAX_ENTRY_BYTES: u64 = 0xFFFF_FFFE;

const LOCAL_HEADER: u32 = 0x0403_4b50;
const DATA_DESCRIPTOR: u32 = 0x0807_4b50;
const CENTRAL_HEADER: u32 = 0x0201_4b50;
const END_OF_DIRECTORY: u32 = 0x0605_4b50;
const ZIP64_END_OF_DIRECTORY: u32 = 0x0606_4b50;
const ZIP64_LOCATOR: u32 = 0x0706_4b50;
pub const FLAG_DESCRIPTOR: u16 = 1 << 3;
pub const FLAG_UTF8: u16 = 1 << 11;
/// Version 2.0 (stored entries, data descriptors); 4.5 once Zip64 records are needed.
const VERSION: u16 = 20;
const VERSION_ZIP64: u16 = 45;
/// Made by: Unix (3), so that the external attributes below read as `-rw-r--r--`.
const MADE_BY_UNIX: u16 = 3 << 8;
const REGULAR_FILE_644: u32 = 0o100_644 << 16;
const U32_MAX: u64 = 0xFFFF_FFFF;

/// MS-DOS date and time (local time in the format; we write UTC), as every entry carries them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct DosTime {
    pub time: u16,
    pub date: u16,
}

impl DosTime {
    /// From Unix milliseconds; before 1980 (the format's epoch) reads as 1980-01-01.
    pub fn from_unix_ms(ms: i64) -> DosTime {
        let (y, m, d) = super::time::civil_from_days(ms.div_euclid(86_400_000));
        if y < 1980 {
            return DosTime { time: 0, date: (1 << 5) | 1 };
        }
        let secs = ms.rem_euclid(86_400_000) / 1000;
        let (h, min, s) = (secs / 3600, secs / 60 % 60, secs % 60);
        DosTime { time: ((h << 11) | (min << 5) | (s / 2)) as u16, date: (((y - 1980).min(127) << 9) | (m << 5) | d) as u16 }
    }
}

fn u16le(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_le_bytes());
}
fn u32le(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}
fn u64le(out: &mut Vec<u8>, v: u64) {
    out.extend_from_slice(&v.to_le_bytes());
}

/// CRC-32 (IEEE 802.3, the zip one), slicing by eight: eight tables of 256 entries, made at first
/// use. Hand-written rather than `crc32fast`, whose precomputed sixteen tables added 20 KB to the
/// gzipped Worker; in wasm this runs at ~1.1 GB/s against its ~1.3 (measured in node, 4 MiB).
fn tables() -> &'static [[u32; 256]; 8] {
    static TABLES: std::sync::OnceLock<[[u32; 256]; 8]> = std::sync::OnceLock::new();
    TABLES.get_or_init(|| {
        let mut t = [[0u32; 256]; 8];
        for (i, entry) in t[0].iter_mut().enumerate() {
            let mut c = i as u32;
            for _ in 0..8 {
                c = if c & 1 == 1 { 0xEDB8_8320 ^ (c >> 1) } else { c >> 1 };
            }
            *entry = c;
        }
        for k in 1..8 {
            for i in 0..256 {
                t[k][i] = (t[k - 1][i] >> 8) ^ t[0][(t[k - 1][i] & 0xFF) as usize];
            }
        }
        t
    })
}

/// A running CRC-32 that can be put away between invocations (`value`) and resumed.
#[derive(Clone, Copy, Debug, Default)]
pub struct Crc(u32);

impl Crc {
    pub fn new() -> Crc {
        Crc(0)
    }
    pub fn resume(value: u32) -> Crc {
        Crc(value)
    }
    pub fn update(&mut self, bytes: &[u8]) {
        let t = tables();
        let mut crc = !self.0;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let a = u32::from_le_bytes([c[0], c[1], c[2], c[3]]) ^ crc;
            crc = t[7][(a & 0xFF) as usize]
                ^ t[6][((a >> 8) & 0xFF) as usize]
                ^ t[5][((a >> 16) & 0xFF) as usize]
                ^ t[4][(a >> 24) as usize]
                ^ t[3][c[4] as usize]
                ^ t[2][c[5] as usize]
                ^ t[1][c[6] as usize]
                ^ t[0][c[7] as usize];
        }
        for &b in chunks.remainder() {
            crc = t[0][((crc ^ u32::from(b)) & 0xFF) as usize] ^ (crc >> 8);
        }
        self.0 = !crc;
    }
    pub fn value(&self) -> u32 {
        self.0
    }
}

pub fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = Crc::new();
    crc.update(bytes);
    crc.value()
}

/// The local header of a stored entry: with its CRC and size when known (`whole`), else with bit
/// 3 set and zeros, a data descriptor (`data_descriptor`) following the data.
pub fn local_header(name: &str, whole: Option<(u32, u64)>, time: DosTime) -> Vec<u8> {
    let mut out = Vec::with_capacity(30 + name.len());
    u32le(&mut out, LOCAL_HEADER);
    u16le(&mut out, VERSION);
    u16le(&mut out, FLAG_UTF8 | if whole.is_some() { 0 } else { FLAG_DESCRIPTOR });
    u16le(&mut out, 0);
    u16le(&mut out, time.time);
    u16le(&mut out, time.date);
    let (crc, size) = whole.unwrap_or((0, 0));
    u32le(&mut out, crc);
    u32le(&mut out, size as u32);
    u32le(&mut out, size as u32);
    u16le(&mut out, name.len() as u16);
    u16le(&mut out, 0);
    out.extend_from_slice(name.as_bytes());
    out
}

/// What follows the data of an entry written with bit 3: its CRC and sizes (16 bytes).
pub fn data_descriptor(crc: u32, size: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(16);
    u32le(&mut out, DATA_DESCRIPTOR);
    u32le(&mut out, crc);
    u32le(&mut out, size as u32);
    u32le(&mut out, size as u32);
    out
}

/// The central directory record of a written (stored) entry; a Zip64 extra field holds its
/// offset when that passes 4 GiB.
pub fn central_record(entry: &Entry, time: DosTime) -> Vec<u8> {
    let zip64 = entry.offset >= U32_MAX;
    let mut out = Vec::with_capacity(46 + entry.name.len() + 12);
    u32le(&mut out, CENTRAL_HEADER);
    u16le(&mut out, MADE_BY_UNIX | if zip64 { VERSION_ZIP64 } else { VERSION });
    u16le(&mut out, if zip64 { VERSION_ZIP64 } else { VERSION });
    u16le(&mut out, entry.flags);
    u16le(&mut out, entry.method);
    u16le(&mut out, time.time);
    u16le(&mut out, time.date);
    u32le(&mut out, entry.crc32);
    u32le(&mut out, entry.compressed_size as u32);
    u32le(&mut out, entry.size as u32);
    u16le(&mut out, entry.name.len() as u16);
    u16le(&mut out, if zip64 { 12 } else { 0 });
    u16le(&mut out, 0); // comment
    u16le(&mut out, 0); // disk
    u16le(&mut out, 0); // internal attributes
    u32le(&mut out, REGULAR_FILE_644);
    u32le(&mut out, if zip64 { U32_MAX as u32 } else { entry.offset as u32 });
    out.extend_from_slice(entry.name.as_bytes());
    if zip64 {
        u16le(&mut out, 0x0001);
        u16le(&mut out, 8);
        u64le(&mut out, entry.offset);
    }
    out
}

/// What ends an archive whose central directory of `count` records starts at `offset` and is
/// `size` bytes long: the Zip64 end record and its locator when any of them passes the classic
/// record's fields, then the classic end record.
pub fn end_records(count: u64, offset: u64, size: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(22 + 76);
    let zip64 = count >= 0xFFFF || offset >= U32_MAX || size >= U32_MAX;
    if zip64 {
        let record_at = offset + size;
        u32le(&mut out, ZIP64_END_OF_DIRECTORY);
        u64le(&mut out, 44);
        u16le(&mut out, MADE_BY_UNIX | VERSION_ZIP64);
        u16le(&mut out, VERSION_ZIP64);
        u32le(&mut out, 0);
        u32le(&mut out, 0);
        u64le(&mut out, count);
        u64le(&mut out, count);
        u64le(&mut out, size);
        u64le(&mut out, offset);
        u32le(&mut out, ZIP64_LOCATOR);
        u32le(&mut out, 0);
        u64le(&mut out, record_at);
        u32le(&mut out, 1);
    }
    u32le(&mut out, END_OF_DIRECTORY);
    u16le(&mut out, 0);
    u16le(&mut out, 0);
    u16le(&mut out, count.min(0xFFFF) as u16);
    u16le(&mut out, count.min(0xFFFF) as u16);
    u32le(&mut out, size.min(U32_MAX) as u32);
    u32le(&mut out, offset.min(U32_MAX) as u32);
    u16le(&mut out, 0);
    out
}

// ------------------------------------------------------------------------------------ reading

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum ZipError {
    #[error("not a zip archive: {0}")]
    Malformed(&'static str),
}

fn read_u16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}
fn read_u32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}
fn read_u64(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

/// How many bytes from the end of an archive hold its end records: the classic record (22 bytes
/// and a comment of up to 64 KiB) and the Zip64 record and locator before it.
pub const TAIL_BYTES: u64 = 22 + 0xFFFF + 20 + 56;

/// Where the central directory is: `(offset, size, count)`, read from `tail`, the last bytes of
/// an archive `total` bytes long (`TAIL_BYTES` of them, or the whole archive if shorter).
pub fn find_directory(tail: &[u8], total: u64) -> Result<(u64, u64, u64), ZipError> {
    let tail_start = total.checked_sub(tail.len() as u64).ok_or(ZipError::Malformed("tail longer than the archive"))?;
    let signature = END_OF_DIRECTORY.to_le_bytes();
    let at = (0..tail.len().saturating_sub(21))
        .rev()
        .find(|&i| tail[i..i + 4] == signature && read_u16(tail, i + 20).is_some_and(|c| i + 22 + c as usize == tail.len()))
        .ok_or(ZipError::Malformed("no end of central directory record"))?;
    let count = u64::from(read_u16(tail, at + 10).unwrap_or(0));
    let size = u64::from(read_u32(tail, at + 12).unwrap_or(0));
    let offset = u64::from(read_u32(tail, at + 16).unwrap_or(0));
    if at >= 20 && read_u32(tail, at - 20) == Some(ZIP64_LOCATOR) {
        let record = read_u64(tail, at - 12).ok_or(ZipError::Malformed("zip64 locator"))?;
        let rel = record.checked_sub(tail_start).ok_or(ZipError::Malformed("zip64 record outside the tail"))? as usize;
        if read_u32(tail, rel) != Some(ZIP64_END_OF_DIRECTORY) {
            return Err(ZipError::Malformed("zip64 end record"));
        }
        let count = read_u64(tail, rel + 32).ok_or(ZipError::Malformed("zip64 end record"))?;
        let size = read_u64(tail, rel + 40).ok_or(ZipError::Malformed("zip64 end record"))?;
        let offset = read_u64(tail, rel + 48).ok_or(ZipError::Malformed("zip64 end record"))?;
        return Ok((offset, size, count));
    }
    if offset.checked_add(size).is_none_or(|end| end > total) {
        return Err(ZipError::Malformed("central directory outside the archive"));
    }
    Ok((offset, size, count))
}

/// The records of a central directory (`bytes`, as `find_directory` located it).
pub fn read_directory(bytes: &[u8]) -> Result<Vec<Entry>, ZipError> {
    let mut entries = Vec::new();
    let mut at = 0;
    while at + 46 <= bytes.len() {
        if read_u32(bytes, at) != Some(CENTRAL_HEADER) {
            break;
        }
        let bad = || ZipError::Malformed("central directory record");
        let flags = read_u16(bytes, at + 8).ok_or_else(bad)?;
        let method = read_u16(bytes, at + 10).ok_or_else(bad)?;
        let crc32 = read_u32(bytes, at + 16).ok_or_else(bad)?;
        let mut compressed_size = u64::from(read_u32(bytes, at + 20).ok_or_else(bad)?);
        let mut size = u64::from(read_u32(bytes, at + 24).ok_or_else(bad)?);
        let name_len = read_u16(bytes, at + 28).ok_or_else(bad)? as usize;
        let extra_len = read_u16(bytes, at + 30).ok_or_else(bad)? as usize;
        let comment_len = read_u16(bytes, at + 32).ok_or_else(bad)? as usize;
        let mut offset = u64::from(read_u32(bytes, at + 42).ok_or_else(bad)?);
        let name = bytes.get(at + 46..at + 46 + name_len).ok_or_else(bad)?;
        let extra = bytes.get(at + 46 + name_len..at + 46 + name_len + extra_len).ok_or_else(bad)?;
        // Zip64: the fields that read 0xFFFFFFFF are in the extra field, in this order.
        let mut e = 0;
        while e + 4 <= extra.len() {
            let (id, len) = (read_u16(extra, e).unwrap_or(0), read_u16(extra, e + 2).unwrap_or(0) as usize);
            if id == 0x0001 {
                let mut f = e + 4;
                for field in [&mut size, &mut compressed_size, &mut offset] {
                    if *field == U32_MAX {
                        *field = read_u64(extra, f).ok_or_else(bad)?;
                        f += 8;
                    }
                }
            }
            e += 4 + len;
        }
        entries.push(Entry { name: String::from_utf8_lossy(name).into_owned(), method, crc32, compressed_size, size, offset, flags });
        at += 46 + name_len + extra_len + comment_len;
    }
    Ok(entries)
}

/// Local header bytes to read to find where an entry's data starts (30 bytes and its name and
/// extra field, which may differ from the central directory's).
pub const LOCAL_HEADER_BYTES: usize = 30;

/// How far past the start of its local header (`header`, its first 30 bytes) an entry's data
/// starts.
pub fn data_start(header: &[u8]) -> Result<u64, ZipError> {
    if read_u32(header, 0) != Some(LOCAL_HEADER) {
        return Err(ZipError::Malformed("local header"));
    }
    let name_len = read_u16(header, 26).ok_or(ZipError::Malformed("local header"))?;
    let extra_len = read_u16(header, 28).ok_or(ZipError::Malformed("local header"))?;
    Ok(30 + u64::from(name_len) + u64::from(extra_len))
}

// ------------------------------------------------------------------------------ inflating

/// Where inflating a deflated entry stopped: at the boundary between two deflate blocks, where
/// resuming needs only the bits left of the last input byte and the last 32 KiB of output.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Inflate {
    /// Compressed bytes read (the last of which may still hold `num_bits` bits).
    pub consumed: u64,
    pub num_bits: u8,
    pub bit_buf: u8,
    /// The last (up to) 32 KiB of output: what back-references of the next blocks point into.
    pub window: Vec<u8>,
    /// Bytes of output so far.
    pub produced: u64,
    pub done: bool,
}

/// The most output one call keeps in memory beyond what it was asked for: a block longer than
/// this (a zip bomb's) is refused rather than held, or inflated at a cost of CPU a step cannot
/// spend. zlib (Mastodon's rubyzip, Python) and Go's flate (GoToSocial) end a block after 16,384
/// symbols, at most ~4 MiB of output.
const MAX_BLOCK_OUTPUT: usize = 5 << 20;
const WINDOW: usize = 32 * 1024;

/// Inflates more of a raw deflate stream: `input` is the compressed bytes from `state.consumed`
/// on (`last` when it runs to the end of the entry). Decompresses whole blocks until at least
/// `want` bytes came out (or the stream ended) and answers them; `state` moves to the boundary
/// after them. Answers nothing when `input` does not hold a whole block: give it more.
pub fn inflate_some(state: &mut Inflate, input: &[u8], last: bool, want: usize) -> Result<Vec<u8>, ZipError> {
    use miniz_oxide::inflate::core::{decompress, inflate_flags, BlockBoundaryState, DecompressorOxide};
    use miniz_oxide::inflate::TINFLStatus;
    if state.done {
        return Ok(Vec::new());
    }
    let mut decompressor = match state.consumed {
        0 => DecompressorOxide::new(),
        _ => DecompressorOxide::from_block_boundary_state(&BlockBoundaryState { num_bits: state.num_bits, bit_buf: state.bit_buf, ..BlockBoundaryState::default() }),
    };
    let mut flags = inflate_flags::TINFL_FLAG_USING_NON_WRAPPING_OUTPUT_BUF | inflate_flags::TINFL_FLAG_STOP_ON_BLOCK_BOUNDARY;
    if !last {
        flags |= inflate_flags::TINFL_FLAG_HAS_MORE_INPUT;
    }
    let base = state.window.len();
    let mut out = std::mem::take(&mut state.window);
    // Room for what was asked and the block that passes it; a longer block grows it. Measured:
    // zeroing twice what was asked was a fifth of a step's CPU.
    out.resize(base + want + want / 8 + WINDOW, 0);
    let (mut in_pos, mut out_pos) = (0, base);
    // The last boundary reached: input used, output end, bits left, whether the stream ended.
    let mut boundary: Option<(usize, usize, u8, u8, bool)> = None;
    loop {
        let (status, used, written) = decompress(&mut decompressor, &input[in_pos..], &mut out, out_pos, flags);
        in_pos += used;
        out_pos += written;
        match status {
            TINFLStatus::BlockBoundary => {
                let bits = decompressor.block_boundary_state().map_or((0, 0), |b| (b.num_bits, b.bit_buf));
                boundary = Some((in_pos, out_pos, bits.0, bits.1, false));
                if out_pos - base >= want {
                    break;
                }
            }
            TINFLStatus::Done => {
                boundary = Some((in_pos, out_pos, 0, 0, true));
                break;
            }
            TINFLStatus::HasMoreOutput => {
                if out.len() - base > want + MAX_BLOCK_OUTPUT {
                    return Err(ZipError::Malformed("a deflate block inflates to too much"));
                }
                let grown = out.len() * 2;
                out.resize(grown, 0);
            }
            TINFLStatus::NeedsMoreInput | TINFLStatus::FailedCannotMakeProgress if !last => break,
            _ => return Err(ZipError::Malformed("deflate data")),
        }
    }
    let Some((used, end, num_bits, bit_buf, done)) = boundary else {
        // Not one whole block in `input`: nothing moves.
        out.truncate(base);
        state.window = out;
        return Ok(Vec::new());
    };
    let produced = out[base..end].to_vec();
    state.window = out[end.saturating_sub(WINDOW)..end].to_vec();
    state.consumed += used as u64;
    (state.num_bits, state.bit_buf, state.done) = (num_bits, bit_buf, done);
    state.produced += produced.len() as u64;
    Ok(produced)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// A whole archive, as the export writes one: entries, then the directory and end records.
    fn archive(files: &[(&str, &[u8], bool)]) -> Vec<u8> {
        let time = DosTime::from_unix_ms(1_700_000_000_000);
        let mut out = Vec::new();
        let mut entries = Vec::new();
        for (name, data, streamed) in files {
            let offset = out.len() as u64;
            let crc = crc32(data);
            if *streamed {
                out.extend(local_header(name, None, time));
                let mut running = Crc::new();
                let (a, b) = data.split_at(data.len() / 2);
                running.update(a);
                let mut running = Crc::resume(running.value());
                running.update(b);
                assert_eq!(running.value(), crc);
                out.extend_from_slice(data);
                out.extend(data_descriptor(running.value(), data.len() as u64));
            } else {
                out.extend(local_header(name, Some((crc, data.len() as u64)), time));
                out.extend_from_slice(data);
            }
            let flags = FLAG_UTF8 | if *streamed { FLAG_DESCRIPTOR } else { 0 };
            entries.push(Entry { name: name.to_string(), method: 0, crc32: crc, compressed_size: data.len() as u64, size: data.len() as u64, offset, flags });
        }
        let directory_at = out.len() as u64;
        for entry in &entries {
            out.extend(central_record(entry, time));
        }
        let size = out.len() as u64 - directory_at;
        out.extend(end_records(entries.len() as u64, directory_at, size));
        out
    }

    #[test]
    fn what_is_written_reads_back_with_its_crc_and_offsets() {
        let files: [(&str, &[u8], bool); 3] = [("outbox.json", b"{\"orderedItems\":[]}", true), ("media_attachments/files/1/original/ä.png", b"\x89PNG..", false), ("empty", b"", true)];
        let zip = archive(&files);
        let total = zip.len() as u64;
        let tail = &zip[zip.len().saturating_sub(TAIL_BYTES as usize)..];
        let (offset, size, count) = find_directory(tail, total).unwrap();
        assert_eq!(count, 3);
        let entries = read_directory(&zip[offset as usize..(offset + size) as usize]).unwrap();
        for ((name, data, _), entry) in files.iter().zip(&entries) {
            assert_eq!((entry.name.as_str(), entry.size, entry.crc32), (*name, data.len() as u64, crc32(data)));
            let start = entry.offset + data_start(&zip[entry.offset as usize..]).unwrap();
            assert_eq!(&zip[start as usize..(start + entry.size) as usize], *data);
        }
    }

    #[test]
    fn offsets_past_four_gib_go_in_zip64_records() {
        let time = DosTime::default();
        let far = Entry { name: "far".into(), method: 0, crc32: 7, compressed_size: 3, size: 3, offset: 5 << 30, flags: FLAG_UTF8 };
        let record = central_record(&far, time);
        assert_eq!(read_directory(&record).unwrap(), vec![far]);
        // A directory after 5 GiB: the tail alone tells where it is.
        let (offset, size) = ((5u64 << 30) + 10, record.len() as u64);
        let mut tail = record.clone();
        tail.extend(end_records(1, offset, size));
        assert_eq!(find_directory(&tail, offset + tail.len() as u64).unwrap(), (offset, size, 1));
        // 70,000 entries do not fit the classic record's 16 bits.
        let end = end_records(70_000, 100, 200);
        assert_eq!(find_directory(&end, 300 + end.len() as u64).unwrap(), (100, 200, 70_000));
    }

    #[test]
    fn the_crc_is_the_zip_one() {
        // The check value of CRC-32/ISO-HDLC, and lengths around the eight-byte slices.
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b""), 0);
        let data: Vec<u8> = (0..1000u32).map(|i| (i * 7 % 256) as u8).collect();
        let bitwise = |bytes: &[u8]| {
            let mut c = !0u32;
            for &b in bytes {
                c ^= u32::from(b);
                for _ in 0..8 {
                    c = if c & 1 == 1 { 0xEDB8_8320 ^ (c >> 1) } else { c >> 1 };
                }
            }
            !c
        };
        for len in [1, 7, 8, 9, 15, 16, 17, 999] {
            assert_eq!(crc32(&data[..len]), bitwise(&data[..len]), "{len}");
        }
    }

    #[test]
    fn dos_times_count_from_1980_in_two_second_steps() {
        // 2023-11-14T22:13:20Z
        let t = DosTime::from_unix_ms(1_700_000_000_000);
        assert_eq!((t.date >> 9, (t.date >> 5) & 15, t.date & 31), (43, 11, 14));
        assert_eq!((t.time >> 11, (t.time >> 5) & 63, (t.time & 31) * 2), (22, 13, 20));
        assert_eq!(DosTime::from_unix_ms(0).date, (1 << 5) | 1);
    }

    #[test]
    fn a_deflated_entry_inflates_a_piece_at_a_time_from_block_boundaries() {
        // Text that compresses, long enough for many blocks, with back-references far behind.
        let words = ["outbox", "orderedItems", "Create", "Note", "attachment", "content", "<p>hello</p>", "published"];
        let mut text = Vec::new();
        let mut x = 7u32;
        while text.len() < 2_000_000 {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            text.extend_from_slice(words[(x % 8) as usize].as_bytes());
            text.extend_from_slice(format!(" {} ", x % 1000).as_bytes());
        }
        let compressed = miniz_oxide::deflate::compress_to_vec(&text, 6);
        let mut state = Inflate::default();
        let mut out = Vec::new();
        let (mut calls, mut read) = (0, 20_000);
        while !state.done {
            // What a step would read: a range from where the last one stopped, more when that
            // did not hold a whole block.
            let from = state.consumed as usize;
            let to = (from + read).min(compressed.len());
            let piece = inflate_some(&mut state, &compressed[from..to], to == compressed.len(), 100_000).unwrap();
            read = if piece.is_empty() { read * 2 } else { 20_000 };
            out.extend(piece);
            calls += 1;
            assert!(calls < 1000);
        }
        assert_eq!((out.len(), state.produced as usize), (text.len(), text.len()));
        assert!(out == text, "inflated bytes differ");
        assert!(calls > 10, "{calls} calls");
        // Too little input for one block: no progress, nothing lost.
        let mut fresh = Inflate::default();
        assert!(inflate_some(&mut fresh, &compressed[..10], false, 1000).unwrap().is_empty());
        assert_eq!(fresh, Inflate::default());
        assert!(inflate_some(&mut Inflate::default(), b"\xff\xff\xff\xff", true, 10).is_err());
    }

    #[test]
    fn garbage_is_not_an_archive() {
        assert!(find_directory(b"not a zip at all, not even close", 33).is_err());
        assert!(read_directory(b"PK\x01\x02 short").unwrap().is_empty());
        assert!(data_start(b"nope").is_err());
    }
}
