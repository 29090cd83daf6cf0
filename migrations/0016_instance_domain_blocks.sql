-- Instance-level domain blocks (the admin's, Mastodon's Admin::DomainBlock), beside the owner's
-- own `domain_blocks`: a severity (silence, suspend, noop) and what else is refused from there.
-- Enforced by app::moderation; each isolate keeps the list in memory for a short while.
CREATE TABLE instance_domain_blocks (
  id INTEGER PRIMARY KEY,
  domain TEXT NOT NULL UNIQUE,           -- lower case, maybe with a port (domain::moderation)
  severity TEXT NOT NULL CHECK (severity IN ('silence', 'suspend', 'noop')),
  reject_media INTEGER NOT NULL DEFAULT 0,
  reject_reports INTEGER NOT NULL DEFAULT 0,
  private_comment TEXT,
  public_comment TEXT,
  obfuscate INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL
);
