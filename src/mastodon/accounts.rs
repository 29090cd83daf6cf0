//! <https://docs.joinmastodon.org/methods/accounts/> and preferences.
use serde_json::{json, Value};

use super::entities::account::{Account, CredentialAccount, Field, FieldSource};
use crate::content::text;
use crate::ctx::Ctx;
use crate::domain::ids;
use crate::app::owner;
use crate::edge::auth;
use crate::edge::error::ApiError;
use crate::edge::http::{Request, Response};
use crate::edge::params::Params;
use crate::store::accounts::{self, ProfileUpdate};
use crate::domain::visibility::Visibility;

/// Mastodon's limits, also advertised in the instance entity.
pub const MAX_DISPLAY_NAME: usize = 30;
pub const MAX_NOTE: usize = 500;
pub const MAX_FIELDS: usize = 4;
pub const MAX_FIELD_NAME: usize = 255;
pub const MAX_FIELD_VALUE: usize = 255;

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
    let mut update = profile_update(&params, &ctx.config.public_url)?;
    if update.display_name.is_some() || update.note_source.is_some() {
        // The emoji of the name and bio as they will be, whichever of the two changes (the
        // other is read only when one is left out).
        let owner = match (&update.display_name, &update.note_source) {
            (Some(_), Some(_)) => None,
            _ => Some(owner::load(ctx).await?),
        };
        let name = update.display_name.as_deref().or(owner.as_ref().map(|o| o.account.display_name.as_str())).unwrap_or_default();
        let note = update.note_source.as_deref().or(owner.as_ref().map(|o| o.user.note_source.as_str())).unwrap_or_default();
        update.emojis = Some(crate::app::custom_emojis::used_in(ctx, &[name, note]).await?);
    }
    // Images go to R2 last, after everything else was found valid.
    for (field, slot) in [("avatar", &mut update.avatar_url), ("header", &mut update.header_url)] {
        if let Some(file) = params.file(field) {
            if !super::media::file_type(file)?.starts_with("image/") {
                return Err(ApiError::Invalid(format!("{field} must be an image")));
            }
            let (key, ..) = super::media::store_file(ctx, ctx.new_id(), file).await?;
            *slot = Some(crate::app::profile::media_url(ctx.config, &key));
        }
    }
    ctx.db.batch(&accounts::update_profile(account_id, &update, ctx.now_ms())).await?;
    owner::invalidate(ctx);
    Response::ok_json(&credential_account(ctx, account_id).await?)
}

/// Validates and renders a profile change. Nothing is written unless all of it is valid.
fn profile_update(params: &Params, public_url: &str) -> Result<ProfileUpdate, ApiError> {
    let bool_param = |key: &str| params.bool(key).map_err(|key| ApiError::Invalid(format!("{key} must be a boolean")));
    let mut update = ProfileUpdate {
        locked: bool_param("locked")?,
        bot: bool_param("bot")?,
        discoverable: bool_param("discoverable")?,
        indexable: bool_param("indexable")?,
        hide_collections: bool_param("hide_collections")?,
        ..Default::default()
    };
    if let Some(name) = params.str("display_name") {
        if name.chars().count() > MAX_DISPLAY_NAME {
            return Err(ApiError::Invalid(format!("Display name is too long (maximum is {MAX_DISPLAY_NAME} characters)")));
        }
        update.display_name = Some(name.trim().to_string());
    }
    if let Some(note) = params.str("note") {
        if note.chars().count() > MAX_NOTE {
            return Err(ApiError::Invalid(format!("Note is too long (maximum is {MAX_NOTE} characters)")));
        }
        update.note_html = Some(text::to_html(&note, public_url));
        update.note_source = Some(note);
    }
    if let Some(fields) = params.get("fields_attributes") {
        let sources = field_sources(fields)?;
        let rendered: Vec<Field> = sources
            .iter()
            .map(|f| Field { name: f.name.clone(), value: text::inline_html(&f.value, public_url), verified_at: None })
            .collect();
        update.fields = Some((to_json(&rendered), to_json(&sources)));
    }
    if let Some(source) = params.get("source") {
        let source = Params::from_value(source.clone());
        if let Some(privacy) = source.non_empty("privacy") {
            if Visibility::parse(&privacy).is_none() {
                return Err(ApiError::Invalid("Privacy is not a valid visibility".into()));
            }
            update.default_privacy = Some(privacy);
        }
        update.default_sensitive =
            source.bool("sensitive").map_err(|_| ApiError::Invalid("Sensitive must be a boolean".into()))?;
        update.default_language = source.str("language").map(|l| l.trim().to_string());
    }
    Ok(update)
}

/// Profile fields from a form's indexed hash (already an array), or a JSON array or object.
fn field_sources(value: &Value) -> Result<Vec<FieldSource>, ApiError> {
    let items: Vec<&Value> = match value {
        Value::Array(items) => items.iter().collect(),
        Value::Object(map) => map.values().collect(),
        _ => return Err(ApiError::Invalid("Fields must be a list".into())),
    };
    let text = |item: &Value, key: &str| item.get(key).and_then(Value::as_str).unwrap_or("").trim().to_string();
    let fields: Vec<FieldSource> = items
        .into_iter()
        .map(|item| FieldSource { name: text(item, "name"), value: text(item, "value") })
        .filter(|f| !(f.name.is_empty() && f.value.is_empty()))
        .collect();
    if fields.len() > MAX_FIELDS {
        return Err(ApiError::Invalid(format!("Fields are too many (maximum is {MAX_FIELDS})")));
    }
    if fields.iter().any(|f| f.name.chars().count() > MAX_FIELD_NAME || f.value.chars().count() > MAX_FIELD_VALUE) {
        return Err(ApiError::Invalid("Field is too long".into()));
    }
    Ok(fields)
}

/// Serializes our own field lists; they hold only strings, so this cannot fail.
fn to_json(value: &impl serde::Serialize) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "[]".into())
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

    fn form(body: &str) -> Params {
        Params::parse("", Some("application/x-www-form-urlencoded"), body.as_bytes()).unwrap()
    }

    #[test]
    fn a_profile_update_renders_note_and_fields() {
        let u = profile_update(
            &form("display_name=Alice&note=Hi+%23rust&fields_attributes[0][name]=Web&fields_attributes[0][value]=https://a.example&locked=1&bot=false"),
            "https://s.example",
        )
        .unwrap();
        assert_eq!(u.display_name.as_deref(), Some("Alice"));
        assert!(u.note_html.unwrap().contains("class=\"mention hashtag\""));
        let (fields, source) = u.fields.unwrap();
        assert!(fields.contains("<span class=\\\"invisible\\\">https://</span>"), "{fields}");
        assert_eq!(source, r#"[{"name":"Web","value":"https://a.example"}]"#);
        assert_eq!((u.locked, u.bot, u.discoverable), (Some(true), Some(false), None));
    }

    #[test]
    fn invalid_profile_updates_are_refused_whole() {
        let long_name = format!("display_name={}", "x".repeat(31));
        assert!(profile_update(&form(&long_name), "").is_err());
        let five = (0..5).map(|i| format!("fields_attributes[{i}][name]=n{i}&fields_attributes[{i}][value]=v")).collect::<Vec<_>>().join("&");
        assert!(profile_update(&form(&five), "").is_err());
        assert!(profile_update(&form("locked=perhaps"), "").is_err());
        assert!(profile_update(&form("source[privacy]=everyone"), "").is_err());
    }

    #[test]
    fn json_fields_may_be_an_array_or_an_indexed_object() {
        let array = Params::parse("", Some("application/json"), br#"{"fields_attributes":[{"name":"a","value":"b"}]}"#).unwrap();
        let object = Params::parse("", Some("application/json"), br#"{"fields_attributes":{"0":{"name":"a","value":"b"}}}"#).unwrap();
        assert_eq!(profile_update(&array, "").unwrap().fields, profile_update(&object, "").unwrap().fields);
    }
}
