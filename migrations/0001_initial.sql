-- The whole product's schema, designed up front so that later features add rows, not tables.
-- Conventions: ids are snowflakes (INTEGER, bound as decimal strings, read back with
-- CAST(id AS TEXT) because D1's JS API has no BigInt); times are Unix milliseconds (INTEGER);
-- booleans are 0/1; JSON documents are TEXT. Local and remote accounts and statuses share tables
-- so that one rendering path serves both.

-- Accounts: the owner (domain IS NULL) and every remote actor we know of.
CREATE TABLE accounts (
  id INTEGER PRIMARY KEY,
  username TEXT NOT NULL,
  domain TEXT,                          -- NULL for local accounts
  uri TEXT NOT NULL UNIQUE,             -- ActivityPub id
  url TEXT,                             -- human profile page
  display_name TEXT NOT NULL DEFAULT '',
  note TEXT NOT NULL DEFAULT '',        -- HTML as rendered (local) or sanitized (remote)
  fields TEXT NOT NULL DEFAULT '[]',    -- JSON [{name, value, verified_at}] with value as HTML
  avatar_media_id INTEGER,
  header_media_id INTEGER,
  avatar_remote_url TEXT,
  header_remote_url TEXT,
  locked INTEGER NOT NULL DEFAULT 0,
  bot INTEGER NOT NULL DEFAULT 0,
  group_actor INTEGER NOT NULL DEFAULT 0,
  discoverable INTEGER NOT NULL DEFAULT 1,
  indexable INTEGER NOT NULL DEFAULT 0,
  hide_collections INTEGER NOT NULL DEFAULT 0,
  emojis TEXT NOT NULL DEFAULT '[]',
  actor_type TEXT NOT NULL DEFAULT 'Person',
  inbox_url TEXT,
  shared_inbox_url TEXT,
  outbox_url TEXT,
  followers_url TEXT,
  following_url TEXT,
  featured_url TEXT,
  public_key_id TEXT,
  public_key_pem TEXT,
  also_known_as TEXT NOT NULL DEFAULT '[]',
  moved_to_account_id INTEGER,
  followers_count INTEGER NOT NULL DEFAULT 0,
  following_count INTEGER NOT NULL DEFAULT 0,
  statuses_count INTEGER NOT NULL DEFAULT 0,
  last_status_at INTEGER,
  suspended_at INTEGER,
  fetched_at INTEGER,                   -- remote: last successful actor fetch
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX accounts_handle ON accounts (lower(username), ifnull(lower(domain), ''));
CREATE INDEX accounts_public_key_id ON accounts (public_key_id);

-- Secrets and settings of local accounts. Private keys never leave this table.
CREATE TABLE local_users (
  account_id INTEGER PRIMARY KEY REFERENCES accounts (id),
  email TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  role TEXT NOT NULL DEFAULT 'Owner',
  note_source TEXT NOT NULL DEFAULT '',  -- the plain text the owner typed
  fields_source TEXT NOT NULL DEFAULT '[]',
  rsa_private_key_pem TEXT NOT NULL,     -- PKCS#8, for HTTP signatures
  ed25519_private_key TEXT NOT NULL,     -- base64 seed, for FEP-8b32 proofs
  ed25519_public_key TEXT NOT NULL,      -- base64
  default_privacy TEXT NOT NULL DEFAULT 'public',
  default_sensitive INTEGER NOT NULL DEFAULT 0,
  default_language TEXT,
  expand_media TEXT NOT NULL DEFAULT 'default',
  expand_spoilers INTEGER NOT NULL DEFAULT 0,
  settings TEXT NOT NULL DEFAULT '{}',
  created_at INTEGER NOT NULL
);

-- Instance-wide keys (one row, id 1): the instance actor's RSA key, which signs outbound
-- fetches, and the VAPID key pair for Web Push.
CREATE TABLE instance_keys (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  rsa_private_key_pem TEXT NOT NULL,
  rsa_public_key_pem TEXT NOT NULL,
  vapid_private_key_pem TEXT NOT NULL,
  vapid_public_key TEXT NOT NULL,        -- uncompressed P-256 point, base64url
  created_at INTEGER NOT NULL
);

-- OAuth 2 ---------------------------------------------------------------------------------------
CREATE TABLE oauth_apps (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  website TEXT,
  redirect_uris TEXT NOT NULL,          -- newline-separated
  scopes TEXT NOT NULL,
  client_id TEXT NOT NULL UNIQUE,
  client_secret_hash TEXT NOT NULL,     -- SHA-256 hex: secrets are shown once, never stored
  created_at INTEGER NOT NULL
);

CREATE TABLE oauth_codes (
  code_hash TEXT PRIMARY KEY,
  app_id INTEGER NOT NULL REFERENCES oauth_apps (id) ON DELETE CASCADE,
  account_id INTEGER NOT NULL REFERENCES accounts (id),
  redirect_uri TEXT NOT NULL,
  scopes TEXT NOT NULL,
  code_challenge TEXT,
  code_challenge_method TEXT,
  expires_at INTEGER NOT NULL,
  used_at INTEGER
);

CREATE TABLE oauth_tokens (
  id INTEGER PRIMARY KEY,
  token_hash TEXT NOT NULL UNIQUE,      -- SHA-256 hex of the bearer token
  app_id INTEGER NOT NULL REFERENCES oauth_apps (id) ON DELETE CASCADE,
  account_id INTEGER REFERENCES accounts (id), -- NULL for client_credentials tokens
  scopes TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  last_used_at INTEGER,
  revoked_at INTEGER
);
CREATE INDEX oauth_tokens_app ON oauth_tokens (app_id);

-- Fixed-window counters for things that must be rate limited (password attempts, ...).
CREATE TABLE rate_limits (
  key TEXT PRIMARY KEY,
  window_start INTEGER NOT NULL,
  count INTEGER NOT NULL
);

-- Media (R2 objects) ----------------------------------------------------------------------------
CREATE TABLE media_attachments (
  id INTEGER PRIMARY KEY,
  account_id INTEGER NOT NULL REFERENCES accounts (id),
  status_id INTEGER,
  type TEXT NOT NULL DEFAULT 'image',   -- image | gifv | video | audio | unknown
  r2_key TEXT,                          -- local files
  thumbnail_r2_key TEXT,
  remote_url TEXT,                      -- remote files we only link to
  content_type TEXT,
  file_size INTEGER,
  description TEXT,
  blurhash TEXT,
  meta TEXT NOT NULL DEFAULT '{}',
  focus_x REAL,
  focus_y REAL,
  created_at INTEGER NOT NULL
);
CREATE INDEX media_status ON media_attachments (status_id);
CREATE INDEX media_unattached ON media_attachments (account_id, status_id, created_at);

-- Statuses --------------------------------------------------------------------------------------
CREATE TABLE statuses (
  id INTEGER PRIMARY KEY,
  uri TEXT NOT NULL UNIQUE,
  url TEXT,
  account_id INTEGER NOT NULL REFERENCES accounts (id),
  local INTEGER NOT NULL,
  visibility TEXT NOT NULL,             -- public | unlisted | private | direct
  content TEXT NOT NULL DEFAULT '',     -- HTML
  text TEXT,                            -- source text of local statuses
  spoiler_text TEXT NOT NULL DEFAULT '',
  sensitive INTEGER NOT NULL DEFAULT 0,
  language TEXT,
  in_reply_to_id INTEGER,
  in_reply_to_account_id INTEGER,
  in_reply_to_uri TEXT,                 -- kept when the parent is not (yet) known
  reblog_of_id INTEGER,
  conversation_id INTEGER,
  poll_id INTEGER,
  card TEXT,                            -- JSON PreviewCard
  emojis TEXT NOT NULL DEFAULT '[]',
  application_id INTEGER,
  replies_count INTEGER NOT NULL DEFAULT 0,
  reblogs_count INTEGER NOT NULL DEFAULT 0,
  favourites_count INTEGER NOT NULL DEFAULT 0,
  pinned_at INTEGER,
  edited_at INTEGER,
  deleted_at INTEGER,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX statuses_account ON statuses (account_id, id DESC);
CREATE INDEX statuses_public ON statuses (visibility, local, id DESC) WHERE deleted_at IS NULL AND reblog_of_id IS NULL;
CREATE INDEX statuses_reply ON statuses (in_reply_to_id);
CREATE INDEX statuses_reblog ON statuses (reblog_of_id);
CREATE INDEX statuses_conversation ON statuses (conversation_id);
CREATE INDEX statuses_pinned ON statuses (account_id, pinned_at) WHERE pinned_at IS NOT NULL;

CREATE TABLE status_edits (
  id INTEGER PRIMARY KEY,
  status_id INTEGER NOT NULL REFERENCES statuses (id) ON DELETE CASCADE,
  content TEXT NOT NULL,
  spoiler_text TEXT NOT NULL DEFAULT '',
  sensitive INTEGER NOT NULL DEFAULT 0,
  media_ids TEXT NOT NULL DEFAULT '[]',
  poll_options TEXT,
  created_at INTEGER NOT NULL
);
CREATE INDEX status_edits_status ON status_edits (status_id, id);

CREATE TABLE mentions (
  status_id INTEGER NOT NULL REFERENCES statuses (id) ON DELETE CASCADE,
  account_id INTEGER NOT NULL REFERENCES accounts (id),
  silent INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (status_id, account_id)
);
CREATE INDEX mentions_account ON mentions (account_id, status_id DESC);

CREATE TABLE tags (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,                   -- as first written
  normalized TEXT NOT NULL UNIQUE,      -- lower case, for lookups
  followed_at INTEGER,                  -- the owner follows this tag
  featured_at INTEGER,                  -- featured on the owner's profile
  created_at INTEGER NOT NULL
);

CREATE TABLE status_tags (
  tag_id INTEGER NOT NULL REFERENCES tags (id),
  status_id INTEGER NOT NULL REFERENCES statuses (id) ON DELETE CASCADE,
  PRIMARY KEY (tag_id, status_id)
);
CREATE INDEX status_tags_status ON status_tags (status_id);

CREATE VIRTUAL TABLE statuses_fts USING fts5 (text, content = '', tokenize = 'unicode61 remove_diacritics 2');

CREATE TABLE polls (
  id INTEGER PRIMARY KEY,
  status_id INTEGER NOT NULL REFERENCES statuses (id) ON DELETE CASCADE,
  options TEXT NOT NULL,                -- JSON [{title, votes_count}]
  multiple INTEGER NOT NULL DEFAULT 0,
  hide_totals INTEGER NOT NULL DEFAULT 0,
  votes_count INTEGER NOT NULL DEFAULT 0,
  voters_count INTEGER,
  expires_at INTEGER,
  closed_at INTEGER,
  created_at INTEGER NOT NULL
);
CREATE INDEX polls_open ON polls (expires_at) WHERE closed_at IS NULL;

CREATE TABLE poll_votes (
  id INTEGER PRIMARY KEY,
  poll_id INTEGER NOT NULL REFERENCES polls (id) ON DELETE CASCADE,
  account_id INTEGER NOT NULL REFERENCES accounts (id),
  choice INTEGER NOT NULL,
  uri TEXT,
  created_at INTEGER NOT NULL,
  UNIQUE (poll_id, account_id, choice)
);

CREATE TABLE scheduled_statuses (
  id INTEGER PRIMARY KEY,
  account_id INTEGER NOT NULL REFERENCES accounts (id),
  scheduled_at INTEGER NOT NULL,
  params TEXT NOT NULL,                 -- JSON of the create-status parameters
  created_at INTEGER NOT NULL
);
CREATE INDEX scheduled_statuses_due ON scheduled_statuses (scheduled_at);

CREATE TABLE idempotency_keys (
  account_id INTEGER NOT NULL,
  key TEXT NOT NULL,
  status_id INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (account_id, key)
);

-- Interactions ----------------------------------------------------------------------------------
CREATE TABLE favourites (
  id INTEGER PRIMARY KEY,
  account_id INTEGER NOT NULL REFERENCES accounts (id),
  status_id INTEGER NOT NULL REFERENCES statuses (id) ON DELETE CASCADE,
  uri TEXT,                             -- the Like activity id
  created_at INTEGER NOT NULL,
  UNIQUE (account_id, status_id)
);
CREATE INDEX favourites_status ON favourites (status_id);

CREATE TABLE bookmarks (
  id INTEGER PRIMARY KEY,
  account_id INTEGER NOT NULL REFERENCES accounts (id),
  status_id INTEGER NOT NULL REFERENCES statuses (id) ON DELETE CASCADE,
  created_at INTEGER NOT NULL,
  UNIQUE (account_id, status_id)
);

CREATE TABLE status_mutes (
  account_id INTEGER NOT NULL REFERENCES accounts (id),
  conversation_id INTEGER NOT NULL,
  PRIMARY KEY (account_id, conversation_id)
);

-- Relationships ---------------------------------------------------------------------------------
CREATE TABLE follows (
  id INTEGER PRIMARY KEY,
  account_id INTEGER NOT NULL REFERENCES accounts (id),        -- follower
  target_account_id INTEGER NOT NULL REFERENCES accounts (id), -- followed
  uri TEXT,                                                    -- the Follow activity id
  accepted_at INTEGER,                                         -- NULL while requested
  show_reblogs INTEGER NOT NULL DEFAULT 1,
  notify INTEGER NOT NULL DEFAULT 0,
  languages TEXT,
  created_at INTEGER NOT NULL,
  UNIQUE (account_id, target_account_id)
);
CREATE INDEX follows_target ON follows (target_account_id, accepted_at);

CREATE TABLE blocks (
  id INTEGER PRIMARY KEY,
  account_id INTEGER NOT NULL REFERENCES accounts (id),
  target_account_id INTEGER NOT NULL REFERENCES accounts (id),
  uri TEXT,
  created_at INTEGER NOT NULL,
  UNIQUE (account_id, target_account_id)
);
CREATE INDEX blocks_target ON blocks (target_account_id);

CREATE TABLE mutes (
  id INTEGER PRIMARY KEY,
  account_id INTEGER NOT NULL REFERENCES accounts (id),
  target_account_id INTEGER NOT NULL REFERENCES accounts (id),
  hide_notifications INTEGER NOT NULL DEFAULT 1,
  expires_at INTEGER,
  created_at INTEGER NOT NULL,
  UNIQUE (account_id, target_account_id)
);

CREATE TABLE domain_blocks (
  id INTEGER PRIMARY KEY,
  account_id INTEGER NOT NULL REFERENCES accounts (id),
  domain TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  UNIQUE (account_id, domain)
);

CREATE TABLE account_notes (
  account_id INTEGER NOT NULL REFERENCES accounts (id),
  target_account_id INTEGER NOT NULL REFERENCES accounts (id),
  comment TEXT NOT NULL,
  PRIMARY KEY (account_id, target_account_id)
);

CREATE TABLE endorsements (
  account_id INTEGER NOT NULL REFERENCES accounts (id),
  target_account_id INTEGER NOT NULL REFERENCES accounts (id),
  created_at INTEGER NOT NULL,
  PRIMARY KEY (account_id, target_account_id)
);

-- Lists -----------------------------------------------------------------------------------------
CREATE TABLE lists (
  id INTEGER PRIMARY KEY,
  account_id INTEGER NOT NULL REFERENCES accounts (id),
  title TEXT NOT NULL,
  replies_policy TEXT NOT NULL DEFAULT 'list',
  exclusive INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL
);

CREATE TABLE list_accounts (
  list_id INTEGER NOT NULL REFERENCES lists (id) ON DELETE CASCADE,
  account_id INTEGER NOT NULL REFERENCES accounts (id),
  PRIMARY KEY (list_id, account_id)
);
CREATE INDEX list_accounts_account ON list_accounts (account_id);

-- Home timeline: fan-out on write, so that reading home is one indexed range scan.
CREATE TABLE home_feed (
  account_id INTEGER NOT NULL,
  status_id INTEGER NOT NULL,
  reblog_of_id INTEGER,
  PRIMARY KEY (account_id, status_id)
) WITHOUT ROWID;

-- Notifications, markers, conversations ----------------------------------------------------------
CREATE TABLE notifications (
  id INTEGER PRIMARY KEY,
  account_id INTEGER NOT NULL REFERENCES accounts (id),      -- who is notified
  from_account_id INTEGER NOT NULL REFERENCES accounts (id),
  type TEXT NOT NULL,   -- mention status reblog follow follow_request favourite poll update ...
  status_id INTEGER,
  group_key TEXT NOT NULL,
  dismissed_at INTEGER,
  created_at INTEGER NOT NULL
);
CREATE INDEX notifications_account ON notifications (account_id, id DESC);
CREATE INDEX notifications_group ON notifications (account_id, group_key, id DESC);

CREATE TABLE markers (
  account_id INTEGER NOT NULL REFERENCES accounts (id),
  timeline TEXT NOT NULL,
  last_read_id INTEGER NOT NULL,
  version INTEGER NOT NULL DEFAULT 1,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (account_id, timeline)
);

CREATE TABLE conversations (
  id INTEGER PRIMARY KEY,
  account_id INTEGER NOT NULL REFERENCES accounts (id),
  uri TEXT,                             -- ActivityPub `context`, when the peer sends one
  last_status_id INTEGER,
  unread INTEGER NOT NULL DEFAULT 0,
  removed_at INTEGER,
  updated_at INTEGER NOT NULL
);
CREATE INDEX conversations_account ON conversations (account_id, last_status_id DESC);

-- Filters ---------------------------------------------------------------------------------------
CREATE TABLE filters (
  id INTEGER PRIMARY KEY,
  account_id INTEGER NOT NULL REFERENCES accounts (id),
  title TEXT NOT NULL,
  contexts TEXT NOT NULL,               -- JSON array: home notifications public thread account
  action TEXT NOT NULL DEFAULT 'warn',  -- warn | hide | blur
  expires_at INTEGER,
  created_at INTEGER NOT NULL
);

CREATE TABLE filter_keywords (
  id INTEGER PRIMARY KEY,
  filter_id INTEGER NOT NULL REFERENCES filters (id) ON DELETE CASCADE,
  keyword TEXT NOT NULL,
  whole_word INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE filter_statuses (
  id INTEGER PRIMARY KEY,
  filter_id INTEGER NOT NULL REFERENCES filters (id) ON DELETE CASCADE,
  status_id INTEGER NOT NULL
);

-- Owner-defined instance content ------------------------------------------------------------------
CREATE TABLE announcements (
  id INTEGER PRIMARY KEY,
  content TEXT NOT NULL,
  starts_at INTEGER,
  ends_at INTEGER,
  all_day INTEGER NOT NULL DEFAULT 0,
  published_at INTEGER,
  updated_at INTEGER NOT NULL
);

CREATE TABLE announcement_reads (
  announcement_id INTEGER NOT NULL REFERENCES announcements (id) ON DELETE CASCADE,
  account_id INTEGER NOT NULL,
  PRIMARY KEY (announcement_id, account_id)
);

CREATE TABLE instance_rules (
  id INTEGER PRIMARY KEY,
  text TEXT NOT NULL,
  hint TEXT NOT NULL DEFAULT '',
  position INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE custom_emojis (
  id INTEGER PRIMARY KEY,
  shortcode TEXT NOT NULL,
  domain TEXT,                          -- NULL for our own
  uri TEXT,
  image_url TEXT NOT NULL,
  r2_key TEXT,
  category TEXT,
  visible_in_picker INTEGER NOT NULL DEFAULT 1,
  created_at INTEGER NOT NULL,
  UNIQUE (shortcode, domain)
);

CREATE TABLE reports (
  id INTEGER PRIMARY KEY,
  account_id INTEGER NOT NULL REFERENCES accounts (id),        -- reporter (local or remote)
  target_account_id INTEGER NOT NULL REFERENCES accounts (id),
  status_ids TEXT NOT NULL DEFAULT '[]',
  rule_ids TEXT NOT NULL DEFAULT '[]',
  comment TEXT NOT NULL DEFAULT '',
  category TEXT NOT NULL DEFAULT 'other',
  forwarded INTEGER NOT NULL DEFAULT 0,
  uri TEXT,
  action_taken_at INTEGER,
  created_at INTEGER NOT NULL
);

-- Federation bookkeeping ------------------------------------------------------------------------
-- Every peer domain we have talked to; `unreachable_since` defers deliveries to dead instances.
CREATE TABLE instances (
  domain TEXT PRIMARY KEY,
  software TEXT,
  unreachable_since INTEGER,
  last_failure TEXT,
  last_success_at INTEGER,
  created_at INTEGER NOT NULL
);

-- Outbound activities, kept so that delivery jobs carry only an id and a retry can re-sign.
CREATE TABLE outbox_activities (
  id INTEGER PRIMARY KEY,
  uri TEXT NOT NULL UNIQUE,
  actor_account_id INTEGER NOT NULL,
  body TEXT NOT NULL,                   -- the JSON-LD activity
  created_at INTEGER NOT NULL
);

-- Deliveries that ended without a 2xx: permanent 4xx or retries exhausted (dead-letter queue).
CREATE TABLE delivery_failures (
  id INTEGER PRIMARY KEY,
  activity_id INTEGER NOT NULL,
  inbox_url TEXT NOT NULL,
  attempts INTEGER NOT NULL,
  last_status INTEGER,
  last_error TEXT,
  dead_lettered INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL
);

-- Inbound activity ids already applied, so that a replayed or redelivered activity is a no-op.
CREATE TABLE inbox_seen (
  uri TEXT PRIMARY KEY,
  received_at INTEGER NOT NULL
);
