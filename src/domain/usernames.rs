//! What a local username may be: the rule WebFinger, configuration and sign-up share.

/// Letters, digits and underscores, 1 to 30 of them (Mastodon's rule).
pub fn is_valid_username(name: &str) -> bool {
    !name.is_empty() && name.len() <= 30 && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}
