//! NodeInfo 2.0 and 2.1 (<https://nodeinfo.diaspora.software/>). We name our own software and
//! point `metadata.upstream` at Mastodon, which megalodon's detector needs (CLIENT-COMPAT §4.3).
use serde_json::json;

use crate::ctx::Ctx;
use crate::app::instance::{self, SOFTWARE_VERSION};
use crate::edge::error::ApiError;
use crate::edge::http::Response;

pub fn links(ctx: &Ctx<'_>) -> Result<Response, ApiError> {
    let link = |version: &str| {
        json!({"rel": format!("http://nodeinfo.diaspora.software/ns/schema/{version}"),
               "href": ctx.config.url(&format!("/nodeinfo/{version}"))})
    };
    Ok(Response::json(200, &json!({"links": [link("2.0"), link("2.1")]})).header("Cache-Control", "max-age=1800, public"))
}

pub async fn get(ctx: &Ctx<'_>, version: &str) -> Result<Response, ApiError> {
    let stats = instance::summary(ctx).await?.stats;
    let mut software = json!({"name": "topi", "version": SOFTWARE_VERSION});
    if version == "2.1" {
        software["homepage"] = json!(ctx.config.source_url);
        software["repository"] = json!(ctx.config.source_url);
    }
    let document = json!({
        "version": version,
        "software": software,
        "protocols": ["activitypub"],
        "services": {"inbound": [], "outbound": []},
        "openRegistrations": false,
        "usage": {
            "users": {"total": 1, "activeMonth": 1, "activeHalfyear": 1},
            "localPosts": stats.statuses,
        },
        "metadata": {
            "nodeName": ctx.config.title,
            "nodeDescription": ctx.config.description,
            "upstream": {"name": "mastodon", "version": "4.3.0"},
        },
    });
    let content_type = format!("application/json; profile=\"http://nodeinfo.diaspora.software/ns/schema/{version}#\"; charset=utf-8");
    Ok(Response::typed_json(200, &content_type, &document).header("Cache-Control", "max-age=1800, public"))
}
