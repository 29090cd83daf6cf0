//! Key encodings for actor documents: PEM for RSA (HTTP signatures) and the FEP-521a Multikey
//! form of Ed25519 keys (`publicKeyMultibase`, base58btc with the `ed25519-pub` multicodec).
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

fn base58btc(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 58] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
    let mut digits: Vec<u8> = Vec::new(); // base-58 digits, least significant first
    for &byte in bytes {
        let mut carry = u32::from(byte);
        for digit in digits.iter_mut() {
            carry += u32::from(*digit) << 8;
            *digit = (carry % 58) as u8;
            carry /= 58;
        }
        while carry > 0 {
            digits.push((carry % 58) as u8);
            carry /= 58;
        }
    }
    let zeros = bytes.iter().take_while(|b| **b == 0).count();
    std::iter::repeat_n('1', zeros).chain(digits.iter().rev().map(|d| ALPHABET[*d as usize] as char)).collect()
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
