//! Secrets and keys: token hashing, PKCE, and key encodings. The expensive primitive (RSA) comes
//! through `Crypto`, a seam `platform/` implements with WebCrypto; the rest is plain Rust that
//! tests natively. Keys are generated outside the Worker (scripts/provision.mjs).
pub mod keys;
pub mod tokens;
pub mod webpush;

#[cfg(test)]
pub mod testing;

use async_trait::async_trait;

#[derive(Debug, thiserror::Error)]
#[error("crypto: {0}")]
pub struct CryptoError(pub String);

/// Cryptography whose cost matters inside a Worker. RSA goes through WebCrypto there
/// (shared/BENCHMARKING.md: pure-Rust RSA in Wasm is ten times slower); hashes and Ed25519 are
/// plain Rust everywhere and need no trait.
#[async_trait(?Send)]
pub trait Crypto {
    fn random_bytes(&self, len: usize) -> Vec<u8>;
    /// RSASSA-PKCS1-v1_5 with SHA-256 (HTTP signatures) under a PKCS#8 PEM private key.
    async fn rsa_sign(&self, private_pem: &str, data: &[u8]) -> Result<Vec<u8>, CryptoError>;
    /// Whether `signature` is `data` signed by the SPKI PEM public key.
    async fn rsa_verify(&self, public_pem: &str, data: &[u8], signature: &[u8]) -> Result<bool, CryptoError>;
    /// A fresh P-256 key agreed with `peer_public` (an uncompressed point): our public point and
    /// the shared secret (Web Push encryption, RFC 8291).
    async fn p256_ecdh_ephemeral(&self, peer_public: &[u8]) -> Result<EcdhAgreement, CryptoError>;
    /// AES-128-GCM encryption: the ciphertext with its 16-byte tag appended.
    async fn aes128gcm_seal(&self, key: &[u8; 16], nonce: &[u8; 12], plaintext: &[u8]) -> Result<Vec<u8>, CryptoError>;
    /// ECDSA P-256 with SHA-256 under a PKCS#8 PEM private key, as r‖s (64 bytes; VAPID's ES256).
    async fn ecdsa_p256_sign(&self, private_pem: &str, data: &[u8]) -> Result<Vec<u8>, CryptoError>;
}

/// One side of an ephemeral ECDH agreement.
pub struct EcdhAgreement {
    pub public_key: Vec<u8>,
    pub shared_secret: Vec<u8>,
}

