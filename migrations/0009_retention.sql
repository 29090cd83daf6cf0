-- The retention of remote posts (app::retention) asks whether the owner still has a
-- notification about a post, and removes the notifications of a post it forgets: both look
-- notifications up by status.
CREATE INDEX notifications_status ON notifications (status_id) WHERE status_id IS NOT NULL;
-- Deleting a status makes SQLite look for bookmarks of it (ON DELETE CASCADE), which without
-- this index reads every bookmark once per forgotten status.
CREATE INDEX bookmarks_status ON bookmarks (status_id);
-- Where a housekeeping sweep stopped, so that the next run goes on from there instead of
-- examining again the posts the last one kept.
CREATE TABLE housekeeping_cursors (
  task TEXT PRIMARY KEY,
  after_id INTEGER NOT NULL
) WITHOUT ROWID;
