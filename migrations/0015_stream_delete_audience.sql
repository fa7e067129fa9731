-- The audience of a deleted status travels with its stream event.
--
-- 0006's trigger sent `status.deleted` with the id and author only. When
-- the row is gone (a boost undone, a remote Delete of an Announce) the
-- streaming hub could no longer tell who had seen it and announced the
-- bare id on every open stream, telling strangers that a followers-only
-- boost or status had existed. Now the event carries what decides the
-- audience: the row's visibility, its author, for a boost the boosted
-- status's author, and the accounts it mentions (at most 200, so the
-- payload stays far below NOTIFY's 8000 bytes). A hard delete is announced
-- from a BEFORE DELETE trigger: by AFTER time the mentions are already
-- gone with the ON DELETE CASCADE. NOTIFY still only goes out on commit.

CREATE OR REPLACE FUNCTION kith_stream_notify_deleted(s statuses) RETURNS void
LANGUAGE sql AS $$
  SELECT pg_notify('kith_stream', json_build_object(
    'event', 'status.deleted',
    'id', s.id::text,
    'account_id', s.account_id::text,
    'visibility', s.visibility,
    'reblog_account_id', (SELECT r.account_id::text FROM statuses r WHERE r.id = s.reblog_of_id),
    'mentions', coalesce((SELECT json_agg(m.account_id::text)
                            FROM (SELECT account_id FROM mentions WHERE status_id = s.id
                                  ORDER BY account_id LIMIT 200) m), '[]'::json)
  )::text)
$$;

CREATE OR REPLACE FUNCTION kith_statuses_stream() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    -- Only the BEFORE trigger speaks for a hard delete (see above).
    IF TG_WHEN = 'BEFORE' AND OLD.deleted_at IS NULL THEN
      PERFORM kith_stream_notify_deleted(OLD);
    END IF;
    RETURN OLD;
  ELSIF TG_OP = 'INSERT' THEN
    PERFORM kith_stream_notify('status.created', NEW.id, NEW.account_id);
  ELSIF NEW.deleted_at IS NOT NULL AND OLD.deleted_at IS NULL THEN
    PERFORM kith_stream_notify_deleted(NEW);
  ELSIF NEW.edited_at IS DISTINCT FROM OLD.edited_at THEN
    PERFORM kith_stream_notify('status.updated', NEW.id, NEW.account_id);
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER statuses_stream_delete BEFORE DELETE ON statuses
  FOR EACH ROW EXECUTE FUNCTION kith_statuses_stream();
