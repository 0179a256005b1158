-- The annual review as module records (daemon/modules/reviews/durable_reviews.h). Bodies are the
-- module's JSON; a sheet keeps its ballot box's voters and its tally apart, never a choice
-- beside a voter.
-- One cycle per street office and year; key "<street>/<year>".
CREATE TABLE reviews_cycles (
  key TEXT PRIMARY KEY,
  body TEXT NOT NULL,
  street_unit_id TEXT NOT NULL DEFAULT '',
  year TEXT NOT NULL DEFAULT ''
);
-- One worker in one cycle; key "<cycle>/<worker id in 12 digits>".
CREATE TABLE reviews_sheets (
  key TEXT PRIMARY KEY,
  body TEXT NOT NULL,
  cycle_id TEXT NOT NULL DEFAULT ''
);
CREATE INDEX reviews_sheets_by_cycle ON reviews_sheets (cycle_id, key);
-- Each worker's final ratings by year (reviewed or imported); key: the worker id in 12 digits.
CREATE TABLE reviews_files (
  key TEXT PRIMARY KEY,
  body TEXT NOT NULL
);
