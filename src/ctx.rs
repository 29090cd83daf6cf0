//! `Ctx`: everything a handler may touch, as small traits. `platform/` builds it from the
//! Worker's bindings; native tests build it over rusqlite and plain Rust crypto.
use std::cell::RefCell;

use async_trait::async_trait;

use crate::config::Config;
use crate::domain::ids::IdGenerator;
use crate::store::db::Db;

pub struct Ctx<'a> {
    pub config: &'a Config,
    pub db: &'a dyn Db,
    pub crypto: &'a dyn Crypto,
    pub clock: &'a dyn Clock,
    pub ids: &'a IdGenerator,
    pub cache: &'a IsolateCache,
    pub jobs: &'a dyn crate::federation::Jobs,
    pub blobs: &'a dyn Blobs,
}

/// State kept for the life of one isolate: data nearly every request needs and that changes only
/// through this isolate's own writes or rarely. Each entry carries the time it was loaded; its
/// reader decides how stale it may be. Tokens are deliberately not cached, so that a revocation
/// takes effect everywhere at once.
#[derive(Default)]
pub struct IsolateCache {
    pub owner: RefCell<Option<(i64, crate::owner::Owner)>>,
    pub instance_keys: RefCell<Option<crate::store::instance::InstanceKeysRow>>,
    pub instance_summary: RefCell<Option<(i64, crate::store::instance::Summary)>>,
    /// The owner's filters; every timeline page consults them.
    pub filters: RefCell<Option<(i64, Vec<crate::store::filters::Filter>)>>,
}

impl Ctx<'_> {
    pub fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }

    pub fn new_id(&self) -> i64 {
        self.ids.next(self.clock.now_ms().max(0) as u64)
    }
}

pub trait Clock {
    fn now_ms(&self) -> i64;
}

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
}

#[derive(Debug, thiserror::Error)]
#[error("blob storage: {0}")]
pub struct BlobError(pub String);

/// Media files: R2 in the Worker (`MEDIA` binding), memory in tests.
#[async_trait(?Send)]
pub trait Blobs {
    async fn put(&self, key: &str, bytes: Vec<u8>, content_type: &str) -> Result<(), BlobError>;
    /// The bytes and content type stored under `key`.
    async fn get(&self, key: &str) -> Result<Option<(Vec<u8>, String)>, BlobError>;
    async fn delete(&self, key: &str) -> Result<(), BlobError>;
}
