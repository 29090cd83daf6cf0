//! WebFinger (RFC 7033) and host-meta (RFC 6415): how the Fediverse finds `@user@domain`.
//! With a split domain (`HANDLE_DOMAIN`), the apex serves or redirects these to us and handles
//! name the apex while every link points at `PUBLIC_URL`.
use serde_json::json;

use crate::activitypub::webfinger::{parse_resource, Resource, SUBSCRIBE_REL};
use crate::app::owner;
use crate::config::Config;
use crate::content::escape_html;
use crate::ctx::Ctx;
use crate::edge::error::ApiError;
use crate::edge::http::{Request, Response};

/// <https://docs.joinmastodon.org/spec/webfinger/>
pub async fn get(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    let config = ctx.config;
    let resource = req
        .query_params()
        .non_empty("resource")
        .ok_or_else(|| ApiError::BadRequest("The resource parameter is required".into()))?;
    let document = match parse_resource(&resource, config).ok_or(ApiError::NotFound)? {
        Resource::User(username) => {
            let owner = owner::account_named(ctx, &username).await?.ok_or(ApiError::NotFound)?;
            let profile = config.profile_url(&owner.username);
            json!({
                "subject": format!("acct:{}@{}", owner.username, config.handle_domain),
                "aliases": [profile, owner.uri],
                "links": [
                    {"rel": "http://webfinger.net/rel/profile-page", "type": "text/html", "href": profile},
                    {"rel": "self", "type": "application/activity+json", "href": owner.uri},
                    {"rel": "http://webfinger.net/rel/avatar", "type": "image/png",
                     "href": config.url(crate::app::profile::DEFAULT_AVATAR_PATH)},
                    // Where other servers' pages send the owner to follow or answer there.
                    {"rel": SUBSCRIBE_REL, "template": config.url("/authorize_interaction?uri={uri}")},
                ],
            })
        }
        Resource::InstanceActor => {
            let actor = config.url("/actor");
            json!({
                "subject": format!("acct:{}@{}", config.host, config.host),
                "aliases": [actor],
                "links": [
                    {"rel": "http://webfinger.net/rel/profile-page", "type": "text/html", "href": config.url("/about")},
                    {"rel": "self", "type": "application/activity+json", "href": actor},
                ],
            })
        }
    };
    Ok(Response::typed_json(200, "application/jrd+json; charset=utf-8", &document)
        .header("Cache-Control", "max-age=300, public"))
}

fn lrdd_template(config: &Config) -> String {
    config.url("/.well-known/webfinger?resource={uri}")
}

/// <https://datatracker.ietf.org/doc/html/rfc6415>; Phanpy and the Android app read it.
pub fn host_meta_xml(ctx: &Ctx<'_>) -> Result<Response, ApiError> {
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<XRD xmlns=\"http://docs.oasis-open.org/ns/xri/xrd-1.0\">\n  \
         <Link rel=\"lrdd\" template=\"{}\"/>\n</XRD>\n",
        escape_html(&lrdd_template(ctx.config))
    );
    Ok(Response::new(200, "application/xrd+xml; charset=utf-8", body).header("Cache-Control", "max-age=3600, public"))
}

pub fn host_meta_json(ctx: &Ctx<'_>) -> Result<Response, ApiError> {
    let document = json!({"links": [{"rel": "lrdd", "template": lrdd_template(ctx.config)}]});
    Ok(Response::typed_json(200, "application/json; charset=utf-8", &document))
}

