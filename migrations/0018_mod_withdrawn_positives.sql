-- Community moderation (issue 5): an unboost or a deleted reply withdraws
-- its positive signal at once, as an unfavourite does (0016 announced
-- those only at the next start's load). The positive is one mark per
-- account and status in the engine, so it is withdrawn only when nothing
-- else of that account still carries it: no favourite, and no other live
-- boost of or reply to the status. Everything else kith_mod_statuses did
-- in 0016 is unchanged.
CREATE OR REPLACE FUNCTION kith_mod_positive_left(account bigint, status bigint)
RETURNS boolean LANGUAGE sql STABLE AS $$
  SELECT EXISTS (SELECT 1 FROM favourites WHERE account_id = account AND status_id = status)
      OR EXISTS (SELECT 1 FROM statuses WHERE account_id = account AND deleted_at IS NULL
                   AND (reblog_of_id = status OR in_reply_to_id = status))
$$;

CREATE OR REPLACE FUNCTION kith_mod_statuses() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  status_author bigint;
  gone statuses;
BEGIN
  IF TG_OP = 'DELETE' THEN
    PERFORM pg_notify('kith_mod', 'x ' || OLD.id);
    gone := OLD;
  ELSIF TG_OP = 'UPDATE' THEN
    IF NEW.deleted_at IS NOT NULL AND OLD.deleted_at IS NULL THEN
      PERFORM pg_notify('kith_mod', 'x ' || NEW.id);
      gone := NEW;
    END IF;
  ELSIF NEW.reblog_of_id IS NOT NULL THEN
    SELECT account_id INTO status_author FROM statuses WHERE id = NEW.reblog_of_id;
    IF status_author IS DISTINCT FROM NEW.account_id THEN
      PERFORM kith_mod_notify('p', NEW.account_id, NEW.reblog_of_id, status_author);
    END IF;
  ELSIF NEW.in_reply_to_id IS NOT NULL AND NEW.in_reply_to_account_id IS DISTINCT FROM NEW.account_id THEN
    PERFORM kith_mod_notify('p', NEW.account_id, NEW.in_reply_to_id, NEW.in_reply_to_account_id);
  END IF;
  -- A boost or reply gone: its positive goes with it, unless another
  -- favourite, boost or reply of the same account still carries it.
  IF gone.id IS NOT NULL AND coalesce(gone.reblog_of_id, gone.in_reply_to_id) IS NOT NULL THEN
    SELECT account_id INTO status_author FROM statuses
      WHERE id = coalesce(gone.reblog_of_id, gone.in_reply_to_id);
    IF status_author IS NOT NULL AND status_author IS DISTINCT FROM gone.account_id
       AND NOT kith_mod_positive_left(gone.account_id,
                                      coalesce(gone.reblog_of_id, gone.in_reply_to_id)) THEN
      PERFORM kith_mod_notify('n', gone.account_id,
                              coalesce(gone.reblog_of_id, gone.in_reply_to_id), status_author);
    END IF;
  END IF;
  RETURN NULL;
END $$;

-- The unfavourite's rule (0016) in the same words: withdrawn only when no
-- boost or reply of the account is left on the status.
CREATE OR REPLACE FUNCTION kith_mod_unfavourites() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  status_author bigint;
BEGIN
  SELECT account_id INTO status_author FROM statuses WHERE id = OLD.status_id;
  IF status_author IS DISTINCT FROM OLD.account_id
     AND NOT kith_mod_positive_left(OLD.account_id, OLD.status_id) THEN
    PERFORM kith_mod_notify('n', OLD.account_id, OLD.status_id, status_author);
  END IF;
  RETURN NULL;
END $$;
