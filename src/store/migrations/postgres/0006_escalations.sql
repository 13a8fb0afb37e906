-- The supervisor's desk (SPEC §8).
--
-- Escalations, one row each, created in the same transaction as the `customer.unknown-topic`
-- change that raises them (src/escalations/). `topic` is personal data: it lives in this table
-- only (the change log below carries none), so an erasure rewrites this one column.
CREATE TABLE escalations (
  id text COLLATE "C" PRIMARY KEY,
  call_id text COLLATE "C" NOT NULL,
  operator_id text,
  topic text NOT NULL,
  status text NOT NULL,
  created_at bigint NOT NULL,
  acknowledged_at bigint,
  acknowledged_by text,
  resolved_at bigint,
  resolved_by text,
  resolution text
);
CREATE INDEX escalations_newest ON escalations (created_at, id);
CREATE INDEX escalations_by_status ON escalations (status, created_at, id);
CREATE INDEX escalations_by_call ON escalations (call_id);

-- Every change of an escalation (created: status open, acknowledged, resolved), numbered by one
-- global sequence: the SSE stream's event id, resumed from with Last-Event-ID. A reader that has
-- seen seq N must never later find a smaller one committed, so numbers are taken in commit order:
-- the trigger takes a transaction-scoped lock before it draws the number, and holds it until the
-- inserting transaction ends (escalation changes are a few per minute; the lock is never
-- contended by the call path, which writes no escalation change but this one).
CREATE TABLE escalation_changes (
  seq bigint PRIMARY KEY,
  escalation_id text COLLATE "C" NOT NULL,
  status text NOT NULL,
  at bigint NOT NULL
);
CREATE SEQUENCE escalation_changes_seq OWNED BY escalation_changes.seq;

CREATE FUNCTION callflow_escalation_change_seq() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(1667655027); -- 'cfes'
  NEW.seq := nextval('escalation_changes_seq');
  RETURN NEW;
END
$$;
CREATE TRIGGER escalation_changes_in_commit_order BEFORE INSERT ON escalation_changes
  FOR EACH ROW EXECUTE FUNCTION callflow_escalation_change_seq();

-- Other nodes' streams wake on commit (a notification is delivered only then); the payload is
-- the change's seq, but a listener reads the log after its own position anyway.
CREATE FUNCTION callflow_escalation_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('callflow_escalation', NEW.seq::text);
  RETURN NULL;
END
$$;
CREATE TRIGGER escalation_changes_notify AFTER INSERT ON escalation_changes
  FOR EACH ROW EXECUTE FUNCTION callflow_escalation_notify();

-- The adherence report (src/reports/adherence.ts): calls by start time, and the history rows it
-- reads, with the columns it reads (json cannot be a btree key: prompts is carried, not keyed).
-- The partial index's WHERE is the report's, word for word.
CREATE INDEX calls_by_start ON calls (created_at, operator_id) INCLUDE (call_id, updated_at);
CREATE INDEX history_adherence ON history (call_id, seq) INCLUDE (type, source, at, prompts)
  WHERE type IN ('call.hold', 'call.unhold', 'hold.check', 'customer.repeat-request', 'customer.cannot-hear', 'customer.inaudible', 'customer.profanity', 'customer.unknown-topic', 'customer.contact-refused');
