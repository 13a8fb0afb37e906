-- Webhooks (SPEC §7, src/webhooks/): endpoints, the outbox of messages (one row per message
-- and endpoint, written with the change that causes it), and the log of delivery attempts.
CREATE TABLE webhook_endpoints (
  id text PRIMARY KEY,
  url text NOT NULL,
  -- JSON array of message types; NULL: every type.
  types text,
  description text,
  secret text NOT NULL,
  created_at bigint NOT NULL,
  disabled_at bigint,
  disabled_reason text
);

CREATE TABLE webhook_messages (
  -- Commit order: a pair's messages are delivered in this order (a call's changes commit in
  -- version order, so its messages get increasing numbers).
  n bigserial PRIMARY KEY,
  id text NOT NULL UNIQUE,
  endpoint_id text NOT NULL,
  call_id text NOT NULL,
  type text NOT NULL,
  body text NOT NULL,
  created_at bigint NOT NULL,
  -- pending | delivered | failed
  status text NOT NULL,
  attempts integer NOT NULL,
  -- Attempts made before the latest manual retry: the schedule starts again from there.
  round_start integer NOT NULL,
  -- While pending: when it may be attempted (its creation, or the end of its backoff).
  due_at bigint NOT NULL,
  finished_at bigint
);
CREATE INDEX webhook_messages_pending_by_pair ON webhook_messages (endpoint_id, call_id, n) WHERE status = 'pending';
CREATE INDEX webhook_messages_pending_by_due ON webhook_messages (due_at) WHERE status = 'pending';
CREATE INDEX webhook_messages_by_endpoint ON webhook_messages (endpoint_id, n);

CREATE TABLE webhook_attempts (
  message_id text NOT NULL,
  attempt integer NOT NULL,
  at bigint NOT NULL,
  status_code integer,
  -- An error code (TIMEOUT, ECONNREFUSED...), never a message text or a body.
  error text,
  duration_ms integer NOT NULL,
  PRIMARY KEY (message_id, attempt)
);

-- The outbox rows of one change (or of another capability's transaction): for each (endpoint,
-- call) pair, in a fixed order, its advisory lock, then its messages, then its delivery job if
-- absent. A delivery job's last step takes the same lock before it deletes the job unless a
-- message is pending (src/webhooks/delivery.ts), so a message committed while its pair's job
-- finishes always finds a job, or is seen by that last step.
CREATE FUNCTION callflow_webhook_enqueue(messages json) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  pair record;
  m json;
BEGIN
  -- Locks first, in a fixed order (two transactions never wait on each other in a cycle).
  FOR pair IN
    SELECT x.endpoint_id, x.call_id
      FROM json_to_recordset(messages) AS x(endpoint_id text, call_id text)
      GROUP BY x.endpoint_id, x.call_id ORDER BY x.endpoint_id, x.call_id
  LOOP
    PERFORM pg_advisory_xact_lock(hashtext(pair.endpoint_id), hashtext(pair.call_id));
  END LOOP;
  -- One by one, in the given order: n grows in that order.
  FOR m IN SELECT e FROM json_array_elements(messages) AS e LOOP
    INSERT INTO webhook_messages (id, endpoint_id, call_id, type, body, created_at, status, attempts, round_start, due_at)
      VALUES (m->>'id', m->>'endpoint_id', m->>'call_id', m->>'type', m->>'body', (m->>'created_at')::bigint,
        'pending', 0, 0, (m->>'created_at')::bigint);
  END LOOP;
  FOR pair IN
    SELECT x.endpoint_id, x.call_id, min(x.created_at) AS due_at
      FROM json_to_recordset(messages) AS x(endpoint_id text, call_id text, created_at bigint)
      GROUP BY x.endpoint_id, x.call_id
  LOOP
    INSERT INTO jobs (call_id, timer_id, name, due_at, event, locked_until)
      VALUES (pair.call_id, 'webhook:' || pair.endpoint_id, 'webhook.delivery', pair.due_at,
        json_build_object('type', 'webhook.delivery', 'endpointId', pair.endpoint_id), 0)
      ON CONFLICT (call_id, timer_id) DO NOTHING;
    -- Other nodes' job workers sleep until their earliest known job (identical payloads in one
    -- transaction are sent once, so a change's own notification is not repeated).
    PERFORM pg_notify('callflow_timer', pair.due_at::text);
  END LOOP;
END
$$;
