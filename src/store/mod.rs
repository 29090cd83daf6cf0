//! D1 access, one module per aggregate. SQL lives here and in `migrations/`, nowhere else.
//! Reads return typed rows; writes return a `Query` so that one use case can batch them.
pub mod accounts;
pub mod announcements;
pub mod archive_imports;
pub mod archives;
pub mod conversations;
pub mod custom_emojis;
pub mod db;
pub mod domain_blocks;
pub mod exports;
pub mod federation;
pub mod filters;
pub mod imports;
pub mod instance_domain_allows;
pub mod instance_domain_blocks;
pub mod instance;
pub mod kept_jobs;
pub mod keyset;
pub mod lists;
pub mod media;
pub mod notifications;
pub mod polls;
pub mod push;
pub mod oauth;
pub mod rate_limits;
pub mod relationships;
pub mod reports;
pub mod scheduled;
pub mod search;
pub mod sessions;
pub mod statuses;
pub mod tags;

#[cfg(test)]
pub mod testing;
