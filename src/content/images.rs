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
    fn unknown_or_truncated_is_none() {
        assert_eq!(dimensions(b"hello"), None);
        assert_eq!(dimensions(b"\x89PNG\r\n\x1a\n\0\0"), None);
        assert_eq!(attachment_type("image/png"), "image");
        assert_eq!(attachment_type("image/gif"), "gifv");
        assert_eq!(attachment_type("application/zip"), "unknown");
    }
}
