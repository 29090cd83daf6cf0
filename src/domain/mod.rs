//! Small pure rules with no better home. Nothing here does I/O or names `worker` types.
pub mod blocklist;
pub mod csv;
pub mod filters;
pub mod ids;
pub mod moderation;
pub mod oauth;
pub mod paging;
pub mod scopes;
pub mod sessions;
pub mod streams;
pub mod time;
pub mod totp;
pub mod usernames;
pub mod visibility;
pub mod zip;
