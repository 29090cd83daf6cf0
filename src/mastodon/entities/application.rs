//! Application and CredentialApplication (<https://docs.joinmastodon.org/entities/Application/>).
use serde::Serialize;

use crate::store::oauth::AppRow;

#[derive(Debug, Serialize)]
pub struct Application {
    pub id: String,
    pub name: String,
    pub website: Option<String>,
    pub scopes: Vec<String>,
    /// Deprecated, newline-joined; Ice Cubes still requires it.
    pub redirect_uri: String,
    pub redirect_uris: Vec<String>,
    pub vapid_key: String,
}

#[derive(Debug, Serialize)]
pub struct CredentialApplication {
    #[serde(flatten)]
    pub application: Application,
    pub client_id: String,
    pub client_secret: String,
    pub client_secret_expires_at: i64,
}

impl Application {
    pub fn from_row(app: &AppRow, vapid_key: &str) -> Application {
        Application {
            id: app.id.to_string(),
            name: app.name.clone(),
            website: app.website.clone(),
            scopes: app.scopes.split(' ').map(str::to_string).collect(),
            redirect_uri: app.redirect_uri_list().join("\n"),
            redirect_uris: app.redirect_uri_list().iter().map(|s| s.to_string()).collect(),
            vapid_key: vapid_key.to_string(),
        }
    }
}
