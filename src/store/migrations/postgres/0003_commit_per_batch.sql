-- callflow_commit as in 0002, with two changes to the work per change:
--
-- One subtransaction per batch instead of one per change. 0002 ran every change in its own
-- BEGIN ... EXCEPTION block: a subtransaction each, with its own subtransaction id once it
-- writes, and past 64 of them in one transaction PostgreSQL's snapshots overflow to pg_subtrans
-- lookups. Conflicts are rare (one node serialises each call; several nodes race only on the
-- same call), so the batch is now tried whole, in one block; only a batch in which some change
-- conflicts is run again change by change, each in its own block as before, for the others to
-- stand. For a given database state the outcomes are the same either way. Under a race they may
-- differ, validly: rolling back the whole-batch try releases the row locks its earlier changes
-- took, so another node waiting on one of those calls can win it before the rerun (that change
-- then reports a conflict, and the service retries it like any other).
--
-- No timer statement for a change without timer work: most events arm or cancel nothing, yet
-- every change ran a DELETE over an empty list, an upsert from an empty recordset and a min over
-- it.
--
-- The statements of a change live once, in callflow_apply. The type and both functions are one
-- unit: a field is added with ALTER TYPE ... ADD ATTRIBUTE and both functions replaced, never by
-- dropping the type (DROP ... CASCADE would silently drop callflow_apply and fail every commit).
CREATE TYPE callflow_change AS (
  kind text, call_id text, status text, version integer, locale text,
  snapshot text, prompts text, actions text, timers text,
  create_fingerprint text, created_at bigint, updated_at bigint,
  expected_version integer, fired_timer_id text, fired_due_at bigint,
  seq integer, event_id text, fingerprint text, type text, data text, source text, at bigint,
  h_status text, h_snapshot text, h_prompts text, h_actions text, h_timers text,
  cancel_timers json, arm_timers json);

-- One change. Raises CF409 (or unique_violation, or an untranslatable event id) when it cannot
-- stand; returns the earliest due time it armed, or null.
CREATE FUNCTION callflow_apply(c callflow_change) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
  n integer;
  armed bigint;
BEGIN
  IF c.kind = 'create' THEN
    INSERT INTO calls (call_id, status, version, locale, snapshot, prompts, actions, timers,
        create_fingerprint, created_at, updated_at)
      VALUES (c.call_id, c.status, c.version, c.locale, c.snapshot::json, c.prompts::json,
        c.actions::json, c.timers::json, c.create_fingerprint, c.created_at, c.updated_at)
      ON CONFLICT (call_id) DO NOTHING;
    GET DIAGNOSTICS n = ROW_COUNT;
    IF n <> 1 THEN RAISE EXCEPTION 'call exists' USING ERRCODE = 'CF409'; END IF;
  ELSE
    -- The optimistic check, first: every change takes its call's row lock before anything
    -- else of that call (timer rows, history), the lock order that keeps batches of several
    -- nodes from deadlocking (the caller also sorts a batch by call id).
    UPDATE calls SET status = c.status, version = c.version, snapshot = c.snapshot::json,
        prompts = c.prompts::json, actions = c.actions::json, timers = c.timers::json,
        updated_at = c.updated_at
      WHERE call_id = c.call_id AND version = c.expected_version;
    GET DIAGNOSTICS n = ROW_COUNT;
    IF n <> 1 THEN RAISE EXCEPTION 'version moved on' USING ERRCODE = 'CF409'; END IF;
    IF c.fired_timer_id IS NOT NULL THEN
      -- A firing holds only while this very row is there: that is what makes it happen once.
      DELETE FROM timers
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
      DELETE FROM timers
        WHERE call_id = c.call_id AND timer_id IN (SELECT json_array_elements_text(c.cancel_timers));
    END IF;
    IF json_array_length(c.arm_timers) > 0 THEN
      -- A re-arm is an upsert on the job key (call_id, timer_id) and frees any claim.
      INSERT INTO timers (call_id, timer_id, name, due_at, event, locked_until)
        SELECT a.call_id, a.timer_id, a.name, a.due_at, a.event::json, 0
          FROM json_to_recordset(c.arm_timers) AS a(call_id text, timer_id text, name text, due_at bigint, event text)
        ON CONFLICT (call_id, timer_id) DO UPDATE SET name = excluded.name, due_at = excluded.due_at,
          event = excluded.event, locked_until = 0;
      armed := (SELECT min(a.due_at) FROM json_to_recordset(c.arm_timers) AS a(due_at bigint));
    END IF;
  END IF;
  -- Payload "<callId> <version>": a call id has no spaces and at most 128 characters.
  PERFORM pg_notify('callflow_change', c.call_id || ' ' || c.version);
  RETURN armed;
END
$$;

CREATE OR REPLACE FUNCTION callflow_commit(changes json) RETURNS boolean[]
LANGUAGE plpgsql AS $$
DECLARE
  c callflow_change;
  outcomes boolean[] := '{}';
  earliest_arm bigint;
BEGIN
  BEGIN
    FOR c IN SELECT * FROM json_populate_recordset(null::callflow_change, changes) LOOP
      earliest_arm := least(earliest_arm, callflow_apply(c));
      outcomes := outcomes || true;
    END LOOP;
  EXCEPTION
    WHEN unique_violation OR deadlock_detected OR serialization_failure OR lock_not_available
      OR SQLSTATE 'CF409' OR untranslatable_character OR invalid_text_representation THEN
      -- Everything of the whole-batch try is rolled back (notifications included): change by change.
      outcomes := '{}';
      earliest_arm := NULL;
      FOR c IN SELECT * FROM json_populate_recordset(null::callflow_change, changes) LOOP
        BEGIN
          earliest_arm := least(earliest_arm, callflow_apply(c));
          outcomes := outcomes || true;
        EXCEPTION
          WHEN unique_violation OR deadlock_detected OR serialization_failure OR lock_not_available
            OR SQLSTATE 'CF409'
            -- an event id PostgreSQL text cannot hold (\u0000, a lone surrogate): this change only
            OR untranslatable_character OR invalid_text_representation THEN
            outcomes := outcomes || false;
        END;
      END LOOP;
  END;
  -- Other nodes' workers sleep until their earliest known timer: wake them for an earlier one.
  IF earliest_arm IS NOT NULL THEN
    PERFORM pg_notify('callflow_timer', earliest_arm::text);
  END IF;
  RETURN outcomes;
END
$$;
