//! HTTP message signatures for ActivityPub: draft-cavage (`Signature`, what most of the fediverse
//! sends) and RFC 9421 (`Signature-Input` + `Signature`), inbound and outbound.
//!
//! Pure: the Worker does the RSA and Ed25519 arithmetic through WebCrypto, which is async, so
//! this module only says what to verify (`verification`) or what to sign (`sign_*`), and puts
//! the caller's signature bytes into headers (`cavage_header`, `rfc9421_headers`).
pub mod cavage;
pub mod digest;
pub mod rfc9421;
pub mod structured;

pub use cavage::{cavage_header, sign_cavage};
pub use rfc9421::{rfc9421_headers, sign_rfc9421};

pub use crate::domain::time::{http_date, parse_http_date};

// Mastodon's window (an hour of clock skew ahead, twelve hours back), so that whatever
// Mastodon accepts from a sender, so do we.
const MAX_FUTURE_MS: i64 = 60 * 60 * 1000;
const MAX_AGE_MS: i64 = 12 * 60 * 60 * 1000;

/// A borrowed view of an incoming request: just what signature checking reads.
#[derive(Debug, Clone, Copy)]
pub struct RequestParts<'a> {
    pub method: &'a str,
    /// `/inbox?x=1`: the path and query exactly as received (still percent-encoded).
    pub url_path_and_query: &'a str,
    /// `host[:port]`.
    pub authority: &'a str,
    /// `https`.
    pub scheme: &'a str,
    /// Header names in lower case; a name may repeat.
    pub headers: &'a [(String, String)],
}

impl RequestParts<'_> {
    /// A header's value; repeated headers are joined with `, ` as HTTP's field-combination rule
    /// (and RFC 9421 §2.1) say, each line trimmed.
    pub fn header(&self, name: &str) -> Option<String> {
        let values: Vec<&str> =
            self.headers.iter().filter(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.trim()).collect();
        (!values.is_empty()).then(|| values.join(", "))
    }

    /// The authority as RFC 9421 §2.2.3 wants it: lower case, without the scheme's default port.
    pub fn normalized_authority(&self) -> String {
        let authority = self.authority.to_ascii_lowercase();
        let default_port = match self.scheme.to_ascii_lowercase().as_str() {
            "https" => ":443",
            "http" => ":80",
            _ => "",
        };
        match authority.strip_suffix(default_port) {
            Some(host) if !default_port.is_empty() => host.to_string(),
            _ => authority,
        }
    }

    pub fn path(&self) -> &str {
        let path = self.url_path_and_query.split_once('?').map_or(self.url_path_and_query, |(p, _)| p);
        if path.is_empty() {
            "/"
        } else {
            path
        }
    }

    pub fn query(&self) -> Option<&str> {
        self.url_path_and_query.split_once('?').map(|(_, q)| q)
    }

    /// `/path?query`, with `/` for an empty path.
    pub fn path_and_query(&self) -> String {
        match self.query() {
            Some(q) => format!("{}?{q}", self.path()),
            None => self.path().to_string(),
        }
    }

    pub fn target_uri(&self) -> String {
        format!("{}://{}{}", self.scheme.to_ascii_lowercase(), self.normalized_authority(), self.path_and_query())
    }
}

/// The signature algorithms the Worker can check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    RsaSha256,
    /// Ed25519 over the signing input itself (no prehash).
    Ed25519,
}

/// What the caller must check with the key `key_id` names: `signature` over `signing_input`.
///
/// For draft-cavage `hs2019` (and RFC 9421 without `alg`) the algorithm is a default, not a
/// statement by the sender: if the fetched key turns out to be Ed25519, use that instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    pub key_id: String,
    pub algorithm: Algorithm,
    pub signing_input: Vec<u8>,
    pub signature: Vec<u8>,
}

/// An outgoing request's signature, before the caller has signed `signing_input`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prepared {
    /// Headers to send along (lower-case names): `host`, `date`, `digest` for draft-cavage;
    /// `content-digest` for RFC 9421. Content type and the rest are the caller's.
    pub headers: Vec<(String, String)>,
    /// The bytes to sign (RSASSA-PKCS1-v1_5 SHA-256).
    pub signing_input: Vec<u8>,
    /// What the finishing function puts next to the signature: the draft-cavage `headers`
    /// parameter, or the RFC 9421 `Signature-Input` member value.
    pub covered: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("missing header: {0}")]
    MissingHeader(String),
    #[error("malformed signature: {0}")]
    Malformed(String),
    #[error("signature date out of range: {0}")]
    StaleDate(String),
    #[error("body digest does not match the body")]
    DigestMismatch,
    #[error("signature does not cover the required component {0}")]
    MissingComponent(String),
    #[error("unsupported algorithm: {0}")]
    UnsupportedAlgorithm(String),
    #[error("unsupported signature component: {0}")]
    UnsupportedComponent(String),
}

/// Finds the request's signature, checks everything that needs no key (coverage, dates, body
/// digest) and returns what to verify with the key. RFC 9421 wins when `Signature-Input` is
/// present; otherwise draft-cavage's `Signature` (or `Authorization: Signature …`).
pub fn verification(req: &RequestParts, body: &[u8], now_ms: i64) -> Result<Verification, SignatureError> {
    if req.header("signature-input").is_some() {
        rfc9421::verification(req, body, now_ms)
    } else {
        cavage::verification(req, body, now_ms)
    }
}

/// Refuses times more than an hour ahead or twelve hours behind `now_ms`.
fn check_window(what: &str, at_ms: i64, now_ms: i64) -> Result<(), SignatureError> {
    if at_ms > now_ms + MAX_FUTURE_MS {
        Err(SignatureError::StaleDate(format!("{what} is in the future")))
    } else if at_ms < now_ms - MAX_AGE_MS {
        Err(SignatureError::StaleDate(format!("{what} is too old")))
    } else {
        Ok(())
    }
}

fn check_expires(expires_ms: i64, now_ms: i64) -> Result<(), SignatureError> {
    if now_ms > expires_ms {
        Err(SignatureError::StaleDate("signature has expired".into()))
    } else {
        Ok(())
    }
}

/// Splits an absolute `http(s)` URL into (scheme, authority, path and query); the fragment is
/// dropped and an empty path becomes `/`.
fn split_url(url: &str) -> Result<(String, String, String), SignatureError> {
    let malformed = || SignatureError::Malformed(format!("not an absolute URL: {url}"));
    let (scheme, rest) = url.split_once("://").ok_or_else(malformed)?;
    let rest = rest.split_once('#').map_or(rest, |(r, _)| r);
    let at = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, path_and_query) = rest.split_at(at);
    if scheme.is_empty() || authority.is_empty() || authority.contains('@') {
        return Err(malformed());
    }
    let path_and_query = if path_and_query.starts_with('/') {
        path_and_query.to_string()
    } else {
        format!("/{path_and_query}")
    };
    Ok((scheme.to_ascii_lowercase(), authority.to_ascii_lowercase(), path_and_query))
}

#[cfg(test)]
mod tests;
