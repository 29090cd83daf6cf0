-- Rendering any page of statuses looks polls up by status; without this it scans every poll.
CREATE INDEX polls_status ON polls (status_id);
