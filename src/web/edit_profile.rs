//! The owner's profile and preferences pages (docs/web.md, "Settings"), at Mastodon's paths:
//! `/settings/profile` (name, bio, fields, pictures, account flags) and `/settings/preferences`
//! (posting and reading defaults). Both change the owner through `app::profile::update`, the
//! use case behind `PATCH /api/v1/accounts/update_credentials`.
use askama::Template;

use super::signed_in;
use crate::app::error::Error;
use crate::app::owner::{self, Owner};
use crate::app::profile::{self, ImageChange, PreferencesChange, ProfileChange, EXPAND_MEDIA};
use crate::ctx::Ctx;
use crate::domain::visibility::Visibility;
use crate::edge::error::ApiError;
use crate::edge::http::{Request, Response};
use crate::edge::params::Params;

struct FieldView {
    name: String,
    value: String,
    verified: bool,
}

#[derive(Template)]
#[template(path = "edit_profile.html")]
struct ProfilePage<'a> {
    instance_title: &'a str,
    csrf_token: &'a str,
    error: Option<String>,
    saved: bool,
    profile_url: &'a str,
    display_name: &'a str,
    note: &'a str,
    fields: Vec<FieldView>,
    avatar: String,
    header: String,
    has_avatar: bool,
    has_header: bool,
    locked: bool,
    bot: bool,
    discoverable: bool,
    indexable: bool,
    hide_collections: bool,
    max_display_name: usize,
    max_note: usize,
    max_field: usize,
    max_image_mb: usize,
}

/// The owner's fields as typed, with as many empty rows as are still free.
fn field_views(owner: &Owner) -> Vec<FieldView> {
    let rendered = profile::fields(&owner.account);
    let mut views: Vec<FieldView> = profile::typed_fields(owner)
        .into_iter()
        .enumerate()
        .map(|(i, source)| FieldView {
            verified: rendered.get(i).is_some_and(|f| f.verified_at.is_some()),
            name: source.name,
            value: source.value,
        })
        .collect();
    views.resize_with(profile::MAX_FIELDS.max(views.len()), || FieldView { name: String::new(), value: String::new(), verified: false });
    views
}

async fn profile_page(ctx: &Ctx<'_>, csrf_token: &str, status: u16, error: Option<String>, saved: bool) -> Result<Response, ApiError> {
    let owner = owner::load(ctx).await?;
    let account = &owner.account;
    let page = ProfilePage {
        instance_title: &ctx.config.title,
        csrf_token,
        error,
        saved,
        profile_url: account.url.as_deref().unwrap_or(&account.uri),
        display_name: &account.display_name,
        note: &owner.user.note_source,
        fields: field_views(&owner),
        avatar: profile::avatar_url(account, ctx.config),
        header: profile::header_url(account, ctx.config),
        has_avatar: account.avatar_remote_url.is_some(),
        has_header: account.header_remote_url.is_some(),
        locked: account.locked,
        bot: account.bot,
        discoverable: account.discoverable,
        indexable: account.indexable,
        hide_collections: account.hide_collections,
        max_display_name: profile::MAX_DISPLAY_NAME,
        max_note: profile::MAX_NOTE,
        max_field: profile::MAX_FIELD_VALUE,
        max_image_mb: profile::MAX_PROFILE_IMAGE_BYTES / (1024 * 1024),
    };
    Ok(signed_in::private(super::render(status, &page)))
}

/// `GET /settings/profile`
pub async fn edit_profile(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    let session = match signed_in::require(ctx, req).await? {
        Ok(session) => session,
        Err(away) => return Ok(away),
    };
    let saved = req.query_params().str("saved").is_some();
    profile_page(ctx, &session.csrf_token(), 200, None, saved).await
}

/// What the profile form asks for. A form sends every field, so everything is set; a file
/// input left empty sends an empty part, which changes nothing.
fn profile_change(params: &Params) -> Result<ProfileChange<'_>, Error> {
    let ticked = |name: &str| Some(params.str(name).is_some_and(|v| v == "1"));
    let fields = params.get("fields_attributes").map(profile::field_sources).transpose()?;
    let image = |name: &str, remove: &str| match params.file(name).filter(|file| !file.data.is_empty()) {
        Some(file) => Some(ImageChange::Replace(file.upload())),
        None if ticked(remove) == Some(true) => Some(ImageChange::Remove),
        None => None,
    };
    Ok(ProfileChange {
        display_name: Some(params.str("display_name").unwrap_or_default()),
        note: Some(params.str("note").unwrap_or_default()),
        fields: Some(fields.unwrap_or_default()),
        locked: ticked("locked"),
        bot: ticked("bot"),
        discoverable: ticked("discoverable"),
        indexable: ticked("indexable"),
        hide_collections: ticked("hide_collections"),
        avatar: image("avatar", "remove_avatar"),
        header: image("header", "remove_header"),
        preferences: PreferencesChange::default(),
    })
}

/// `PUT /settings/profile` (the form's `POST`, multipart for its pictures)
pub async fn update_profile(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    let (session, params) = match signed_in::form(ctx, req).await? {
        Ok(checked) => checked,
        Err(refused) => return Ok(refused),
    };
    let result = match profile_change(&params) {
        Ok(change) => profile::update(ctx, change).await,
        Err(refused) => Err(refused),
    };
    match result {
        Ok(()) => Ok(Response::redirect(303, "/settings/profile?saved=1")),
        Err(Error::Invalid(why)) => profile_page(ctx, &session.csrf_token(), 422, Some(why), false).await,
        Err(error) => Err(error.into()),
    }
}

#[derive(Template)]
#[template(path = "preferences.html")]
struct PreferencesPage<'a> {
    instance_title: &'a str,
    csrf_token: &'a str,
    error: Option<String>,
    saved: bool,
    visibilities: &'a [(&'a str, &'a str)],
    default_privacy: &'a str,
    default_sensitive: bool,
    default_language: &'a str,
    media_choices: &'a [(&'a str, &'a str)],
    expand_media: &'a str,
    expand_spoilers: bool,
}

const VISIBILITIES: &[(&str, &str)] =
    &[("public", "Public"), ("unlisted", "Quiet public (unlisted)"), ("private", "Followers only"), ("direct", "Mentioned people only")];

/// `EXPAND_MEDIA`, as the page names each.
const MEDIA_CHOICES: &[(&str, &str)] =
    &[("default", "Hide media marked as sensitive"), ("show_all", "Always show media"), ("hide_all", "Always hide media")];

async fn preferences_page(ctx: &Ctx<'_>, csrf_token: &str, status: u16, error: Option<String>, saved: bool) -> Result<Response, ApiError> {
    let user = owner::load(ctx).await?.user;
    let page = PreferencesPage {
        instance_title: &ctx.config.title,
        csrf_token,
        error,
        saved,
        visibilities: VISIBILITIES,
        default_privacy: &user.default_privacy,
        default_sensitive: user.default_sensitive,
        default_language: user.default_language.as_deref().unwrap_or_default(),
        media_choices: MEDIA_CHOICES,
        expand_media: &user.expand_media,
        expand_spoilers: user.expand_spoilers,
    };
    Ok(signed_in::private(super::render(status, &page)))
}

/// `GET /settings/preferences`
pub async fn preferences(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    let session = match signed_in::require(ctx, req).await? {
        Ok(session) => session,
        Err(away) => return Ok(away),
    };
    let saved = req.query_params().str("saved").is_some();
    preferences_page(ctx, &session.csrf_token(), 200, None, saved).await
}

/// `PUT /settings/preferences`
pub async fn update_preferences(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    let (session, params) = match signed_in::form(ctx, req).await? {
        Ok(checked) => checked,
        Err(refused) => return Ok(refused),
    };
    let privacy = params.str("default_privacy").unwrap_or_default();
    let change = match Visibility::parse(&privacy) {
        Some(visibility) => Ok(PreferencesChange {
            default_privacy: Some(visibility),
            default_sensitive: Some(params.str("default_sensitive").is_some_and(|v| v == "1")),
            default_language: Some(params.str("default_language").unwrap_or_default()),
            expand_spoilers: Some(params.str("expand_spoilers").is_some_and(|v| v == "1")),
            expand_media: Some(params.str("expand_media").unwrap_or_else(|| EXPAND_MEDIA[0].to_string())),
        }),
        None => Err(Error::Invalid(format!("Default visibility is not valid: {privacy}"))),
    };
    let result = match change {
        Ok(preferences) => profile::update(ctx, ProfileChange { preferences, ..Default::default() }).await,
        Err(error) => Err(error),
    };
    match result {
        Ok(()) => Ok(Response::redirect(303, "/settings/preferences?saved=1")),
        Err(Error::Invalid(why)) => preferences_page(ctx, &session.csrf_token(), 422, Some(why), false).await,
        Err(error) => Err(error.into()),
    }
}
