//! CSV as Mastodon reads and writes it (Ruby's `csv` library): fields split by commas, records
//! by line ends, double quotes around a field that needs them and doubled inside it.
//!
//! Reading goes through the `csv` crate, whose DFA (csv-core) is linear in its input and never
//! fails: a quote inside an unquoted field is kept as a character, an unclosed quote runs to the
//! end of the input (that record is then usually too long, and reported as such). A UTF-8 byte
//! order mark is dropped; `\n`, `\r\n` and a lone `\r` all end a record; empty lines, and lines
//! of nothing but commas and spaces, are skipped (Ruby's `skip_blanks` skips only the former).
//!
//! Writing follows Ruby's `CSV::Writer#quote` byte for byte: `nil` is an empty unquoted field,
//! an empty string is `""`, and a field is quoted when it holds a comma, a quote, `\r` or `\n`.
//! Records end with `\n`.

/// One record read from a file: where it starts, and its fields, or why it cannot be used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// The line the record starts on, from 1 (a quoted field may span lines).
    pub line: u64,
    pub fields: Result<Vec<String>, BadRecord>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BadRecord {
    /// Longer than the caller's limit (fields without their separators); `preview` is the
    /// beginning of its first field, for a person to recognise it.
    TooLong { bytes: usize, preview: String },
    /// Not UTF-8 text.
    NotUtf8 { preview: String },
}

impl std::fmt::Display for BadRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BadRecord::TooLong { bytes, .. } => write!(f, "the row is {bytes} bytes long, more than a row may be"),
            BadRecord::NotUtf8 { .. } => f.write_str("the row is not UTF-8 text"),
        }
    }
}

impl BadRecord {
    pub fn preview(&self) -> &str {
        match self {
            BadRecord::TooLong { preview, .. } | BadRecord::NotUtf8 { preview } => preview,
        }
    }
}

/// How much of a bad record is kept to show what it was.
const PREVIEW_CHARS: usize = 100;

fn preview(field: &[u8]) -> String {
    String::from_utf8_lossy(&field[..field.len().min(PREVIEW_CHARS * 4)]).chars().take(PREVIEW_CHARS).collect()
}

/// The records of `bytes`, in order; a record whose fields hold more than `max_record_bytes`
/// bytes in all is returned as `BadRecord::TooLong`. Stops after `max_records` records (blank
/// lines not counted), so that a caller can tell "more than the limit" from the limit exactly.
pub fn read(bytes: &[u8], max_record_bytes: usize, max_records: usize) -> Vec<Record> {
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(bytes);
    let mut record = csv::ByteRecord::new();
    let mut records = Vec::new();
    let mut lines = LineCounter::default();
    // Reading a slice cannot fail with an I/O error, and csv-core itself never errors: a `false`
    // or an `Err` both mean the input is exhausted.
    while records.len() < max_records && reader.read_byte_record(&mut record).unwrap_or(false) {
        if record.iter().all(|field| field.iter().all(|b| b.is_ascii_whitespace())) {
            continue;
        }
        // A record's position is where the previous one ended: before the line ends between them.
        let mut start = record.position().map_or(0, |p| p.byte() as usize);
        while matches!(bytes.get(start), Some(b'\r' | b'\n')) {
            start += 1;
        }
        let line = lines.line_at(bytes, start);
        let bytes: usize = record.iter().map(<[u8]>::len).sum();
        let fields = if bytes > max_record_bytes {
            Err(BadRecord::TooLong { bytes, preview: preview(record.get(0).unwrap_or_default()) })
        } else {
            record
                .iter()
                .map(|field| String::from_utf8(field.to_vec()).map_err(|_| BadRecord::NotUtf8 { preview: preview(field) }))
                .collect()
        };
        records.push(Record { line, fields });
    }
    records
}

/// Line numbers by byte offset, counted forward only (offsets grow, so one pass in all). csv's
/// own `Position::line` miscounts around `\r\n` and skipped blank lines.
#[derive(Default)]
struct LineCounter {
    offset: usize,
    line: u64,
}

impl LineCounter {
    fn line_at(&mut self, bytes: &[u8], offset: usize) -> u64 {
        let offset = offset.min(bytes.len());
        for (n, byte) in bytes[self.offset.min(offset)..offset].iter().enumerate() {
            let at = self.offset + n;
            // `\r\n` is one line end, counted at its `\n`; a lone `\r` is one too.
            if *byte == b'\n' || (*byte == b'\r' && bytes.get(at + 1) != Some(&b'\n')) {
                self.line += 1;
            }
        }
        self.offset = self.offset.max(offset);
        self.line + 1
    }
}

/// Appends one record to `out`, as Ruby's `CSV.generate` writes it. `None` is Ruby's `nil`.
///
/// ```
/// let mut out = String::new();
/// topi::domain::csv::write(&mut out, &[Some("a@b.example"), Some("true"), None, Some("")]);
/// topi::domain::csv::write(&mut out, &[Some("a, \"b\""), Some("x\ny")]);
/// assert_eq!(out, "a@b.example,true,,\"\"\n\"a, \"\"b\"\"\",\"x\ny\"\n");
/// ```
pub fn write(out: &mut String, fields: &[Option<&str>]) {
    for (n, field) in fields.iter().enumerate() {
        if n > 0 {
            out.push(',');
        }
        let Some(text) = field else { continue };
        if text.is_empty() || text.contains([',', '"', '\r', '\n']) {
            out.push('"');
            out.push_str(&text.replace('"', "\"\""));
            out.push('"');
        } else {
            out.push_str(text);
        }
    }
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(input: &str) -> Vec<Vec<String>> {
        read(input.as_bytes(), 1000, 1000).into_iter().map(|r| r.fields.unwrap()).collect()
    }

    #[test]
    fn quotes_commas_and_line_ends_inside_fields_are_read_back() {
        let mut out = String::new();
        let hostile = ["a,b", "say \"hi\"", "two\r\nlines", "", "  spaced  ", "日本語"];
        write(&mut out, &hostile.map(Some));
        assert_eq!(fields(&out), [hostile.map(String::from).to_vec()]);
    }

    #[test]
    fn a_bom_crlf_blank_lines_and_ragged_rows_are_tolerated() {
        let records = read("\u{feff}Account address,Show boosts\r\n\r\na@b.example,true\r\n ,  \r\nc@d.example\rlast".as_bytes(), 100, 100);
        let lines: Vec<u64> = records.iter().map(|r| r.line).collect();
        assert_eq!(lines, [1, 3, 5, 6]);
        let all: Vec<Vec<String>> = records.into_iter().map(|r| r.fields.unwrap()).collect();
        assert_eq!(all[0], ["Account address", "Show boosts"]);
        assert_eq!(all[2], ["c@d.example"]);
        assert_eq!(all[3], ["last"]);
    }

    #[test]
    fn stray_and_unclosed_quotes_never_fail() {
        assert_eq!(fields("ab\"c,d\n"), [["ab\"c", "d"]]);
        assert_eq!(fields("\"a\"b,c\n"), [["ab", "c"]]);
        // An unclosed quote swallows the rest of the input into one field.
        assert_eq!(fields("x\n\"open,y\nz\n"), [vec!["x".to_string()], vec!["open,y\nz\n".to_string()]]);
    }

    #[test]
    fn long_records_and_invalid_utf8_are_reported_not_dropped() {
        let long = format!("ok\n{},b\nafter\n", "x".repeat(50));
        let records = read(long.as_bytes(), 40, 10);
        assert_eq!(records.len(), 3);
        assert!(matches!(&records[1].fields, Err(BadRecord::TooLong { bytes: 51, preview }) if preview.len() == 50));
        assert_eq!(records[2].fields, Ok(vec!["after".to_string()]));
        let records = read(b"a\n\xff\xfe,b\n", 40, 10);
        assert!(matches!(records[1].fields, Err(BadRecord::NotUtf8 { .. })));
    }

    #[test]
    fn reading_stops_after_the_limit() {
        assert_eq!(read(b"a\nb\nc\nd\n", 10, 3).len(), 3);
    }

    /// Linear: a megabyte of quotes, commas or one endless quoted field reads in one pass.
    #[test]
    fn hostile_megabytes_read_in_linear_time() {
        for input in ["\"".repeat(1 << 20), ",".repeat(1 << 20), format!("\"{}", "a\n".repeat(1 << 19)), "\"\"\"".repeat(1 << 18)] {
            let started = std::time::Instant::now();
            let records = read(input.as_bytes(), 4096, 20_000);
            assert!(records.len() <= 1, "{}", records.len());
            assert!(started.elapsed() < std::time::Duration::from_secs(2), "{:?}", started.elapsed());
        }
    }
}
