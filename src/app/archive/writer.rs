//! The zip as a step sees it: the bytes written since the last full part (`pending`, carried
//! from step to step in R2), where they start in the zip, and the entries finished this step.
//! An entry a step cannot finish stays open (`Open`, saved with the export's row) and the next
//! step appends to it.
use serde::{Deserialize, Serialize};

use crate::domain::zip::{self, Crc, DosTime, Entry, FLAG_DESCRIPTOR, FLAG_UTF8};

/// An entry written across steps: its header is out, its data is growing.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Open {
    pub name: String,
    /// Where its local header starts in the zip.
    pub offset: u64,
    /// CRC-32 and length of the data so far.
    pub crc: u32,
    pub size: u64,
    /// Items written into a JSON collection, to know when a comma goes first.
    #[serde(default)]
    pub items: u64,
    /// A stored file being copied: its R2 key and its whole size.
    #[serde(default)]
    pub file: Option<String>,
    #[serde(default)]
    pub file_size: u64,
}

pub struct Writer {
    /// Bytes after the last uploaded part.
    pub pending: Vec<u8>,
    /// Where `pending` starts in the zip.
    pub base: u64,
    pub time: DosTime,
    /// Entries finished during this step, for the directory.
    pub finished: Vec<Entry>,
}

impl Writer {
    pub fn new(pending: Vec<u8>, base: u64, time: DosTime) -> Writer {
        Writer { pending, base, time, finished: Vec::new() }
    }

    /// Where the next byte goes in the zip.
    pub fn position(&self) -> u64 {
        self.base + self.pending.len() as u64
    }

    /// An entry written at once: its CRC and size in its header.
    pub fn whole(&mut self, name: &str, data: &[u8]) {
        let crc = zip::crc32(data);
        let offset = self.position();
        self.pending.extend(zip::local_header(name, Some((crc, data.len() as u64)), self.time));
        self.pending.extend_from_slice(data);
        let size = data.len() as u64;
        self.finished.push(Entry { name: name.to_string(), method: 0, crc32: crc, compressed_size: size, size, offset, flags: FLAG_UTF8 });
    }

    /// Starts an entry whose data will come in pieces.
    pub fn open(&mut self, name: &str) -> Open {
        let offset = self.position();
        self.pending.extend(zip::local_header(name, None, self.time));
        Open { name: name.to_string(), offset, crc: zip::crc32(b""), ..Open::default() }
    }

    pub fn append(&mut self, open: &mut Open, data: &[u8]) {
        let mut crc = Crc::resume(open.crc);
        crc.update(data);
        open.crc = crc.value();
        open.size += data.len() as u64;
        self.pending.extend_from_slice(data);
    }

    /// Ends an entry opened with `open`: its data descriptor, and its directory record.
    pub fn close(&mut self, open: Open) {
        self.pending.extend(zip::data_descriptor(open.crc, open.size));
        self.finished.push(Entry {
            name: open.name,
            method: 0,
            crc32: open.crc,
            compressed_size: open.size,
            size: open.size,
            offset: open.offset,
            flags: FLAG_UTF8 | FLAG_DESCRIPTOR,
        });
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_resumed_in_another_step_keeps_its_crc_and_offset() {
        let mut first = Writer::new(Vec::new(), 0, DosTime::default());
        first.whole("a.txt", b"hello");
        let mut open = first.open("outbox.json");
        first.append(&mut open, b"{\"orderedItems\":[");
        // The next step: the same pending bytes, the open entry read back from JSON.
        let saved = serde_json::to_string(&open).unwrap();
        // Carried bytes after 3 MiB already gone (in parts or segments).
        let mut second = Writer::new(first.pending.clone(), 3 << 20, DosTime::default());
        assert_eq!(second.position(), (3 << 20) + first.pending.len() as u64);
        let mut open: Open = serde_json::from_str(&saved).unwrap();
        second.append(&mut open, b"]}");
        second.close(open);
        let entry = second.finished.pop().unwrap();
        assert_eq!((entry.crc32, entry.size, entry.offset), (zip::crc32(b"{\"orderedItems\":[]}"), 19, 35 + 5));
    }
}
