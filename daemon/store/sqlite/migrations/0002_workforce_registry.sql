
CREATE TABLE units (
  id TEXT PRIMARY KEY,
  parent_id TEXT NOT NULL,
  body TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE quota_revisions (
  id INTEGER PRIMARY KEY,
  unit_id TEXT NOT NULL,
  body TEXT NOT NULL
);

CREATE TABLE workers (
  id INTEGER PRIMARY KEY,
  unit_id TEXT NOT NULL,
  status TEXT NOT NULL,
  body TEXT NOT NULL
);

ALTER TABLE events ADD COLUMN subject TEXT NOT NULL DEFAULT '';
ALTER TABLE events ADD COLUMN unit TEXT NOT NULL DEFAULT '';
-- Partial: engine events (no subject, no unit) cost these indexes nothing.
CREATE INDEX events_by_subject ON events (subject, seq) WHERE subject != '';
CREATE INDEX events_by_unit ON events (unit, seq) WHERE unit != '';
