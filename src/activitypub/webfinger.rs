//! WebFinger (RFC 7033) resources: what `acct:user@domain` or an actor URL names here. The
//! endpoints are `federation::webfinger`.
//! With a split domain (`HANDLE_DOMAIN`), the apex serves or redirects these to us and handles
//! name the apex while every link points at `PUBLIC_URL`.
use crate::config::Config;
use crate::domain::usernames::is_valid_username;

/// What a WebFinger `resource` names, once checked to be on this instance.
#[derive(Debug, PartialEq, Eq)]
pub enum Resource {
    User(String),
    InstanceActor,
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
