-- Imports of a Mastodon archive (app::archive::import): the zip is uploaded in chunks into one R2
-- object (a multipart upload), then queue steps read its outbox and create the posts in it.
-- Its own migration: 0012 (the export) was already applied where the export shipped.
CREATE TABLE archive_imports (
  id INTEGER PRIMARY KEY,
  state TEXT NOT NULL,                  -- uploading | importing | paused | done | failed
  step INTEGER NOT NULL DEFAULT 0,
  phase TEXT NOT NULL DEFAULT 'open',   -- open | posts | boosts | media | done
  r2_key TEXT NOT NULL,
  upload_id TEXT,
  size INTEGER NOT NULL,                -- bytes the client announced
  chunks TEXT NOT NULL DEFAULT '[]',    -- JSON [[number, etag]] of the chunks received
  outbox TEXT,                          -- JSON: where outbox.json is in the zip, and how far it was read
  cursor INTEGER NOT NULL DEFAULT 0,    -- directory records read, the last boost or media row done
  file TEXT,                            -- JSON: a large deflated file being inflated across steps
  posts_total INTEGER,                  -- the outbox's totalItems
  posts_created INTEGER NOT NULL DEFAULT 0,
  posts_existing INTEGER NOT NULL DEFAULT 0,
  posts_skipped INTEGER NOT NULL DEFAULT 0,
  media_copied INTEGER NOT NULL DEFAULT 0,
  media_skipped INTEGER NOT NULL DEFAULT 0,
  skipped TEXT NOT NULL DEFAULT '[]',   -- JSON [[item, reason]]: the first hundred left out, and why
  day TEXT,                             -- the UTC day `day_posts` counts (imports are paced)
  day_posts INTEGER NOT NULL DEFAULT 0,
  error TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  finished_at INTEGER
);

-- The imported zip's directory: where each file is (read once, then looked up by name).
CREATE TABLE archive_import_files (
  import_id INTEGER NOT NULL,
  name TEXT NOT NULL,
  method INTEGER NOT NULL,
  offset INTEGER NOT NULL,
  compressed_size INTEGER NOT NULL,
  size INTEGER NOT NULL,
  PRIMARY KEY (import_id, name)
) WITHOUT ROWID;

-- Files to copy into R2 for the media rows the posts were created with.
CREATE TABLE archive_import_media (
  import_id INTEGER NOT NULL,
  media_id INTEGER NOT NULL,
  name TEXT NOT NULL,
  PRIMARY KEY (import_id, media_id)
) WITHOUT ROWID;

-- Every post an import created, by the id it had in the archive: importing again (the same
-- archive, or one that overlaps) creates nothing new, and replies find their parents.
CREATE TABLE archive_imported_posts (
  source TEXT PRIMARY KEY,
  status_id INTEGER NOT NULL
) WITHOUT ROWID;

-- Boosts read from the outbox, re-linked to their originals in a phase of their own: an original
-- not stored here is fetched, one a step.
CREATE TABLE archive_import_boosts (
  import_id INTEGER NOT NULL,
  status_id INTEGER NOT NULL,           -- the boost's id to be, made from its date
  source TEXT NOT NULL,                 -- the Announce's id in the archive
  object TEXT NOT NULL,                 -- the original's URI
  created_at INTEGER NOT NULL,
  visibility TEXT NOT NULL,
  PRIMARY KEY (import_id, status_id)
) WITHOUT ROWID;
