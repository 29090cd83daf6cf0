//! The protocol, pure: reading peers' ActivityStreams (`vocab`), building our activities
//! (`build`), HTTP signatures (`signatures`), FEP-8b32 proofs (`proofs`) and WebFinger resources.
//! No storage, no context, no other API: everything here is a function over data, tested
//! natively against fixed vectors. The endpoints that speak it are in `federation/`.
pub mod build;
pub mod proofs;
pub mod signatures;
pub mod vocab;
pub mod webfinger;

/// The JSON-LD contexts our actor documents use.
pub const ACTIVITYSTREAMS: &str = "https://www.w3.org/ns/activitystreams";
pub const SECURITY_V1: &str = "https://w3id.org/security/v1";
pub const MULTIKEY_V1: &str = "https://w3id.org/security/multikey/v1";
/// FEP-8b32 proofs (`DataIntegrityProof`).
pub const DATA_INTEGRITY_V1: &str = "https://w3id.org/security/data-integrity/v1";
/// Defines `assertionMethod` (FEP-521a).
pub const DID_V1: &str = "https://www.w3.org/ns/did/v1";
