-- The profile page (and GET /api/v1/accounts/:id/featured_tags) reads the featured hashtags on
-- every view: without an index that is a scan of every tag ever seen, remote posts' included.
CREATE INDEX tags_featured ON tags (featured_at) WHERE featured_at IS NOT NULL;
