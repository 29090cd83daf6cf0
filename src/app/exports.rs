//! The owner's follows, lists, blocks, mutes, blocked domains and bookmarks as the CSV files
//! Mastodon's settings offer (`Export` in Mastodon), byte for byte: the same header rows (only
//! follows and mutes have one), columns, order (newest first, but lists and domains in the order
//! they were made), `true`/`false`, Ruby's quoting, `\n` line ends, and addresses as
//! `user@domain` with our handle domain for the owner.
//!
//! Bounded: rows are read `PAGE_ROWS` per D1 query, and one file holds at most `MAX_ROWS`
//! (`MAX_PAGES` queries). A longer export is cut there and says where it goes on (`next`): the
//! surface links the rest (`Link: <…?cursor=…>; rel="next"`), and the parts, concatenated, are
//! the whole file (the header row is in the first part only).
use super::error::Result;
use super::imports::formats::{write_header, Kind};
use crate::ctx::Ctx;
use crate::domain::csv;
use crate::store::accounts::AccountRow;
use crate::store::{domain_blocks, lists, relationships, statuses};

/// Rows one D1 query reads.
pub const PAGE_ROWS: i64 = 1_000;
/// Queries one export makes at most: with the token check, far inside the free plan's 50.
pub const MAX_PAGES: usize = 5;
pub const MAX_ROWS: usize = PAGE_ROWS as usize * MAX_PAGES;

/// One export file, or the part of it that one request answers.
pub struct Export {
    pub kind: Kind,
    pub csv: String,
    pub rows: usize,
    /// Where the next part starts, when this one stopped at `MAX_ROWS`.
    pub next: Option<String>,
}

/// Where a part starts: a row key, or a list and a member for lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Cursor(i64, i64);

impl Cursor {
    fn parse(text: &str) -> Option<Cursor> {
        match text.split_once('.') {
            Some((a, b)) => Some(Cursor(a.parse().ok()?, b.parse().ok()?)),
            None => Some(Cursor(text.parse().ok()?, 0)),
        }
    }

    fn to_text(self, kind: Kind) -> String {
        match kind {
            Kind::Lists => format!("{}.{}", self.0, self.1),
            _ => self.0.to_string(),
        }
    }
}

/// `user@domain`, as Mastodon's `Export#acct` writes an account (ours with the handle domain).
fn acct(ctx: &Ctx<'_>, username: &str, domain: Option<&str>) -> String {
    format!("{username}@{}", domain.unwrap_or(&ctx.config.handle_domain))
}

/// The owner's `kind` export from `cursor` (a previous part's `next`) on.
pub async fn export(ctx: &Ctx<'_>, owner: &AccountRow, kind: Kind, cursor: Option<&str>) -> Result<Export> {
    let start = cursor.and_then(Cursor::parse);
    // Newest-first kinds walk down from the top; the others up from the start.
    let mut at = start.unwrap_or(match kind {
        Kind::DomainBlocking | Kind::Lists => Cursor(0, 0),
        _ => Cursor(i64::MAX, 0),
    });
    let mut out = String::new();
    if start.is_none() {
        write_header(&mut out, kind);
    }
    let mut rows = 0;
    for _ in 0..MAX_PAGES {
        let read = page(ctx, owner.id, kind, at, &mut out).await?;
        rows += read.0;
        match read.1 {
            Some(last) if read.0 == PAGE_ROWS as usize => at = last,
            _ => return Ok(Export { kind, csv: out, rows, next: None }),
        }
    }
    Ok(Export { kind, csv: out, rows, next: Some(at.to_text(kind)) })
}

/// One page written to `out`: how many rows, and the last one's cursor.
async fn page(ctx: &Ctx<'_>, owner: i64, kind: Kind, at: Cursor, out: &mut String) -> Result<(usize, Option<Cursor>)> {
    let flag = |b: bool| if b { "true" } else { "false" };
    let (count, last) = match kind {
        Kind::Following => {
            let page = relationships::export_following(ctx.db, owner, at.0, PAGE_ROWS).await?;
            for follow in &page {
                let languages: Option<Vec<String>> = follow.languages.as_deref().and_then(|l| serde_json::from_str(l).ok());
                let languages = languages.map(|l| l.join(", "));
                let address = acct(ctx, &follow.username, follow.domain.as_deref());
                csv::write(out, &[Some(&address), Some(flag(follow.show_reblogs)), Some(flag(follow.notify)), languages.as_deref()]);
            }
            (page.len(), page.last().map(|f| Cursor(f.id, 0)))
        }
        Kind::Blocking | Kind::Muting => {
            let mutes = kind == Kind::Muting;
            let page = relationships::export_blocks_or_mutes(ctx.db, owner, mutes, at.0, PAGE_ROWS).await?;
            for row in &page {
                let address = acct(ctx, &row.username, row.domain.as_deref());
                if mutes {
                    csv::write(out, &[Some(&address), Some(flag(row.hide_notifications))]);
                } else {
                    csv::write(out, &[Some(&address)]);
                }
            }
            (page.len(), page.last().map(|r| Cursor(r.id, 0)))
        }
        Kind::DomainBlocking => {
            let page = domain_blocks::export_page(ctx.db, owner, at.0, PAGE_ROWS).await?;
            for block in &page {
                csv::write(out, &[Some(&block.domain)]);
            }
            (page.len(), page.last().map(|b| Cursor(b.id, 0)))
        }
        Kind::Bookmarks => {
            let page = statuses::export_bookmarks(ctx.db, owner, at.0, PAGE_ROWS).await?;
            for (_, uri) in &page {
                csv::write(out, &[Some(uri)]);
            }
            (page.len(), page.last().map(|(id, _)| Cursor(*id, 0)))
        }
        Kind::Lists => {
            let page = lists::export_members(ctx.db, owner, (at.0, at.1), PAGE_ROWS).await?;
            for member in &page {
                let address = acct(ctx, &member.username, member.domain.as_deref());
                csv::write(out, &[Some(&member.title), Some(&address)]);
            }
            (page.len(), page.last().map(|m| Cursor(m.list_id, m.member)))
        }
    };
    Ok((count, last))
}
