//! How an account presents itself, whichever surface shows it (the Mastodon entity, the actor
//! document, the profile page): its images with their defaults, its profile fields, and where a
//! stored media file is served.
use serde::{Deserialize, Serialize};

use super::error::{Error, Result};
use super::jobs::{self, Event, Task};
use super::media::{self, Upload};
use super::owner::{self, Owner};
use super::remote::fetch;
use crate::config::Config;
use crate::content::links::{links_back_in, verifiable_url};
use crate::content::text;
use crate::ctx::{Ctx, HttpRequest};
use crate::domain::time::iso8601;
use crate::domain::visibility::Visibility;
use crate::store::accounts::{self, AccountRow, ProfileUpdate};

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

/// Mastodon's limits, also advertised in the instance entity.
pub const MAX_DISPLAY_NAME: usize = 30;
pub const MAX_NOTE: usize = 500;
pub const MAX_FIELDS: usize = 4;
pub const MAX_FIELD_NAME: usize = 255;
pub const MAX_FIELD_VALUE: usize = 255;
/// Mastodon's bound on an avatar or header (with libvips, since 4.3).
pub const MAX_PROFILE_IMAGE_BYTES: usize = 8 * 1024 * 1024;
/// A linked page is read this far for its `rel="me"` links: four pages an invocation stay
/// within the free plan's 10 ms of CPU.
const MAX_LINKED_PAGE_BYTES: usize = 256 * 1024;

/// A profile field as the owner typed it.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct FieldSource {
    pub name: String,
    pub value: String,
}

/// The fields of a change as clients send them (`fields_attributes`): a form's indexed hash
/// (already an array), a JSON array, or a JSON object of indexed members. More entries than
/// twice `MAX_FIELDS` (empty rows included) are refused before anything is read of them.
pub fn field_sources(value: &serde_json::Value) -> Result<Vec<FieldSource>> {
    use serde_json::Value;
    let items: Vec<&Value> = match value {
        Value::Array(items) => items.iter().collect(),
        Value::Object(map) => map.values().collect(),
        _ => return Err(Error::Invalid("Fields must be a list".into())),
    };
    if items.len() > 2 * MAX_FIELDS {
        return Err(Error::Invalid(format!("Fields are too many (maximum is {MAX_FIELDS})")));
    }
    let text = |item: &Value, key: &str| item.get(key).and_then(Value::as_str).unwrap_or("").to_string();
    Ok(items.into_iter().map(|item| FieldSource { name: text(item, "name"), value: text(item, "value") }).collect())
}

/// What becomes of the avatar or the header.
#[derive(Clone, Copy, Debug)]
pub enum ImageChange<'a> {
    Replace(Upload<'a>),
    /// Back to the default picture.
    Remove,
}

/// A change of the owner's profile; `None` keeps what is there.
#[derive(Debug, Default)]
pub struct ProfileChange<'a> {
    pub display_name: Option<String>,
    pub note: Option<String>,
    pub fields: Option<Vec<FieldSource>>,
    pub locked: Option<bool>,
    pub bot: Option<bool>,
    pub discoverable: Option<bool>,
    pub indexable: Option<bool>,
    pub hide_collections: Option<bool>,
    pub avatar: Option<ImageChange<'a>>,
    pub header: Option<ImageChange<'a>>,
    /// Defaults that stay here (Mastodon's API takes them with the profile, as `source[…]`).
    pub preferences: PreferencesChange,
}

impl ProfileChange<'_> {
    /// Whether other servers see a difference (anything but the preferences).
    fn is_public(&self) -> bool {
        self.display_name.is_some() || self.note.is_some() || self.fields.is_some()
            || [self.locked, self.bot, self.discoverable, self.indexable, self.hide_collections].iter().any(Option::is_some)
            || self.avatar.is_some() || self.header.is_some()
    }
}

/// How media is shown to the owner (`reading:expand:media`).
pub const EXPAND_MEDIA: [&str; 3] = ["default", "show_all", "hide_all"];

/// The owner's posting and reading defaults (what `/api/v1/preferences` reports); `None`
/// keeps what is there, and an empty language means none.
#[derive(Debug, Default)]
pub struct PreferencesChange {
    pub default_privacy: Option<Visibility>,
    pub default_sensitive: Option<bool>,
    pub default_language: Option<String>,
    pub expand_spoilers: Option<bool>,
    pub expand_media: Option<String>,
}

/// Changes the owner's profile and defaults: all of it valid, or nothing written. Other
/// servers hear of a profile change (`Update`), and links among the fields are checked for a
/// way back (`verify_links`).
pub async fn update(ctx: &Ctx<'_>, change: ProfileChange<'_>) -> Result<()> {
    let owner = owner::load(ctx).await?;
    let mut update = validate(&change, &fields(&owner.account), &ctx.config.public_url)?;
    if change.display_name.is_some() || change.note.is_some() {
        // The emoji of the name and bio as they will be, whichever of the two changes.
        let name = update.display_name.as_deref().unwrap_or(&owner.account.display_name);
        let note = update.note_source.as_deref().unwrap_or(&owner.user.note_source);
        update.emojis = Some(super::custom_emojis::used_in(ctx, &[name, note]).await?);
    }
    // Decided from the change itself: reading the owner back after the write would cost a round trip.
    let links_to_check = update.fields.as_ref().is_some_and(|(rendered, typed)| {
        let rendered: Vec<Field> = serde_json::from_str(rendered).unwrap_or_default();
        let typed: Vec<FieldSource> = serde_json::from_str(typed).unwrap_or_default();
        !unverified_links_of(&rendered, &typed, &ctx.config.public_url).is_empty()
    });
    // Images go to R2 last, after everything else (both of them too) was found valid.
    let images = [
        (change.avatar, &mut update.avatar_url, &owner.account.avatar_remote_url, "Avatar"),
        (change.header, &mut update.header_url, &owner.account.header_remote_url, "Header"),
    ];
    for (image, _, _, what) in &images {
        if let Some(ImageChange::Replace(upload)) = image {
            media::check_image(upload, what, MAX_PROFILE_IMAGE_BYTES)?;
        }
    }
    let mut replaced = Vec::new();
    for (image, slot, current, _) in images {
        match image {
            None => continue,
            Some(ImageChange::Replace(upload)) => *slot = Some(media_url(ctx.config, &media::store(ctx, ctx.new_id(), &upload).await?.r2_key)),
            // An empty URL clears the column: the default picture is shown.
            Some(ImageChange::Remove) => *slot = Some(String::new()),
        }
        replaced.extend(current.as_deref().and_then(|url| stored_key(ctx.config, url)));
    }
    ctx.db.batch(&accounts::update_profile(owner.account.id, &update, ctx.now_ms())).await?;
    owner::invalidate(ctx);
    for key in replaced {
        // Best effort: an orphan file costs storage, not correctness.
        let _ = ctx.blobs.delete(&key).await;
    }
    if change.is_public() {
        jobs::publish(ctx, Event::ProfileUpdated).await?;
    }
    if links_to_check {
        jobs::publish(ctx, Task::VerifyLinks).await?;
    }
    Ok(())
}

/// The key of a file we stored, from the URL it is served at.
fn stored_key(config: &Config, url: &str) -> Option<String> {
    url.strip_prefix(&config.url("/media/")).filter(|key| key.starts_with("media/")).map(str::to_string)
}

/// Checks and renders a profile change, in Mastodon's words when it is refused. A field whose
/// value did not change keeps when it was verified.
fn validate(change: &ProfileChange<'_>, current: &[Field], public_url: &str) -> Result<ProfileUpdate> {
    let mut update = ProfileUpdate {
        locked: change.locked,
        bot: change.bot,
        discoverable: change.discoverable,
        indexable: change.indexable,
        hide_collections: change.hide_collections,
        ..Default::default()
    };
    let preferences = &change.preferences;
    update.default_privacy = preferences.default_privacy.map(|v| v.as_str().to_string());
    update.default_sensitive = preferences.default_sensitive;
    update.expand_spoilers = preferences.expand_spoilers;
    if let Some(language) = &preferences.default_language {
        let language = language.trim();
        if !language.is_empty() && !is_language_code(language) {
            return Err(Error::Invalid("Language must be an ISO 639 code (such as en)".into()));
        }
        update.default_language = Some(language.to_string());
    }
    if let Some(media) = &preferences.expand_media {
        if !EXPAND_MEDIA.contains(&media.as_str()) {
            return Err(Error::Invalid(format!("Media display must be one of {}", EXPAND_MEDIA.join(", "))));
        }
        update.expand_media = Some(media.clone());
    }
    if let Some(name) = &change.display_name {
        if name.chars().count() > MAX_DISPLAY_NAME {
            return Err(Error::Invalid(format!("Display name is too long (maximum is {MAX_DISPLAY_NAME} characters)")));
        }
        update.display_name = Some(name.trim().to_string());
    }
    if let Some(note) = &change.note {
        if note.chars().count() > MAX_NOTE {
            return Err(Error::Invalid(format!("Note is too long (maximum is {MAX_NOTE} characters)")));
        }
        update.note_html = Some(text::to_html(note, public_url));
        update.note_source = Some(note.clone());
    }
    if let Some(sources) = &change.fields {
        let sources: Vec<FieldSource> = sources
            .iter()
            .map(|f| FieldSource { name: f.name.trim().to_string(), value: f.value.trim().to_string() })
            .filter(|f| !(f.name.is_empty() && f.value.is_empty()))
            .collect();
        if sources.len() > MAX_FIELDS {
            return Err(Error::Invalid(format!("Fields are too many (maximum is {MAX_FIELDS})")));
        }
        if sources.iter().any(|f| f.name.chars().count() > MAX_FIELD_NAME || f.value.chars().count() > MAX_FIELD_VALUE) {
            return Err(Error::Invalid("Field is too long".into()));
        }
        let rendered: Vec<Field> = sources
            .iter()
            .map(|f| {
                let value = text::inline_html(&f.value, public_url);
                let verified_at = current.iter().find(|old| old.value == value).and_then(|old| old.verified_at.clone());
                Field { name: f.name.clone(), value, verified_at }
            })
            .collect();
        update.fields = Some((to_json(&rendered), to_json(&sources)));
    }
    Ok(update)
}

/// An ISO 639 code, with a region as Mastodon's posting languages have (`zh-TW`).
fn is_language_code(code: &str) -> bool {
    let (language, region) = code.split_once('-').unwrap_or((code, "AA"));
    (2..=3).contains(&language.len()) && language.bytes().all(|b| b.is_ascii_lowercase())
        && (2..=8).contains(&region.len()) && region.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// Serializes our own field lists; they hold only strings, so this cannot fail.
fn to_json(value: &impl Serialize) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "[]".into())
}

/// The owner's fields as typed, in the order of the rendered ones.
pub fn typed_fields(owner: &Owner) -> Vec<FieldSource> {
    serde_json::from_str(&owner.user.fields_source).unwrap_or_default()
}

/// The fields still to verify: unverified, their value a web address, and the rendered field
/// at the same place rendered from that very value (so a verification lands on the field whose
/// page was read, even if the two lists ever disagreed).
fn unverified_links(owner: &Owner, public_url: &str) -> Vec<(usize, url::Url)> {
    unverified_links_of(&fields(&owner.account), &typed_fields(owner), public_url)
}

fn unverified_links_of(rendered: &[Field], typed: &[FieldSource], public_url: &str) -> Vec<(usize, url::Url)> {
    typed
        .iter()
        .zip(rendered)
        .enumerate()
        .filter(|(_, (source, field))| field.verified_at.is_none() && field.value == text::inline_html(&source.value, public_url))
        .filter_map(|(index, (source, _))| Some((index, verifiable_url(&source.value)?)))
        .collect()
}

/// Whether an answer is a web page (a JSON API or a text file that echoes what it is asked
/// must not verify anything).
fn is_html(response: &crate::ctx::HttpResponse) -> bool {
    let media_type = response.header("content-type").unwrap_or_default().split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    matches!(media_type.as_str(), "text/html" | "application/xhtml+xml")
}

/// Checks each unverified field that names a web page (the queue's `VerifyLinks`): the page is
/// fetched, through the address guard and at most `MAX_LINKED_PAGE_BYTES` of it, and the field
/// is verified when the page links back to the profile with `rel="me"`. A page that cannot be
/// read leaves its field unverified; the next change of the fields tries again.
pub async fn verify_links(ctx: &Ctx<'_>) -> Result<()> {
    // Read afresh, not from this isolate's cache: the write below must start from what is stored.
    owner::invalidate(ctx);
    let owner = owner::load(ctx).await?;
    let mut fields = fields(&owner.account);
    let profile_urls: Vec<&str> = [owner.account.url.as_deref().unwrap_or_default(), owner.account.uri.as_str()].into_iter().filter(|u| !u.is_empty()).collect();
    let mut verified = false;
    for (index, url) in unverified_links(&owner, &ctx.config.public_url) {
        let request = HttpRequest {
            method: "GET",
            url: url.to_string(),
            headers: vec![("accept".into(), "text/html".into()), ("user-agent".into(), fetch::user_agent(ctx))],
            body: None,
        };
        let page = match fetch::send(ctx, request, MAX_LINKED_PAGE_BYTES).await {
            Ok(response) if response.status == 200 && is_html(&response) => String::from_utf8_lossy(&response.body).into_owned(),
            _ => continue,
        };
        if links_back_in(&page, &profile_urls) {
            fields[index].verified_at = Some(iso8601(ctx.now_ms()));
            verified = true;
        }
    }
    if verified {
        // Only over the fields that were read: a profile saved meanwhile wins, and its own
        // verification is queued with it.
        ctx.db.run(&accounts::set_fields(owner.account.id, &to_json(&fields), &owner.account.fields)).await?;
        owner::invalidate(ctx);
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn field(name: &str, value: &str) -> FieldSource {
        FieldSource { name: name.into(), value: value.into() }
    }

    #[test]
    fn a_profile_change_renders_note_and_fields() {
        let change = ProfileChange {
            display_name: Some(" Alice ".into()),
            note: Some("Hi #rust".into()),
            fields: Some(vec![field("Web", " https://a.example "), field("", "")]),
            locked: Some(true),
            ..Default::default()
        };
        let u = validate(&change, &[], "https://s.example").unwrap();
        assert_eq!(u.display_name.as_deref(), Some("Alice"));
        assert!(u.note_html.unwrap().contains("class=\"mention hashtag\""));
        let (fields, source) = u.fields.unwrap();
        assert!(fields.contains("<span class=\\\"invisible\\\">https://</span>"), "{fields}");
        assert_eq!(source, r#"[{"name":"Web","value":"https://a.example"}]"#);
        assert_eq!((u.locked, u.bot), (Some(true), None));
    }

    #[test]
    fn a_field_keeps_its_verification_while_its_value_is_unchanged() {
        let rendered = text::inline_html("https://a.example", "https://s.example");
        let current = [Field { name: "Web".into(), value: rendered, verified_at: Some("2026-01-01T00:00:00.000Z".into()) }];
        let change = |value: &str| ProfileChange { fields: Some(vec![field("Site", value)]), ..Default::default() };
        let kept: Vec<Field> = serde_json::from_str(&validate(&change("https://a.example"), &current, "https://s.example").unwrap().fields.unwrap().0).unwrap();
        assert_eq!(kept[0].verified_at.as_deref(), Some("2026-01-01T00:00:00.000Z"));
        let changed: Vec<Field> = serde_json::from_str(&validate(&change("https://b.example"), &current, "https://s.example").unwrap().fields.unwrap().0).unwrap();
        assert_eq!(changed[0].verified_at, None);
    }

    #[test]
    fn invalid_profile_changes_are_refused_whole() {
        let refused = |change: ProfileChange| validate(&change, &[], "").is_err();
        assert!(refused(ProfileChange { display_name: Some("x".repeat(31)), ..Default::default() }));
        assert!(refused(ProfileChange { note: Some("x".repeat(501)), ..Default::default() }));
        assert!(refused(ProfileChange { fields: Some((0..5).map(|i| field(&format!("n{i}"), "v")).collect()), ..Default::default() }));
        assert!(refused(ProfileChange { fields: Some(vec![field("n", &"v".repeat(256))]), ..Default::default() }));
        let preferences = |preferences: PreferencesChange| ProfileChange { preferences, ..Default::default() };
        assert!(refused(preferences(PreferencesChange { default_language: Some("english".into()), ..Default::default() })));
        assert!(refused(preferences(PreferencesChange { expand_media: Some("always".into()), ..Default::default() })));
        assert!(!refused(preferences(PreferencesChange { default_language: Some("zh-TW".into()), ..Default::default() })));
        assert!(!refused(preferences(PreferencesChange { default_language: Some(String::new()), ..Default::default() })));
    }
}
