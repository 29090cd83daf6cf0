//! ActivityPub and the discovery documents around it: WebFinger, host-meta, NodeInfo, actors.
pub mod actors;
pub mod build;
pub mod collections;
pub mod inbox;
pub mod nodeinfo;
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
