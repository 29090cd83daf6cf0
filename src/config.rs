//! Instance configuration, read once per request from Worker vars and secrets
//! (README "Configuration" documents every name).

#[derive(Clone, Debug)]
pub struct Config {
    /// `https://social.example.com`, without a trailing slash.
    pub public_url: String,
    /// `social.example.com` (with `:port` when there is one): the server's own host.
    pub host: String,
    /// The domain in handles (`@me@example.com`); the host unless a split domain is configured.
    pub handle_domain: String,
    pub admin_username: String,
    pub admin_email: String,
    pub admin_password: Option<String>,
    pub title: String,
    pub description: String,
    /// Where this instance's source code is offered (AGPL); clients need a non-null string.
    pub source_url: String,
    pub allow_password_grant: bool,
    pub allow_private_addresses: bool,
    /// The first retry delay of a failed federation message; it doubles up to an hour.
    pub retry_base_seconds: u32,
    /// `REMOTE_CONTENT_RETENTION_DAYS`: remote posts nobody here needs are forgotten this many
    /// days after they arrived (`app::retention`); `None` (set to 0) keeps them forever.
    pub remote_content_retention_days: Option<u32>,
    /// `BUDGET_REPORT`: each response carries what its invocation spent (`Server-Timing`), and
    /// queue and cron invocations log it. For development and tests; off in production.
    pub budget_report: bool,
}

/// Long enough to read a thread again weeks later; short enough that a year of following
/// people stays a small part of D1's 500 MB (docs/free-plan.md).
const DEFAULT_RETENTION_DAYS: u32 = 30;

#[derive(Debug, thiserror::Error)]
#[error("configuration: {0}")]
pub struct ConfigError(pub String);

impl Config {
    /// Reads configuration through `get` (a var or secret by name; `None` when unset).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let non_empty = |name: &str| get(name).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
        let public_url = non_empty("PUBLIC_URL")
            .ok_or_else(|| ConfigError("PUBLIC_URL is not set".into()))?
            .trim_end_matches('/')
            .to_string();
        let host = host_of(&public_url)
            .ok_or_else(|| ConfigError(format!("PUBLIC_URL {public_url:?} is not an http(s) URL")))?;
        let admin_username = non_empty("ADMIN_USERNAME").unwrap_or_else(|| "admin".into());
        if !crate::domain::usernames::is_valid_username(&admin_username) {
            return Err(ConfigError(format!("ADMIN_USERNAME {admin_username:?} must be letters, digits and _")));
        }
        let source_url = non_empty("SOURCE_URL").unwrap_or_else(|| public_url.clone());
        // Refused rather than defaulted: a typo must not shorten what the owner meant to keep.
        let retention_days = match non_empty("REMOTE_CONTENT_RETENTION_DAYS") {
            None => DEFAULT_RETENTION_DAYS,
            Some(v) => v.parse().map_err(|_| ConfigError(format!("REMOTE_CONTENT_RETENTION_DAYS {v:?} must be a whole number of days")))?,
        };
        Ok(Config {
            source_url,
            handle_domain: non_empty("HANDLE_DOMAIN").unwrap_or_else(|| host.clone()),
            host,
            public_url,
            admin_email: non_empty("ADMIN_EMAIL").unwrap_or_default(),
            admin_username,
            // Not trimmed: spaces at either end are part of a password.
            admin_password: get("ADMIN_PASSWORD").filter(|v| !v.is_empty()),
            title: non_empty("INSTANCE_TITLE").unwrap_or_else(|| "Topi".into()),
            description: non_empty("INSTANCE_DESCRIPTION").unwrap_or_default(),
            allow_password_grant: non_empty("ALLOW_PASSWORD_GRANT").is_none_or(|v| is_true(&v)),
            allow_private_addresses: non_empty("ALLOW_PRIVATE_ADDRESSES").is_some_and(|v| is_true(&v)),
            retry_base_seconds: non_empty("FEDERATION_RETRY_SECONDS").and_then(|v| v.parse().ok()).unwrap_or(30).clamp(1, 3600),
            remote_content_retention_days: (retention_days > 0).then_some(retention_days),
            budget_report: non_empty("BUDGET_REPORT").is_some_and(|v| is_true(&v)),
        })
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.public_url, path)
    }

    pub fn actor_url(&self, username: &str) -> String {
        self.url(&format!("/users/{username}"))
    }

    pub fn profile_url(&self, username: &str) -> String {
        self.url(&format!("/@{username}"))
    }

    pub fn streaming_url(&self) -> String {
        match self.public_url.strip_prefix("https://") {
            Some(rest) => format!("wss://{rest}"),
            None => format!("ws://{}", self.public_url.trim_start_matches("http://")),
        }
    }
}

fn is_true(v: &str) -> bool {
    matches!(v.to_ascii_lowercase().as_str(), "1" | "true" | "yes" | "on")
}

fn host_of(url: &str) -> Option<String> {
    let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"))?;
    let host = rest.split(['/', '?', '#']).next()?;
    (!host.is_empty()).then(|| host.to_ascii_lowercase())
}

#[cfg(test)]
pub fn for_tests() -> Config {
    Config::from_lookup(|name| match name {
        "PUBLIC_URL" => Some("https://social.example/".into()),
        "ADMIN_USERNAME" => Some("alice".into()),
        "ADMIN_PASSWORD" => Some("secret password".into()),
        _ => None,
    })
    .expect("test configuration is valid")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derives_host_and_defaults() {
        let c = for_tests();
        assert_eq!(c.public_url, "https://social.example");
        assert_eq!(c.host, "social.example");
        assert_eq!(c.handle_domain, "social.example");
        assert!(c.allow_password_grant && !c.allow_private_addresses);
        assert_eq!(c.remote_content_retention_days, Some(30));
        assert_eq!(c.streaming_url(), "wss://social.example");
    }

    #[test]
    fn rejects_missing_or_non_http_public_url() {
        assert!(Config::from_lookup(|_| None).is_err());
        assert!(Config::from_lookup(|n| (n == "PUBLIC_URL").then(|| "ftp://x".into())).is_err());
    }

    #[test]
    fn handle_domain_can_differ_from_host() {
        let c = Config::from_lookup(|n| match n {
            "PUBLIC_URL" => Some("http://127.0.0.1:8787".into()),
            "HANDLE_DOMAIN" => Some("example.com".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(c.host, "127.0.0.1:8787");
        assert_eq!(c.handle_domain, "example.com");
        assert_eq!(c.streaming_url(), "ws://127.0.0.1:8787");
    }

    #[test]
    fn remote_content_retention_is_days_and_zero_keeps_forever() {
        let with = |days: &str| {
            let days = days.to_string();
            Config::from_lookup(move |n| match n {
                "PUBLIC_URL" => Some("https://social.example".into()),
                "REMOTE_CONTENT_RETENTION_DAYS" => Some(days.clone()),
                _ => None,
            })
        };
        assert_eq!(with("90").unwrap().remote_content_retention_days, Some(90));
        assert_eq!(with(" 0 ").unwrap().remote_content_retention_days, None);
        assert_eq!(with("").unwrap().remote_content_retention_days, Some(30), "empty is unset");
        assert!(with("forever").is_err() && with("-1").is_err() && with("7.5").is_err());
    }
}
