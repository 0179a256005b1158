
CREATE TABLE quota_reservations (
  campaign_id TEXT NOT NULL,
  unit_id TEXT NOT NULL,
  body TEXT NOT NULL,
  PRIMARY KEY (campaign_id, unit_id)
) WITHOUT ROWID;
