//! WebFinger (RFC 7033) and host-meta (RFC 6415): how the Fediverse finds `@user@domain`.
//! With a split domain (`HANDLE_DOMAIN`), the apex serves or redirects these to us and handles
//! name the apex while every link points at `PUBLIC_URL`.
use serde_json::json;

use crate::config::Config;
use crate::content::escape_html;
use crate::ctx::Ctx;
use crate::owner;
use crate::router::error::ApiError;
use crate::router::http::{Request, Response};

/// What a WebFinger `resource` names, once checked to be on this instance.
#[derive(Debug, PartialEq, Eq)]
pub enum Resource {
    User(String),
    InstanceActor,
}

pub fn is_valid_username(name: &str) -> bool {
    !name.is_empty() && name.len() <= 30 && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// Accepts `acct:user@domain`, bare `user@domain`, and our actor or profile URLs.
pub fn parse_resource(resource: &str, config: &Config) -> Option<Resource> {
    let resource = resource.trim();
    let ours = |domain: &str| domain.eq_ignore_ascii_case(&config.handle_domain) || domain.eq_ignore_ascii_case(&config.host);
    if let Some(path) = resource.strip_prefix(&config.public_url) {
        if path == "/actor" {
            return Some(Resource::InstanceActor);
        }
        let username = path.strip_prefix("/users/").or_else(|| path.strip_prefix("/@"))?;
        return is_valid_username(username).then(|| Resource::User(username.to_string()));
    }
    let acct = resource.strip_prefix("acct:").unwrap_or(resource).trim_start_matches('@');
    let (username, domain) = acct.rsplit_once('@')?;
    if !ours(domain) {
        return None;
    }
    if username.eq_ignore_ascii_case(&config.host) || username.eq_ignore_ascii_case(&config.handle_domain) {
        return Some(Resource::InstanceActor);
    }
    is_valid_username(username).then(|| Resource::User(username.to_string()))
}

/// <https://docs.joinmastodon.org/spec/webfinger/>
pub async fn get(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    let config = ctx.config;
    let resource = req
        .query_params()
        .non_empty("resource")
        .ok_or_else(|| ApiError::BadRequest("The resource parameter is required".into()))?;
    let document = match parse_resource(&resource, config).ok_or(ApiError::NotFound)? {
        Resource::User(username) => {
            let owner = owner::by_username(ctx, &username).await?.ok_or(ApiError::NotFound)?;
            let profile = config.profile_url(&owner.username);
            json!({
                "subject": format!("acct:{}@{}", owner.username, config.handle_domain),
                "aliases": [profile, owner.uri],
                "links": [
                    {"rel": "http://webfinger.net/rel/profile-page", "type": "text/html", "href": profile},
                    {"rel": "self", "type": "application/activity+json", "href": owner.uri},
                    {"rel": "http://webfinger.net/rel/avatar", "type": "image/png",
                     "href": config.url(crate::mastodon::entities::account::DEFAULT_AVATAR_PATH)},
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

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> Config {
        Config::from_lookup(|name| match name {
            "PUBLIC_URL" => Some("https://social.example".into()),
            "HANDLE_DOMAIN" => Some("example.com".into()),
            _ => None,
        })
        .unwrap()
    }

    #[test]
    fn acct_resources_on_either_domain() {
        let c = config();
        assert_eq!(parse_resource("acct:alice@example.com", &c), Some(Resource::User("alice".into())));
        assert_eq!(parse_resource("acct:alice@SOCIAL.example", &c), Some(Resource::User("alice".into())));
        assert_eq!(parse_resource("@alice@example.com", &c), Some(Resource::User("alice".into())));
        assert_eq!(parse_resource("acct:alice@elsewhere.example", &c), None);
        assert_eq!(parse_resource("acct:al/ice@example.com", &c), None);
        assert_eq!(parse_resource("acct:alice", &c), None);
    }

    #[test]
    fn url_resources_name_actors() {
        let c = config();
        assert_eq!(parse_resource("https://social.example/users/alice", &c), Some(Resource::User("alice".into())));
        assert_eq!(parse_resource("https://social.example/@alice", &c), Some(Resource::User("alice".into())));
        assert_eq!(parse_resource("https://social.example/actor", &c), Some(Resource::InstanceActor));
        assert_eq!(parse_resource("https://other.example/users/alice", &c), None);
        assert_eq!(parse_resource("acct:social.example@social.example", &c), Some(Resource::InstanceActor));
    }
}
