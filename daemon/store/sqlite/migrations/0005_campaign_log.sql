
CREATE TABLE campaign_log (
  campaign_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  at_ms INTEGER NOT NULL,
  command TEXT NOT NULL,
  body BLOB NOT NULL,
  PRIMARY KEY (campaign_id, seq)
) WITHOUT ROWID;
