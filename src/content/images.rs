//! Image dimensions read from file headers (PNG, GIF, JPEG, WebP), so that media attachments
//! carry `meta.original` without decoding the image.

/// (width, height), or `None` for formats we do not read or truncated files.
pub fn dimensions(bytes: &[u8]) -> Option<(u32, u32)> {
    let be16 = |at: usize| Some(u32::from(u16::from_be_bytes(bytes.get(at..at + 2)?.try_into().ok()?)));
    let le16 = |at: usize| Some(u32::from(u16::from_le_bytes(bytes.get(at..at + 2)?.try_into().ok()?)));
    let be32 = |at: usize| Some(u32::from_be_bytes(bytes.get(at..at + 4)?.try_into().ok()?));
    let le24 = |at: usize| Some(u32::from(*bytes.get(at)?) | u32::from(*bytes.get(at + 1)?) << 8 | u32::from(*bytes.get(at + 2)?) << 16);
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Some((be32(16)?, be32(20)?));
    }
    if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        return Some((le16(6)?, le16(8)?));
    }
    if bytes.starts_with(b"RIFF") && bytes.get(8..12) == Some(b"WEBP") {
        return match bytes.get(12..16)? {
            b"VP8X" => Some((le24(24)? + 1, le24(27)? + 1)),
            b"VP8L" => {
                let bits = u32::from_le_bytes(bytes.get(21..25)?.try_into().ok()?);
                Some(((bits & 0x3fff) + 1, ((bits >> 14) & 0x3fff) + 1))
            }
            b"VP8 " => Some((le16(26)? & 0x3fff, le16(28)? & 0x3fff)),
            _ => None,
        };
    }
    if bytes.starts_with(&[0xff, 0xd8]) {
        // Walk the JPEG segments to the first start-of-frame marker.
        let mut at = 2;
        while at + 9 < bytes.len() {
            if bytes[at] != 0xff {
                return None;
            }
            let marker = bytes[at + 1];
            let length = be16(at + 2)? as usize;
            let is_sof = matches!(marker, 0xc0..=0xc3 | 0xc5..=0xc7 | 0xc9..=0xcb | 0xcd..=0xcf);
            if is_sof {
                return Some((be16(at + 7)?, be16(at + 5)?));
            }
            at += 2 + length;
        }
    }
    None
}

/// The media type a file's first bytes show (the formats uploads accept), so that a file sent
/// without a type (the toot CLI, `curl -F file=@name`) is still understood, and a file whose
/// bytes are not what its type claims is refused.
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    let at = |offset: usize, magic: &[u8]| bytes.get(offset..offset + magic.len()) == Some(magic);
    if at(0, b"\x89PNG\r\n\x1a\n") {
        return Some("image/png");
    }
    if at(0, b"\xff\xd8\xff") {
        return Some("image/jpeg");
    }
    if at(0, b"GIF87a") || at(0, b"GIF89a") {
        return Some("image/gif");
    }
    if at(0, b"RIFF") && at(8, b"WEBP") {
        return Some("image/webp");
    }
    if at(0, b"RIFF") && at(8, b"WAVE") {
        return Some("audio/wave");
    }
    if at(4, b"ftyp") {
        return Some(match bytes.get(8..12) {
            Some(b"avif" | b"avis") => "image/avif",
            Some(b"qt  ") => "video/quicktime",
            Some(b"M4A " | b"M4B ") => "audio/mp4",
            _ => "video/mp4",
        });
    }
    if at(0, b"\x1a\x45\xdf\xa3") {
        return Some("video/webm");
    }
    if at(0, b"OggS") {
        return Some("audio/ogg");
    }
    if at(0, b"ID3") || (bytes.len() > 1 && bytes[0] == 0xff && bytes[1] & 0xe0 == 0xe0) {
        return Some("audio/mpeg");
    }
    None
}

/// The media type a file name's (or URL path's) extension suggests: the upload formats, and
/// the others remote attachments come in (uploads still refuse what they do not support).
pub fn type_of_extension(filename: &str) -> Option<&'static str> {
    let extension = filename.rsplit_once('.')?.1.to_ascii_lowercase();
    Some(match extension.as_str() {
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "avif" => "image/avif",
        "heic" => "image/heic",
        "heif" => "image/heif",
        "bmp" => "image/bmp",
        "mp4" | "m4v" => "video/mp4",
        "mov" => "video/quicktime",
        "webm" => "video/webm",
        "ogv" => "video/ogg",
        "mp3" => "audio/mpeg",
        "ogg" | "oga" | "opus" => "audio/ogg",
        "wav" => "audio/wave",
        "m4a" => "audio/mp4",
        "flac" => "audio/flac",
        "aac" => "audio/aac",
        _ => return None,
    })
}

/// Types that the same bytes may honestly be sent as (an MP4 holds video or audio, WAV has
/// three names, Ogg audio or video).
pub fn same_format(a: &str, b: &str) -> bool {
    fn family(t: &str) -> &str {
        match t {
            "video/mp4" | "audio/mp4" | "video/quicktime" => "mp4",
            "audio/wave" | "audio/wav" | "audio/x-wav" => "wav",
            "audio/ogg" | "video/ogg" => "ogg",
            other => other,
        }
    }
    family(a) == family(b)
}

/// Mastodon's attachment type for a content type.
pub fn attachment_type(content_type: &str) -> &'static str {
    match content_type {
        "image/gif" => "gifv",
        t if t.starts_with("image/") => "image",
        t if t.starts_with("video/") => "video",
        t if t.starts_with("audio/") => "audio",
        _ => "unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_png_and_gif_headers() {
        let png = include_bytes!("../../frontend/static/missing.png");
        assert_eq!(dimensions(png), Some((64, 64)));
        let gif = b"GIF89a\x0a\x00\x05\x00rest";
        assert_eq!(dimensions(gif), Some((10, 5)));
    }

    #[test]
    fn reads_a_jpeg_start_of_frame() {
        let jpeg = [
            0xff, 0xd8, 0xff, 0xe0, 0x00, 0x04, 0x00, 0x00, // APP0, length 4
            0xff, 0xc0, 0x00, 0x11, 0x08, 0x01, 0x2c, 0x02, 0x58, 0x03, 0, 0, 0, 0, // SOF0: 300 high, 600 wide
        ];
        assert_eq!(dimensions(&jpeg), Some((600, 300)));
    }

    #[test]
    fn files_are_known_by_their_bytes() {
        let png = include_bytes!("../../frontend/static/missing.png");
        assert_eq!(sniff(png), Some("image/png"));
        assert_eq!(sniff(b"GIF89a\x0a\x00"), Some("image/gif"));
        assert_eq!(sniff(b"\0\0\0\x20ftypisom\0\0"), Some("video/mp4"));
        assert_eq!(sniff(b"\0\0\0\x20ftypM4A \0\0"), Some("audio/mp4"));
        assert_eq!(sniff(b"ID3\x04"), Some("audio/mpeg"));
        assert_eq!(sniff(b"<html><script>"), None);
        assert_eq!(type_of_extension("Photo.JPG"), Some("image/jpeg"));
        assert_eq!(type_of_extension("noext"), None);
        assert!(same_format("audio/mp4", "video/mp4") && !same_format("image/png", "image/gif"));
    }

    #[test]
    fn unknown_or_truncated_is_none() {
        assert_eq!(dimensions(b"hello"), None);
        assert_eq!(dimensions(b"\x89PNG\r\n\x1a\n\0\0"), None);
        assert_eq!(attachment_type("image/png"), "image");
        assert_eq!(attachment_type("image/gif"), "gifv");
        assert_eq!(attachment_type("application/zip"), "unknown");
    }
}
