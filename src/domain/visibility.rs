//! Who may see a status. A single-user server has two kinds of viewer: the owner, who sees
//! everything stored (remote servers deliver private and direct posts only to their audience),
//! and everyone else, who sees public and unlisted posts.

/// Stored and sent by its Mastodon name (`public`, `unlisted`, `private`, `direct`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
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
pub fn may_see(visibility: Visibility, is_owner: bool) -> bool {
    is_owner || visibility.is_public_to_anyone()
}

/// Mastodon's rule for boosts: never a direct post, and a followers-only post only by its author.
pub fn may_reblog(visibility: Visibility, own_status: bool) -> bool {
    match visibility {
        Visibility::Public | Visibility::Unlisted => true,
        Visibility::Private => own_status,
        Visibility::Direct => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strangers_see_only_public_and_unlisted() {
        use Visibility::*;
        assert!(may_see(Public, false) && may_see(Unlisted, false));
        assert!(!may_see(Private, false) && !may_see(Direct, false));
        assert!(may_see(Direct, true));
        assert_eq!(Visibility::parse("bogus"), None);
    }

    #[test]
    fn boosts_follow_mastodon() {
        use Visibility::*;
        assert!(may_reblog(Public, false));
        assert!(!may_reblog(Private, false) && may_reblog(Private, true));
        assert!(!may_reblog(Direct, true));
    }
}
