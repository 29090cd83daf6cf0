-- CSV imports (Mastodon's follows, blocks, mutes, domain blocks, bookmarks and lists files):
-- the upload stores every row here, then the queue works through them in batches that fit the
-- free plan's per-invocation limits (app::imports). Rows that succeed are deleted, as Mastodon
-- deletes its `bulk_import_rows`; rows that fail keep why, for the owner to read and download.
CREATE TABLE imports (
  id INTEGER PRIMARY KEY,
  account_id INTEGER NOT NULL REFERENCES accounts (id),
  type TEXT NOT NULL,                      -- following, blocking, muting, domain_blocking, bookmarks, lists
  overwrite INTEGER NOT NULL DEFAULT 0,    -- 1: what the file leaves out is removed first
  state TEXT NOT NULL DEFAULT 'scheduled', -- scheduled, in_progress, finished
  original_filename TEXT NOT NULL DEFAULT '',
  likely_mismatched INTEGER NOT NULL DEFAULT 0,
  total_items INTEGER NOT NULL,
  cursor INTEGER NOT NULL DEFAULT 1,       -- rows at positions below this one are processed
  failed_items INTEGER NOT NULL DEFAULT 0, -- among the processed rows
  pruned INTEGER NOT NULL DEFAULT 0,       -- 1 once an overwrite removed what the file leaves out
  error TEXT,                              -- why processing stopped early, when it did
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  finished_at INTEGER
);
CREATE INDEX imports_account ON imports (account_id, id DESC);

CREATE TABLE import_rows (
  import_id INTEGER NOT NULL REFERENCES imports (id) ON DELETE CASCADE,
  position INTEGER NOT NULL,               -- 1, 2, … in the file's order
  line INTEGER NOT NULL,                   -- where the row starts in the file
  key TEXT NOT NULL,                       -- what the row names, compared by an overwrite
  data TEXT NOT NULL,                      -- JSON under Mastodon's BulkImportRow#data keys
  error TEXT,                              -- why the row failed
  PRIMARY KEY (import_id, position)
) WITHOUT ROWID;
CREATE INDEX import_rows_key ON import_rows (import_id, key);
