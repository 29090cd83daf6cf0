//! Body digests: `Digest` (RFC 3230, what draft-cavage senders use) and `Content-Digest`
//! (RFC 9530, what RFC 9421 senders use).
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use sha2::{Digest as _, Sha256, Sha512};

use super::structured::{parse_dictionary, BareItem, Member};
use super::{RequestParts, SignatureError};

/// `SHA-256=<base64>` for an outgoing `Digest` header.
pub fn digest_header(body: &[u8]) -> String {
    format!("SHA-256={}", STANDARD.encode(Sha256::digest(body)))
}

/// `sha-256=:<base64>:` for an outgoing `Content-Digest` header.
pub fn content_digest_header(body: &[u8]) -> String {
    format!("sha-256=:{}:", STANDARD.encode(Sha256::digest(body)))
}

/// A header listing more digests than this is refused: each one would hash the whole body.
const MAX_DIGESTS: usize = 4;

/// The body's hashes, each computed at most once however often a header repeats it.
struct Hashes<'a> {
    body: &'a [u8],
    sha256: std::cell::OnceCell<Vec<u8>>,
    sha512: std::cell::OnceCell<Vec<u8>>,
}

impl<'a> Hashes<'a> {
    fn new(body: &'a [u8]) -> Hashes<'a> {
        Hashes { body, sha256: Default::default(), sha512: Default::default() }
    }

    fn of(&self, algorithm: &str) -> Option<&[u8]> {
        match algorithm.to_ascii_lowercase().as_str() {
            "sha-256" => Some(self.sha256.get_or_init(|| Sha256::digest(self.body).to_vec())),
            "sha-512" => Some(self.sha512.get_or_init(|| Sha512::digest(self.body).to_vec())),
            _ => None,
        }
    }
}

/// Checks a `Digest` value against the body. Every supported algorithm listed must match, and at
/// least one must be supported: a sender listing only MD5 proves nothing about the body.
pub fn check_digest(value: &str, body: &[u8]) -> Result<(), SignatureError> {
    let mut checked = false;
    let hashes = Hashes::new(body);
    if value.split(',').count() > MAX_DIGESTS {
        return Err(SignatureError::Malformed(format!("Digest lists more than {MAX_DIGESTS} values")));
    }
    for entry in value.split(',') {
        let (algorithm, encoded) = entry
            .trim()
            .split_once('=')
            .ok_or_else(|| SignatureError::Malformed(format!("Digest entry without '=': {entry}")))?;
        let Some(expected) = hashes.of(algorithm.trim()) else { continue };
        let claimed = STANDARD
            .decode(encoded.trim())
            .map_err(|_| SignatureError::Malformed("Digest value is not base64".into()))?;
        if claimed != expected {
            return Err(SignatureError::DigestMismatch);
        }
        checked = true;
    }
    if checked {
        Ok(())
    } else {
        Err(SignatureError::UnsupportedAlgorithm(format!("Digest {value}")))
    }
}

/// Checks a `Content-Digest` dictionary against the body, with the same rules as `check_digest`.
pub fn check_content_digest(value: &str, body: &[u8]) -> Result<(), SignatureError> {
    let mut checked = false;
    let hashes = Hashes::new(body);
    let members = parse_dictionary(value)?;
    if members.len() > MAX_DIGESTS {
        return Err(SignatureError::Malformed(format!("Content-Digest lists more than {MAX_DIGESTS} values")));
    }
    for (algorithm, member) in members {
        let Some(expected) = hashes.of(&algorithm) else { continue };
        let Member::Item(BareItem::Bytes(claimed), _) = member else {
            return Err(SignatureError::Malformed(format!("Content-Digest {algorithm} is not a byte sequence")));
        };
        if claimed != expected {
            return Err(SignatureError::DigestMismatch);
        }
        checked = true;
    }
    if checked {
        Ok(())
    } else {
        Err(SignatureError::UnsupportedAlgorithm(format!("Content-Digest {value}")))
    }
}

/// Verifies whichever digest headers the request carries, and insists on the one the signature
/// covers (`covered`, a lower-case header name) when the body is not empty: an uncovered digest
/// could have been swapped along with the body.
pub fn check_body(req: &RequestParts, body: &[u8], covered: &[&str]) -> Result<(), SignatureError> {
    let digest = req.header("digest");
    let content_digest = req.header("content-digest");
    if let Some(value) = &digest {
        check_digest(value, body)?;
    }
    if let Some(value) = &content_digest {
        check_content_digest(value, body)?;
    }
    for name in covered {
        let present = match *name {
            "digest" => digest.is_some(),
            "content-digest" => content_digest.is_some(),
            _ => true,
        };
        if !present {
            return Err(SignatureError::MissingHeader((*name).to_string()));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &[u8] = br#"{"hello": "world"}"#;

    #[test]
    fn digests_of_the_specs_example_body() {
        // draft-cavage-http-signatures-12 §C and RFC 9530 §2 use this body.
        assert_eq!(digest_header(BODY), "SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=");
        assert_eq!(content_digest_header(BODY), "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:");
        check_content_digest(
            "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:",
            BODY,
        )
        .unwrap();
    }

    #[test]
    fn mismatches_and_unsupported_algorithms_are_rejected() {
        assert_eq!(check_digest(&digest_header(b"other"), BODY), Err(SignatureError::DigestMismatch));
        assert_eq!(check_content_digest(&content_digest_header(b"other"), BODY), Err(SignatureError::DigestMismatch));
        assert!(matches!(check_digest("MD5=abc", BODY), Err(SignatureError::UnsupportedAlgorithm(_))));
        assert!(matches!(check_content_digest("md5=:YWJj:", BODY), Err(SignatureError::UnsupportedAlgorithm(_))));
        // An unknown algorithm next to a matching one is ignored; a mismatching one is not.
        check_digest(&format!("MD5=abc, {}", digest_header(BODY)), BODY).unwrap();
        let both = format!("{}, SHA-512=AAAA", digest_header(BODY));
        assert_eq!(check_digest(&both, BODY), Err(SignatureError::DigestMismatch));
        // Algorithm names are case-insensitive.
        check_digest("sha-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=", BODY).unwrap();
        // Content-Digest keys are structured-field keys, lower case by definition.
        check_content_digest("SHA-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:", BODY).unwrap_err();
    }
}
