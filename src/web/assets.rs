//! Static files compiled into the Worker.

/// The image behind every default avatar and header (clients need a real image URL).
pub const MISSING_PNG: &[u8] = include_bytes!("../../frontend/static/missing.png");

pub fn missing_image() -> crate::edge::http::Response {
    crate::edge::http::Response::new(200, "image/png", MISSING_PNG).header("Cache-Control", "max-age=86400, public")
}
