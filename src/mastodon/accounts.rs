//! <https://docs.joinmastodon.org/methods/accounts/> and preferences.
use serde_json::json;

use super::entities::account::{Account, CredentialAccount};
use crate::app::profile::{self, ImageChange, ProfileChange};
use crate::ctx::Ctx;
use crate::domain::ids;
use crate::app::owner;
use crate::edge::auth;
use crate::edge::error::ApiError;
use crate::edge::http::{Request, Response};
use crate::edge::params::Params;
use crate::store::accounts;
use crate::domain::visibility::Visibility;

/// <https://docs.joinmastodon.org/methods/accounts/#verify_credentials>
pub async fn verify_credentials(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    let (_, account_id) = auth::require_user(ctx, req, &["read:accounts", "profile"]).await?;
    Response::ok_json(&credential_account(ctx, account_id).await?)
}

/// Every user token belongs to the owner: a token for anyone else is stale.
async fn credential_account(ctx: &Ctx<'_>, account_id: i64) -> Result<CredentialAccount, ApiError> {
    let owner = owner::load(ctx).await?;
    if owner.account.id != account_id {
        return Err(ApiError::InvalidToken);
    }
    let mut credential = CredentialAccount::new(&owner.account, &owner.user, 0, ctx.config);
    credential.account = super::entities::account::render_one(ctx, &owner.account).await?;
    Ok(credential)
}

/// <https://docs.joinmastodon.org/methods/accounts/#update_credentials>
pub async fn update_credentials(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    let (_, account_id) = auth::require_user(ctx, req, &["write:accounts"]).await?;
    let params = req.params()?;
    let mut change = profile_change(&params)?;
    change.avatar = params.file("avatar").map(|file| ImageChange::Replace(file.upload()));
    change.header = params.file("header").map(|file| ImageChange::Replace(file.upload()));
    profile::update(ctx, change).await?;
    Response::ok_json(&credential_account(ctx, account_id).await?)
}

/// <https://docs.joinmastodon.org/methods/profile/>: back to the default picture.
pub async fn remove_image(ctx: &Ctx<'_>, req: &Request, which: &str) -> Result<Response, ApiError> {
    let (_, account_id) = auth::require_user(ctx, req, &["write:accounts"]).await?;
    let change = match which {
        "avatar" => ProfileChange { avatar: Some(ImageChange::Remove), ..Default::default() },
        "header" => ProfileChange { header: Some(ImageChange::Remove), ..Default::default() },
        _ => return Err(ApiError::NotFound),
    };
    profile::update(ctx, change).await?;
    Response::ok_json(&credential_account(ctx, account_id).await?)
}

/// The profile change a form or JSON body asks for; the use case checks it.
fn profile_change(params: &Params) -> Result<ProfileChange<'static>, ApiError> {
    let bool_param = |key: &str| params.bool(key).map_err(|key| ApiError::Invalid(format!("{key} must be a boolean")));
    let mut change = ProfileChange {
        display_name: params.str("display_name"),
        note: params.str("note"),
        fields: params.get("fields_attributes").map(profile::field_sources).transpose()?,
        locked: bool_param("locked")?,
        bot: bool_param("bot")?,
        discoverable: bool_param("discoverable")?,
        indexable: bool_param("indexable")?,
        hide_collections: bool_param("hide_collections")?,
        ..Default::default()
    };
    if let Some(source) = params.get("source") {
        let source = Params::from_value(source.clone());
        if let Some(privacy) = source.non_empty("privacy") {
            let visibility = Visibility::parse(&privacy).ok_or_else(|| ApiError::Invalid("Privacy is not a valid visibility".into()))?;
            change.preferences.default_privacy = Some(visibility);
        }
        change.preferences.default_sensitive =
            source.bool("sensitive").map_err(|_| ApiError::Invalid("Sensitive must be a boolean".into()))?;
        change.preferences.default_language = source.str("language");
    }
    Ok(change)
}

/// <https://docs.joinmastodon.org/methods/accounts/#get>
pub async fn get(ctx: &Ctx<'_>, req: &Request, id: &str) -> Result<Response, ApiError> {
    auth::reader(ctx, req, &["read:accounts"]).await?;
    let id = ids::parse(id).ok_or(ApiError::NotFound)?;
    // Read even for the owner: the cached owner would cost a round trip of its own whenever it is stale.
    let row = accounts::get(ctx.db, id).await?.ok_or(ApiError::NotFound)?;
    Response::ok_json(&super::entities::account::render_one(ctx, &row).await?)
}

/// <https://docs.joinmastodon.org/methods/accounts/#lookup>
pub async fn lookup(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    auth::reader(ctx, req, &["read:accounts"]).await?;
    let acct = req.query_params().non_empty("acct").ok_or(ApiError::NotFound)?;
    // As Mastodon: accounts we know, local or remote; nothing is fetched for a lookup.
    let row = match super::search::handle(&acct) {
        Some((username, domain)) if !(domain.eq_ignore_ascii_case(&ctx.config.handle_domain) || domain.eq_ignore_ascii_case(&ctx.config.host)) => {
            match crate::store::accounts::get_remote_by_handle(ctx.db, username, domain).await? {
                // `get` leaves out accounts deleted at their origin.
                Some(found) => crate::store::accounts::get(ctx.db, found.id).await?,
                None => None,
            }
        }
        Some((username, _)) => owner::account_named(ctx, username).await?,
        None => owner::account_named(ctx, acct.strip_prefix("acct:").unwrap_or(&acct).trim_start_matches('@')).await?,
    };
    let row = row.ok_or(ApiError::NotFound)?;
    Response::ok_json(&Account::from_row(&row, ctx.config))
}

/// <https://docs.joinmastodon.org/methods/preferences/>
pub async fn preferences(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    auth::require_user(ctx, req, &["read:accounts"]).await?;
    let user = owner::load(ctx).await?.user;
    Response::ok_json(&json!({
        "posting:default:visibility": user.default_privacy,
        "posting:default:sensitive": user.default_sensitive,
        "posting:default:language": user.default_language,
        "posting:default:quote_policy": "public",
        "reading:expand:media": user.expand_media,
        "reading:expand:spoilers": user.expand_spoilers,
        "reading:autoplay:gifs": false,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::profile::FieldSource;

    fn form(body: &str) -> Params {
        Params::parse("", Some("application/x-www-form-urlencoded"), body.as_bytes()).unwrap()
    }

    #[test]
    fn a_form_asks_for_each_part_of_a_profile_change() {
        let change = profile_change(&form("display_name=Alice&note=Hi&fields_attributes[0][name]=Web&fields_attributes[0][value]=https://a.example&locked=1&bot=false&source[privacy]=unlisted&source[language]=fi")).unwrap();
        assert_eq!((change.display_name.as_deref(), change.note.as_deref()), (Some("Alice"), Some("Hi")));
        assert_eq!(change.fields.unwrap(), [FieldSource { name: "Web".into(), value: "https://a.example".into() }]);
        assert_eq!((change.locked, change.bot, change.discoverable), (Some(true), Some(false), None));
        assert_eq!(change.preferences.default_privacy, Some(Visibility::Unlisted));
        assert_eq!(change.preferences.default_language.as_deref(), Some("fi"));
    }

    #[test]
    fn malformed_profile_changes_are_refused() {
        assert!(profile_change(&form("locked=perhaps")).is_err());
        assert!(profile_change(&form("source[privacy]=everyone")).is_err());
        let nine = (0..9).map(|i| format!("fields_attributes[{i}][name]=n{i}&fields_attributes[{i}][value]=v")).collect::<Vec<_>>().join("&");
        assert!(profile_change(&form(&nine)).is_err());
    }

    #[test]
    fn json_fields_may_be_an_array_or_an_indexed_object() {
        let array = Params::parse("", Some("application/json"), br#"{"fields_attributes":[{"name":"a","value":"b"}]}"#).unwrap();
        let object = Params::parse("", Some("application/json"), br#"{"fields_attributes":{"0":{"name":"a","value":"b"}}}"#).unwrap();
        assert_eq!(profile_change(&array).unwrap().fields, profile_change(&object).unwrap().fields);
    }
}
