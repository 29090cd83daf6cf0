//! Password hashes: `pbkdf2-sha256$<iterations>$<salt b64>$<hash b64>`. PBKDF2 because WebCrypto
//! runs it natively in the Worker; the iteration count is stored so that it can be raised later.
use base64::engine::general_purpose::STANDARD_NO_PAD;
use base64::Engine;

use super::tokens::constant_time_eq;
use crate::crypto::{Crypto, CryptoError};

/// workerd refuses PBKDF2 above 100,000 iterations; bench/ measures what one costs.
pub const ITERATIONS: u32 = 100_000;

pub async fn hash(crypto: &dyn Crypto, password: &str) -> Result<String, CryptoError> {
    let salt = crypto.random_bytes(16);
    let derived = crypto.pbkdf2_sha256(password.as_bytes(), &salt, ITERATIONS).await?;
    Ok(format!(
        "pbkdf2-sha256${ITERATIONS}${}${}",
        STANDARD_NO_PAD.encode(&salt),
        STANDARD_NO_PAD.encode(derived)
    ))
}

/// Whether `password` matches `stored`. A malformed or unknown hash matches nothing.
pub async fn verify(crypto: &dyn Crypto, password: &str, stored: &str) -> Result<bool, CryptoError> {
    let parts: Vec<&str> = stored.split('$').collect();
    let ["pbkdf2-sha256", iterations, salt, expected] = parts.as_slice() else { return Ok(false) };
    let (Ok(iterations), Ok(salt), Ok(expected)) =
        (iterations.parse::<u32>(), STANDARD_NO_PAD.decode(salt), STANDARD_NO_PAD.decode(expected))
    else {
        return Ok(false);
    };
    if !(1..=ITERATIONS).contains(&iterations) {
        return Ok(false);
    }
    let derived = crypto.pbkdf2_sha256(password.as_bytes(), &salt, iterations).await?;
    Ok(constant_time_eq(&derived, &expected))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::testing::NativeCrypto;

    #[tokio::test(flavor = "current_thread")]
    async fn a_hash_verifies_its_password_only() {
        let crypto = NativeCrypto::default();
        let stored = hash(&crypto, "correct horse").await.unwrap();
        assert!(stored.starts_with("pbkdf2-sha256$100000$"));
        assert!(verify(&crypto, "correct horse", &stored).await.unwrap());
        assert!(!verify(&crypto, "correct horsf", &stored).await.unwrap());
        assert!(!verify(&crypto, "x", "!").await.unwrap());
        assert!(!verify(&crypto, "x", "pbkdf2-sha256$999999999$AA$AA").await.unwrap());
    }

    #[tokio::test(flavor = "current_thread")]
    async fn the_same_password_gets_different_salts() {
        let crypto = NativeCrypto::default();
        assert_ne!(hash(&crypto, "pw").await.unwrap(), hash(&crypto, "pw").await.unwrap());
    }
}
