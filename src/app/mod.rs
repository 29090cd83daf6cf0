//! The use cases: what Topi does, whoever asks. The Mastodon API, the inbox, the web pages, the
//! cron and the queue consumer all call in here with typed commands; nothing here knows HTTP,
//! routes or any API's JSON, and errors say *refuse* or *retry later* (`error`), never a status.
//!
//! - `owner`      the instance's local account: first-start bootstrap, keys, password checks.
//! - `posting`    composing and publishing the owner's posts (`NewPost`), now or when scheduled.
//! - `polls`      poll rules, votes, and closing ended polls.
//! - `remote`     remote actors and posts: resolved, fetched and stored.
//! - `retention`  forgetting old remote posts nobody here needs (the cron).
//! - `profile`    how an account presents itself to any surface: images, fields, media URLs.
//! - `documents`  our rows as ActivityStreams documents (a Note, the owner's Person).
//! - `jobs`       the queue's messages: events for other servers, and federation tasks.
//! - `instance`   what the instance tells about itself (counts, version, limits).
//! - `live`       what streaming clients hear of: each write records its happening.
//! - `push`       Web Push subscriptions, and notifications encrypted to phones.
//! - `imports`    Mastodon's CSV files imported through the queue in batches; `exports` writes them.
//! - `public`     what anyone may read without signing in: the public pages' and feeds' posts.
//! - `archive`    the owner's account as a Mastodon archive (a zip written by queue steps).
//! - `sessions`   the owner's browser sessions; `two_factor` TOTP and recovery codes.
//! - `tokens`     the owner's OAuth tokens: which apps hold one, revoking them.
//! - `moving`     aliases and moving the owner's account elsewhere; `media` uploaded files.
//! - `custom_emojis` the instance's emoji: uploads, state, and which ones a text uses.
//! - `moderation` instance domain blocks and what federation asks of them; `reports` the queue.
pub mod announcements;
pub mod archive;
pub mod custom_emojis;
pub mod documents;
pub mod error;
pub mod exports;
pub mod imports;
pub mod instance;
pub mod jobs;
pub mod live;
pub mod media;
pub mod moving;
pub mod moderation;
pub mod owner;
pub mod polls;
pub mod profile;
pub mod public;
pub mod push;
pub mod posting;
pub mod relationships;
pub mod remote;
pub mod reports;
pub mod retention;
pub mod sessions;
pub mod tokens;
pub mod two_factor;
