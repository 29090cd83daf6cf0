//! Who may see a status. A single-user server has two kinds of viewer: the owner, who sees
//! everything stored (remote servers deliver private and direct posts only to their audience),
//! and everyone else, who sees public and unlisted posts.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Visibility {
    Public,
    Unlisted,
    Private,
    Direct,
}

impl Visibility {
    pub fn parse(text: &str) -> Option<Visibility> {
        match text {
            "public" => Some(Visibility::Public),
            "unlisted" => Some(Visibility::Unlisted),
            "private" => Some(Visibility::Private),
            "direct" => Some(Visibility::Direct),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Public => "public",
            Visibility::Unlisted => "unlisted",
            Visibility::Private => "private",
            Visibility::Direct => "direct",
        }
    }

    pub fn is_public_to_anyone(self) -> bool {
        matches!(self, Visibility::Public | Visibility::Unlisted)
    }
}

/// Whether a viewer may see a status of this visibility; `is_owner` says the viewer is the owner.
pub fn may_see(visibility: &str, is_owner: bool) -> bool {
    is_owner || Visibility::parse(visibility).is_some_and(Visibility::is_public_to_anyone)
}

/// Mastodon's rule for boosts: never a direct post, and a followers-only post only by its author.
pub fn may_reblog(visibility: &str, own_status: bool) -> bool {
    match Visibility::parse(visibility) {
        Some(Visibility::Public | Visibility::Unlisted) => true,
        Some(Visibility::Private) => own_status,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strangers_see_only_public_and_unlisted() {
        assert!(may_see("public", false) && may_see("unlisted", false));
        assert!(!may_see("private", false) && !may_see("direct", false));
        assert!(may_see("direct", true));
        assert!(!may_see("bogus", false));
    }

    #[test]
    fn boosts_follow_mastodon() {
        assert!(may_reblog("public", false));
        assert!(!may_reblog("private", false) && may_reblog("private", true));
        assert!(!may_reblog("direct", true));
    }
}
