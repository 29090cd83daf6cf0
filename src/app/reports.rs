//! The admin's report queue: reports the owner filed and those other servers sent (`Flag`),
//! resolved, reopened, or resolved by acting on the remote account (limit, suspend, block its
//! domain). The web page (`/admin/reports`) and the admin API (`/api/v1/admin/reports`) call in
//! here with a `ReportAction`.
use super::error::{Error, Result};
use super::moderation::{self, BlockDomain};
use crate::ctx::Ctx;
use crate::domain::moderation::Severity;
use crate::store::accounts;
use crate::store::instance_domain_blocks as blocks;
use crate::store::reports::{self as store, ReportRow};

/// What the admin does with a report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReportAction {
    /// Closed as it is: nothing else changes.
    Resolve,
    /// Open again (what was done to the account stays done).
    Reopen,
    /// The remote account is limited (Mastodon's "limit", `silenced_at`), and the report resolved.
    Limit,
    /// The remote account is suspended: its stored content removed, its activities refused.
    Suspend,
    /// The remote account's whole server is suspended (an instance domain block).
    BlockDomain,
}

impl ReportAction {
    pub fn parse(text: &str) -> Option<ReportAction> {
        match text {
            "resolve" => Some(ReportAction::Resolve),
            "reopen" => Some(ReportAction::Reopen),
            "limit" => Some(ReportAction::Limit),
            "suspend" => Some(ReportAction::Suspend),
            "block_domain" => Some(ReportAction::BlockDomain),
            _ => None,
        }
    }

    /// As `reports.action_taken` keeps it.
    pub fn as_str(self) -> &'static str {
        match self {
            ReportAction::Resolve => "resolve",
            ReportAction::Reopen => "reopen",
            ReportAction::Limit => "limit",
            ReportAction::Suspend => "suspend",
            ReportAction::BlockDomain => "block_domain",
        }
    }
}

/// Which account of a report the actions on an account apply to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Subject {
    pub id: i64,
    pub uri: String,
    pub domain: String,
    /// The reported account (else the reporter).
    pub is_target: bool,
}

/// The remote account a report's actions apply to: the reported account when it is remote (a
/// report the owner filed); else the reporter when remote, since a report other servers send
/// is about the owner and the only other party is whoever sent it. None: both are local.
pub fn subject(report: &ReportRow) -> Option<Subject> {
    match (&report.target_domain, &report.reporter_domain) {
        (Some(domain), _) => Some(Subject { id: report.target_account_id, uri: report.target_uri.clone(), domain: domain.clone(), is_target: true }),
        (None, Some(domain)) => Some(Subject { id: report.account_id, uri: report.reporter_uri.clone(), domain: domain.clone(), is_target: false }),
        (None, None) => None,
    }
}

/// Applies `action` to report `id`; the report as it is afterwards.
pub async fn act(ctx: &Ctx<'_>, id: i64, action: ReportAction) -> Result<ReportRow> {
    let report = store::get(ctx.db, id).await?.ok_or(Error::NotFound)?;
    let now = ctx.now_ms();
    let resolve = store::resolve(id, action.as_str(), now);
    match action {
        ReportAction::Resolve => ctx.db.run(&resolve).await.map(|_| ())?,
        ReportAction::Reopen => ctx.db.run(&store::reopen(id)).await.map(|_| ())?,
        ReportAction::Limit | ReportAction::Suspend | ReportAction::BlockDomain => {
            let subject = subject(&report).ok_or_else(|| Error::Invalid("This report names no remote account to act on".into()))?;
            match action {
                ReportAction::Limit => ctx.db.batch(&[accounts::limit(subject.id, now), resolve]).await?,
                ReportAction::Suspend => {
                    let mut queries = accounts::suspend(subject.id, now);
                    queries.push(resolve);
                    ctx.db.batch(&queries).await?;
                    moderation::forget(ctx);
                }
                _ => {
                    block_domain(ctx, &subject.domain).await?;
                    ctx.db.run(&resolve).await?;
                }
            }
        }
    }
    store::get(ctx.db, id).await?.ok_or(Error::NotFound)
}

/// The domain suspended: a new block, or the existing block of exactly that domain made a
/// suspension (its other settings kept).
async fn block_domain(ctx: &Ctx<'_>, domain: &str) -> Result<()> {
    let domain = crate::domain::moderation::normalize(domain).ok_or_else(|| Error::Invalid(format!("Domain is not a valid domain name: {domain}")))?;
    let existing = blocks::all(ctx.db).await?.into_iter().find(|b| b.domain == domain);
    match existing {
        Some(block) if block.severity == Severity::Suspend.as_str() => Ok(()),
        Some(block) => {
            let command = BlockDomain {
                severity: Severity::Suspend,
                reject_media: block.reject_media,
                reject_reports: block.reject_reports,
                private_comment: block.private_comment,
                public_comment: block.public_comment,
                obfuscate: block.obfuscate,
            };
            moderation::update(ctx, block.id, command).await.map(|_| ())
        }
        None => {
            let command = BlockDomain {
                severity: Severity::Suspend,
                reject_media: false,
                reject_reports: false,
                private_comment: Some("Blocked from a report".into()),
                public_comment: None,
                obfuscate: false,
            };
            moderation::create(ctx, &domain, command).await.map(|_| ())
        }
    }
}

#[cfg(test)]
mod tests;
