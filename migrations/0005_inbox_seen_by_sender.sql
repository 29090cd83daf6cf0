-- Applied activity ids are remembered per sender: one peer can no longer pre-send another
-- server's future activity id (say `…#delete`) and make the real activity look like a replay.
DROP TABLE inbox_seen;
CREATE TABLE inbox_seen (
  account_id INTEGER NOT NULL,
  uri TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  PRIMARY KEY (account_id, uri)
) WITHOUT ROWID;
CREATE INDEX inbox_seen_received_at ON inbox_seen (received_at);
