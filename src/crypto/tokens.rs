//! Bearer tokens, client secrets and authorization codes: random, shown once, stored as SHA-256.
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use sha2::{Digest, Sha256};

/// 32 random bytes as unpadded base64url (43 characters), the shape Mastodon's tokens have.
pub fn new_secret(random: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(random)
}

/// What the database stores in place of a secret.
pub fn hash(secret: &str) -> String {
    hex(&Sha256::digest(secret.as_bytes()))
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Compares without an early exit, so timing does not reveal how much of a secret matched.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// RFC 7636 §4.6: `BASE64URL(SHA256(code_verifier)) == code_challenge` for S256, and the
/// verifier itself for `plain`. Verifiers must be 43–128 unreserved characters.
pub fn pkce_matches(verifier: &str, challenge: &str, method: &str) -> bool {
    let well_formed = (43..=128).contains(&verifier.len())
        && verifier.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
    if !well_formed {
        return false;
    }
    match method {
        "S256" => constant_time_eq(URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())).as_bytes(), challenge.as_bytes()),
        "plain" => constant_time_eq(verifier.as_bytes(), challenge.as_bytes()),
        _ => false,
    }
}

/// `Authorization: Basic base64(client_id:client_secret)` (RFC 6749 §2.3.1, form-encoded parts).
pub fn parse_basic_auth(header: &str) -> Option<(String, String)> {
    let encoded = header.strip_prefix("Basic ").or_else(|| header.strip_prefix("basic "))?;
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    let unescape = |s: &str| percent_encoding::percent_decode_str(&s.replace('+', " ")).decode_utf8_lossy().into_owned();
    Some((unescape(id), unescape(secret)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_s256_matches_the_rfc_example() {
        // RFC 7636 Appendix B.
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert!(pkce_matches(verifier, challenge, "S256"));
        assert!(!pkce_matches(verifier, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cX", "S256"));
        assert!(!pkce_matches("short", "short", "plain"));
        assert!(!pkce_matches(verifier, challenge, "S512"));
    }

    #[test]
    fn hashes_are_stable_hex() {
        assert_eq!(hash("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert_eq!(new_secret(&[0xfb; 32]).len(), 43);
    }

    #[test]
    fn basic_auth_is_parsed_and_unescaped() {
        let header = format!("Basic {}", STANDARD.encode("my%20id:s3cr+et"));
        assert_eq!(parse_basic_auth(&header), Some(("my id".into(), "s3cr et".into())));
        assert_eq!(parse_basic_auth("Bearer x"), None);
    }

    #[test]
    fn constant_time_eq_compares_content_and_length() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
