-- Reports get handled (/admin/reports, app::reports): what was done about one, and the two
-- per-account moderation states Mastodon's admin applies to a remote account.
-- `action_taken`: 'resolve' (closed as it was), 'limit', 'suspend' or 'block_domain'; NULL while
-- open (reopening clears it with `action_taken_at`).
ALTER TABLE reports ADD COLUMN action_taken TEXT;
-- Mastodon's "limit": the account's posts stay off the public timelines (unless followed) and
-- its follows wait for approval.
ALTER TABLE accounts ADD COLUMN silenced_at INTEGER;
-- Who suspended the account: 'local' (the admin: kept through actor refreshes, and the inbox
-- refuses the actor before fetching anything) or NULL (deleted at its origin, or its domain is
-- suspended: a refresh or lifting the block brings it back).
ALTER TABLE accounts ADD COLUMN suspension_origin TEXT;
CREATE INDEX accounts_locally_suspended ON accounts (suspension_origin) WHERE suspension_origin IS NOT NULL;
