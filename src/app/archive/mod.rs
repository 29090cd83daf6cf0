//! The owner's account as a Mastodon archive: written out (`export`) as Mastodon's
//! `BackupService` lays one out, so that tools made for Mastodon archives read it, and the posts
//! of one read back in (`import`), from Mastodon or from another Topi.
//!
//! An archive is a zip of `outbox.json` (an `OrderedCollection` of the Create activity of every
//! post, and the Announce of every boost, oldest first), `media_attachments/files/…` (each
//! stored file of those posts, at the path its attachment's `url` names), `likes.json` and
//! `bookmarks.json` (collections of post URIs), `avatar.*` and `header.*`, and `actor.json`
//! (the Person, its `outbox`, `likes`, `bookmarks`, `icon` and `image` pointing into the zip).
//! It can be far larger than a Worker's memory and than what one invocation may spend, so it is
//! written a step at a time by queue tasks (`export::step`) into one R2 object through a
//! multipart upload (`writer`).
pub mod export;
pub mod import;
mod import_files;
mod ingest;
pub use ingest::servable_type;
mod items;
mod phases;
mod scan;
mod writer;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod import_tests;

use serde_json::{json, Value};

use crate::activitypub::{ACTIVITYSTREAMS, SECURITY_V1};

/// A multipart upload's part: R2 wants every part but the last the same size, at least 5 MiB,
/// and the smallest keeps what one step holds in memory small.
pub const PART_BYTES: usize = crate::ctx::MIN_PART_BYTES;

/// Where a stored file of a post is in the archive, and what its attachment's `url` says there:
/// Mastodon's layout (`media_attachments/files/<id in groups of three digits>/original/<file>`).
///
/// ```
/// assert_eq!(
///     topi::app::archive::media_path(113_456_789_012_345_678, "media/113456789012345678/original.png"),
///     "media_attachments/files/113/456/789/012/345/678/original/113456789012345678.png"
/// );
/// ```
pub fn media_path(id: i64, r2_key: &str) -> String {
    let digits = id.to_string();
    let padded = format!("{}{digits}", "0".repeat((3 - digits.len() % 3) % 3));
    let groups: Vec<&str> = padded.as_bytes().chunks(3).map(|c| std::str::from_utf8(c).unwrap_or("000")).collect();
    let extension = r2_key.rsplit_once('.').map(|(_, e)| e).filter(|e| !e.contains('/')).unwrap_or("bin");
    format!("media_attachments/files/{}/original/{id}.{extension}", groups.join("/"))
}

/// The JSON-LD context of `outbox.json`: ActivityStreams, security, and the terms of Mastodon's
/// posts and profiles (Mastodon's `full_context`).
pub fn context() -> Value {
    json!([
        ACTIVITYSTREAMS,
        SECURITY_V1,
        {
            "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
            "sensitive": "as:sensitive",
            "Hashtag": "as:Hashtag",
            "movedTo": {"@id": "as:movedTo", "@type": "@id"},
            "alsoKnownAs": {"@id": "as:alsoKnownAs", "@type": "@id"},
            "toot": "http://joinmastodon.org/ns#",
            "featured": {"@id": "toot:featured", "@type": "@id"},
            "featuredTags": {"@id": "toot:featuredTags", "@type": "@id"},
            "blurhash": "toot:blurhash",
            "focalPoint": {"@container": "@list", "@id": "toot:focalPoint"},
            "votersCount": "toot:votersCount",
            "discoverable": "toot:discoverable",
            "indexable": "toot:indexable",
            "schema": "http://schema.org#",
            "PropertyValue": "schema:PropertyValue",
            "value": "schema:value",
        }
    ])
}
