-- The admin can turn a custom emoji off without deleting it (/admin/custom_emojis, Mastodon's
-- `disabled`): it stays stored, but is no longer listed in /api/v1/custom_emojis nor used in
-- new posts. `updated_at` is what the Emoji object's `updated` says, so that peers refetch.
ALTER TABLE custom_emojis ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0;
ALTER TABLE custom_emojis ADD COLUMN content_type TEXT;
ALTER TABLE custom_emojis ADD COLUMN updated_at INTEGER;
