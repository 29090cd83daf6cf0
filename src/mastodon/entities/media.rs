//! MediaAttachment (<https://docs.joinmastodon.org/entities/MediaAttachment/>).
use serde_json::{json, Value};

use crate::config::Config;
use crate::store::media::MediaRow;

use crate::app::profile::media_url;

pub fn from_row(row: &MediaRow, config: &Config) -> Value {
    let url = match (&row.r2_key, &row.remote_url) {
        (Some(key), _) => media_url(config, key),
        (None, Some(remote)) => remote.clone(),
        (None, None) => String::new(),
    };
    let meta: Value = serde_json::from_str(&row.meta).unwrap_or_else(|_| json!({}));
    // Apps load `preview_url` as an image: a video or audio file is no preview, its thumbnail
    // (a remote attachment's `icon`) is, and without one there is none.
    let preview_url = match row.kind.as_str() {
        "image" | "gifv" => Some(url.clone()),
        _ => meta["preview_url"].as_str().map(str::to_string),
    };
    // Android requires `meta.original` and `meta.small` with sizes; we keep one size.
    let meta = match (meta["width"].as_u64(), meta["height"].as_u64()) {
        (Some(w), Some(h)) if w > 0 && h > 0 => {
            let size = json!({"width": w, "height": h, "size": format!("{w}x{h}"), "aspect": w as f64 / h as f64});
            let mut meta = json!({"original": size.clone(), "small": size});
            if let (Some(x), Some(y)) = (row.focus_x, row.focus_y) {
                meta["focus"] = json!({"x": x, "y": y});
            }
            meta
        }
        _ => json!({}),
    };
    json!({
        "id": row.id.to_string(),
        "type": row.kind,
        "url": url,
        "preview_url": preview_url,
        "remote_url": row.remote_url,
        "preview_remote_url": null,
        "text_url": null,
        "meta": meta,
        "description": row.description,
        "blurhash": row.blurhash,
    })
}
