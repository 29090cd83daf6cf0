-- Web Push subscriptions (/api/v1/push/subscription): one per access token, gone with it. The
-- token is kept because the payload names it (`access_token`): the official apps find the
-- account a notification belongs to by it, as Mastodon sends it.
CREATE TABLE push_subscriptions (
  id INTEGER PRIMARY KEY,
  token_id INTEGER NOT NULL UNIQUE REFERENCES oauth_tokens (id) ON DELETE CASCADE,
  account_id INTEGER NOT NULL REFERENCES accounts (id),
  endpoint TEXT NOT NULL,
  p256dh TEXT NOT NULL,                  -- base64url, an uncompressed P-256 point
  auth TEXT NOT NULL,                    -- base64url, 16 bytes
  standard INTEGER NOT NULL DEFAULT 0,   -- 1: RFC 8291 aes128gcm; 0: the aesgcm draft
  alerts TEXT NOT NULL DEFAULT '{}',     -- JSON {"mention": true, ...}
  policy TEXT NOT NULL DEFAULT 'all',    -- all, followed, follower, none
  access_token TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX push_subscriptions_account ON push_subscriptions (account_id);
