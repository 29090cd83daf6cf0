-- Keys are generated outside requests (scripts/provision.mjs, run by `make dev` and `make deploy`):
-- RSA key generation costs far more CPU than one invocation of the free plan allows. The
-- owner's key waits here until the owner's account is created at first start.
ALTER TABLE instance_keys ADD COLUMN owner_rsa_private_key_pem TEXT;
ALTER TABLE instance_keys ADD COLUMN owner_rsa_public_key_pem TEXT;
