-- The federated public timeline (no local/remote filter) pages by id over public originals;
-- statuses_public leads with `local`, so it needs its own index to avoid a sort.
CREATE INDEX statuses_public_all ON statuses (visibility, id DESC) WHERE deleted_at IS NULL AND reblog_of_id IS NULL;
