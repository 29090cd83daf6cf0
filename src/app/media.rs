//! Files the owner uploads (attachments, avatar and header, whichever surface received them):
//! what they really are, and storing them in R2.
use serde_json::json;

use super::error::{Error, Result};
use crate::content::images;
use crate::ctx::Ctx;

/// Mastodon's limits, also advertised in the instance entity.
pub const MAX_IMAGE_BYTES: usize = 16 * 1024 * 1024;
pub const MAX_VIDEO_BYTES: usize = 99 * 1024 * 1024;

pub const SUPPORTED_MIME_TYPES: &[&str] = &[
    "image/jpeg", "image/png", "image/gif", "image/webp", "image/avif", "video/mp4", "video/webm",
    "video/quicktime", "audio/mpeg", "audio/ogg", "audio/wave", "audio/wav", "audio/x-wav", "audio/mp4",
];

/// An uploaded file as its request carried it.
#[derive(Clone, Copy, Debug)]
pub struct Upload<'a> {
    pub filename: &'a str,
    /// The media type the sender named, if any.
    pub declared_type: &'a str,
    pub data: &'a [u8],
}

/// Where an uploaded file was stored, and what it is.
#[derive(Debug)]
pub struct Stored {
    pub r2_key: String,
    /// Mastodon's attachment type (`image`, `gifv`, `video`, `audio`).
    pub kind: &'static str,
    /// `{"width", "height"}` when the file is an image or its header tells.
    pub meta: String,
    pub content_type: String,
}

/// What an uploaded file is: the type it was sent as or, when sent without one (the toot CLI,
/// `curl -F file=@name`), the type its bytes show, else its name's extension. A file whose bytes
/// are another format than its type says is refused.
pub fn file_type(upload: &Upload) -> Result<String> {
    let declared = upload.declared_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    let sniffed = images::sniff(upload.data);
    let content_type = match declared.as_str() {
        "" | "application/octet-stream" => sniffed.or_else(|| images::type_of_extension(upload.filename)).unwrap_or("application/octet-stream").to_string(),
        _ => declared,
    };
    if !SUPPORTED_MIME_TYPES.contains(&content_type.as_str()) {
        return Err(Error::Invalid(format!("File type {content_type} is not supported")));
    }
    if !sniffed.is_some_and(|s| images::same_format(s, &content_type)) {
        return Err(Error::Invalid(format!("The file is not a valid {content_type} file")));
    }
    Ok(content_type)
}

/// Checks an uploaded file and stores it in R2 under an id of its own.
pub async fn store(ctx: &Ctx<'_>, id: i64, upload: &Upload<'_>) -> Result<Stored> {
    let content_type = file_type(upload)?;
    let kind = images::attachment_type(&content_type);
    let limit = if kind == "image" || kind == "gifv" { MAX_IMAGE_BYTES } else { MAX_VIDEO_BYTES };
    if upload.data.is_empty() || upload.data.len() > limit {
        return Err(Error::Invalid(format!("File must be between 1 byte and {limit} bytes")));
    }
    let meta = match images::dimensions(upload.data) {
        Some((width, height)) => json!({"width": width, "height": height}).to_string(),
        None if kind == "image" => return Err(Error::Invalid("The image could not be read".into())),
        None => "{}".to_string(),
    };
    let extension = content_type.rsplit('/').next().unwrap_or("bin").replace("jpeg", "jpg");
    let r2_key = format!("media/{id}/original.{extension}");
    ctx.blobs.put(&r2_key, upload.data.to_vec(), &content_type).await?;
    Ok(Stored { r2_key, kind, meta, content_type })
}

/// Checks a picture (an avatar, a header, the site's thumbnail): an image of at most `limit`
/// bytes, or refused naming `what`.
pub fn check_image(upload: &Upload<'_>, what: &str, limit: usize) -> Result<()> {
    if !file_type(upload)?.starts_with("image/") {
        return Err(Error::Invalid(format!("{what} must be an image")));
    }
    if upload.data.len() > limit {
        return Err(Error::Invalid(format!("{what} must be at most {} MB", limit / (1024 * 1024))));
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn upload<'a>(declared_type: &'a str, filename: &'a str, data: &'a [u8]) -> Upload<'a> {
        Upload { filename, declared_type, data }
    }

    #[test]
    fn an_untyped_file_is_known_by_its_bytes_and_a_mislabelled_one_refused() {
        let png = include_bytes!("../../frontend/static/missing.png");
        assert_eq!(file_type(&upload("application/octet-stream", "noext", png)).unwrap(), "image/png");
        assert_eq!(file_type(&upload("", "x.bin", png)).unwrap(), "image/png");
        assert!(file_type(&upload("image/png", "a.png", b"<html>")).is_err());
        assert!(file_type(&upload("", "a.png", b"<html>")).is_err());
        assert!(file_type(&upload("image/gif", "a.gif", png)).is_err());
        assert!(file_type(&upload("application/zip", "a.zip", b"PK\x03\x04")).is_err());
    }
}
