-- Site settings the admin edits on /admin/settings (app::instance::site): what /about and the
-- instance entities show. One row; a column left NULL falls back to configuration.
CREATE TABLE site_settings (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  description TEXT,
  extended_description TEXT,
  contact_email TEXT,
  privacy_policy TEXT,
  updated_at INTEGER NOT NULL
);
