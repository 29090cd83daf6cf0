//! Serde types shaped exactly like <https://docs.joinmastodon.org/entities/>, rendered from store
//! rows. Every field strict clients decode is always present (shared/CLIENT-COMPAT.md §2.3).
pub mod account;
pub mod application;
pub mod media;
pub mod poll;
pub mod status;
