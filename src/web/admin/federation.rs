//! `/admin/federation`: federation health, the peers with failed deliveries and what is held,
//! and retrying a peer now.
use askama::Template;

use crate::web::signed_in;
use crate::web::views::date_label;
use crate::ctx::Ctx;
use crate::edge::error::ApiError;
use crate::edge::http::{Request, Response};

struct PeerView {
    domain: String,
    software: String,
    down_since: Option<String>,
    last_failure: String,
    last_success: Option<String>,
    failures: i64,
}

struct FailureLine {
    at: String,
    inbox: String,
    activity: String,
    outcome: String,
}

#[derive(Template)]
#[template(path = "admin_federation.html")]
struct FederationPage<'a> {
    instance_title: &'a str,
    csrf_token: &'a str,
    peers: Vec<PeerView>,
    failures: Vec<FailureLine>,
    kept: i64,
    kept_since: Option<String>,
    notice: Option<String>,
}

/// `GET /admin/federation`: peers that are down or refused deliveries, the latest failures and
/// why, and what the queue refused (kept in D1 until the cron sends it).
pub async fn index(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    let session = match signed_in::require(ctx, req).await? {
        Ok(session) => session,
        Err(away) => return Ok(away),
    };
    federation_page(ctx, &session.csrf_token(), req.query_params().str("retried")).await
}

async fn federation_page(ctx: &Ctx<'_>, csrf_token: &str, retried: Option<String>) -> Result<Response, ApiError> {
    use crate::store::db::decode;
    use crate::store::federation::{health_queries, FailureView, KeptSummary, PeerHealthRow};
    let mut answers = ctx.db.batch_rows(&health_queries()).await?.into_iter();
    let peers = decode::<PeerHealthRow>(answers.next().unwrap_or_default())?
        .into_iter()
        .map(|p| PeerView {
            software: p.software.unwrap_or_default(),
            down_since: p.unreachable_since.map(date_label),
            last_failure: p.last_failure.unwrap_or_default(),
            last_success: p.last_success_at.map(date_label),
            failures: p.failures,
            domain: p.domain,
        })
        .collect();
    let failures = decode::<FailureView>(answers.next().unwrap_or_default())?
        .into_iter()
        .map(|f| FailureLine {
            at: date_label(f.created_at),
            inbox: f.inbox_url,
            activity: f.activity.unwrap_or_default(),
            outcome: match (f.dead_lettered, f.last_status) {
                (1, _) => format!("retries ran out: {}", f.last_error.unwrap_or_default()),
                (_, None) => format!("held: {}", f.last_error.unwrap_or_default()),
                (_, Some(0)) => format!("not sent: {}", f.last_error.unwrap_or_default()),
                (_, Some(status)) => format!("refused, HTTP {status}: {}", f.last_error.unwrap_or_default()),
            },
        })
        .collect();
    let kept = decode::<KeptSummary>(answers.next().unwrap_or_default())?.pop().unwrap_or(KeptSummary { kept: 0, oldest: None });
    let page = FederationPage {
        instance_title: &ctx.config.title,
        csrf_token,
        peers,
        failures,
        kept: kept.kept,
        kept_since: kept.oldest.map(date_label),
        notice: retried,
    };
    Ok(signed_in::private(crate::web::render(200, &page)))
}

/// `POST /admin/federation/:domain/retry`: the peer's held and dead-lettered deliveries are
/// queued again now, and the peer is no longer held.
pub async fn retry_peer(ctx: &Ctx<'_>, req: &Request, domain: &str) -> Result<Response, ApiError> {
    if let Err(refused) = signed_in::form(ctx, req).await? {
        return Ok(refused);
    }
    let domain = crate::domain::moderation::normalize(domain).ok_or(ApiError::NotFound)?;
    let queued = crate::app::jobs::retry_peer(ctx, &domain).await?;
    let notice: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("retried", &format!("{domain}: {queued} deliveries queued again"))
        .finish();
    Ok(Response::redirect(303, &format!("/admin/federation?{notice}")))
}
