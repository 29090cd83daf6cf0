//! Instance-level domain blocks, as Mastodon's admin defines them
//! (<https://docs.joinmastodon.org/entities/Admin_DomainBlock/>): which servers are limited or cut
//! off, and what a block covers.
use sha2::{Digest, Sha256};

/// What a block does to a server. `Noop` only carries the `reject_*` options.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    /// Limited: its accounts leave the public timelines (unless followed), and their follows
    /// need approval.
    Silence,
    /// Cut off: nothing is accepted from it, nothing is sent or fetched there, and what was
    /// stored from it is removed.
    Suspend,
    Noop,
}

impl Severity {
    pub fn parse(text: &str) -> Option<Severity> {
        match text {
            "silence" => Some(Severity::Silence),
            "suspend" => Some(Severity::Suspend),
            "noop" => Some(Severity::Noop),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Silence => "silence",
            Severity::Suspend => "suspend",
            Severity::Noop => "noop",
        }
    }
}

/// The longest domain a block names (DNS allows 253, a port adds 6).
pub const MAX_DOMAIN_LEN: usize = 260;

/// A domain as blocks store it: lower case, no scheme, path or trailing dot; a port is kept (a
/// block with a port covers that port only). `None`: not a domain.
pub fn normalize(input: &str) -> Option<String> {
    let text = input.trim();
    let text = text.strip_prefix("https://").or_else(|| text.strip_prefix("http://")).unwrap_or(text);
    let text = text.split('/').next().unwrap_or_default().trim_end_matches('.').to_lowercase();
    let (host, port) = match text.rsplit_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (text.as_str(), None),
    };
    let label_ok = |label: &str| {
        !label.is_empty() && label.len() <= 63 && !label.starts_with('-') && !label.ends_with('-')
            && label.chars().all(|c| c.is_alphanumeric() || c == '-' || c == '_')
    };
    let valid = text.len() <= MAX_DOMAIN_LEN
        && host.split('.').all(label_ok)
        && port.is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()));
    valid.then_some(text)
}

/// Whether a block of `blocked` covers the server at `authority` (`host` or `host:port`, as
/// account domains and `vocab::host_of` give it): the same authority, the same host when the
/// block names no port, or a subdomain of it.
pub fn covers(blocked: &str, authority: &str) -> bool {
    let authority = authority.to_ascii_lowercase();
    if blocked == authority {
        return true;
    }
    if blocked.contains(':') {
        return false;
    }
    let host = authority.split(':').next().unwrap_or_default();
    host == blocked || host.strip_suffix(blocked).is_some_and(|rest| rest.ends_with('.'))
}

/// The domain as the public list shows it when the block is obfuscated: a part of each label
/// replaced by `*`, as Mastodon does, so that the list warns without advertising.
pub fn obfuscate(domain: &str) -> String {
    let chars: Vec<char> = domain.chars().collect();
    let len = chars.len();
    chars
        .iter()
        .enumerate()
        .map(|(i, c)| if *c != '.' && i > len / 4 && i < len - len / 4 { '*' } else { *c })
        .collect()
}

/// SHA-256 of the domain, hex: lets others check whether a domain is on the list without
/// reading it (Mastodon's `digest`).
pub fn digest(domain: &str) -> String {
    Sha256::digest(domain.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// One block, as enforcement reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Block {
    pub domain: String,
    pub severity: Severity,
    pub reject_media: bool,
    pub reject_reports: bool,
}

/// What the blocks say about one server: the strongest of every block that covers it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Standing {
    pub suspended: bool,
    pub silenced: bool,
    pub reject_media: bool,
    pub reject_reports: bool,
}

pub fn standing(blocks: &[Block], authority: &str) -> Standing {
    blocks.iter().filter(|b| covers(&b.domain, authority)).fold(Standing::default(), |s, b| Standing {
        suspended: s.suspended || b.severity == Severity::Suspend,
        silenced: s.silenced || b.severity == Severity::Silence,
        // A suspended server sends nothing that is kept, media and reports included.
        reject_media: s.reject_media || b.reject_media || b.severity == Severity::Suspend,
        reject_reports: s.reject_reports || b.reject_reports || b.severity == Severity::Suspend,
    })
}

/// Everything federation asks of the admin's moderation: the domain blocks, the accounts the
/// admin suspended (by actor id: the inbox checks them before it fetches the signer's key), and
/// in allow-list mode the domains allowed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Policy {
    pub blocks: Vec<Block>,
    pub suspended_actors: std::collections::BTreeSet<String>,
    /// Allow-list mode: only servers these domains cover federate (the caller adds this
    /// server's own). `None`: the mode is off.
    pub allowed: Option<Vec<String>>,
}

impl Policy {
    /// What the blocks say about the server at `authority`; in allow-list mode a server no
    /// allowed domain covers stands as if suspended (refused at the inbox, never fetched from
    /// or delivered to), whatever its blocks say.
    pub fn standing(&self, authority: &str) -> Standing {
        let blocked = standing(&self.blocks, authority);
        match &self.allowed {
            Some(allowed) if !allowed.iter().any(|domain| covers(domain, authority)) => {
                Standing { suspended: true, silenced: blocked.silenced, reject_media: true, reject_reports: true }
            }
            _ => blocked,
        }
    }

    /// Whether the admin suspended the actor `uri` (a report's action): nothing of theirs is accepted.
    pub fn actor_suspended(&self, uri: &str) -> bool {
        self.suspended_actors.contains(uri)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_block_covers_its_subdomains_and_every_port_unless_it_names_one() {
        assert!(covers("example.com", "example.com"));
        assert!(covers("example.com", "EXAMPLE.com:8443"));
        assert!(covers("example.com", "media.example.com"));
        assert!(!covers("example.com", "notexample.com"));
        assert!(!covers("example.com", "example.com.evil"));
        assert!(covers("127.0.0.1:8101", "127.0.0.1:8101"));
        assert!(!covers("127.0.0.1:8101", "127.0.0.1:8102"));
        assert!(!covers("127.0.0.1:8101", "127.0.0.1"));
    }

    #[test]
    fn domains_are_normalized_or_refused() {
        assert_eq!(normalize(" https://Evil.Example/about ").as_deref(), Some("evil.example"));
        assert_eq!(normalize("evil.example.").as_deref(), Some("evil.example"));
        assert_eq!(normalize("127.0.0.1:8101").as_deref(), Some("127.0.0.1:8101"));
        assert_eq!(normalize("xn--bcher-kva.example").as_deref(), Some("xn--bcher-kva.example"));
        for bad in ["", "a..b", "-a.example", "a b.example", "a.example:", "a.example:123456", "a.example:x", "<script>"] {
            assert_eq!(normalize(bad), None, "{bad}");
        }
        assert_eq!(normalize(&format!("{}.example", "a".repeat(64))), None, "a label over 63 bytes");
        assert_eq!(normalize(&"a.".repeat(140)), None, "over the length limit");
    }

    #[test]
    fn the_strongest_block_wins() {
        let blocks = [
            Block { domain: "example.com".into(), severity: Severity::Silence, reject_media: false, reject_reports: false },
            Block { domain: "bad.example.com".into(), severity: Severity::Noop, reject_media: true, reject_reports: false },
        ];
        assert_eq!(standing(&blocks, "other.org"), Standing::default());
        assert_eq!(standing(&blocks, "example.com"), Standing { silenced: true, ..Default::default() });
        assert_eq!(standing(&blocks, "x.bad.example.com"), Standing { silenced: true, reject_media: true, ..Default::default() });
        let suspended = [Block { domain: "evil.example".into(), severity: Severity::Suspend, reject_media: false, reject_reports: false }];
        assert_eq!(standing(&suspended, "evil.example"), Standing { suspended: true, silenced: false, reject_media: true, reject_reports: true });
    }

    #[test]
    fn in_allow_list_mode_only_allowed_servers_federate_and_blocks_still_apply() {
        let off = Policy::default();
        assert_eq!(off.standing("anyone.example"), Standing::default());
        let on = Policy {
            allowed: Some(vec!["friends.example".into(), "127.0.0.1:8101".into()]),
            blocks: vec![Block { domain: "loud.friends.example".into(), severity: Severity::Silence, reject_media: false, reject_reports: false }],
            ..Default::default()
        };
        assert_eq!(on.standing("friends.example:443"), Standing::default());
        assert_eq!(on.standing("127.0.0.1:8101"), Standing::default());
        assert_eq!(on.standing("loud.friends.example"), Standing { silenced: true, ..Default::default() }, "an allowed server's block still applies");
        let refused = Standing { suspended: true, silenced: false, reject_media: true, reject_reports: true };
        assert_eq!(on.standing("stranger.example"), refused);
        assert_eq!(on.standing("127.0.0.1:8102"), refused, "another port is another server");
        assert_eq!(on.standing("notfriends.example"), refused);
        let nobody = Policy { allowed: Some(Vec::new()), ..Default::default() };
        assert!(nobody.standing("friends.example").suspended, "on with an empty list: nobody");
    }

    #[test]
    fn obfuscation_hides_the_middle_and_the_digest_is_sha256() {
        assert_eq!(obfuscate("evil.example.com"), "evil.*******.com");
        assert_eq!(obfuscate("ab.cd"), "ab.cd".chars().enumerate().map(|(i, c)| if c != '.' && i > 1 && i < 4 { '*' } else { c }).collect::<String>());
        assert_eq!(digest("example.com"), "a379a6f6eeafb9a55e378c118034e2751e682fab9f2d30ab13d2125586ce1947");
    }
}
