//! How an account presents itself, whichever surface shows it (the Mastodon entity, the actor
//! document, the profile page): its images with their defaults, its profile fields, and where a
//! stored media file is served.
use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::store::accounts::AccountRow;

/// Path of the image shown when an account has no avatar; Ice Cubes recognises `missing.png`.
pub const DEFAULT_AVATAR_PATH: &str = "/avatars/original/missing.png";
pub const DEFAULT_HEADER_PATH: &str = "/headers/original/missing.png";

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Field {
    pub name: String,
    pub value: String,
    pub verified_at: Option<String>,
}

pub fn avatar_url(row: &AccountRow, config: &Config) -> String {
    row.avatar_remote_url.clone().unwrap_or_else(|| config.url(DEFAULT_AVATAR_PATH))
}

pub fn header_url(row: &AccountRow, config: &Config) -> String {
    row.header_remote_url.clone().unwrap_or_else(|| config.url(DEFAULT_HEADER_PATH))
}

pub fn fields(row: &AccountRow) -> Vec<Field> {
    serde_json::from_str(&row.fields).unwrap_or_default()
}

/// The URL a file stored in R2 under `r2_key` is served at.
pub fn media_url(config: &Config, r2_key: &str) -> String {
    config.url(&format!("/media/{r2_key}"))
}
