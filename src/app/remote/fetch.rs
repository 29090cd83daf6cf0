//! Outbound HTTP for federation: the address guard every fetch and delivery passes, and signed
//! GETs of ActivityPub documents (as the instance actor, so that servers in secure mode answer).
//! Deliveries (`federation::deliver`) sign their POSTs with the same helpers.
use std::net::{IpAddr, Ipv4Addr};

use serde_json::Value;

use crate::activitypub::signatures::{cavage_header, http_date, rfc9421_headers, sign_cavage, sign_rfc9421};
use crate::activitypub::vocab::host_of;
use crate::ctx::{Ctx, HttpRequest, HttpResponse};
use crate::app::owner;

/// Limits on every outbound request: a slow or huge peer must not eat the invocation.
pub const TIMEOUT_MS: u32 = 10_000;
pub const MAX_DOCUMENT_BYTES: usize = 1024 * 1024;
const MAX_REDIRECTS: usize = 3;

pub const AP_ACCEPT: &str = "application/activity+json, application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"";

#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("refused address: {0}")]
    Refused(String),
    #[error("{0}: gone")]
    Gone(String),
    #[error("{url}: HTTP {status}")]
    Status { url: String, status: u16 },
    #[error("{0}")]
    Network(String),
    #[error("{url}: not an ActivityPub document: {reason}")]
    Malformed { url: String, reason: String },
    #[error("signing: {0}")]
    Signing(String),
}

impl FetchError {
    /// Whether trying again later might succeed (the peer or the network is having a bad time).
    pub fn is_transient(&self) -> bool {
        match self {
            FetchError::Network(_) => true,
            FetchError::Status { status, .. } => *status >= 500 || *status == 408 || *status == 429,
            _ => false,
        }
    }
}

/// The host of an http(s) URL, or why it may not be fetched. Private, loopback, link-local and
/// unspecified addresses (and `localhost`) are refused unless `ALLOW_PRIVATE_ADDRESSES` is set
/// for local development and tests. Names are not resolved here (Workers cannot), and
/// Cloudflare's own egress refuses private destinations for names that resolve to them.
pub fn check_url(allow_private: bool, url: &str) -> Result<url::Url, FetchError> {
    let parsed = url::Url::parse(url).map_err(|e| FetchError::Refused(format!("{url}: {e}")))?;
    if !matches!(parsed.scheme(), "https" | "http") {
        return Err(FetchError::Refused(format!("{url}: only http(s) is fetched")));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(FetchError::Refused(format!("{url}: credentials in URL")));
    }
    if allow_private {
        return Ok(parsed);
    }
    let private = match parsed.host() {
        None => true,
        Some(url::Host::Domain(name)) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            name == "localhost" || name.ends_with(".localhost") || name.ends_with(".local") || name.ends_with(".internal")
        }
        Some(url::Host::Ipv4(ip)) => is_private(IpAddr::V4(ip)),
        Some(url::Host::Ipv6(ip)) => is_private(IpAddr::V6(ip)),
    };
    if private {
        return Err(FetchError::Refused(format!("{url}: private address (set ALLOW_PRIVATE_ADDRESSES only for development)")));
    }
    Ok(parsed)
}

fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_private_v4(v4),
        IpAddr::V6(v6) => {
            let segments = v6.segments();
            let embedded_v4 = |high: u16, low: u16| Ipv4Addr::from(((high as u32) << 16) | low as u32);
            // IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d), NAT64 (64:ff9b::/96 and the
            // local-use 64:ff9b:1::/48) and 6to4 (2002::/16) carry an IPv4 address that a gateway
            // may reach: judge that address.
            // (`::1` and `::` read as 0.0.0.1 and 0.0.0.0 here, which are refused as 0.0.0.0/8.)
            if let Some(v4) = v6.to_ipv4() {
                return is_private_v4(v4);
            }
            if segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
                return is_private_v4(embedded_v4(segments[6], segments[7]));
            }
            if segments[0] == 0x2002 {
                return is_private_v4(embedded_v4(segments[1], segments[2]));
            }
            let first = segments[0];
            (first, segments[1]) == (0x64, 0xff9b) // NAT64 local use
                || (first & 0xfe00) == 0xfc00 // unique local
                || (first & 0xffc0) == 0xfe80 // link-local
                || (first & 0xffc0) == 0xfec0 // site-local (deprecated, still routed by some)
                || (first & 0xff00) == 0xff00 // multicast
                || (first, segments[1]) == (0x2001, 0) // Teredo: a tunnel to any IPv4 address
                || (first, segments[1]) == (0x2001, 0xdb8) // documentation
                || segments[..4] == [0x100, 0, 0, 0] // discard-only
        }
    }
}

fn is_private_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // carrier-grade NAT
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || (a, b, c) == (192, 0, 0) // IETF protocol assignments
        || (a, b, c) == (192, 0, 2) || (a, b, c) == (198, 51, 100) || (a, b, c) == (203, 0, 113) // documentation
        || (a, b, c) == (192, 88, 99) // 6to4 relay anycast
        || a >= 224 // multicast and reserved
}

/// One request through the guard, following redirects (each hop checked again).
pub async fn send(ctx: &Ctx<'_>, request: HttpRequest, max_bytes: usize) -> Result<HttpResponse, FetchError> {
    send_following(ctx, request, max_bytes, MAX_REDIRECTS).await.map(|(response, _)| response)
}

/// `send`, and the URL that finally answered (after redirects).
pub async fn send_answered(ctx: &Ctx<'_>, request: HttpRequest, max_bytes: usize) -> Result<(HttpResponse, String), FetchError> {
    send_following(ctx, request, max_bytes, MAX_REDIRECTS).await
}

/// `send`, with at most `redirects` hops; also returns the URL that answered.
async fn send_following(ctx: &Ctx<'_>, mut request: HttpRequest, max_bytes: usize, redirects: usize) -> Result<(HttpResponse, String), FetchError> {
    for _ in 0..=redirects {
        check_url(ctx.config.allow_private_addresses, &request.url)?;
        if crate::app::moderation::standing_for_fetch(ctx, host_of(&request.url).as_deref()).await?.suspended {
            return Err(FetchError::Refused(format!("{}: the server is suspended here", request.url)));
        }
        // Some servers (snac) close every connection without saying so; the runtime may have
        // reused one of those and lost it. A fresh connection usually answers: try once more.
        let response = match ctx.http.send(request.clone(), TIMEOUT_MS, max_bytes).await {
            Ok(response) => response,
            Err(_) => ctx.http.send(request.clone(), TIMEOUT_MS, max_bytes).await.map_err(|e| FetchError::Network(e.0))?,
        };
        let location = response.header("location").filter(|_| matches!(response.status, 301 | 302 | 303 | 307 | 308));
        match location {
            Some(location) if request.method == "GET" => {
                let base = url::Url::parse(&request.url).map_err(|e| FetchError::Refused(e.to_string()))?;
                request.url = base.join(location).map_err(|e| FetchError::Refused(e.to_string()))?.to_string();
            }
            _ => return Ok((response, request.url)),
        }
    }
    Err(FetchError::Refused(format!("{}: redirected more than {redirects} times", request.url)))
}

/// Signature formats a request can carry: draft-cavage (what nearly every server reads), and
/// RFC 9421 as the second knock when a peer refuses the first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Cavage,
    Rfc9421,
}

/// A key that signs requests: its id as published, and the PKCS#8 PEM.
pub struct SigningKey {
    pub key_id: String,
    pub private_pem: String,
}

/// The instance actor's key, which signs our fetches (and reports, as Mastodon's do).
pub async fn instance_key(ctx: &Ctx<'_>) -> Result<SigningKey, FetchError> {
    let keys = owner::instance_keys(ctx).await.map_err(|e| FetchError::Signing(e.to_string()))?;
    Ok(SigningKey { key_id: format!("{}#main-key", ctx.config.url("/actor")), private_pem: keys.rsa_private_key_pem })
}

/// The headers that sign a request (`Host`, `Date` or `created`, the body digest, and the
/// signature itself) in `format`.
pub async fn signature_headers(ctx: &Ctx<'_>, key: &SigningKey, method: &str, url: &str, body: Option<&[u8]>, format: Format) -> Result<Vec<(String, String)>, FetchError> {
    let refused = |e: crate::activitypub::signatures::SignatureError| FetchError::Refused(format!("{url}: {e}"));
    let prepared = match format {
        Format::Cavage => sign_cavage(method, url, body, &http_date(ctx.now_ms())),
        Format::Rfc9421 => sign_rfc9421(method, url, body, ctx.now_ms() / 1000, &key.key_id),
    }
    .map_err(refused)?;
    let signature = ctx.crypto.rsa_sign(&key.private_pem, &prepared.signing_input).await.map_err(|e| FetchError::Signing(e.0))?;
    let mut headers = prepared.headers.clone();
    match format {
        Format::Cavage => headers.push(cavage_header(&prepared, &key.key_id, &signature)),
        Format::Rfc9421 => headers.extend(rfc9421_headers(&prepared, &signature)),
    }
    Ok(headers)
}

/// GETs an ActivityPub document, signed by the instance actor, and returns it only when it is
/// served from its own id: either the URL that finally answered (after redirects) is the
/// document's `id`, or the document is fetched again by that `id` without following redirects
/// and says the same id. So a redirect or a file uploaded to some host can never make a document
/// speak for another URL (Mastodon's fix for CVE-2024-23832 has the same rule). Callers that
/// need the object at a particular id compare it with the returned document's `id`.
pub async fn get_object(ctx: &Ctx<'_>, url: &str) -> Result<Value, FetchError> {
    let (document, answered_by) = get_document(ctx, url, MAX_REDIRECTS).await?;
    let id = document_id(&document, url)?;
    if id == answered_by {
        return Ok(document);
    }
    let (again, _) = get_document(ctx, &id, 0).await?;
    if document_id(&again, &id)? != id {
        return Err(FetchError::Malformed { url: id, reason: "the document at its id names another id".into() });
    }
    Ok(again)
}

fn document_id(document: &Value, url: &str) -> Result<String, FetchError> {
    document.get("id").and_then(Value::as_str).map(str::to_string).ok_or_else(|| FetchError::Malformed { url: url.to_string(), reason: "document has no id".into() })
}

/// Whether a response's `Content-Type` is an ActivityStreams one: `application/activity+json`
/// or `application/ld+json` (whatever its profile). A file served as `application/json`, HTML
/// or an image is never read as an actor or a post.
pub fn is_activity_json(content_type: Option<&str>) -> bool {
    let media_type = content_type.unwrap_or("").split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    matches!(media_type.as_str(), "application/activity+json" | "application/ld+json")
}

async fn get_document(ctx: &Ctx<'_>, url: &str, redirects: usize) -> Result<(Value, String), FetchError> {
    let key = instance_key(ctx).await?;
    let mut headers = signature_headers(ctx, &key, "GET", url, None, Format::Cavage).await?;
    headers.push(("accept".into(), AP_ACCEPT.into()));
    headers.push(("user-agent".into(), user_agent(ctx)));
    let request = HttpRequest { method: "GET", url: url.to_string(), headers, body: None };
    let (response, answered_by) = send_following(ctx, request, MAX_DOCUMENT_BYTES, redirects).await?;
    match response.status {
        200..=299 => {}
        404 | 410 => return Err(FetchError::Gone(url.to_string())),
        status => return Err(FetchError::Status { url: url.to_string(), status }),
    }
    if !is_activity_json(response.header("content-type")) {
        let reason = format!("served as {:?}, not as ActivityStreams JSON", response.header("content-type").unwrap_or(""));
        return Err(FetchError::Malformed { url: url.to_string(), reason });
    }
    let document: Value = serde_json::from_slice(&response.body)
        .map_err(|e| FetchError::Malformed { url: url.to_string(), reason: e.to_string() })?;
    if !document.is_object() {
        return Err(FetchError::Malformed { url: url.to_string(), reason: "not a JSON object".into() });
    }
    Ok((document, answered_by))
}

pub fn user_agent(ctx: &Ctx<'_>) -> String {
    format!("Topi/{} (+{})", env!("CARGO_PKG_VERSION"), ctx.config.public_url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_addresses_are_refused_unless_allowed() {
        for url in [
            "http://127.0.0.1:8080/users/a",
            "https://localhost/x",
            "https://10.1.2.3/",
            "https://192.168.0.1/",
            "https://172.16.5.4/",
            "https://169.254.169.254/latest/meta-data",
            "https://[::1]/",
            "https://[fe80::1]/",
            "https://[fd00::1]/",
            "https://[::ffff:127.0.0.1]/",
            "https://0.0.0.0/",
            "https://100.64.0.1/",
            "https://printer.local/",
            "https://[::127.0.0.1]/",
            "https://[64:ff9b::7f00:1]/",
            "https://[64:ff9b::10.0.0.1]/",
            "https://[64:ff9b:1::1]/",
            "https://198.18.0.1/",
            "https://198.19.255.1/",
            "https://[fec0::1]/",
            "https://[2002:7f00:1::]/",
            "https://[2001:0:4136:e378::1]/",
            "https://[ff02::1]/",
            "https://2130706433/",
            "https://0x7f.1/",
            "https://192.0.0.8/",
        ] {
            assert!(matches!(check_url(false, url), Err(FetchError::Refused(_))), "{url} should be refused");
            assert!(check_url(true, url).is_ok(), "{url} is allowed in development");
        }
        assert!(check_url(false, "https://mastodon.social/users/Gargron").is_ok());
        assert!(check_url(false, "https://8.8.8.8/").is_ok());
        assert!(check_url(false, "https://[2606:4700::1111]/").is_ok());
        assert!(check_url(false, "https://[64:ff9b::808:808]/").is_ok(), "NAT64 of a public address");
        assert!(check_url(true, "ftp://example.com/").is_err());
        assert!(check_url(true, "file:///etc/passwd").is_err());
        assert!(check_url(false, "https://user:pw@example.com/").is_err());
    }

    #[test]
    fn transient_failures_are_retried_and_permanent_ones_not() {
        let status = |status| FetchError::Status { url: String::new(), status };
        assert!(status(500).is_transient() && status(503).is_transient());
        assert!(status(429).is_transient() && status(408).is_transient());
        assert!(!status(400).is_transient() && !status(401).is_transient() && !status(404).is_transient());
        assert!(FetchError::Network("reset".into()).is_transient());
        assert!(!FetchError::Refused("x".into()).is_transient());
    }
}
