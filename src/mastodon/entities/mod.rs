//! Serde types shaped exactly like <https://docs.joinmastodon.org/entities/>, rendered from store
//! rows. Every field strict clients decode is always present (shared/CLIENT-COMPAT.md §2.3).
//! One naming scheme: `X::from_row(row, …)` (or `from_row` for a `Value` entity) converts what
//! it is given and looks nothing up; `render_one` / `render_many` load what an entity refers to
//! (accounts, media, polls, relationships) in a fixed number of queries and convert.
pub mod account;
pub mod application;
pub mod media;
pub mod poll;
pub mod status;
