-- The owner's web sign-in (docs/web.md, "Signing in"): browser sessions, and TOTP two-factor
-- authentication with its recovery codes. Session tokens and recovery codes are stored as SHA-256
-- hashes, as OAuth tokens are; the TOTP secret cannot be (the server computes codes from it).
CREATE TABLE web_sessions (
  id INTEGER PRIMARY KEY,
  token_hash TEXT NOT NULL UNIQUE,              -- SHA-256 hex of the cookie's token
  account_id INTEGER NOT NULL REFERENCES accounts (id),
  user_agent TEXT NOT NULL,                     -- truncated, to tell the owner's devices apart
  created_at INTEGER NOT NULL,
  last_used_at INTEGER NOT NULL,                -- written at most once an hour per session
  awaiting_second_factor INTEGER NOT NULL DEFAULT 0 -- 1: the password was right, the code not yet given
);
CREATE INDEX web_sessions_account ON web_sessions (account_id);

-- One row per account with two-factor authentication enabled.
CREATE TABLE otp_secrets (
  account_id INTEGER PRIMARY KEY REFERENCES accounts (id),
  secret TEXT NOT NULL,                         -- base32, RFC 4648, as authenticator apps take it
  last_used_step INTEGER NOT NULL DEFAULT 0,    -- a code's 30 s step is accepted once
  enabled_at INTEGER NOT NULL
);

CREATE TABLE otp_recovery_codes (
  code_hash TEXT PRIMARY KEY,                   -- SHA-256 hex of the normalised code
  account_id INTEGER NOT NULL REFERENCES accounts (id),
  used_at INTEGER
);
CREATE INDEX otp_recovery_codes_account ON otp_recovery_codes (account_id);
