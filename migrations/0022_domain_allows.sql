-- The allow-list mode of instance moderation (Mastodon's LIMITED_FEDERATION_MODE, here a site
-- setting the admin turns on at /admin/domain_blocks): when on, only the servers listed here
-- (and their subdomains) federate; app::moderation reads both with the domain blocks.
CREATE TABLE instance_domain_allows (
  id INTEGER PRIMARY KEY,
  domain TEXT NOT NULL UNIQUE,           -- lower case, maybe with a port (domain::moderation)
  created_at INTEGER NOT NULL
);
ALTER TABLE site_settings ADD COLUMN allow_list_mode INTEGER NOT NULL DEFAULT 0;
