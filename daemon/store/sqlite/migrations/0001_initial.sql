
CREATE TABLE definitions (
  id TEXT NOT NULL,
  version INTEGER NOT NULL,
  name TEXT NOT NULL,
  digest TEXT NOT NULL,
  yaml TEXT NOT NULL,
  deployed_at_ms INTEGER NOT NULL,
  PRIMARY KEY (id, version)
) WITHOUT ROWID;

CREATE TABLE instances (
  id INTEGER PRIMARY KEY,
  definition_id TEXT NOT NULL,
  version INTEGER NOT NULL,
  business_key TEXT NOT NULL,
  unit TEXT NOT NULL,
  state TEXT NOT NULL,
  parent_id INTEGER NOT NULL,
  created_at_ms INTEGER NOT NULL,
  updated_at_ms INTEGER NOT NULL,
  body TEXT NOT NULL
);
CREATE INDEX instances_by_definition ON instances (definition_id);
CREATE INDEX instances_by_state ON instances (state);
CREATE INDEX instances_by_business_key ON instances (business_key);
CREATE INDEX instances_by_unit ON instances (unit);
CREATE INDEX instances_by_parent ON instances (parent_id);

CREATE TABLE tasks (
  id INTEGER PRIMARY KEY,
  instance_id INTEGER NOT NULL,
  state TEXT NOT NULL,
  role TEXT NOT NULL,
  unit TEXT NOT NULL,
  assignee TEXT NOT NULL,
  due_at_ms INTEGER NOT NULL,
  created_at_ms INTEGER NOT NULL,
  body TEXT NOT NULL
);
CREATE INDEX tasks_by_state ON tasks (state);
CREATE INDEX tasks_by_role ON tasks (role);
CREATE INDEX tasks_by_unit ON tasks (unit);
CREATE INDEX tasks_by_assignee ON tasks (assignee);
CREATE INDEX tasks_by_instance ON tasks (instance_id);

CREATE TABLE jobs (
  id INTEGER PRIMARY KEY,
  instance_id INTEGER NOT NULL,
  type TEXT NOT NULL,
  state TEXT NOT NULL,
  due_at_ms INTEGER NOT NULL,
  body TEXT NOT NULL
);
CREATE INDEX jobs_by_state ON jobs (state);

CREATE TABLE timers (
  id INTEGER PRIMARY KEY,
  due_at_ms INTEGER NOT NULL,
  instance_id INTEGER NOT NULL,
  kind TEXT NOT NULL,
  ref_id INTEGER NOT NULL,
  body TEXT NOT NULL
);
CREATE INDEX timers_by_due ON timers (due_at_ms);

CREATE TABLE messages (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  correlation TEXT NOT NULL,
  expires_at_ms INTEGER NOT NULL,
  body TEXT NOT NULL
);
CREATE INDEX messages_by_name ON messages (name, correlation);

CREATE TABLE subscriptions (
  instance_id INTEGER NOT NULL,
  token_id TEXT NOT NULL,
  name TEXT NOT NULL,
  correlation TEXT NOT NULL,
  PRIMARY KEY (instance_id, token_id)
) WITHOUT ROWID;
CREATE INDEX subscriptions_by_name ON subscriptions (name, correlation);

CREATE TABLE incidents (
  id INTEGER PRIMARY KEY,
  instance_id INTEGER NOT NULL,
  state TEXT NOT NULL,
  created_at_ms INTEGER NOT NULL,
  body TEXT NOT NULL
);
CREATE INDEX incidents_by_state ON incidents (state);
CREATE INDEX incidents_by_instance ON incidents (instance_id);

CREATE TABLE notifications (
  id INTEGER PRIMARY KEY,
  recipient TEXT NOT NULL,
  role TEXT NOT NULL,
  unit TEXT NOT NULL,
  acked INTEGER NOT NULL,
  created_at_ms INTEGER NOT NULL,
  body TEXT NOT NULL
);
CREATE INDEX notifications_by_recipient ON notifications (recipient);
CREATE INDEX notifications_by_role ON notifications (role);
CREATE INDEX notifications_by_acked ON notifications (acked);

CREATE TABLE events (
  seq INTEGER PRIMARY KEY,
  instance_id INTEGER NOT NULL,
  type TEXT NOT NULL,
  at_ms INTEGER NOT NULL,
  body TEXT NOT NULL
);
CREATE INDEX events_by_instance ON events (instance_id, seq);

-- reply is a BLOB: it may be a serialized protobuf.
CREATE TABLE requests (
  request_id TEXT PRIMARY KEY,
  reply BLOB NOT NULL,
  at_ms INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE sequences (
  name TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) WITHOUT ROWID;
