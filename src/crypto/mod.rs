//! Secrets and keys: token hashing, password hashing, PKCE, and key encodings. The expensive
//! primitives (RSA, PBKDF2) come through `Crypto`, a seam `platform/` implements with
//! WebCrypto; the rest is plain Rust that tests natively.
pub mod keys;
pub mod passwords;
pub mod tokens;

#[cfg(test)]
pub mod testing;

use async_trait::async_trait;

#[derive(Debug, thiserror::Error)]
#[error("crypto: {0}")]
pub struct CryptoError(pub String);

/// Cryptography whose cost matters inside a Worker. RSA and PBKDF2 go through WebCrypto there
/// (shared/BENCHMARKING.md: pure-Rust RSA in Wasm is ten times slower); hashes and Ed25519 are
/// plain Rust everywhere and need no trait.
#[async_trait(?Send)]
pub trait Crypto {
    fn random_bytes(&self, len: usize) -> Vec<u8>;
    /// A fresh RSA-2048 key pair as (PKCS#8 private PEM, SPKI public PEM).
    async fn generate_rsa_key_pair(&self) -> Result<(String, String), CryptoError>;
    /// A fresh P-256 key pair for VAPID as (PKCS#8 private PEM, raw public key base64url).
    async fn generate_p256_key_pair(&self) -> Result<(String, String), CryptoError>;
    async fn pbkdf2_sha256(&self, password: &[u8], salt: &[u8], iterations: u32)
        -> Result<[u8; 32], CryptoError>;
    /// RSASSA-PKCS1-v1_5 with SHA-256 (HTTP signatures) under a PKCS#8 PEM private key.
    async fn rsa_sign(&self, private_pem: &str, data: &[u8]) -> Result<Vec<u8>, CryptoError>;
    /// Whether `signature` is `data` signed by the SPKI PEM public key.
    async fn rsa_verify(&self, public_pem: &str, data: &[u8], signature: &[u8]) -> Result<bool, CryptoError>;
}

