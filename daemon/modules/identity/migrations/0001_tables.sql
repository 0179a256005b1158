-- Principals and their API tokens (docs/security.md "Authentication"). A token's row keeps the
-- SHA-256 of its secret only; the secret itself is shown once, when it is created.
CREATE TABLE identity_principals (
  key TEXT PRIMARY KEY,            -- the principal's name
  body TEXT NOT NULL,
  unit TEXT NOT NULL DEFAULT ''
);
CREATE TABLE identity_tokens (
  key TEXT PRIMARY KEY,            -- the token's id
  body TEXT NOT NULL,
  principal TEXT NOT NULL DEFAULT ''
);
CREATE INDEX identity_tokens_by_principal ON identity_tokens (principal, key);
