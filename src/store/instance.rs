//! Instance-wide keys (made by scripts/provision.mjs), counts, rules and emoji.
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

fn rules_query() -> Query {
    query!("SELECT CAST(id AS TEXT) AS id, text, hint FROM instance_rules ORDER BY position, id")
}

#[derive(Debug, Deserialize)]
pub struct EmojiRow {
    pub shortcode: String,
    pub image_url: String,
    pub category: Option<String>,
    #[serde(deserialize_with = "super::db::sqlite_bool")]
    pub visible_in_picker: bool,
}

pub async fn local_emojis(db: &dyn Db) -> Result<Vec<EmojiRow>, StoreError> {
    db::all(
        db,
        &query!(
            "SELECT shortcode, image_url, category, visible_in_picker FROM custom_emojis WHERE domain IS NULL \
             ORDER BY shortcode"
        ),
    )
    .await
}

/// What the instance and NodeInfo documents show besides configuration.
#[derive(Clone, Debug)]
pub struct Summary {
    pub stats: Stats,
    pub rules: Vec<RuleRow>,
}

/// The counts and the rules, in one round trip.
pub async fn summary(db: &dyn Db) -> Result<Summary, StoreError> {
    let mut answers = db.batch_rows(&[stats_query(), rules_query()]).await?.into_iter();
    let stats = db::decode::<Stats>(answers.next().unwrap_or_default())?.pop().unwrap_or(Stats { statuses: 0, domains: 0 });
    Ok(Summary { stats, rules: db::decode(answers.next().unwrap_or_default())? })
}
