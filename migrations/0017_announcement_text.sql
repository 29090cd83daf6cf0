-- Announcements are written on the admin's page (web::admin): the text as typed, beside the HTML
-- the API serves, so that editing starts from what was written. `published_at` in the future
-- schedules one.
ALTER TABLE announcements ADD COLUMN text TEXT NOT NULL DEFAULT '';
