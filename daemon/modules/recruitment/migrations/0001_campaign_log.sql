-- Recruitment campaigns as module records (docs/decisions/0011-domain-modules.md): the log of
-- each campaign's accepted commands, append only. Key "<campaign>/<seq of 12 digits>", so a
-- campaign's commands scan in order; the body holds the instant, the command and its
-- arguments sealed: {"at_ms":…,"command":"…","sealed":"v1:…"}.
CREATE TABLE recruitment_campaign_log (
  key TEXT PRIMARY KEY,
  body TEXT NOT NULL,
  campaign_id TEXT NOT NULL DEFAULT ''
);

-- Databases written before: the store's own campaign_log moves here, then goes.
INSERT INTO recruitment_campaign_log (key, body, campaign_id)
  SELECT campaign_id || '/' || substr('000000000000' || seq, length('000000000000' || seq) - 11),
         '{"at_ms":' || at_ms || ',"command":"' || command || '","sealed":"' ||
         CAST(body AS TEXT) || '"}',
         campaign_id
  FROM campaign_log;

DROP TABLE campaign_log;
