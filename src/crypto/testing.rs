//! Native stand-ins for the Worker's WebCrypto, for `cargo test`.
use std::cell::Cell;
use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};

use async_trait::async_trait;

use crate::crypto::{Crypto, CryptoError};

#[derive(Default)]
pub struct NativeCrypto {
    counter: Cell<u64>,
}

/// The RSA keys of every test instance (owner and instance actor): real keys, without paying
/// for key generation in each test.
pub const TEST_RSA_PUBLIC_PEM: &str = include_str!("../../tests/fixtures/rsa-2048-public.pem");
pub const TEST_RSA_PRIVATE_PEM: &str = include_str!("../../tests/fixtures/rsa-2048-private.pem");
/// A different real key, for a peer that rotated away from it.
pub const OTHER_RSA_PUBLIC_PEM: &str = include_str!("../../tests/fixtures/rsa-2048-other-public.pem");

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

    async fn rsa_sign(&self, private_pem: &str, data: &[u8]) -> Result<Vec<u8>, CryptoError> {
        use rsa::pkcs8::DecodePrivateKey;
        use rsa::signature::{SignatureEncoding, Signer};
        let key = rsa::RsaPrivateKey::from_pkcs8_pem(private_pem).map_err(|e| CryptoError(e.to_string()))?;
        let signer = rsa::pkcs1v15::SigningKey::<sha2::Sha256>::new(key);
        Ok(signer.sign(data).to_vec())
    }

    async fn rsa_verify(&self, public_pem: &str, data: &[u8], signature: &[u8]) -> Result<bool, CryptoError> {
        use rsa::pkcs8::DecodePublicKey;
        use rsa::signature::Verifier;
        let der = crate::crypto::keys::rsa_public_spki_der(public_pem).ok_or_else(|| CryptoError("not PEM".into()))?;
        let key = rsa::RsaPublicKey::from_public_key_der(&der).map_err(|e| CryptoError(e.to_string()))?;
        let verifier = rsa::pkcs1v15::VerifyingKey::<sha2::Sha256>::new(key);
        let Ok(signature) = rsa::pkcs1v15::Signature::try_from(signature) else { return Ok(false) };
        Ok(verifier.verify(data, &signature).is_ok())
    }
}
