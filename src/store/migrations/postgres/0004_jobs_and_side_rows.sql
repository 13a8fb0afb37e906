-- This release (SPEC §6-§12):
--
-- The timers table holds every durable job (src/jobs/): a call's hold check as before, and the
-- other capabilities' jobs (webhook deliveries, idle calls, retention), told apart by `name`,
-- their task. `(call_id, timer_id)` stays the job key; jobs of no call use call_id ''.
--
-- Calls learn their operator (SPEC §8) and the script version they started with (SPEC §11),
-- both set at create.
--
-- A change may schedule other jobs if absent (`ensure_jobs`: a webhook delivery, the idle
-- check). The type and both functions are one unit (see 0003): the type grows by ADD ATTRIBUTE
-- and both functions are replaced; nothing is dropped.
ALTER TABLE timers RENAME TO jobs;
ALTER INDEX IF EXISTS timers_pkey RENAME TO jobs_pkey;
ALTER INDEX IF EXISTS timers_by_due RENAME TO jobs_by_due;
ALTER INDEX IF EXISTS timers_by_claimable RENAME TO jobs_by_claimable;
ALTER TABLE calls ADD COLUMN operator_id text;
ALTER TABLE calls ADD COLUMN script_version integer NOT NULL DEFAULT 1;
CREATE INDEX calls_by_operator ON calls (operator_id, call_id) WHERE operator_id IS NOT NULL;

ALTER TYPE callflow_change ADD ATTRIBUTE operator_id text;
ALTER TYPE callflow_change ADD ATTRIBUTE script_version integer;
ALTER TYPE callflow_change ADD ATTRIBUTE ensure_jobs json;

CREATE OR REPLACE FUNCTION callflow_apply(c callflow_change) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
  n integer;
  armed bigint;
BEGIN
  IF c.kind = 'create' THEN
    INSERT INTO calls (call_id, status, version, locale, snapshot, prompts, actions, timers,
        create_fingerprint, created_at, updated_at, operator_id, script_version)
      VALUES (c.call_id, c.status, c.version, c.locale, c.snapshot::json, c.prompts::json,
        c.actions::json, c.timers::json, c.create_fingerprint, c.created_at, c.updated_at,
        c.operator_id, coalesce(c.script_version, 1))
      ON CONFLICT (call_id) DO NOTHING;
    GET DIAGNOSTICS n = ROW_COUNT;
    IF n <> 1 THEN RAISE EXCEPTION 'call exists' USING ERRCODE = 'CF409'; END IF;
  ELSE
    -- The optimistic check, first: every change takes its call's row lock before anything
    -- else of that call (job rows, history), the lock order that keeps batches of several
    -- nodes from deadlocking (the caller also sorts a batch by call id).
    UPDATE calls SET status = c.status, version = c.version, snapshot = c.snapshot::json,
        prompts = c.prompts::json, actions = c.actions::json, timers = c.timers::json,
        updated_at = c.updated_at
      WHERE call_id = c.call_id AND version = c.expected_version;
    GET DIAGNOSTICS n = ROW_COUNT;
    IF n <> 1 THEN RAISE EXCEPTION 'version moved on' USING ERRCODE = 'CF409'; END IF;
    IF c.fired_timer_id IS NOT NULL THEN
      -- A firing holds only while this very row is there: that is what makes it happen once.
      DELETE FROM jobs
        WHERE call_id = c.call_id AND timer_id = c.fired_timer_id AND due_at = c.fired_due_at;
      GET DIAGNOSTICS n = ROW_COUNT;
      IF n <> 1 THEN RAISE EXCEPTION 'timer gone' USING ERRCODE = 'CF409'; END IF;
    END IF;
    -- A taken (call_id, event_id) raises unique_violation: the idempotency conflict.
    INSERT INTO history (call_id, seq, event_id, fingerprint, type, data, source, at, status,
        snapshot, prompts, actions, timers)
      VALUES (c.call_id, c.seq, c.event_id::json #>> '{}', c.fingerprint, c.type, c.data::json,
        c.source, c.at, coalesce(c.h_status, c.status), coalesce(c.h_snapshot, c.snapshot)::json,
        coalesce(c.h_prompts, c.prompts)::json, coalesce(c.h_actions, c.actions)::json,
        coalesce(c.h_timers, c.timers)::json);
    IF json_array_length(c.cancel_timers) > 0 THEN
      DELETE FROM jobs
        WHERE call_id = c.call_id AND timer_id IN (SELECT json_array_elements_text(c.cancel_timers));
    END IF;
    IF json_array_length(c.arm_timers) > 0 THEN
      -- A re-arm is an upsert on the job key (call_id, timer_id) and frees any claim.
      INSERT INTO jobs (call_id, timer_id, name, due_at, event, locked_until)
        SELECT a.call_id, a.timer_id, a.name, a.due_at, a.event::json, 0
          FROM json_to_recordset(c.arm_timers) AS a(call_id text, timer_id text, name text, due_at bigint, event text)
        ON CONFLICT (call_id, timer_id) DO UPDATE SET name = excluded.name, due_at = excluded.due_at,
          event = excluded.event, locked_until = 0;
      armed := (SELECT min(a.due_at) FROM json_to_recordset(c.arm_timers) AS a(due_at bigint));
    END IF;
  END IF;
  IF c.ensure_jobs IS NOT NULL AND json_array_length(c.ensure_jobs) > 0 THEN
    -- Scheduled only if absent: a delivery job already queued for this endpoint and call keeps
    -- its place (and its backoff).
    INSERT INTO jobs (call_id, timer_id, name, due_at, event, locked_until)
      SELECT a.call_id, a.timer_id, a.name, a.due_at, a.event::json, 0
        FROM json_to_recordset(c.ensure_jobs) AS a(call_id text, timer_id text, name text, due_at bigint, event text)
      ON CONFLICT (call_id, timer_id) DO NOTHING;
    armed := least(armed, (SELECT min(a.due_at) FROM json_to_recordset(c.ensure_jobs) AS a(due_at bigint)));
  END IF;
  -- Payload "<callId> <version>": a call id has no spaces and at most 128 characters.
  PERFORM pg_notify('callflow_change', c.call_id || ' ' || c.version);
  RETURN armed;
END
$$;
