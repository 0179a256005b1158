
DROP INDEX instances_by_business_key;
CREATE INDEX instances_by_business_key ON instances (business_key) WHERE business_key != '';
DROP INDEX instances_by_unit;
CREATE INDEX instances_by_unit ON instances (unit) WHERE unit != '';
DROP INDEX instances_by_parent;
CREATE INDEX instances_by_parent ON instances (parent_id) WHERE parent_id != 0;
DROP INDEX tasks_by_role;
CREATE INDEX tasks_by_role ON tasks (role) WHERE role != '';
DROP INDEX tasks_by_unit;
CREATE INDEX tasks_by_unit ON tasks (unit) WHERE unit != '';
DROP INDEX tasks_by_assignee;
CREATE INDEX tasks_by_assignee ON tasks (assignee) WHERE assignee != '';
DROP INDEX notifications_by_recipient;
CREATE INDEX notifications_by_recipient ON notifications (recipient) WHERE recipient != '';
DROP INDEX notifications_by_role;
CREATE INDEX notifications_by_role ON notifications (role) WHERE role != '';
