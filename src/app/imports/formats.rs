//! The files, pure: Mastodon's CSV formats for each kind of import and export, read as Mastodon
//! reads them (`Form::Import`), and the variants other software writes.
//!
//! | kind | Mastodon's file (header) | also read |
//! |---|---|---|
//! | following | `Account address,Show boosts,Notify on new posts,Languages` | GoToSocial's `Account address,Show boosts`; a bare list of addresses (Pleroma/Akkoma-FE, Misskey, Iceshrimp, Iceshrimp.NET); Misskey's `user@host,withReplies=true` |
//! | blocking | none: one address a line | GoToSocial's, Misskey's, Pleroma's (the same) |
//! | muting | `Account address,Hide notifications` | a bare list (Misskey, Pleroma-FE) |
//! | domain_blocking | none: one domain a line | |
//! | bookmarks | none: one post URI a line | |
//! | lists | none: `list name,account address` | GoToSocial's (the same); Misskey's unquoted `name,user@host`, whose name may hold commas |
//!
//! As Mastodon: the first row is a header when its first field is one a Mastodon file begins
//! with; columns are then found by name (their order may differ), and a file without one is
//! read with the kind's default columns. A row's values are converted as Mastodon converts them
//! (booleans as Rails casts them, a leading `@` dropped, domains lower-cased). Unlike Mastodon,
//! a byte order mark is dropped, values are trimmed before they are cast, and a row that cannot
//! be used fails on its own with its line number instead of refusing the whole file.
use serde::{Deserialize, Serialize};

use crate::domain::csv::{self, BadRecord, Record};

/// More rows than this and the file is refused (Mastodon: 20,000): what one request can parse
/// and store inside the free plan's 10 ms of CPU (2,000 rows measured 7.4 ms of Worker CPU at
/// the median, p99 9.9; 5,000 rows 16–17 ms),
/// and as many as one export answer holds (`app::exports::MAX_ROWS`), so that any part of an
/// export imports as it is.
pub const MAX_ROWS: usize = 2_000;
/// A longer row fails on its own (an address is under 300 bytes, a post's URI under 2,048).
pub const MAX_ROW_BYTES: usize = 4_096;
/// A list's name, as the row gives it, at most.
const MAX_LIST_NAME_CHARS: usize = 256;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Following,
    Blocking,
    Muting,
    DomainBlocking,
    Bookmarks,
    Lists,
}

impl Kind {
    pub const ALL: [Kind; 6] = [Kind::Following, Kind::Blocking, Kind::Muting, Kind::DomainBlocking, Kind::Bookmarks, Kind::Lists];

    /// Mastodon's names (`BulkImport#type`), and GoToSocial's for the kinds it imports.
    pub fn parse(name: &str) -> Option<Kind> {
        Some(match name.trim().to_ascii_lowercase().as_str() {
            "following" => Kind::Following,
            "blocking" | "blocks" => Kind::Blocking,
            "muting" | "mutes" => Kind::Muting,
            "domain_blocking" => Kind::DomainBlocking,
            "bookmarks" => Kind::Bookmarks,
            "lists" => Kind::Lists,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Following => "following",
            Kind::Blocking => "blocking",
            Kind::Muting => "muting",
            Kind::DomainBlocking => "domain_blocking",
            Kind::Bookmarks => "bookmarks",
            Kind::Lists => "lists",
        }
    }

    /// The columns of a file without a header row (`default_csv_headers`): the first only, but
    /// for lists.
    fn default_columns(self) -> &'static [&'static str] {
        match self {
            Kind::Following | Kind::Blocking | Kind::Muting => &[ACCOUNT],
            Kind::DomainBlocking => &[DOMAIN],
            Kind::Bookmarks => &[URI],
            Kind::Lists => &[LIST_NAME, ACCOUNT],
        }
    }

    /// The header row Mastodon writes in its export and failures files of this kind.
    pub fn header(self) -> Option<&'static [&'static str]> {
        match self {
            Kind::Following => Some(&[ACCOUNT, SHOW_BOOSTS, NOTIFY, LANGUAGES]),
            Kind::Muting => Some(&[ACCOUNT, HIDE_NOTIFICATIONS]),
            _ => None,
        }
    }

    /// The name Mastodon gives its export of this kind (`"#{controller_name}.csv"`).
    pub fn export_filename(self) -> &'static str {
        match self {
            Kind::Following => "following_accounts.csv",
            Kind::Blocking => "blocked_accounts.csv",
            Kind::Muting => "muted_accounts.csv",
            Kind::DomainBlocking => "blocked_domains.csv",
            Kind::Bookmarks => "bookmarks.csv",
            Kind::Lists => "lists.csv",
        }
    }

    /// The name of the file of rows that failed (`Settings::ImportsController::TYPE_TO_FILENAME_MAP`).
    pub fn failures_filename(self) -> String {
        self.export_filename().replace(".csv", "_failures.csv")
    }
}

const ACCOUNT: &str = "Account address";
const SHOW_BOOSTS: &str = "Show boosts";
const NOTIFY: &str = "Notify on new posts";
const LANGUAGES: &str = "Languages";
const HIDE_NOTIFICATIONS: &str = "Hide notifications";
const DOMAIN: &str = "#domain";
const URI: &str = "#uri";
const LIST_NAME: &str = "List name";
/// A header row begins with one of these (`KNOWN_FIRST_HEADERS`).
const KNOWN_FIRST_COLUMNS: [&str; 4] = [ACCOUNT, DOMAIN, URI, LIST_NAME];

/// What one row asks for, under the keys of Mastodon's `BulkImportRow#data` (stored as JSON).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowData {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acct: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub show_reblogs: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notify: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub languages: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hide_notifications: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub list_name: Option<String>,
}

/// One row of a file, ready to store: `key` names what it is about in a form that compares
/// (an overwrite keeps what some row names); `error` says why it cannot be imported at all.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileRow {
    pub line: u64,
    pub key: String,
    pub data: RowData,
    pub error: Option<String>,
}

#[derive(Debug)]
pub struct Parsed {
    pub rows: Vec<FileRow>,
    /// The file looks like another kind than the one chosen (Mastodon's warning, by the
    /// columns and the file's name).
    pub likely_mismatched: bool,
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum FileError {
    #[error("Empty CSV file")]
    Empty,
    #[error("Incompatible with the selected import type: a {0} file has no {1:?} column")]
    Incompatible(&'static str, &'static str),
    #[error("The file holds more than {MAX_ROWS} rows: split it and import the parts one after the other")]
    TooManyRows,
}

/// An account address as rows give it: `user@domain`, with or without a leading `@` (or
/// `acct:`); `user` alone names a local account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Acct {
    pub username: String,
    /// `None`: ours.
    pub domain: Option<String>,
}

impl Acct {
    /// `local_domains`: the handle domain first, then any other name of this server.
    pub fn parse(text: &str, local_domains: &[&str]) -> Result<Acct, String> {
        let text = text.trim();
        let bare = text.strip_prefix("acct:").unwrap_or(text).trim_start_matches('@');
        let invalid = || format!("{text:?} is not an account address (user@domain)");
        let (username, domain) = match bare.split_once('@') {
            Some((username, domain)) => (username, Some(domain.to_ascii_lowercase())),
            None => (bare, None),
        };
        let username_ok = !username.is_empty() && username.len() <= 255 && username.chars().all(|c| c.is_alphanumeric() || "_.-~".contains(c));
        let domain_ok = domain.as_deref().is_none_or(|d| {
            !d.is_empty() && d.len() <= 260 && !d.starts_with(['.', '-', ':']) && d.chars().all(|c| c.is_alphanumeric() || ".-:[]".contains(c))
        });
        if !username_ok || !domain_ok {
            return Err(invalid());
        }
        let domain = domain.filter(|d| !local_domains.iter().any(|local| local.eq_ignore_ascii_case(d)));
        Ok(Acct { username: username.to_string(), domain })
    }

    /// `user@domain` as it compares: ASCII lower case, as SQL's `lower()` (see `account_key`).
    pub fn key(&self, handle_domain: &str) -> String {
        account_key(&self.username, self.domain.as_deref(), handle_domain)
    }
}

/// The key of a stored account; `store::imports` builds the same in SQL:
/// `lower(username) || '@' || lower(ifnull(domain, handle_domain))`.
pub fn account_key(username: &str, domain: Option<&str>, handle_domain: &str) -> String {
    format!("{}@{}", username.to_ascii_lowercase(), domain.unwrap_or(handle_domain).to_ascii_lowercase())
}

/// A domain as `#domain` rows give it, checked as `POST /api/v1/domain_blocks` checks it.
pub fn parse_domain(text: &str) -> Result<String, String> {
    let domain = text.trim().trim_start_matches("https://").trim_start_matches("http://").trim_end_matches('/').to_lowercase();
    let valid = domain.contains('.') && domain.len() <= 260 && domain.chars().all(|c| c.is_alphanumeric() || "-.:".contains(c));
    if valid {
        Ok(domain)
    } else {
        Err(format!("{text:?} is not a domain"))
    }
}

/// Rails' boolean cast (`ActiveModel::Type::Boolean`): blank is "not given", the listed false
/// words are false, anything else is true (so Misskey's `withReplies=false` reads as true; it
/// is not a column Mastodon reads anyway).
fn boolean(value: &str) -> Option<bool> {
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    Some(!matches!(value.to_ascii_lowercase().as_str(), "0" | "f" | "false" | "off"))
}

/// Parses an uploaded file as Mastodon's importer does (see the module's comment).
/// `local_domains`: the handle domain, then the host.
pub fn parse(kind: Kind, bytes: &[u8], filename: &str, local_domains: &[&str]) -> Result<Parsed, FileError> {
    // The header, the rows, and one more to tell a file over the limit.
    let records = csv::read(bytes, MAX_ROW_BYTES, MAX_ROWS + 2);
    let Some(first) = records.first() else { return Err(FileError::Empty) };
    let header: Option<Vec<String>> = first
        .fields
        .as_ref()
        .ok()
        .filter(|fields| KNOWN_FIRST_COLUMNS.contains(&fields[0].trim()))
        .map(|fields| fields.iter().map(|f| f.trim().to_string()).collect());
    let headerless = header.is_none();
    let (columns, records): (Vec<String>, &[Record]) = match header {
        Some(header) => (header, &records[1..]),
        None => (kind.default_columns().iter().map(|c| c.to_string()).collect(), &records[..]),
    };
    if let Some(missing) = kind.default_columns().iter().find(|c| !columns.iter().any(|have| have == *c)) {
        return Err(FileError::Incompatible(kind.as_str(), missing));
    }
    if records.len() > MAX_ROWS {
        return Err(FileError::TooManyRows);
    }
    let likely_mismatched = guessed_kind(&columns, filename).is_some_and(|guess| guess != kind);
    let handle_domain = local_domains.first().copied().unwrap_or_default();
    let rows = records.iter().map(|record| row(kind, &columns, headerless, record, local_domains, handle_domain)).collect();
    Ok(Parsed { rows, likely_mismatched })
}

/// Mastodon's `Form::Import#guessed_type`.
fn guessed_kind(columns: &[String], filename: &str) -> Option<Kind> {
    let has = |name: &str| columns.iter().any(|c| c == name);
    let named = |prefix: &str| filename.starts_with(prefix);
    if has(HIDE_NOTIFICATIONS) || named("mutes") || named("muted_accounts") {
        Some(Kind::Muting)
    } else if has(SHOW_BOOSTS) || has(NOTIFY) || has(LANGUAGES) || named("follows") || named("following_accounts") {
        Some(Kind::Following)
    } else if named("blocks") || named("blocked_accounts") {
        Some(Kind::Blocking)
    } else if named("domain_blocks") || named("blocked_domains") {
        Some(Kind::DomainBlocking)
    } else if named("bookmarks") {
        Some(Kind::Bookmarks)
    } else if named("lists") {
        Some(Kind::Lists)
    } else {
        None
    }
}

fn row(kind: Kind, columns: &[String], headerless: bool, record: &Record, local_domains: &[&str], handle_domain: &str) -> FileRow {
    let fields = match &record.fields {
        Ok(fields) => fields,
        Err(bad) => return failed(kind, record.line, bad),
    };
    let value = |name: &str| -> Option<&str> {
        let at = columns.iter().position(|c| c == name)?;
        fields.get(at).map(|f| f.trim())
    };
    let mut data = RowData::default();
    let check = |data: &mut RowData, text: Option<&str>| -> Result<String, String> {
        let text = text.filter(|t| !t.is_empty()).ok_or("the row has no account address")?;
        let acct = Acct::parse(text, local_domains);
        data.acct = Some(text.trim_start_matches('@').to_string());
        acct.map(|a| a.key(handle_domain))
    };
    let checked: Result<String, String> = match kind {
        Kind::Following => {
            data.show_reblogs = value(SHOW_BOOSTS).and_then(boolean);
            data.notify = value(NOTIFY).and_then(boolean);
            data.languages = value(LANGUAGES)
                .map(|l| l.split(',').map(str::trim).filter(|l| !l.is_empty()).map(String::from).collect::<Vec<_>>())
                .filter(|l| !l.is_empty());
            check(&mut data, value(ACCOUNT))
        }
        Kind::Blocking => check(&mut data, value(ACCOUNT)),
        Kind::Muting => {
            data.hide_notifications = value(HIDE_NOTIFICATIONS).and_then(boolean);
            check(&mut data, value(ACCOUNT))
        }
        Kind::DomainBlocking => {
            let text = value(DOMAIN).unwrap_or_default();
            data.domain = Some(text.to_lowercase());
            parse_domain(text).and_then(|domain| {
                if local_domains.iter().any(|local| local.eq_ignore_ascii_case(&domain)) {
                    return Err("You cannot block your own domain".to_string());
                }
                data.domain = Some(domain.clone());
                Ok(domain)
            })
        }
        Kind::Bookmarks => {
            let uri = value(URI).unwrap_or_default();
            data.uri = Some(uri.to_string());
            let web = url::Url::parse(uri).ok().filter(|u| matches!(u.scheme(), "https" | "http") && u.host().is_some());
            web.map(|_| uri.to_string()).ok_or_else(|| format!("{uri:?} is not the address of a post"))
        }
        Kind::Lists => {
            // Misskey writes `name,user@host` unquoted, so a name with commas spans fields: the
            // address is the last field, the name everything before it.
            let (name, acct) = match fields.as_slice() {
                [init @ .., last] if headerless && init.len() > 1 && last.contains('@') => (init.join(",").trim().to_string(), Some(last.trim())),
                _ => (value(LIST_NAME).unwrap_or_default().to_string(), value(ACCOUNT)),
            };
            data.list_name = Some(name.clone());
            match check(&mut data, acct) {
                Ok(_) if name.is_empty() => Err("the row has no list name".to_string()),
                Ok(_) if name.chars().count() > MAX_LIST_NAME_CHARS => Err(format!("the list name is longer than {MAX_LIST_NAME_CHARS} characters")),
                Ok(_) => Ok(name),
                Err(e) => Err(e),
            }
        }
    };
    match checked {
        Ok(key) => FileRow { line: record.line, key, data, error: None },
        Err(error) => FileRow { line: record.line, key: String::new(), data, error: Some(error) },
    }
}

/// A record that cannot be read: kept, with its beginning, as a failed row.
fn failed(kind: Kind, line: u64, bad: &BadRecord) -> FileRow {
    let shown = Some(bad.preview().to_string());
    let mut data = RowData::default();
    match kind {
        Kind::DomainBlocking => data.domain = shown,
        Kind::Bookmarks => data.uri = shown,
        Kind::Lists => data.list_name = shown,
        _ => data.acct = shown,
    }
    FileRow { line, key: String::new(), data, error: Some(bad.to_string()) }
}

/// One row as Mastodon writes it in a failures file (`BulkImportRow#to_csv`), which is also
/// its export format: the file can be imported again.
pub fn write_row(out: &mut String, kind: Kind, data: &RowData) {
    let text = |b: bool| if b { "true" } else { "false" };
    let languages = data.languages.as_ref().map(|l| l.join(", "));
    match kind {
        Kind::Following => csv::write(
            out,
            &[data.acct.as_deref(), Some(text(data.show_reblogs.unwrap_or(true))), Some(text(data.notify.unwrap_or(false))), languages.as_deref()],
        ),
        Kind::Blocking => csv::write(out, &[data.acct.as_deref()]),
        Kind::Muting => csv::write(out, &[data.acct.as_deref(), Some(text(data.hide_notifications.unwrap_or(true)))]),
        Kind::DomainBlocking => csv::write(out, &[data.domain.as_deref()]),
        Kind::Bookmarks => csv::write(out, &[data.uri.as_deref()]),
        Kind::Lists => csv::write(out, &[data.list_name.as_deref(), data.acct.as_deref()]),
    }
}

/// The header row of `kind`'s files, if it has one.
pub fn write_header(out: &mut String, kind: Kind) {
    if let Some(header) = kind.header() {
        csv::write(out, &header.iter().map(|h| Some(*h)).collect::<Vec<_>>());
    }
}

#[cfg(test)]
#[path = "formats_tests.rs"]
mod tests;
