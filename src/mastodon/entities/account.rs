//! Account and CredentialAccount (<https://docs.joinmastodon.org/entities/Account/>).
use serde::Serialize;
use serde_json::Value;

use crate::app::profile;
use crate::config::Config;
use crate::domain::time::{date, iso8601};
use crate::store::accounts::{AccountRow, LocalUserRow};

pub use crate::app::profile::{Field, FieldSource};

#[derive(Debug, Serialize)]
pub struct Account {
    pub id: String,
    pub username: String,
    pub acct: String,
    pub url: String,
    pub uri: String,
    pub display_name: String,
    pub note: String,
    pub avatar: String,
    pub avatar_static: String,
    pub header: String,
    pub header_static: String,
    pub locked: bool,
    pub bot: bool,
    pub group: bool,
    pub discoverable: bool,
    pub indexable: bool,
    pub hide_collections: bool,
    pub noindex: bool,
    pub created_at: String,
    pub last_status_at: Option<String>,
    pub statuses_count: i64,
    pub followers_count: i64,
    pub following_count: i64,
    pub fields: Vec<Field>,
    pub emojis: Vec<Value>,
    pub roles: Vec<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub moved: Option<Box<Account>>,
}

#[derive(Debug, Serialize)]
pub struct Source {
    pub privacy: String,
    pub sensitive: bool,
    pub language: Option<String>,
    pub note: String,
    pub fields: Vec<FieldSource>,
    pub follow_requests_count: i64,
    pub hide_collections: bool,
    pub discoverable: bool,
    pub indexable: bool,
    pub attribution_domains: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct Role {
    pub id: String,
    pub name: String,
    pub color: String,
    pub permissions: String,
    pub highlighted: bool,
}

#[derive(Debug, Serialize)]
pub struct CredentialAccount {
    #[serde(flatten)]
    pub account: Account,
    pub source: Source,
    pub role: Role,
}

impl Account {
    pub fn from_row(row: &AccountRow, config: &Config) -> Account {
        let avatar = profile::avatar_url(row, config);
        let header = profile::header_url(row, config);
        let acct = match &row.domain {
            None => row.username.clone(),
            Some(domain) => format!("{}@{domain}", row.username),
        };
        Account {
            id: row.id.to_string(),
            username: row.username.clone(),
            acct,
            url: row.url.clone().unwrap_or_else(|| row.uri.clone()),
            uri: row.uri.clone(),
            display_name: row.display_name.clone(),
            note: row.note.clone(),
            avatar_static: avatar.clone(),
            avatar,
            header_static: header.clone(),
            header,
            locked: row.locked,
            bot: row.bot,
            group: row.group_actor,
            discoverable: row.discoverable,
            indexable: row.indexable,
            hide_collections: row.hide_collections,
            noindex: !row.indexable,
            created_at: iso8601(midnight(row.created_at)),
            last_status_at: row.last_status_at.map(date),
            statuses_count: row.statuses_count,
            followers_count: row.followers_count,
            following_count: row.following_count,
            fields: profile::fields(row),
            emojis: super::custom_emojis(&row.emojis),
            roles: Vec::new(),
            moved: None,
        }
    }
}

/// Renders the accounts with these ids in this order; ids of accounts that are gone are skipped.
pub async fn render_many(ctx: &crate::ctx::Ctx<'_>, ids: &[i64]) -> Result<Vec<Account>, crate::edge::error::ApiError> {
    let found = crate::store::accounts::get_many(ctx.db, ids).await?;
    Ok(ids.iter().filter_map(|id| found.iter().find(|a| a.id == *id)).map(|a| Account::from_row(a, ctx.config)).collect())
}

/// An account with `moved` filled in when it moved (one level, as Mastodon renders it).
pub async fn render_one(ctx: &crate::ctx::Ctx<'_>, row: &AccountRow) -> Result<Account, crate::edge::error::ApiError> {
    let mut account = Account::from_row(row, ctx.config);
    if let Some(target) = row.moved_to_account_id {
        if let Some(moved) = crate::store::accounts::get(ctx.db, target).await? {
            account.moved = Some(Box::new(Account::from_row(&moved, ctx.config)));
        }
    }
    Ok(account)
}

/// Mastodon reports account creation at midnight UTC, so as not to reveal when someone signed up.
fn midnight(ms: i64) -> i64 {
    ms - ms.rem_euclid(86_400_000)
}

impl CredentialAccount {
    pub fn new(row: &AccountRow, user: &LocalUserRow, follow_requests_count: i64, config: &Config) -> Self {
        CredentialAccount {
            account: Account::from_row(row, config),
            source: Source {
                privacy: user.default_privacy.clone(),
                sensitive: user.default_sensitive,
                language: user.default_language.clone(),
                note: user.note_source.clone(),
                fields: serde_json::from_str(&user.fields_source).unwrap_or_default(),
                follow_requests_count,
                hide_collections: row.hide_collections,
                discoverable: row.discoverable,
                indexable: row.indexable,
                attribution_domains: Vec::new(),
            },
            role: Role {
                id: "3".into(),
                name: user.role.clone(),
                color: String::new(),
                // Mastodon's "Administrator" bit: the owner may do everything.
                permissions: "1".into(),
                highlighted: true,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config;

    pub fn row() -> AccountRow {
        serde_json::from_value(serde_json::json!({
            "id": "115000000000000001", "username": "alice", "domain": null,
            "uri": "https://social.example/users/alice", "url": "https://social.example/@alice",
            "display_name": "Alice", "note": "<p>hi</p>",
            "fields": "[{\"name\":\"web\",\"value\":\"x\",\"verified_at\":null}]",
            "avatar_remote_url": null, "header_remote_url": null, "locked": 0, "bot": 1, "group_actor": 0,
            "discoverable": 1, "indexable": 0, "hide_collections": 0, "emojis": "[]", "actor_type": "Person",
            "inbox_url": null, "shared_inbox_url": null, "public_key_id": null, "public_key_pem": null,
            "also_known_as": "[]", "moved_to_account_id": null, "followers_count": 2, "following_count": 3,
            "statuses_count": 4, "last_status_at": 1_700_000_000_000_i64, "created_at": 1_700_000_000_123_i64,
            "updated_at": 0
        }))
        .unwrap()
    }

    #[test]
    fn local_account_renders_every_required_field() {
        let account = Account::from_row(&row(), &config::for_tests());
        let v = serde_json::to_value(&account).unwrap();
        assert_eq!(v["id"], "115000000000000001");
        assert_eq!(v["acct"], "alice");
        assert_eq!(v["avatar"], "https://social.example/avatars/original/missing.png");
        assert_eq!(v["created_at"], "2023-11-14T00:00:00.000Z");
        assert_eq!(v["last_status_at"], "2023-11-14");
        assert_eq!(v["bot"], true);
        assert_eq!(v["fields"][0]["name"], "web");
        assert!(v["emojis"].as_array().unwrap().is_empty());
        assert!(v.get("moved").is_none());
    }

    #[test]
    fn remote_account_acct_has_the_domain() {
        let mut r = row();
        r.domain = Some("remote.example".into());
        assert_eq!(Account::from_row(&r, &config::for_tests()).acct, "alice@remote.example");
    }
}
