-- FEP-521a keys of remote actors (`assertionMethod` Multikeys, JSON [[id, publicKeyMultibase]]),
-- which verify FEP-8b32 proofs on activities that arrive without an HTTP signature.
ALTER TABLE accounts ADD COLUMN assertion_keys TEXT NOT NULL DEFAULT '[]';

-- Deliveries held or dead-lettered for a peer are found by domain when it comes back.
CREATE INDEX delivery_failures_created ON delivery_failures (created_at);
