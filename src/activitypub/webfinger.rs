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


/// The link relation of a WebFinger document whose `template` is where its account interacts
/// with a remote object: `{uri}` in it stands for the object's URI (Mastodon's
/// `/authorize_interaction?uri={uri}`).
pub const SUBSCRIBE_REL: &str = "http://ostatus.org/schema/1.0/subscribe";

/// The longest remote username and domain a handle may have (Mastodon's and DNS's limits).
const MAX_USERNAME: usize = 255;
const MAX_DOMAIN: usize = 253;

/// A handle as a person types it (`user@domain`, `@user@domain`, `acct:user@domain`): the
/// username and the domain, lower case and with its port if it has one, or `None` when it is
/// not a well-formed handle. Nothing else gets through: no path, query, credentials or spaces
/// in the domain, no characters outside Mastodon's in the username.
///
/// ```
/// use topi::activitypub::webfinger::parse_handle;
/// assert_eq!(parse_handle(" @Bob@Social.Example "), Some(("Bob".into(), "social.example".into())));
/// assert_eq!(parse_handle("bob@evil.example/x?@good.example"), None);
/// ```
pub fn parse_handle(text: &str) -> Option<(String, String)> {
    let text = text.trim();
    let text = match text.get(..5) {
        Some(scheme) if scheme.eq_ignore_ascii_case("acct:") => &text[5..],
        _ => text,
    };
    let (username, domain) = text.strip_prefix('@').unwrap_or(text).split_once('@')?;
    let username_ok = username.len() <= MAX_USERNAME && !username.is_empty() && username.bytes().all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b));
    if !username_ok || domain.is_empty() || domain.len() > MAX_DOMAIN + 6 {
        return None;
    }
    // The URL parser would read these as the start of a path, query, fragment or credentials.
    if domain.chars().any(|c| c.is_whitespace() || c.is_control() || "/\\?#@%".contains(c)) {
        return None;
    }
    let url = url::Url::parse(&format!("https://{domain}/")).ok()?;
    let host = url.host_str().filter(|h| !h.is_empty() && h.len() <= MAX_DOMAIN)?;
    let domain = match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_string(),
    };
    Some((username.to_string(), domain))
}

/// The remote-interaction template of a WebFinger document (`SUBSCRIBE_REL`), if it has one.
pub fn subscribe_template(jrd: &serde_json::Value) -> Option<&str> {
    jrd.get("links")?
        .as_array()?
        .iter()
        .find(|link| link.get("rel").and_then(serde_json::Value::as_str) == Some(SUBSCRIBE_REL))?
        .get("template")?
        .as_str()
}

/// Where a visitor whose handle is on `domain` interacts with `uri`: `template` with `{uri}`
/// replaced by the URI, percent-encoded as a query value. Only an http(s) URL without
/// credentials, at most 2,048 bytes, on the handle's own host (`domain`, port and all), on a
/// host under its domain (`social.example.com` for `example.com`: a split-domain server), or
/// on the host that answered the WebFinger query (`answered_by`, host and port: `domain`
/// redirected the query there, so it vouches for it). Anything else (another site, `javascript:`)
/// is `None`: the page sends a person to this URL, so it must belong to the server they named.
///
/// ```
/// use topi::activitypub::webfinger::interaction_url;
/// let template = "https://social.example.com/authorize_interaction?uri={uri}";
/// assert_eq!(
///     interaction_url(template, "https://here.example/users/a", "example.com", "example.com").as_deref(),
///     Some("https://social.example.com/authorize_interaction?uri=https%3A%2F%2Fhere.example%2Fusers%2Fa")
/// );
/// assert_eq!(interaction_url("https://evil.example/?{uri}", "https://h.example/", "example.com", "example.com"), None);
/// ```
pub fn interaction_url(template: &str, uri: &str, domain: &str, answered_by: &str) -> Option<String> {
    const MAX_URL: usize = 2048;
    if !template.contains("{uri}") {
        return None;
    }
    // What `encodeURIComponent` leaves alone stays as it is, as in Mastodon's own pages.
    const COMPONENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');
    let encoded = percent_encoding::utf8_percent_encode(uri, COMPONENT).to_string();
    let filled = template.replace("{uri}", &encoded);
    let url = url::Url::parse(&filled).ok()?;
    if !matches!(url.scheme(), "http" | "https") || !url.username().is_empty() || url.password().is_some() || filled.len() > MAX_URL {
        return None;
    }
    let host = url.host_str()?.to_ascii_lowercase();
    let authority = match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.clone(),
    };
    let domain = domain.to_ascii_lowercase();
    let domain_host = domain.split(':').next().unwrap_or(&domain);
    let under_domain = host.strip_suffix(domain_host).is_some_and(|sub| sub.ends_with('.') && sub.len() > 1);
    let ours = authority == domain || under_domain || authority.eq_ignore_ascii_case(answered_by);
    // The URL as parsed (and so normalized), not the text: what is checked is what is sent.
    ours.then(|| url.to_string())
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
    fn handles_are_username_and_domain_and_nothing_else() {
        let handle = |text: &str| parse_handle(text);
        let pair = |u: &str, d: &str| Some((u.to_string(), d.to_string()));
        assert_eq!(handle("bob@social.example"), pair("bob", "social.example"));
        assert_eq!(handle("acct:bob@Social.Example"), pair("bob", "social.example"));
        assert_eq!(handle("ACCT:@b.o-b_1@social.example"), pair("b.o-b_1", "social.example"));
        assert_eq!(handle("bob@127.0.0.1:8080"), pair("bob", "127.0.0.1:8080"));
        assert_eq!(handle("bob@bücher.example"), pair("bob", "xn--bcher-kva.example"));
        for bad in [
            "", "bob", "@bob", "bob@", "@@social.example", "bo b@social.example", "bob@social.example/path",
            "bob@social.example?x", "bob@social.example#x", "bob@user:pw@social.example", "bob@social .example",
            "bob@social.example\\evil", "bob@%2e.example", "<script>@social.example", "bob@social.example:99999",
            "bob@[::1", "javascript:alert(1)@x.example", "bob@social\n.example",
        ] {
            assert_eq!(handle(bad), None, "{bad:?}");
        }
        assert_eq!(handle(&format!("{}@social.example", "a".repeat(256))), None);
        assert_eq!(handle(&format!("bob@{}.example", "a".repeat(250))), None);
    }

    #[test]
    fn the_subscribe_template_is_found_among_the_links() {
        let jrd = serde_json::json!({"links": [
            {"rel": "self", "href": "https://s.example/users/bob"},
            {"rel": SUBSCRIBE_REL, "template": "https://s.example/authorize_interaction?uri={uri}"},
        ]});
        assert_eq!(subscribe_template(&jrd), Some("https://s.example/authorize_interaction?uri={uri}"));
        assert_eq!(subscribe_template(&serde_json::json!({"links": [{"rel": SUBSCRIBE_REL, "href": "x"}]})), None);
        assert_eq!(subscribe_template(&serde_json::json!({"links": "nope"})), None);
    }

    #[test]
    fn interaction_urls_stay_on_the_handles_server() {
        let uri = "https://here.example/users/alice";
        let url = |template: &str, domain: &str, answered_by: &str| interaction_url(template, uri, domain, answered_by);
        let at = |host: &str| format!("https://{host}/authorize_interaction?uri={{uri}}");
        assert!(url(&at("s.example"), "s.example", "s.example").is_some());
        assert!(url(&at("S.Example"), "s.example", "s.example").is_some());
        assert!(url(&at("social.s.example"), "s.example", "s.example").is_some(), "a host under the handle's domain");
        assert!(url(&at("elsewhere.example"), "s.example", "elsewhere.example").is_some(), "where the handle's domain redirected");
        assert!(url("http://127.0.0.1:8080/i?uri={uri}", "127.0.0.1:8080", "127.0.0.1:8080").is_some());
        for (template, domain) in [
            (at("evil.example"), "s.example"),
            (at("evils.example"), "s.example"),
            (at("s.example.evil.example"), "s.example"),
            (at(".s.example"), "s.example"),
            ("https://s.example/no-placeholder".to_string(), "s.example"),
            ("javascript:alert(1)//{uri}".to_string(), "s.example"),
            ("data:text/html,{uri}".to_string(), "s.example"),
            ("https://user:pw@s.example/?u={uri}".to_string(), "s.example"),
            ("https://s.example@evil.example/?u={uri}".to_string(), "s.example"),
            ("http://127.0.0.1:9999/i?uri={uri}".to_string(), "127.0.0.1:8080"),
            (format!("https://s.example/{}?u={{uri}}", "a".repeat(2048)), "s.example"),
            ("//s.example/?u={uri}".to_string(), "s.example"),
        ] {
            assert_eq!(url(&template, domain, domain), None, "{template} for {domain}");
        }
        let filled = url("https://s.example/i?uri={uri}&again={uri}", "s.example", "s.example").unwrap();
        assert_eq!(filled, "https://s.example/i?uri=https%3A%2F%2Fhere.example%2Fusers%2Falice&again=https%3A%2F%2Fhere.example%2Fusers%2Falice");
        let hostile = interaction_url("https://s.example/i?uri={uri}", "https://h.example/\"><script>&x=1#", "s.example", "s.example").unwrap();
        assert!(!hostile.contains('"') && !hostile.contains('<') && !hostile.contains('#'), "{hostile}");
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
