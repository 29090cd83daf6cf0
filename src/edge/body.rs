//! How much body a request may carry, decided from its head so that the platform can refuse
//! before reading: a Worker that reads a 100 MiB upload first and checks after has spent its
//! memory and time on a stranger.
use super::error::ApiError;
use super::http::{Method, Request};

/// Bodies above this are refused; uploads have their own limit.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
pub const MAX_UPLOAD_BYTES: usize = 100 * 1024 * 1024;

/// A settings form with files: two pictures and the rest (the profile's avatar and header).
pub const MAX_FORM_UPLOAD_BYTES: usize = 2 * crate::app::profile::MAX_PROFILE_IMAGE_BYTES + 64 * 1024;
/// The site's thumbnail and icon.
pub const MAX_SITE_FORM_BYTES: usize = 2 * crate::app::instance::MAX_SITE_IMAGE_BYTES + 64 * 1024;

/// Who may send a request that carries a file, which is read only once they are known.
#[derive(Debug, PartialEq)]
pub enum Uploader {
    /// A user token with this scope (the APIs).
    Token(&'static str),
    /// The owner's browser session (a settings page's form), for a body of at most this many bytes.
    Session(usize),
}

/// Who may send a request that may carry a file (media, avatar, header), or `None` if it
/// carries no file. A custom emoji's upload (`/admin/custom_emojis`) is not one of them: it is
/// at most 256 KB, so the ordinary limit admits its form, whose handler checks the session.
pub fn uploader(req: &Request) -> Option<Uploader> {
    match (req.method, req.path.trim_end_matches('/')) {
        (Method::Post, "/api/v1/media" | "/api/v2/media") => Some(Uploader::Token("write:media")),
        (Method::Patch, "/api/v1/accounts/update_credentials") => Some(Uploader::Token("write:accounts")),
        // A chunk of an archive to import (the Worker pipes it into R2 without reading it).
        (Method::Put, path) if path.starts_with("/api/v1/topi/archive_imports/") && path.contains("/chunks/") => Some(Uploader::Token("write")),
        (Method::Post | Method::Put | Method::Patch, "/settings/profile") => Some(Uploader::Session(MAX_FORM_UPLOAD_BYTES)),
        (Method::Post, "/admin/settings/images") => Some(Uploader::Session(MAX_SITE_FORM_BYTES)),
        _ => None,
    }
}

pub fn limit(req: &Request) -> usize {
    match uploader(req) {
        Some(Uploader::Token(_)) => MAX_UPLOAD_BYTES,
        Some(Uploader::Session(limit)) => limit,
        None => MAX_BODY_BYTES,
    }
}

/// `Content-Length`, when the request has a usable one (a chunked body has none).
pub fn declared_length(req: &Request) -> Option<usize> {
    req.header("content-length")?.trim().parse().ok()
}

/// A body read chunk by chunk, refused as soon as it grows past its limit, so that a body
/// without a `Content-Length` is never read further than that.
pub struct BodyReader {
    limit: usize,
    bytes: Vec<u8>,
}

impl BodyReader {
    /// Room is reserved for the declared length, but never more than the limit.
    pub fn new(head: &Request, limit: usize) -> BodyReader {
        BodyReader { limit, bytes: Vec::with_capacity(declared_length(head).unwrap_or(0).min(limit)) }
    }

    pub fn push(&mut self, chunk: &[u8]) -> Result<(), ApiError> {
        if self.bytes.len() + chunk.len() > self.limit {
            return Err(ApiError::PayloadTooLarge);
        }
        self.bytes.extend_from_slice(chunk);
        Ok(())
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(method: Method, path: &str, headers: &[(&str, &str)]) -> Request {
        let headers = headers.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect();
        Request { method, path: path.into(), query: String::new(), headers, body: Vec::new() }
    }

    #[test]
    fn a_chunked_body_is_refused_at_the_limit() {
        let mut reader = BodyReader::new(&head(Method::Post, "/api/v1/statuses", &[]), 10);
        assert!(reader.push(b"12345").is_ok() && reader.push(b"67890").is_ok());
        assert!(matches!(reader.push(b"x"), Err(ApiError::PayloadTooLarge)));
        assert_eq!(reader.into_bytes(), b"1234567890");
    }

    #[test]
    fn uploads_get_the_larger_limit_and_need_their_scope() {
        let media = head(Method::Post, "/api/v2/media/", &[("content-length", "1048577")]);
        assert_eq!((limit(&media), uploader(&media), declared_length(&media)), (MAX_UPLOAD_BYTES, Some(Uploader::Token("write:media")), Some(1_048_577)));
        let status = head(Method::Post, "/api/v1/statuses", &[("content-length", "chunked?")]);
        assert_eq!((limit(&status), uploader(&status), declared_length(&status)), (MAX_BODY_BYTES, None, None));
        assert_eq!(uploader(&head(Method::Get, "/api/v1/media", &[])), None);
        let profile = head(Method::Post, "/settings/profile", &[]);
        assert_eq!((limit(&profile), uploader(&profile)), (MAX_FORM_UPLOAD_BYTES, Some(Uploader::Session(MAX_FORM_UPLOAD_BYTES))));
        let pictures = head(Method::Post, "/admin/settings/images", &[]);
        assert_eq!(limit(&pictures), MAX_SITE_FORM_BYTES);
    }
}
