-- Community moderation (issue 5): an admin's decision and a user's
-- moderation preferences are announced on `kith_mod` like every signal,
-- so that every daemon on this database applies them at once, not only
-- the one that served the request (before, the others learned them at
-- their next start). Payloads (parsed in src/api/moderation_notice.cpp):
--   c <status>                                   confirmed by an admin
--   o <status>                                   overturned by an admin
--   P <account> <opt_out 0|1> <sensitivity> <warn|hide>   preferences
-- The daemon that wrote the row has applied it already; applying it again
-- changes nothing.
CREATE FUNCTION kith_mod_decisions() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.state IN ('confirmed', 'overturned')
     AND (TG_OP = 'INSERT' OR NEW.state IS DISTINCT FROM OLD.state) THEN
    PERFORM pg_notify('kith_mod', CASE NEW.state WHEN 'confirmed' THEN 'c ' ELSE 'o ' END
                      || NEW.status_id);
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER mod_instance_actions_mod AFTER INSERT OR UPDATE OF state ON mod_instance_actions
  FOR EACH ROW EXECUTE FUNCTION kith_mod_decisions();

CREATE FUNCTION kith_mod_preferences() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('kith_mod', 'P ' || NEW.account_id || ' '
                    || CASE WHEN NEW.opt_out THEN '1' ELSE '0' END || ' '
                    || CASE WHEN NEW.sensitivity = 0 THEN '0' ELSE NEW.sensitivity::text END
                    || ' ' || NEW.action);
  RETURN NULL;
END $$;
CREATE TRIGGER mod_preferences_mod AFTER INSERT OR UPDATE ON mod_preferences
  FOR EACH ROW EXECUTE FUNCTION kith_mod_preferences();
