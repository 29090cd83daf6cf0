//! What a use case reports when it does not succeed, in the use case's words: the surface that
//! called it decides what that means for its caller (an HTTP status for the APIs, a retry for
//! the queue, a log line for the cron). The split that matters is `RetryLater` (another server
//! or the platform had a bad moment: the same command may succeed later) versus everything else
//! (trying again changes nothing).
use crate::crypto::CryptoError;
use crate::ctx::BlobError;
use crate::store::db::StoreError;

use super::remote::fetch::FetchError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The thing does not exist, or the actor may not know that it does.
    #[error("Record not found")]
    NotFound,
    /// The actor may not do this.
    #[error("This action is not allowed")]
    Forbidden,
    /// The command is not valid; the message says why, for a person to read.
    #[error("{0}")]
    Invalid(String),
    /// The input is not well-formed (a peer's document, a request's value): nothing to act on.
    #[error("{0}")]
    Malformed(String),
    /// A peer's signature or proof did not verify.
    #[error("{0}")]
    Unauthenticated(String),
    /// Another server, or the platform, did not answer: the same command may succeed later.
    #[error("{0}")]
    RetryLater(String),
    /// A fault of ours (storage, crypto): logged, never shown.
    #[error("internal: {0}")]
    Internal(#[source] Box<dyn std::error::Error>),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn internal(e: impl std::error::Error + 'static) -> Error {
        Error::Internal(Box::new(e))
    }
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        Error::internal(e)
    }
}

impl From<CryptoError> for Error {
    fn from(e: CryptoError) -> Self {
        Error::internal(e)
    }
}

impl From<BlobError> for Error {
    fn from(e: BlobError) -> Self {
        Error::internal(e)
    }
}

/// A peer that failed transiently may answer later; one that answered wrongly will not.
impl From<FetchError> for Error {
    fn from(e: FetchError) -> Self {
        if e.is_transient() {
            Error::RetryLater(e.to_string())
        } else {
            Error::Invalid(e.to_string())
        }
    }
}
