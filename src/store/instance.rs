//! Instance-wide keys (made by scripts/provision.mjs), counts, rules and site settings (custom emoji: `custom_emojis`).
use serde::Deserialize;

use super::db::{self, Db, Query, StoreError};
use crate::query;

#[derive(Clone, Debug, Deserialize)]
pub struct InstanceKeysRow {
    pub rsa_private_key_pem: String,
    pub rsa_public_key_pem: String,
    pub vapid_private_key_pem: String,
    pub vapid_public_key: String,
}

pub async fn get_keys(db: &dyn Db) -> Result<Option<InstanceKeysRow>, StoreError> {
    db::first(
        db,
        &query!(
            "SELECT rsa_private_key_pem, rsa_public_key_pem, vapid_private_key_pem, vapid_public_key \
             FROM instance_keys WHERE id = 1"
        ),
    )
    .await
}

/// The RSA key provisioning made for the owner, read once when the owner's account is created.
#[derive(Debug, Deserialize)]
pub struct OwnerKey {
    pub private_key_pem: String,
    pub public_key_pem: String,
}

pub async fn owner_key(db: &dyn Db) -> Result<Option<OwnerKey>, StoreError> {
    db::first(
        db,
        &query!(
            "SELECT owner_rsa_private_key_pem AS private_key_pem, owner_rsa_public_key_pem AS public_key_pem \
             FROM instance_keys WHERE id = 1 AND owner_rsa_private_key_pem IS NOT NULL"
        ),
    )
    .await
}

#[derive(Clone, Debug, Deserialize)]
pub struct Stats {
    pub statuses: i64,
    pub domains: i64,
}

/// Counts for the instance entity and NodeInfo.
pub async fn stats(db: &dyn Db) -> Result<Stats, StoreError> {
    let row: Option<Stats> = db::first(db, &stats_query()).await?;
    Ok(row.unwrap_or(Stats { statuses: 0, domains: 0 }))
}

fn stats_query() -> Query {
    query!(
        "SELECT (SELECT count(*) FROM statuses WHERE local = 1 AND deleted_at IS NULL AND reblog_of_id IS NULL) AS statuses, \
         (SELECT count(*) FROM instances) AS domains"
    )
}

#[derive(Debug, Deserialize)]
pub struct Domain {
    pub domain: String,
}

pub async fn peers(db: &dyn Db) -> Result<Vec<Domain>, StoreError> {
    db::all(db, &query!("SELECT domain FROM instances ORDER BY domain")).await
}

#[derive(Clone, Debug, Deserialize, serde::Serialize)]
pub struct RuleRow {
    pub id: String,
    pub text: String,
    pub hint: String,
}

pub async fn rules(db: &dyn Db) -> Result<Vec<RuleRow>, StoreError> {
    db::all(db, &rules_query()).await
}

pub fn rules_query() -> Query {
    query!("SELECT CAST(id AS TEXT) AS id, text, hint FROM instance_rules ORDER BY position, id")
}

/// The site settings the admin saved (`/admin/settings`); `None` columns were never set.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct SiteRow {
    pub description: Option<String>,
    pub extended_description: Option<String>,
    pub contact_email: Option<String>,
    pub privacy_policy: Option<String>,
    pub updated_at: i64,
    pub thumbnail_key: Option<String>,
    pub icon_key: Option<String>,
    /// `WIDTHxHEIGHT` of the icon.
    pub icon_size: Option<String>,
    pub terms_of_service: Option<String>,
    pub terms_updated_at: Option<i64>,
}

/// What the instance and NodeInfo documents show besides configuration.
#[derive(Clone, Debug)]
pub struct Summary {
    pub stats: Stats,
    pub rules: Vec<RuleRow>,
    pub site: Option<SiteRow>,
}

/// The counts, the rules and the site settings, in one round trip.
pub async fn summary(db: &dyn Db) -> Result<Summary, StoreError> {
    let site = query!(
        "SELECT description, extended_description, contact_email, privacy_policy, updated_at, thumbnail_key, icon_key, \
         icon_size, terms_of_service, terms_updated_at FROM site_settings WHERE id = 1"
    );
    let mut answers = db.batch_rows(&[stats_query(), rules_query(), site]).await?.into_iter();
    let stats = db::decode::<Stats>(answers.next().unwrap_or_default())?.pop().unwrap_or(Stats { statuses: 0, domains: 0 });
    let rules = db::decode(answers.next().unwrap_or_default())?;
    Ok(Summary { stats, rules, site: db::decode::<SiteRow>(answers.next().unwrap_or_default())?.pop() })
}

/// Saves the texts; the terms' date moves only when their text changes. The pictures stay.
pub fn save_site(row: &SiteRow) -> Query {
    query!(
        "INSERT INTO site_settings (id, description, extended_description, contact_email, privacy_policy, updated_at, \
         terms_of_service, terms_updated_at) VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, CASE WHEN ?6 IS NULL THEN NULL ELSE ?5 END) \
         ON CONFLICT (id) DO UPDATE SET description = excluded.description, \
         extended_description = excluded.extended_description, contact_email = excluded.contact_email, \
         privacy_policy = excluded.privacy_policy, updated_at = excluded.updated_at, \
         terms_updated_at = CASE WHEN terms_of_service IS excluded.terms_of_service THEN terms_updated_at ELSE excluded.updated_at END, \
         terms_of_service = excluded.terms_of_service",
        row.description.clone(), row.extended_description.clone(), row.contact_email.clone(), row.privacy_policy.clone(), row.updated_at,
        row.terms_of_service.clone()
    )
}

/// Which of the site's pictures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SiteImage {
    Thumbnail,
    Icon,
}

/// Sets (or, with `None`, clears) one of the site's pictures; `size` is `WIDTHxHEIGHT`.
pub fn save_site_image(image: SiteImage, stored: Option<(&str, &str)>, now: i64) -> Query {
    let key = stored.map(|(key, _)| key.to_string());
    let size = stored.map(|(_, size)| size.to_string());
    match image {
        SiteImage::Thumbnail => query!(
            "INSERT INTO site_settings (id, updated_at, thumbnail_key) VALUES (1, ?1, ?2) \
             ON CONFLICT (id) DO UPDATE SET thumbnail_key = excluded.thumbnail_key, updated_at = excluded.updated_at",
            now, key
        ),
        SiteImage::Icon => query!(
            "INSERT INTO site_settings (id, updated_at, icon_key, icon_size) VALUES (1, ?1, ?2, ?3) \
             ON CONFLICT (id) DO UPDATE SET icon_key = excluded.icon_key, icon_size = excluded.icon_size, updated_at = excluded.updated_at",
            now, key, size
        ),
    }
}

pub fn add_rule(id: i64, text: &str, hint: &str) -> Query {
    query!(
        "INSERT INTO instance_rules (id, text, hint, position) VALUES (?1, ?2, ?3, (SELECT ifnull(max(position), 0) + 1 FROM instance_rules))",
        id, text, hint
    )
}

pub fn delete_rule(id: i64) -> Query {
    query!("DELETE FROM instance_rules WHERE id = ?1", id)
}
