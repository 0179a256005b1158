-- The audit trail (docs/decisions/0012-audit-trail.md). Entries are keyed by their seq in 12
-- digits, so that keys sort as the chain runs; the body is the entry's JSON with its hash.
CREATE TABLE audit_entries (
  key TEXT PRIMARY KEY,
  body TEXT NOT NULL,
  principal TEXT NOT NULL DEFAULT '',
  method TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_entries_by_principal ON audit_entries (principal, key);
CREATE INDEX audit_entries_by_method ON audit_entries (method, key);
-- Signed checkpoints, keyed by the seq they sign in 12 digits; "anchor" is the checkpoint the
-- chain starts from after retention deleted what came before it.
CREATE TABLE audit_checkpoints (
  key TEXT PRIMARY KEY,
  body TEXT NOT NULL
);
