-- Queue messages the queue refused (the free plan's 10,000 daily operations spent, or a bad
-- moment), kept until the cron sends them again: a refused send loses no work. `id` is the
-- rowid SQLite assigns, so messages kept together in one statement stay in their order, and
-- every new one sorts after every kept one. No index on `not_before`: the cron reads in id
-- order, and a kept message is due within a retry delay (seconds) of being kept.
CREATE TABLE kept_jobs (
  id INTEGER PRIMARY KEY,
  body TEXT NOT NULL,                   -- the message, as the JSON text sent to the queue
  not_before INTEGER NOT NULL,          -- ms: when the queue would first have let it be read
  created_at INTEGER NOT NULL
);
