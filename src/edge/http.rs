//! Plain request and response values, so that handlers never see `worker` types and run natively.
use serde::Serialize;

use super::error::ApiError;
use super::params::Params;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Get,
    Head,
    Post,
    Put,
    Patch,
    Delete,
    Options,
    Other,
}

impl Method {
    pub fn parse(text: &str) -> Method {
        match text.to_ascii_uppercase().as_str() {
            "GET" => Method::Get,
            "HEAD" => Method::Head,
            "POST" => Method::Post,
            "PUT" => Method::Put,
            "PATCH" => Method::Patch,
            "DELETE" => Method::Delete,
            "OPTIONS" => Method::Options,
            _ => Method::Other,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
            Method::Options => "OPTIONS",
            Method::Other => "OTHER",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Request {
    pub method: Method,
    /// Percent-decoded path without the query.
    pub path: String,
    /// The raw query string, without `?`.
    pub query: String,
    /// Header names in lower case.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// Query and body parameters merged as Rails does.
    pub fn params(&self) -> Result<Params, ApiError> {
        Ok(Params::parse(&self.query, self.header("content-type"), &self.body)?)
    }

    /// Only the query string, for GET handlers (a GET body is ignored, as Rails does).
    pub fn query_params(&self) -> Params {
        Params::parse(&self.query, None, b"").unwrap_or_default()
    }

    pub fn cookie(&self, name: &str) -> Option<&str> {
        self.header("cookie")?.split(';').find_map(|pair| {
            let (n, v) = pair.trim().split_once('=')?;
            (n == name).then_some(v)
        })
    }

    /// Whether the client prefers ActivityPub JSON to HTML (content negotiation on shared URLs).
    pub fn wants_activity_json(&self) -> bool {
        self.header("accept").is_some_and(|accept| {
            accept.contains("application/activity+json")
                || (accept.contains("application/ld+json") && accept.contains("activitystreams"))
                || (accept.contains("application/ld+json") && !accept.contains("text/html"))
        })
    }
}

#[derive(Clone, Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// A body too large to hold in memory: the stored object the platform streams from R2 to the
    /// client instead of `body` (which is then empty), without passing its bytes through the
    /// Worker.
    pub blob: Option<BlobBody>,
}

/// `length` bytes from `offset` of the object stored under `key` (`Response::blob`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlobBody {
    pub key: String,
    pub offset: u64,
    pub length: u64,
}

pub const JSON: &str = "application/json; charset=utf-8";
pub const ACTIVITY_JSON: &str = "application/activity+json; charset=utf-8";
pub const HTML: &str = "text/html; charset=utf-8";

impl Response {
    pub fn new(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Response {
        Response { status, headers: vec![("Content-Type".into(), content_type.into())], body: body.into(), blob: None }
    }

    pub fn json(status: u16, value: &impl Serialize) -> Response {
        Response::typed_json(status, JSON, value)
    }

    pub fn typed_json(status: u16, content_type: &str, value: &impl Serialize) -> Response {
        // Serializing our own entity types cannot fail: they hold no maps with non-string keys.
        let body = serde_json::to_vec(value).unwrap_or_else(|_| b"{}".to_vec());
        Response::new(status, content_type, body)
    }

    pub fn ok_json(value: &impl Serialize) -> Result<Response, ApiError> {
        Ok(Response::json(200, value))
    }

    pub fn html(status: u16, body: String) -> Response {
        Response::new(status, HTML, body)
    }

    pub fn redirect(status: u16, location: &str) -> Response {
        Response { status, headers: vec![("Location".into(), location.into())], body: Vec::new(), blob: None }
    }

    /// The stored object's bytes `offset..offset + length`, streamed by the platform (whose
    /// runtime sends their length: R2's body streams know it).
    pub fn streamed(status: u16, content_type: &str, blob: BlobBody) -> Response {
        Response { status, headers: vec![("Content-Type".into(), content_type.into())], body: Vec::new(), blob: Some(blob) }
    }

    pub fn header(mut self, name: &str, value: &str) -> Response {
        self.headers.push((name.into(), value.into()));
        self
    }

    pub fn header_value(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}
