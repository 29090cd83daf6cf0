//! The phases of an export and what one step does in each (`State::work`): pages of posts into
//! `outbox.json`, stored files copied a piece at a time, the URIs of `likes.json` and
//! `bookmarks.json`, the avatar, header and `actor.json`, then the zip's directory.
use serde_json::{json, Value};

use super::export::{BYTES_PER_UNIT, STEP_UNITS};
use super::items::{activities, actor, collection_start, extension, stored_key};
use super::writer::{Open, Writer};
use super::{context, media_path};
use crate::app::error::{Error, Result};
use crate::app::owner::Owner;
use crate::ctx::{log_error, Ctx};
use crate::domain::zip;
use crate::store::archives::{self as store, ExportRow, FileRow, MarkedRow};
use crate::store::db::decode;
use crate::store::statuses::{self, StatusRow};

const UNITS_PER_POST: u64 = 2;
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

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
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
    pub fn name(self) -> &'static str {
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
pub struct State {
    pub phase: Phase,
    pub cursor: i64,
    pub open: Option<Open>,
    statuses_total: i64,
    pub statuses_done: i64,
    pub media_done: i64,
    entries_before: i64,
    units: u64,
    calls: u32,
}

impl State {
    pub fn of(row: &ExportRow) -> Result<State> {
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

    pub fn spent(&self) -> bool {
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

    /// A collection file (`outbox.json`, `likes.json`, …) is closed and its phase ends once a read
    /// came back short (`done`); otherwise it stays open for the next step.
    fn end_collection_if(&mut self, out: &mut Writer, mut open: Open, done: bool) {
        if done {
            out.append(&mut open, b"]}");
            out.close(open);
            self.next_phase();
        } else {
            self.open = Some(open);
        }
    }

    /// One piece of work of the current phase.
    pub async fn work(&mut self, ctx: &Ctx<'_>, owner: &Owner, row: &ExportRow, out: &mut Writer) -> Result<()> {
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
        let limit = (self.left() / UNITS_PER_POST).max(1) as i64;
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
        self.units += rows.len() as u64 * UNITS_PER_POST;
        self.statuses_done += rows.len() as i64;
        self.cursor = rows.last().map_or(self.cursor, |r| r.id);
        self.end_collection_if(out, open, (rows.len() as i64) < limit);
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
        self.end_collection_if(out, open, (rows.len() as i64) < MARKS_PER_READ);
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

