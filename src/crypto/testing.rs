//! Native stand-ins for the Worker's WebCrypto, for `cargo test`.
use std::cell::Cell;
use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};

use async_trait::async_trait;

use crate::crypto::{Crypto, CryptoError, EcdhAgreement};

#[derive(Default)]
pub struct NativeCrypto {
    counter: Cell<u64>,
    /// The next ephemeral ECDH key, for tests that reproduce published vectors.
    pub ephemeral: Cell<Option<[u8; 32]>>,
}

/// The RSA keys of every test instance (owner and instance actor): real keys, without paying
/// for key generation in each test.
pub const TEST_RSA_PUBLIC_PEM: &str = include_str!("../../tests/fixtures/rsa-2048-public.pem");
pub const TEST_RSA_PRIVATE_PEM: &str = include_str!("../../tests/fixtures/rsa-2048-private.pem");
/// The VAPID key pair of every test instance.
pub const TEST_VAPID_PRIVATE_PEM: &str = include_str!("../../tests/fixtures/vapid-p256-private.pem");
pub const TEST_VAPID_PUBLIC: &str = include_str!("../../tests/fixtures/vapid-p256-public.b64url");
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

    async fn p256_ecdh_ephemeral(&self, peer_public: &[u8]) -> Result<EcdhAgreement, CryptoError> {
        let secret = match self.ephemeral.take() {
            Some(fixed) => p256::SecretKey::from_slice(&fixed).map_err(|e| CryptoError(e.to_string()))?,
            None => p256::SecretKey::random(&mut p256::elliptic_curve::rand_core::OsRng),
        };
        let peer = p256::PublicKey::from_sec1_bytes(peer_public).map_err(|e| CryptoError(e.to_string()))?;
        let shared = p256::ecdh::diffie_hellman(secret.to_nonzero_scalar(), peer.as_affine());
        let public_key = p256::EncodedPoint::from(secret.public_key()).as_bytes().to_vec();
        Ok(EcdhAgreement { public_key, shared_secret: shared.raw_secret_bytes().to_vec() })
    }

    async fn aes128gcm_seal(&self, key: &[u8; 16], nonce: &[u8; 12], plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
        use aes_gcm::aead::{Aead, KeyInit};
        let cipher = aes_gcm::Aes128Gcm::new_from_slice(key).map_err(|e| CryptoError(e.to_string()))?;
        cipher.encrypt(aes_gcm::Nonce::from_slice(nonce), plaintext).map_err(|e| CryptoError(e.to_string()))
    }

    async fn ecdsa_p256_sign(&self, private_pem: &str, data: &[u8]) -> Result<Vec<u8>, CryptoError> {
        use p256::ecdsa::signature::Signer;
        use p256::pkcs8::DecodePrivateKey;
        let key = p256::ecdsa::SigningKey::from_pkcs8_pem(private_pem).map_err(|e| CryptoError(e.to_string()))?;
        let signature: p256::ecdsa::Signature = key.sign(data);
        Ok(signature.to_bytes().to_vec())
    }
}
