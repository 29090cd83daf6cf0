//! Key encodings for actor documents: PEM for RSA (HTTP signatures) and the FEP-521a Multikey
//! form of Ed25519 keys (`publicKeyMultibase`, base58btc with the `ed25519-pub` multicodec).
//! Base58 is the `bs58` crate (+0.5 KB gzip on wasm32, measured). PEM and the PKCS#1→SPKI wrap stay
//! hand-written: `pem-rfc7468` + `spki`/`der` 0.7 would add 5.2 KB gzip on wasm32, and
//! pem-rfc7468 refuses key bodies not wrapped at 64 columns, which peers send and we accept.
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use ed25519_dalek::SigningKey;

/// An Ed25519 key pair from 32 random bytes, as (seed, public key), both base64.
pub fn ed25519_from_seed(seed: &[u8; 32]) -> (String, String) {
    let key = SigningKey::from_bytes(seed);
    (STANDARD.encode(seed), STANDARD.encode(key.verifying_key().as_bytes()))
}

/// `z6Mk…`: multibase (base58btc, `z`) of the multicodec `0xed 0x01` followed by the key.
pub fn ed25519_multibase(public_key: &[u8]) -> String {
    let mut bytes = vec![0xed, 0x01];
    bytes.extend_from_slice(public_key);
    format!("z{}", base58btc(&bytes))
}

/// The 32-byte Ed25519 key inside a Multikey `publicKeyMultibase` (`z6Mk…`); `None` for any
/// other encoding or key type.
pub fn ed25519_from_multibase(multibase: &str) -> Option<[u8; 32]> {
    let bytes = base58btc_decode(multibase.strip_prefix('z')?)?;
    bytes.strip_prefix(&[0xed, 0x01])?.try_into().ok()
}

/// Wraps DER in PEM armour with 64-character lines.
pub fn pem(label: &str, der: &[u8]) -> String {
    let body = STANDARD.encode(der);
    let lines: Vec<&str> = body.as_bytes().chunks(64).map(|c| std::str::from_utf8(c).unwrap_or_default()).collect();
    format!("-----BEGIN {label}-----\n{}\n-----END {label}-----\n", lines.join("\n"))
}

/// The DER inside PEM armour.
pub fn pem_to_der(pem: &str) -> Option<Vec<u8>> {
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    STANDARD.decode(body.trim()).ok()
}

/// The SPKI DER of an RSA public key in PEM. Most peers publish SPKI (`PUBLIC KEY`); some older
/// ones publish bare PKCS#1 (`RSA PUBLIC KEY`), which WebCrypto cannot import, so it is wrapped.
pub fn rsa_public_spki_der(pem: &str) -> Option<Vec<u8>> {
    let der = pem_to_der(pem)?;
    if !pem.contains("BEGIN RSA PUBLIC KEY") {
        return Some(der);
    }
    // SEQUENCE { SEQUENCE { rsaEncryption OID, NULL }, BIT STRING { 0 unused bits, PKCS#1 } }
    const ALGORITHM: &[u8] = &[0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00];
    let mut bit_string = vec![0u8];
    bit_string.extend_from_slice(&der);
    let mut inner = ALGORITHM.to_vec();
    inner.extend(der_element(0x03, &bit_string));
    Some(der_element(0x30, &inner))
}

fn der_element(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len.to_be_bytes().iter().copied().skip_while(|b| *b == 0).collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
    out.extend_from_slice(content);
    out
}

/// Base58btc, the alphabet Bitcoin uses, as multibase's `z` prefix means.
pub fn base58btc(bytes: &[u8]) -> String {
    bs58::encode(bytes).into_string()
}

/// Longest base58 text decoded: decoding is quadratic in its length, and what we read is a key
/// (a multikey is ~48 characters) or an Ed25519 signature (~88), from peers not yet verified.
pub const MAX_BASE58_CHARS: usize = 128;

/// Multibase `z` payloads (and FEP-8b32 proof values) back to bytes; `None` on a character
/// outside the alphabet or a text longer than `MAX_BASE58_CHARS`.
pub fn base58btc_decode(text: &str) -> Option<Vec<u8>> {
    if text.len() > MAX_BASE58_CHARS {
        return None;
    }
    bs58::decode(text).into_vec().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base58_matches_known_vectors() {
        assert_eq!(base58btc(b"Hello World!"), "2NEpo7TZRRrLZSi2U");
        assert_eq!(base58btc(&[0, 0, 1]), "112");
    }

    #[test]
    fn base58_decodes_what_it_encodes() {
        assert_eq!(base58btc_decode("2NEpo7TZRRrLZSi2U").unwrap(), b"Hello World!");
        assert_eq!(base58btc_decode("112").unwrap(), vec![0, 0, 1]);
        assert_eq!(base58btc_decode("").unwrap(), Vec::<u8>::new());
        assert_eq!(base58btc_decode("0OIl"), None);
        let signature: Vec<u8> = (0..64).map(|i| 255 - i).collect();
        assert_eq!(base58btc_decode(&base58btc(&signature)).unwrap(), signature);
    }

    #[test]
    fn base58_longer_than_any_key_or_signature_is_not_decoded() {
        // Found by the fuzzer: a 100 KB proofValue took seconds before any signature was checked.
        assert_eq!(base58btc_decode(&"4".repeat(MAX_BASE58_CHARS + 1)), None);
        assert!(base58btc_decode(&"4".repeat(MAX_BASE58_CHARS)).is_some());
    }

    #[test]
    fn multikey_decodes_to_the_key() {
        let public_key: [u8; 32] = core::array::from_fn(|i| i as u8 * 7);
        assert_eq!(ed25519_from_multibase(&ed25519_multibase(&public_key)), Some(public_key));
        // vc-di-eddsa's example key pair: the secret key's public half is this Multikey.
        let secret = base58btc_decode("3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq").unwrap();
        assert_eq!(secret[..2], [0x80, 0x26]);
        let seed: [u8; 32] = secret[2..].try_into().unwrap();
        let derived = SigningKey::from_bytes(&seed).verifying_key().to_bytes();
        assert_eq!(ed25519_from_multibase("z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"), Some(derived));
        assert_eq!(ed25519_from_multibase("6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"), None);
        assert_eq!(ed25519_from_multibase("zDnaeoWd5aKSeZ8QAimcVrLGEU2SnWCrY4wQneAAk5NhQyn8U"), None);
    }

    #[test]
    fn multikey_of_the_fep_521a_example() {
        // W3C Controlled Identifiers, Multikey example: this public key encodes to this value.
        let public_key = [
            0x4d, 0x2f, 0xb0, 0xcd, 0x6e, 0x1e, 0x92, 0xa1, 0x7b, 0xbe, 0x1a, 0xe8, 0xb8, 0x44, 0x83, 0xb1,
            0x55, 0x21, 0x37, 0xb8, 0x4b, 0x8e, 0x09, 0x46, 0x0d, 0x9f, 0x4c, 0x30, 0x04, 0x9b, 0x70, 0x6b,
        ];
        let encoded = ed25519_multibase(&public_key);
        assert!(encoded.starts_with("z6Mk"), "{encoded}");
        assert_eq!(encoded.len(), 48);
    }

    #[test]
    fn ed25519_seed_gives_the_rfc_8032_public_key() {
        // RFC 8032 §7.1, test 1.
        let seed: [u8; 32] = [
            0x9d, 0x61, 0xb1, 0x9d, 0xef, 0xfd, 0x5a, 0x60, 0xba, 0x84, 0x4a, 0xf4, 0x92, 0xec, 0x2c, 0xc4,
            0x44, 0x49, 0xc5, 0x69, 0x7b, 0x32, 0x69, 0x19, 0x70, 0x3b, 0xac, 0x03, 0x1c, 0xae, 0x7f, 0x60,
        ];
        let (_, public) = ed25519_from_seed(&seed);
        let public = STANDARD.decode(public).unwrap();
        assert_eq!(super::super::tokens::hex(&public), "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
    }

    #[test]
    fn pem_round_trips() {
        let der: Vec<u8> = (0..=200).collect();
        let text = pem("PUBLIC KEY", &der);
        assert!(text.starts_with("-----BEGIN PUBLIC KEY-----\n"));
        assert!(text.lines().all(|l| l.len() <= 64));
        assert_eq!(pem_to_der(&text).unwrap(), der);
    }
}
