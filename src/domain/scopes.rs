//! OAuth scopes as Mastodon defines them (<https://docs.joinmastodon.org/api/oauth-scopes/>).

/// Every scope a client may request. Order is what `scopes_supported` advertises.
pub const SUPPORTED: &[&str] = &[
    "read", "write", "follow", "push", "profile",
    "read:accounts", "read:blocks", "read:bookmarks", "read:favourites", "read:filters",
    "read:follows", "read:lists", "read:mutes", "read:notifications", "read:search", "read:statuses",
    "write:accounts", "write:blocks", "write:bookmarks", "write:conversations", "write:favourites",
    "write:filters", "write:follows", "write:lists", "write:media", "write:mutes",
    "write:notifications", "write:reports", "write:statuses",
    "admin:read", "admin:write",
    "admin:read:accounts", "admin:read:reports", "admin:read:domain_allows", "admin:read:domain_blocks",
    "admin:read:ip_blocks", "admin:read:email_domain_blocks", "admin:read:canonical_email_blocks",
    "admin:write:accounts", "admin:write:reports", "admin:write:domain_allows", "admin:write:domain_blocks",
    "admin:write:ip_blocks", "admin:write:email_domain_blocks", "admin:write:canonical_email_blocks",
];

/// The deprecated `follow` scope still grants these (Mastodon keeps it for old apps).
const FOLLOW_GRANTS: &[&str] =
    &["read:blocks", "write:blocks", "read:follows", "write:follows", "read:mutes", "write:mutes"];

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scopes(Vec<String>);

/// Mastodon's default when a client asks for nothing: `read`.
impl Default for Scopes {
    fn default() -> Self {
        Scopes(vec!["read".to_string()])
    }
}

impl Scopes {
    /// Parses a space-separated scope string (`+` too, as some apps send it unencoded).
    /// Empty means Mastodon's default, `read`. Unknown scopes are an error.
    pub fn parse(text: &str) -> Result<Scopes, String> {
        let mut scopes: Vec<String> = Vec::new();
        for scope in text.split([' ', '+', ',']).filter(|s| !s.is_empty()) {
            if !SUPPORTED.contains(&scope) {
                return Err(scope.to_string());
            }
            if !scopes.iter().any(|s| s == scope) {
                scopes.push(scope.to_string());
            }
        }
        if scopes.is_empty() {
            return Ok(Scopes::default());
        }
        Ok(Scopes(scopes))
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }

    /// Whether a token with these scopes may do something that needs `required`
    /// (a top-level scope like `read` covers `read:statuses`).
    pub fn allows(&self, required: &str) -> bool {
        self.iter().any(|granted| {
            granted == required
                || required.strip_prefix(granted).is_some_and(|rest| rest.starts_with(':'))
                || (granted == "follow" && FOLLOW_GRANTS.contains(&required))
        })
    }

    /// Whether every scope in `self` was granted to the app (`requested ⊆ registered`).
    pub fn is_within(&self, registered: &Scopes) -> bool {
        self.iter().all(|scope| registered.allows(scope))
    }
}

impl std::fmt::Display for Scopes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_level_scopes_cover_their_children() {
        let s = Scopes::parse("read write:statuses").unwrap();
        assert!(s.allows("read:accounts"));
        assert!(s.allows("write:statuses"));
        assert!(!s.allows("write:accounts"));
        assert!(!s.allows("write"));
        assert!(Scopes::parse("readx").is_err());
    }

    #[test]
    fn read_does_not_cover_a_scope_that_only_shares_its_prefix() {
        assert!(!Scopes::parse("read").unwrap().allows("readable"));
    }

    #[test]
    fn follow_grants_relationship_scopes() {
        let s = Scopes::parse("follow").unwrap();
        assert!(s.allows("write:follows") && s.allows("read:blocks"));
        assert!(!s.allows("write:statuses"));
    }

    #[test]
    fn empty_means_read_and_duplicates_fold() {
        assert_eq!(Scopes::parse("").unwrap().to_string(), "read");
        assert_eq!(Scopes::parse("read+write read").unwrap().to_string(), "read write");
    }

    #[test]
    fn requested_must_be_within_registered() {
        let app = Scopes::parse("read write").unwrap();
        assert!(Scopes::parse("read:accounts write").unwrap().is_within(&app));
        assert!(!Scopes::parse("follow").unwrap().is_within(&app));
    }
}
