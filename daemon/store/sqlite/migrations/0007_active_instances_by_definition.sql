
-- The versions active instances run, found at start-up without reading every instance: only
-- those versions and the latest of each definition are loaded then.
CREATE INDEX instances_active_by_definition ON instances (definition_id, version)
  WHERE state = 'active';
