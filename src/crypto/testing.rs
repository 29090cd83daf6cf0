//! Native stand-ins for the Worker's WebCrypto, for `cargo test`.
use std::cell::Cell;
use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};

use async_trait::async_trait;

use crate::ctx::{Crypto, CryptoError};

#[derive(Default)]
pub struct NativeCrypto {
    counter: Cell<u64>,
}

/// A real RSA-2048 public key (tests never sign with it): generating one natively would need
/// a big RSA crate only for tests.
pub const TEST_RSA_PUBLIC_PEM: &str = include_str!("../../tests/fixtures/rsa-2048-public.pem");

#[async_trait(?Send)]
impl Crypto for NativeCrypto {
    fn random_bytes(&self, len: usize) -> Vec<u8> {
        let state = RandomState::new();
        (0..len)
            .map(|i| {
                self.counter.set(self.counter.get() + 1);
                let mut h = state.build_hasher();
                h.write_u64(self.counter.get());
                h.write_usize(i);
                h.finish() as u8
            })
            .collect()
    }

    async fn generate_rsa_key_pair(&self) -> Result<(String, String), CryptoError> {
        Ok(("-----BEGIN PRIVATE KEY-----\ntest\n-----END PRIVATE KEY-----\n".into(), TEST_RSA_PUBLIC_PEM.into()))
    }

    async fn generate_p256_key_pair(&self) -> Result<(String, String), CryptoError> {
        Ok(("-----BEGIN PRIVATE KEY-----\ntest\n-----END PRIVATE KEY-----\n".into(), "BTEST".into()))
    }

    async fn pbkdf2_sha256(&self, password: &[u8], salt: &[u8], iterations: u32) -> Result<[u8; 32], CryptoError> {
        let mut out = [0u8; 32];
        pbkdf2::pbkdf2::<hmac::Hmac<sha2::Sha256>>(password, salt, iterations, &mut out)
            .map_err(|e| CryptoError(e.to_string()))?;
        Ok(out)
    }
}
