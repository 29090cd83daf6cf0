//! Web Push messages: encryption for the subscriber's browser or app (RFC 8291 `aes128gcm`, and
//! the `aesgcm` draft that apps registered before Mastodon 4.4 still expect) and the VAPID
//! authorization of the sender (RFC 8292). The elliptic-curve and AES work goes through `Crypto`
//! (WebCrypto in the Worker); HKDF is plain Rust over sha2.
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hkdf::Hkdf;
use sha2::Sha256;

use super::{Crypto, CryptoError};

/// What apps register: `subscription[standard]=true` (Mastodon 4.4+) means RFC 8291.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Aes128gcm,
    Aesgcm,
}

/// The subscriber's keys: `p256dh` (an uncompressed P-256 point) and the 16-byte `auth` secret.
pub struct Receiver<'a> {
    pub public_key: &'a [u8],
    pub auth_secret: &'a [u8],
}

/// An encrypted message: the request body and the headers that go with it.
pub struct Encrypted {
    pub body: Vec<u8>,
    pub encoding: Encoding,
    /// The sender's ephemeral public key (`keyid` in the body for aes128gcm, `dh` in
    /// `Crypto-Key` for aesgcm).
    pub sender_public: Vec<u8>,
    pub salt: [u8; 16],
}

/// One record of 4096 bytes holds every message (RFC 8291 §4 recommends it); payloads are a few
/// hundred bytes, and longer ones are refused rather than split.
const RECORD_SIZE: u32 = 4096;
pub const MAX_PLAINTEXT: usize = 3_000;

fn expand(salt: &[u8], ikm: &[u8], info: &[u8], out: &mut [u8]) -> Result<(), CryptoError> {
    Hkdf::<Sha256>::new(Some(salt), ikm).expand(info, out).map_err(|e| CryptoError(format!("HKDF: {e}")))
}

fn valid(receiver: &Receiver<'_>) -> Result<(), CryptoError> {
    if receiver.public_key.len() != 65 || receiver.public_key[0] != 4 || receiver.auth_secret.len() != 16 {
        return Err(CryptoError("the subscription's keys are not a P-256 point and a 16-byte secret".into()));
    }
    Ok(())
}

/// Encrypts `plaintext` for `receiver` with a fresh ECDH key and `salt` (16 random bytes).
pub async fn encrypt(crypto: &dyn Crypto, encoding: Encoding, receiver: &Receiver<'_>, plaintext: &[u8], salt: [u8; 16]) -> Result<Encrypted, CryptoError> {
    valid(receiver)?;
    if plaintext.len() > MAX_PLAINTEXT {
        return Err(CryptoError("push message too long".into()));
    }
    let agreement = crypto.p256_ecdh_ephemeral(receiver.public_key).await?;
    let (sender, ua) = (agreement.public_key.as_slice(), receiver.public_key);
    let mut key = [0u8; 16];
    let mut nonce = [0u8; 12];
    let body = match encoding {
        Encoding::Aes128gcm => {
            // RFC 8291 §3.4: the input keying material binds both public keys.
            let mut ikm = [0u8; 32];
            expand(receiver.auth_secret, &agreement.shared_secret, &[b"WebPush: info\0".as_slice(), ua, sender].concat(), &mut ikm)?;
            expand(&salt, &ikm, b"Content-Encoding: aes128gcm\0", &mut key)?;
            expand(&salt, &ikm, b"Content-Encoding: nonce\0", &mut nonce)?;
            // One record, the last: the delimiter 0x02 and no padding (RFC 8188 §2).
            let sealed = crypto.aes128gcm_seal(&key, &nonce, &[plaintext, &[2]].concat()).await?;
            let mut body = Vec::with_capacity(86 + sealed.len());
            body.extend_from_slice(&salt);
            body.extend_from_slice(&RECORD_SIZE.to_be_bytes());
            body.push(sender.len() as u8);
            body.extend_from_slice(sender);
            body.extend_from_slice(&sealed);
            body
        }
        Encoding::Aesgcm => {
            // draft-ietf-webpush-encryption-04 over draft-ietf-httpbis-encryption-encoding-03.
            let mut ikm = [0u8; 32];
            expand(receiver.auth_secret, &agreement.shared_secret, b"Content-Encoding: auth\0", &mut ikm)?;
            let context = [b"P-256\0".as_slice(), &(ua.len() as u16).to_be_bytes(), ua, &(sender.len() as u16).to_be_bytes(), sender].concat();
            expand(&salt, &ikm, &[b"Content-Encoding: aesgcm\0".as_slice(), &context].concat(), &mut key)?;
            expand(&salt, &ikm, &[b"Content-Encoding: nonce\0".as_slice(), &context].concat(), &mut nonce)?;
            // Two bytes of padding length (none), then the message.
            crypto.aes128gcm_seal(&key, &nonce, &[&[0u8, 0][..], plaintext].concat()).await?
        }
    };
    Ok(Encrypted { body, encoding, sender_public: agreement.public_key, salt })
}

/// A VAPID token (RFC 8292 §2): an ES256 JWT for the push service at `audience` (its origin),
/// valid until `expires_at` (Unix seconds; at most 24 h ahead), naming the sender's contact.
pub async fn vapid_jwt(crypto: &dyn Crypto, private_pem: &str, audience: &str, subject: &str, expires_at: i64) -> Result<String, CryptoError> {
    let header = URL_SAFE_NO_PAD.encode(br#"{"typ":"JWT","alg":"ES256"}"#);
    let claims = URL_SAFE_NO_PAD.encode(serde_json::json!({"aud": audience, "exp": expires_at, "sub": subject}).to_string());
    let signing_input = format!("{header}.{claims}");
    let signature = crypto.ecdsa_p256_sign(private_pem, signing_input.as_bytes()).await?;
    Ok(format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature)))
}

/// The headers of a push request for `encrypted`, authorized by `jwt` under the VAPID public key
/// (base64url): RFC 8292's `vapid` scheme for aes128gcm, the `WebPush` scheme and `Crypto-Key`
/// for the older encoding.
pub fn headers(encrypted: &Encrypted, jwt: &str, vapid_public: &str) -> Vec<(String, String)> {
    let mut headers = vec![("Content-Type".to_string(), "application/octet-stream".to_string())];
    match encrypted.encoding {
        Encoding::Aes128gcm => {
            headers.push(("Content-Encoding".into(), "aes128gcm".into()));
            headers.push(("Authorization".into(), format!("vapid t={jwt}, k={vapid_public}")));
        }
        Encoding::Aesgcm => {
            headers.push(("Content-Encoding".into(), "aesgcm".into()));
            headers.push(("Encryption".into(), format!("salt={}", URL_SAFE_NO_PAD.encode(encrypted.salt))));
            let dh = URL_SAFE_NO_PAD.encode(&encrypted.sender_public);
            headers.push(("Crypto-Key".into(), format!("dh={dh};p256ecdsa={vapid_public}")));
            headers.push(("Authorization".into(), format!("WebPush {jwt}")));
        }
    }
    headers
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::testing::{NativeCrypto, TEST_VAPID_PRIVATE_PEM, TEST_VAPID_PUBLIC};

    fn b64(text: &str) -> Vec<u8> {
        URL_SAFE_NO_PAD.decode(text).unwrap()
    }

    /// RFC 8291 §5: the worked example, byte for byte.
    #[tokio::test(flavor = "current_thread")]
    async fn aes128gcm_reproduces_the_rfc_example() {
        let crypto = NativeCrypto::default();
        crypto.ephemeral.set(Some(b64("yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw").try_into().unwrap()));
        let public_key = b64("BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4");
        let auth_secret = b64("BTBZMqHH6r4Tts7J_aSIgg");
        let receiver = Receiver { public_key: &public_key, auth_secret: &auth_secret };
        let salt: [u8; 16] = b64("DGv6ra1nlYgDCS1FRnbzlw").try_into().unwrap();
        let plaintext = b64("V2hlbiBJIGdyb3cgdXAsIEkgd2FudCB0byBiZSBhIHdhdGVybWVsb24");
        let encrypted = encrypt(&crypto, Encoding::Aes128gcm, &receiver, &plaintext, salt).await.unwrap();
        assert_eq!(
            URL_SAFE_NO_PAD.encode(&encrypted.body),
            "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN"
        );
    }

    #[tokio::test(flavor = "current_thread")]
    async fn aesgcm_carries_its_salt_and_key_in_headers() {
        let crypto = NativeCrypto::default();
        let public_key = b64("BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4");
        let auth_secret = [7u8; 16];
        let receiver = Receiver { public_key: &public_key, auth_secret: &auth_secret };
        let encrypted = encrypt(&crypto, Encoding::Aesgcm, &receiver, b"hello", [1; 16]).await.unwrap();
        assert_eq!(encrypted.body.len(), 2 + 5 + 16);
        let headers = headers(&encrypted, "jwt", "KEY");
        let get = |name: &str| headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone()).unwrap();
        assert_eq!(get("Content-Encoding"), "aesgcm");
        assert_eq!(get("Encryption"), format!("salt={}", URL_SAFE_NO_PAD.encode([1u8; 16])));
        assert!(get("Crypto-Key").starts_with("dh=B") && get("Crypto-Key").ends_with(";p256ecdsa=KEY"));
        assert_eq!(get("Authorization"), "WebPush jwt");
    }

    #[tokio::test(flavor = "current_thread")]
    async fn bad_subscription_keys_and_long_messages_are_refused() {
        let crypto = NativeCrypto::default();
        let short = [4u8; 33];
        assert!(encrypt(&crypto, Encoding::Aes128gcm, &Receiver { public_key: &short, auth_secret: &[0; 16] }, b"x", [0; 16]).await.is_err());
        let public_key = b64("BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4");
        let receiver = Receiver { public_key: &public_key, auth_secret: &[0; 16] };
        assert!(encrypt(&crypto, Encoding::Aes128gcm, &receiver, &[b'a'; MAX_PLAINTEXT + 1], [0; 16]).await.is_err());
    }

    #[tokio::test(flavor = "current_thread")]
    async fn the_vapid_token_verifies_under_the_public_key() {
        use p256::ecdsa::signature::Verifier;
        let crypto = NativeCrypto::default();
        let jwt = vapid_jwt(&crypto, TEST_VAPID_PRIVATE_PEM, "https://push.example", "mailto:me@example.com", 1_700_000_000).await.unwrap();
        let (signing_input, signature) = jwt.rsplit_once('.').unwrap();
        let claims: serde_json::Value = serde_json::from_slice(&b64(signing_input.split('.').nth(1).unwrap())).unwrap();
        assert_eq!(claims, serde_json::json!({"aud": "https://push.example", "exp": 1_700_000_000, "sub": "mailto:me@example.com"}));
        let key = p256::ecdsa::VerifyingKey::from_sec1_bytes(&b64(TEST_VAPID_PUBLIC.trim())).unwrap();
        let signature = p256::ecdsa::Signature::from_slice(&b64(signature)).unwrap();
        assert!(key.verify(signing_input.as_bytes(), &signature).is_ok());
    }
}
