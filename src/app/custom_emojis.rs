//! The instance's custom emoji (docs/web.md, "Custom emoji"): uploaded by the admin to R2,
//! turned on and off, shown in apps' pickers, and used by the owner's posts, name and bio as
//! `:shortcode:`. Which emoji a text uses is fixed when the text is saved, as the `emojis`
//! JSON of the status or account row (remote posts keep theirs the same way), so that reading a
//! post costs no emoji lookup; the entry also carries what the `Emoji` tag needs (`uri`,
//! `media_type`, `updated`), which the API entities leave out.
use serde_json::{json, Value};

use super::error::{Error, Result};
use crate::activitypub::build;
use crate::config::Config;
use crate::content::{emoji, images};
use crate::ctx::Ctx;
use crate::domain::time::iso8601_seconds as iso8601;
use crate::store::custom_emojis::{self as store, EmojiRow, NewEmoji};
use crate::store::db;

/// Mastodon's limit for a custom emoji's image (`CustomEmoji::LOCAL_LIMIT`).
pub const MAX_IMAGE_BYTES: usize = 256 * 1024;
pub const MAX_CATEGORY_CHARS: usize = 64;
/// The formats Mastodon takes for custom emoji, known by their bytes, never by the file name.
const FORMATS: &[(&str, &str)] = &[("image/png", "png"), ("image/gif", "gif"), ("image/webp", "webp")];

/// An upload from the admin's form.
pub struct Upload<'a> {
    pub shortcode: &'a str,
    pub category: Option<&'a str>,
    pub image: &'a [u8],
}

/// A category as typed: trimmed, empty for none, at most `MAX_CATEGORY_CHARS`.
pub fn category(text: Option<&str>) -> Result<Option<String>> {
    let text = text.map(str::trim).unwrap_or_default();
    if text.chars().count() > MAX_CATEGORY_CHARS {
        return Err(Error::Invalid(format!("Category is too long (maximum is {MAX_CATEGORY_CHARS} characters)")));
    }
    Ok((!text.is_empty()).then(|| text.to_string()))
}

/// The image's media type and file extension, or why it is refused. Pure.
pub fn image_format(image: &[u8]) -> Result<(&'static str, &'static str)> {
    if image.is_empty() {
        return Err(Error::Invalid("Image can't be blank".into()));
    }
    if image.len() > MAX_IMAGE_BYTES {
        return Err(Error::Invalid(format!("Image must be smaller than {} KB", MAX_IMAGE_BYTES / 1024)));
    }
    let sniffed = images::sniff(image);
    let format = FORMATS.iter().find(|(media_type, _)| Some(*media_type) == sniffed);
    let (media_type, extension) = format.ok_or_else(|| Error::Invalid("Image must be a PNG, GIF or WebP file".into()))?;
    if images::dimensions(image).is_none() {
        return Err(Error::Invalid("The image could not be read".into()));
    }
    Ok((media_type, extension))
}

/// Stores a new emoji: checked first, then the image to R2, then the row (the image is removed
/// again if the row cannot be written).
pub async fn create(ctx: &Ctx<'_>, upload: Upload<'_>) -> Result<i64> {
    let shortcode = upload.shortcode.trim().trim_matches(':');
    if !emoji::valid_shortcode(shortcode) {
        return Err(Error::Invalid(format!(
            "Shortcode must be 2 to {} letters, digits or underscores",
            emoji::MAX_SHORTCODE_LEN
        )));
    }
    let category = category(upload.category)?;
    let (media_type, extension) = image_format(upload.image)?;
    if store::shortcode_taken(ctx.db, shortcode).await? {
        return Err(Error::Invalid(format!("Shortcode :{shortcode}: has already been taken")));
    }
    let id = ctx.new_id();
    let key = format!("emojis/{id}.{extension}");
    ctx.blobs.put(&key, upload.image.to_vec(), media_type).await?;
    let new = NewEmoji {
        id,
        shortcode,
        uri: &ctx.config.url(&format!("/emojis/{id}")),
        image_url: &super::profile::media_url(ctx.config, &key),
        r2_key: &key,
        content_type: media_type,
        category: category.as_deref(),
        now: ctx.now_ms(),
    };
    let written = ctx.db.run(&store::create(&new)).await;
    if !matches!(written, Ok(1)) {
        let _ = ctx.blobs.delete(&key).await;
        written?;
        return Err(Error::Invalid(format!("Shortcode :{shortcode}: has already been taken")));
    }
    Ok(id)
}

/// What the admin changes after upload; `None` keeps a value.
pub struct Change {
    pub enabled: Option<bool>,
    pub visible_in_picker: Option<bool>,
    pub category: Option<Option<String>>,
}

pub async fn update(ctx: &Ctx<'_>, id: i64, change: Change) -> Result<()> {
    let changed = ctx
        .db
        .run(&store::update(id, change.enabled.map(|on| !on), change.visible_in_picker, change.category.as_ref().map(|c| c.as_deref())))
        .await?;
    if changed == 0 {
        return Err(Error::NotFound);
    }
    Ok(())
}

/// Deletes the row, then its image. Posts that used it keep their `:shortcode:` text; their
/// image link goes dead, as on Mastodon, which drops the emoji from old posts.
pub async fn delete(ctx: &Ctx<'_>, id: i64) -> Result<()> {
    let row = store::get(ctx.db, id).await?.ok_or(Error::NotFound)?;
    ctx.db.run(&store::delete(id)).await?;
    if let Some(key) = &row.r2_key {
        ctx.blobs.delete(key).await?;
    }
    Ok(())
}

/// Mastodon's `CustomEmoji` entity.
pub fn entity(row: &EmojiRow) -> Value {
    json!({"shortcode": row.shortcode, "url": row.image_url, "static_url": row.image_url,
           "visible_in_picker": row.visible_in_picker, "category": row.category})
}

/// The `emojis` JSON for texts the owner wrote (a post and its content warning; a name and a
/// bio): the enabled emoji they use, found with one query, or none when no text has a
/// `:shortcode:`.
pub async fn used_in(ctx: &Ctx<'_>, texts: &[&str]) -> Result<String> {
    let codes = emoji::shortcodes(texts);
    if codes.is_empty() {
        return Ok("[]".into());
    }
    let rows: Vec<EmojiRow> = db::all(ctx.db, &store::enabled_named(&codes)).await?;
    Ok(stored(&rows, ctx.config).to_string())
}

/// Emoji rows as the `emojis` column holds them for our own texts.
pub fn stored(rows: &[EmojiRow], config: &Config) -> Value {
    Value::Array(
        rows.iter()
            .map(|row| {
                let mut entry = entity(row);
                entry["uri"] = json!(uri(row, config));
                entry["media_type"] = json!(row.content_type.as_deref().unwrap_or("image/png"));
                entry["updated"] = json!(iso8601(row.updated_at.unwrap_or(row.created_at)));
                entry
            })
            .collect(),
    )
}

fn uri(row: &EmojiRow, config: &Config) -> String {
    row.uri.clone().unwrap_or_else(|| config.url(&format!("/emojis/{}", row.id)))
}

/// The `Emoji` tags of one of our documents, from its `emojis` JSON (entries without a `uri`
/// are not ours and are left out).
pub fn tags(emojis: &str) -> Vec<Value> {
    let entries: Vec<Value> = serde_json::from_str(emojis).unwrap_or_default();
    entries
        .iter()
        .filter_map(|e| {
            Some(build::emoji(
                e["uri"].as_str()?,
                e["shortcode"].as_str()?,
                e["media_type"].as_str()?,
                e["url"].as_str()?,
                e["updated"].as_str()?,
            ))
        })
        .collect()
}

/// `GET /emojis/:id`: the emoji as its own ActivityPub object, which `Emoji` tags name.
pub async fn object(ctx: &Ctx<'_>, id: i64) -> Result<Value> {
    let row = store::get(ctx.db, id).await?.ok_or(Error::NotFound)?;
    let mut object = build::emoji(
        &uri(&row, ctx.config),
        &row.shortcode,
        row.content_type.as_deref().unwrap_or("image/png"),
        &row.image_url,
        &iso8601(row.updated_at.unwrap_or(row.created_at)),
    );
    object["@context"] = build::emoji_context();
    Ok(object)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn images_are_known_by_their_bytes_and_bounded() {
        let png = include_bytes!("../../frontend/static/missing.png");
        assert_eq!(image_format(png).unwrap(), ("image/png", "png"));
        assert!(matches!(image_format(b"<svg onload=alert(1)>"), Err(Error::Invalid(_))));
        assert!(matches!(image_format(b"\xff\xd8\xff\xe0 jpeg"), Err(Error::Invalid(_))));
        assert!(matches!(image_format(b""), Err(Error::Invalid(_))));
        let mut big = png.to_vec();
        big.resize(MAX_IMAGE_BYTES + 1, 0);
        assert!(matches!(image_format(&big), Err(Error::Invalid(m)) if m.contains("256 KB")));
        // Truncated after the signature: not an image we could show.
        assert!(matches!(image_format(&png[..10]), Err(Error::Invalid(_))));
    }

    #[test]
    fn categories_are_trimmed_and_bounded() {
        assert_eq!(category(Some("  Blobs ")).unwrap().as_deref(), Some("Blobs"));
        assert_eq!(category(Some("  ")).unwrap(), None);
        assert!(category(Some(&"é".repeat(65))).is_err());
    }

    #[test]
    fn stored_emoji_become_tags_and_remote_ones_do_not() {
        let config = crate::config::for_tests();
        let row = EmojiRow {
            id: 7,
            shortcode: "blob".into(),
            uri: Some("https://me.example/emojis/7".into()),
            image_url: "https://me.example/media/emojis/7.png".into(),
            r2_key: Some("emojis/7.png".into()),
            content_type: Some("image/png".into()),
            category: None,
            visible_in_picker: true,
            disabled: false,
            created_at: 0,
            updated_at: Some(0),
        };
        let mut column = stored(&[row], &config);
        column.as_array_mut().unwrap().push(json!({"shortcode": "cow", "url": "https://x.example/cow.png", "static_url": "https://x.example/cow.png", "visible_in_picker": false}));
        let tags = tags(&column.to_string());
        assert_eq!(tags, vec![json!({"id": "https://me.example/emojis/7", "type": "Emoji", "name": ":blob:", "updated": "1970-01-01T00:00:00Z",
            "icon": {"type": "Image", "mediaType": "image/png", "url": "https://me.example/media/emojis/7.png"}})]);
    }

    /// Posting with a `:shortcode:` costs one round trip more (the emoji read), and none without;
    /// the status lists the emoji with Mastodon's fields only, the Note tags it.
    #[tokio::test(flavor = "current_thread")]
    async fn a_post_with_a_shortcode_lists_and_tags_its_emoji_for_one_more_round_trip() {
        use crate::edge::http::Method::{Get, Post};
        let env = crate::testing::TestEnv::new();
        let token = env.owner_token().await;
        let ctx = env.ctx();
        let png = include_bytes!("../../frontend/static/missing.png");
        create(&ctx, Upload { shortcode: "blob", category: Some("Blobs"), image: png }).await.unwrap();
        let off = create(&ctx, Upload { shortcode: "off", category: None, image: png }).await.unwrap();
        update(&ctx, off, Change { enabled: Some(false), visible_in_picker: None, category: None }).await.unwrap();
        assert_eq!(env.blobs.keys().len(), 2);
        assert!(matches!(create(&ctx, Upload { shortcode: "blob", category: None, image: png }).await, Err(Error::Invalid(_))));
        assert_eq!(env.blobs.keys().len(), 2, "a refused upload stores nothing");

        let (_, listed) = env.send(Get, "/api/v1/custom_emojis", "").await;
        assert_eq!(listed.as_array().unwrap().iter().map(|e| e["shortcode"].as_str().unwrap()).collect::<Vec<_>>(), vec!["blob"]);

        env.send_as(&token, Post, "/api/v1/statuses", "status=warm").await;
        env.db.round_trips.set(0);
        env.send_as(&token, Post, "/api/v1/statuses", "status=plain+text").await;
        let plain = env.db.round_trips.get();
        env.db.round_trips.set(0);
        let (response, status) = env.send_as(&token, Post, "/api/v1/statuses", "status=hi+:blob:+:off:+:nope:&spoiler_text=:blob:").await;
        let with_emoji = env.db.round_trips.get();
        assert_eq!((response.status, with_emoji), (200, plain + 1), "{status}");
        assert_eq!(status["emojis"], json!([{"shortcode": "blob", "url": status["emojis"][0]["url"], "static_url": status["emojis"][0]["url"],
            "visible_in_picker": true, "category": "Blobs"}]));
        let path = status["uri"].as_str().unwrap().split_once("://").unwrap().1.split_once('/').unwrap().1;
        let (_, note) = env.send_with(Get, &format!("/{path}"), &[("accept", "application/activity+json".into())], "").await;
        let emoji_tags: Vec<&Value> = note["tag"].as_array().unwrap().iter().filter(|t| t["type"] == "Emoji").collect();
        assert_eq!(emoji_tags.len(), 1, "{note}");
        assert_eq!((emoji_tags[0]["name"].as_str(), emoji_tags[0]["icon"]["mediaType"].as_str()), (Some(":blob:"), Some("image/png")));
        let emoji_path = emoji_tags[0]["id"].as_str().unwrap().split_once("://").unwrap().1.split_once('/').unwrap().1.to_string();
        let (response, object) = env.send(Get, &format!("/{emoji_path}"), "").await;
        assert_eq!((response.status, &object["name"], &object["icon"]), (200, &emoji_tags[0]["name"], &emoji_tags[0]["icon"]));
    }
}
