-- The three tables of the CallStore contract (src/store/types.ts), as in the SQLite store.
-- Times are epoch milliseconds (bigint); JSON is `json`, which keeps the text the service wrote
-- byte for byte (nothing queries inside it). call_id sorts bytewise (COLLATE "C"), like SQLite,
-- so list cursors page the same way on both backends.
CREATE TABLE calls (
  call_id text COLLATE "C" PRIMARY KEY,
  status text NOT NULL,
  version integer NOT NULL,
  locale text NOT NULL,
  snapshot json NOT NULL,
  prompts json NOT NULL,
  actions json NOT NULL,
  timers json NOT NULL,
  create_fingerprint text NOT NULL,
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL
);
CREATE INDEX calls_by_status ON calls (status, call_id);

CREATE TABLE history (
  call_id text COLLATE "C" NOT NULL,
  seq integer NOT NULL,
  event_id text,
  fingerprint text,
  type text NOT NULL,
  data json NOT NULL,
  source text NOT NULL,
  at bigint NOT NULL,
  status text NOT NULL,
  snapshot json NOT NULL,
  prompts json NOT NULL,
  actions json NOT NULL,
  timers json NOT NULL,
  PRIMARY KEY (call_id, seq)
);
-- The idempotency key: a second change with the same (call_id, event_id) is a conflict.
CREATE UNIQUE INDEX history_by_event_id ON history (call_id, event_id) WHERE event_id IS NOT NULL;

CREATE TABLE timers (
  call_id text COLLATE "C" NOT NULL,
  timer_id text NOT NULL,
  name text NOT NULL,
  due_at bigint NOT NULL,
  event json NOT NULL,
  -- A claim's lease: other nodes skip the row until then (a dead claimer's rows come back).
  locked_until bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (call_id, timer_id)
);
CREATE INDEX timers_by_due ON timers (due_at);
-- The moment each row can next be claimed: the worker sleeps until the smallest.
CREATE INDEX timers_by_claimable ON timers ((GREATEST(due_at, locked_until)));
