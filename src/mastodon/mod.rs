//! The Mastodon REST API and OAuth 2, one file per resource. Handlers parse, authorize, call
//! the store and render entities; they never build SQL or name `worker` types.
pub mod accounts;
pub mod apps;
pub mod entities;
pub mod instance;
pub mod oauth;
