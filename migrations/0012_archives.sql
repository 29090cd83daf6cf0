-- Archives of the owner's account in Mastodon's format (app::archive, docs/api.md "Archives"):
-- a zip written to R2 by queue steps, each appending what fits one invocation of the free plan,
-- through a multipart upload. One row per export; the zip's directory and the uploaded parts are
-- kept beside it until the upload is completed.
CREATE TABLE archive_exports (
  id INTEGER PRIMARY KEY,
  state TEXT NOT NULL,                  -- running | done | failed
  step INTEGER NOT NULL DEFAULT 0,      -- steps taken; a queue message runs the one it names
  phase TEXT NOT NULL,                  -- outbox media likes bookmarks avatar header actor directory
  cursor INTEGER NOT NULL DEFAULT 0,    -- the last status, media or favourite id the phase wrote
  entry TEXT,                           -- JSON: the zip entry being written across steps
  r2_key TEXT NOT NULL,                 -- where the finished zip is stored
  upload_id TEXT,                       -- its R2 multipart upload
  parts INTEGER NOT NULL DEFAULT 0,     -- parts uploaded, each `app::archive::PART_BYTES`
  segments TEXT NOT NULL DEFAULT '[]',  -- JSON [[step, start, length]]: bytes after them, in R2
  pending INTEGER NOT NULL DEFAULT 0,   -- and after those, the bytes a step carried,
  carry_step INTEGER NOT NULL DEFAULT 0, -- under that step's number
  entries INTEGER NOT NULL DEFAULT 0,   -- zip entries finished
  statuses_total INTEGER NOT NULL DEFAULT 0,
  statuses_done INTEGER NOT NULL DEFAULT 0,
  media_done INTEGER NOT NULL DEFAULT 0,
  size INTEGER,                         -- bytes of the finished zip
  error TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  finished_at INTEGER
);

-- The central directory, written last: one record per finished entry.
CREATE TABLE archive_export_entries (
  archive_id INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  name TEXT NOT NULL,
  crc32 INTEGER NOT NULL,
  size INTEGER NOT NULL,
  offset INTEGER NOT NULL,
  flags INTEGER NOT NULL,
  PRIMARY KEY (archive_id, seq)
) WITHOUT ROWID;

-- Uploaded parts of the multipart upload, for completing it.
CREATE TABLE archive_export_parts (
  archive_id INTEGER NOT NULL,
  number INTEGER NOT NULL,
  etag TEXT NOT NULL,
  PRIMARY KEY (archive_id, number)
) WITHOUT ROWID;
