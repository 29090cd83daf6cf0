-- The site's pictures and terms of service (app::instance::site, /admin/settings): the thumbnail
-- shown as the instance entities' `thumbnail` and on /about, the icon as their `icon`, each an R2
-- key; the terms of service as written, and when their text last changed (their effective date).
ALTER TABLE site_settings ADD COLUMN thumbnail_key TEXT;
ALTER TABLE site_settings ADD COLUMN icon_key TEXT;
ALTER TABLE site_settings ADD COLUMN icon_size TEXT;            -- "WIDTHxHEIGHT", as the entity names it
ALTER TABLE site_settings ADD COLUMN terms_of_service TEXT;
ALTER TABLE site_settings ADD COLUMN terms_updated_at INTEGER;
