-- The workforce registry as module records (docs/decisions/0011-domain-modules.md). Bodies are
-- the domain's JSON, as before; workers' personal data stays sealed inside theirs.
-- Numeric ids are keys of 12 digits, so that keys sort as the ids do.
CREATE TABLE workforce_units (
  key TEXT PRIMARY KEY,
  body TEXT NOT NULL,
  parent_id TEXT NOT NULL DEFAULT ''
);
CREATE TABLE workforce_quota_revisions (
  key TEXT PRIMARY KEY,
  body TEXT NOT NULL,
  unit_id TEXT NOT NULL DEFAULT ''
);
CREATE INDEX workforce_quota_revisions_by_unit ON workforce_quota_revisions (unit_id, key);
-- Posts a recruitment campaign holds in a unit; key "<campaign>/<unit>".
CREATE TABLE workforce_reservations (
  key TEXT PRIMARY KEY,
  body TEXT NOT NULL,
  campaign_id TEXT NOT NULL DEFAULT '',
  unit_id TEXT NOT NULL DEFAULT ''
);
CREATE TABLE workforce_workers (
  key TEXT PRIMARY KEY,
  body TEXT NOT NULL,
  unit_id TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL DEFAULT ''
);
CREATE INDEX workforce_workers_by_unit ON workforce_workers (unit_id, key);
-- The open quota review of each unit (key: the unit), written with the review's start, so that
-- a restart finds them without walking the workflow instances.
CREATE TABLE workforce_reviews (
  key TEXT PRIMARY KEY,
  body TEXT NOT NULL
);

-- Databases written before: the rows of the store's own registry tables move here.
INSERT INTO workforce_units (key, body, parent_id)
  SELECT id, body, parent_id FROM units;
INSERT INTO workforce_quota_revisions (key, body, unit_id)
  SELECT substr('000000000000' || id, length('000000000000' || id) - 11), body, unit_id
  FROM quota_revisions;
INSERT INTO workforce_reservations (key, body, campaign_id, unit_id)
  SELECT campaign_id || '/' || unit_id, body, campaign_id, unit_id FROM quota_reservations;
INSERT INTO workforce_workers (key, body, unit_id, status)
  SELECT substr('000000000000' || id, length('000000000000' || id) - 11), body, unit_id, status
  FROM workers;
-- Their open reviews were found by walking the active quota-review instances, whose unit
-- column names the unit (the latest one per unit counts, as it did). The revision a review
-- belongs to is the unit's latest: recovery fills in its effective date from the registry.
INSERT INTO workforce_reviews (key, body)
  SELECT unit, '{"instance_id":' || MAX(id) || ',"effective_from":""}'
  FROM instances
  WHERE definition_id = 'quota-review' AND state = 'active' AND unit != ''
  GROUP BY unit;

DROP TABLE units;
DROP TABLE quota_revisions;
DROP TABLE quota_reservations;
DROP TABLE workers;
