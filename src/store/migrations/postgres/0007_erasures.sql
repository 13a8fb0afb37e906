-- Operating it (SPEC §10, src/operations/): the destruction log of personal-data erasures
-- (Roskomnadzor order No. 179: which call, when, why, which kinds of data, and on whose request;
-- never the data itself), and ended calls by the time they ended, which the retention job reads.
-- An ended call's updated_at is the time it ended: nothing changes it afterwards (an erasure
-- leaves it as it was).
CREATE TABLE erasures (
  id text COLLATE "C" PRIMARY KEY,
  call_id text COLLATE "C" NOT NULL,
  reason text NOT NULL,
  at bigint NOT NULL,
  kinds text NOT NULL,
  requested_by text
);
CREATE INDEX erasures_newest ON erasures (at, id);
CREATE INDEX erasures_by_call ON erasures (call_id, at);
CREATE INDEX calls_ended_by_time ON calls (updated_at) WHERE status = 'ended';
