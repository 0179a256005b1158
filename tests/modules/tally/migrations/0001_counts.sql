-- Named counters of the test module: key the counter, body {"count": n}.
CREATE TABLE tally_counts (
  key TEXT PRIMARY KEY,
  body TEXT NOT NULL
);
