//! Blocklists as Mastodon exports and imports them (`/admin/export_domain_blocks`): a CSV file
//! with the header `#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate`,
//! or a bare list of domains, one a line (what most shared blocklists are; each becomes a
//! suspension, as in Mastodon). Reading is all or nothing: every bad row is reported with its
//! line, and a file with any is not applied at all.
use super::csv;
use super::moderation::{normalize, Severity};

/// Mastodon's export header, in its order.
pub const HEADER: [&str; 6] = ["#domain", "#severity", "#reject_media", "#reject_reports", "#public_comment", "#obfuscate"];

/// A blocklist file is at most this large: 1,000 rows of a long domain and a long comment fit.
pub const MAX_BYTES: usize = 64 * 1024;
/// At most this many blocks in one file (an instance holds at most as many).
pub const MAX_ROWS: usize = 1_000;
/// A row is at most this long (a domain, a comment of 1,000 characters, the flags).
const MAX_ROW_BYTES: usize = 5_000;
/// A public comment's limit, as the admin's forms have it.
const MAX_COMMENT_CHARS: usize = 1_000;
/// How many bad rows are reported at most: enough to fix a file, not a page of noise.
const MAX_PROBLEMS: usize = 20;

/// One block a file lists.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Listed {
    pub line: u64,
    pub domain: String,
    pub severity: Severity,
    pub reject_media: bool,
    pub reject_reports: bool,
    pub public_comment: Option<String>,
    pub obfuscate: bool,
}

/// Which column holds what, from a header row.
#[derive(Clone, Copy, Debug, Default)]
struct Columns {
    domain: usize,
    severity: Option<usize>,
    reject_media: Option<usize>,
    reject_reports: Option<usize>,
    public_comment: Option<usize>,
    obfuscate: Option<usize>,
}

/// The header's columns, when the first row is a header (its first field is `domain` or
/// `#domain`, as Mastodon writes it and as its importer also reads it).
fn header(fields: &[String]) -> Option<Columns> {
    let names: Vec<String> = fields.iter().map(|f| f.trim().trim_start_matches('#').to_ascii_lowercase()).collect();
    let at = |name: &str| names.iter().position(|n| n == name);
    Some(Columns {
        domain: at("domain").filter(|at| *at == 0)?,
        severity: at("severity"),
        reject_media: at("reject_media"),
        reject_reports: at("reject_reports"),
        public_comment: at("public_comment"),
        obfuscate: at("obfuscate"),
    })
}

fn flag(value: Option<&str>) -> Result<bool, String> {
    match value.map(|v| v.trim().to_ascii_lowercase()).as_deref() {
        None | Some("" | "false" | "0") => Ok(false),
        Some("true" | "1") => Ok(true),
        Some(other) => Err(format!("not true or false: {other}")),
    }
}

fn row(line: u64, fields: &[String], columns: &Columns) -> Result<Listed, String> {
    let field = |at: Option<usize>| at.and_then(|at| fields.get(at)).map(String::as_str);
    let domain_text = field(Some(columns.domain)).unwrap_or_default().trim();
    let domain = normalize(domain_text).ok_or_else(|| format!("not a domain: {}", domain_text.chars().take(100).collect::<String>()))?;
    let severity = match field(columns.severity).map(str::trim).filter(|s| !s.is_empty()) {
        None => Severity::Suspend,
        Some(text) => Severity::parse(text).ok_or_else(|| format!("not a severity: {}", text.chars().take(20).collect::<String>()))?,
    };
    let public_comment = field(columns.public_comment).map(str::trim).filter(|c| !c.is_empty()).map(str::to_string);
    if public_comment.as_ref().is_some_and(|c| c.chars().count() > MAX_COMMENT_CHARS) {
        return Err(format!("the comment is longer than {MAX_COMMENT_CHARS} characters"));
    }
    Ok(Listed {
        line,
        domain,
        severity,
        reject_media: flag(field(columns.reject_media))?,
        reject_reports: flag(field(columns.reject_reports))?,
        public_comment,
        obfuscate: flag(field(columns.obfuscate))?,
    })
}

/// The blocks `bytes` lists, or every problem found (each with its line), none applied.
pub fn read(bytes: &[u8]) -> Result<Vec<Listed>, Vec<String>> {
    if bytes.len() > MAX_BYTES {
        return Err(vec![format!("The file is {} bytes; a blocklist may be {} KiB at most", bytes.len(), MAX_BYTES / 1024)]);
    }
    // One more than the rows allowed (and the header), to tell "too many" from "just enough".
    let records = csv::read(bytes, MAX_ROW_BYTES, MAX_ROWS + 2);
    let mut records = records.into_iter().peekable();
    let columns = match records.peek().and_then(|r| r.fields.as_ref().ok()).and_then(|f| header(f)) {
        Some(columns) => {
            records.next();
            columns
        }
        None => Columns::default(),
    };
    let mut listed: Vec<Listed> = Vec::new();
    let mut problems = Vec::new();
    for record in records {
        if listed.len() + problems.len() >= MAX_ROWS {
            problems.push(format!("The file lists more than {MAX_ROWS} domains"));
            break;
        }
        let outcome = match &record.fields {
            Ok(fields) => row(record.line, fields, &columns),
            Err(bad) => Err(bad.to_string()),
        };
        match outcome {
            Ok(block) if listed.iter().any(|b| b.domain == block.domain) => problems.push(format!("line {}: {} is listed twice", record.line, block.domain)),
            Ok(block) => listed.push(block),
            Err(why) => problems.push(format!("line {}: {why}", record.line)),
        }
    }
    if problems.len() > MAX_PROBLEMS {
        let more = problems.len() - MAX_PROBLEMS;
        problems.truncate(MAX_PROBLEMS);
        problems.push(format!("and {more} more"));
    }
    if problems.is_empty() {
        Ok(listed)
    } else {
        Err(problems)
    }
}

/// One block as a row of the export.
pub struct Exported<'a> {
    pub domain: &'a str,
    pub severity: &'a str,
    pub reject_media: bool,
    pub reject_reports: bool,
    pub public_comment: Option<&'a str>,
    pub obfuscate: bool,
}

/// The export file, as Mastodon writes it (its header, `true`/`false`, an empty comment as
/// nothing).
pub fn write(blocks: &[Exported<'_>]) -> String {
    let mut out = String::new();
    csv::write(&mut out, &HEADER.map(Some));
    let yes = |b: bool| Some(if b { "true" } else { "false" });
    for b in blocks {
        csv::write(&mut out, &[Some(b.domain), Some(b.severity), yes(b.reject_media), yes(b.reject_reports), b.public_comment.or(Some("")), yes(b.obfuscate)]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn domains(listed: &[Listed]) -> Vec<&str> {
        listed.iter().map(|b| b.domain.as_str()).collect()
    }

    #[test]
    fn the_export_reads_back_as_it_was() {
        let blocks = [
            Exported { domain: "evil.example", severity: "suspend", reject_media: true, reject_reports: true, public_comment: Some("spam, \"lots\""), obfuscate: true },
            Exported { domain: "loud.example:8443", severity: "silence", reject_media: false, reject_reports: false, public_comment: None, obfuscate: false },
        ];
        let file = write(&blocks);
        assert!(file.starts_with("#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate\n"), "{file}");
        let back = read(file.as_bytes()).unwrap();
        assert_eq!(domains(&back), ["evil.example", "loud.example:8443"]);
        assert_eq!((back[0].severity, back[0].reject_media, back[0].obfuscate), (Severity::Suspend, true, true));
        assert_eq!(back[0].public_comment.as_deref(), Some("spam, \"lots\""));
        assert_eq!((back[1].severity, back[1].reject_reports, back[1].public_comment.as_deref(), back[1].line), (Severity::Silence, false, None, 3));
    }

    #[test]
    fn a_bare_list_suspends_each_domain() {
        let bare = read(b"\xef\xbb\xbfspam.example\r\n\r\nhttps://Junk.Example/\nother.example\n").unwrap();
        assert_eq!(domains(&bare), ["spam.example", "junk.example", "other.example"]);
        assert!(bare.iter().all(|b| b.severity == Severity::Suspend && !b.reject_media));
        let headed = read(b"domain,severity\nquiet.example,noop\n").unwrap();
        assert_eq!((headed[0].domain.as_str(), headed[0].severity), ("quiet.example", Severity::Noop));
    }

    #[test]
    fn every_bad_row_is_reported_and_nothing_is_read() {
        let problems = read(b"#domain,#severity,#reject_media\nok.example,suspend,false\nnot a domain,silence,\nx.example,obliterate,\ny.example,silence,maybe\nok.example,noop,\n").unwrap_err();
        assert_eq!(problems, [
            "line 3: not a domain: not a domain",
            "line 4: not a severity: obliterate",
            "line 5: not true or false: maybe",
            "line 6: ok.example is listed twice",
        ]);
    }

    #[test]
    fn files_are_limited_in_size_and_rows() {
        assert!(read(&vec![b'a'; MAX_BYTES + 1]).unwrap_err()[0].contains("64 KiB"));
        let many: String = (0..=MAX_ROWS).map(|n| format!("d{n}.example\n")).collect();
        assert!(many.len() <= MAX_BYTES);
        let problems = read(many.as_bytes()).unwrap_err();
        assert_eq!(problems, [format!("The file lists more than {MAX_ROWS} domains")]);
        let enough: String = (0..MAX_ROWS).map(|n| format!("d{n}.example\n")).collect();
        assert_eq!(read(enough.as_bytes()).unwrap().len(), MAX_ROWS);
        let long_comment = format!("#domain,#public_comment\na.example,{}\n", "x".repeat(1_001));
        assert_eq!(read(long_comment.as_bytes()).unwrap_err(), ["line 2: the comment is longer than 1000 characters"]);
        assert_eq!(read(b"").unwrap(), []);
    }
}
