//! Serde types shaped exactly like <https://docs.joinmastodon.org/entities/>, rendered from store
//! rows. Every field strict clients decode is always present (shared/CLIENT-COMPAT.md §2.3).
//! One naming scheme: `X::from_row(row, …)` (or `from_row` for a `Value` entity) converts what
//! it is given and looks nothing up; `render_one` / `render_many` load what an entity refers to
//! (accounts, media, polls, relationships) in a fixed number of queries and convert.
pub mod account;
pub mod application;
pub mod media;
pub mod poll;
pub mod status;

/// The `emojis` of an entity from its row's JSON, with Mastodon's `CustomEmoji` fields only:
/// our own texts' entries also carry what their `Emoji` tags need (`app::custom_emojis`).
pub fn custom_emojis(column: &str) -> Vec<serde_json::Value> {
    const FIELDS: [&str; 5] = ["shortcode", "url", "static_url", "visible_in_picker", "category"];
    let entries: Vec<serde_json::Value> = serde_json::from_str(column).unwrap_or_default();
    entries
        .into_iter()
        .filter_map(|entry| match entry {
            serde_json::Value::Object(mut map) => {
                map.retain(|key, _| FIELDS.contains(&key.as_str()));
                Some(serde_json::Value::Object(map))
            }
            _ => None,
        })
        .collect()
}
