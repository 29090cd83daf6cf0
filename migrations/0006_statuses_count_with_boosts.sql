-- Mastodon counts every status but direct ones, boosts included; recount with that rule.
UPDATE accounts SET statuses_count = (
  SELECT count(*) FROM statuses s WHERE s.account_id = accounts.id AND s.deleted_at IS NULL AND s.visibility <> 'direct'
);
