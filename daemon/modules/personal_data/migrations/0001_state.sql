-- The personal_data module's own state: the key rotation under way, if any (key "rotation"),
-- written in the same transaction as each batch of the re-seal, so that a restart resumes it.
CREATE TABLE personal_data_state (
  key TEXT PRIMARY KEY,
  body TEXT NOT NULL
);
