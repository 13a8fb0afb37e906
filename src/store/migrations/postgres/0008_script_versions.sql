-- Script versions (SPEC §11, src/scripts/): each a whole script (catalogues and limits), never
-- rewritten. Every node keeps the versions in memory; the trigger tells the others of a new one
-- when its transaction commits (payload: the version number).
CREATE TABLE script_versions (
  version integer PRIMARY KEY,
  published_at bigint NOT NULL,
  published_by text NOT NULL,
  content text NOT NULL,
  fingerprint text NOT NULL,
  summary text NOT NULL
);

CREATE FUNCTION callflow_script_published() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('callflow_script', NEW.version::text);
  RETURN NULL;
END
$$;

CREATE TRIGGER script_versions_notify AFTER INSERT ON script_versions
  FOR EACH ROW EXECUTE FUNCTION callflow_script_published();
