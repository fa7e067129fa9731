-- Community moderation (issue 5): what the engine needs that no other table
-- keeps, and the notifications that feed it online.
--
-- mod_exposures: which status each account was shown. "Shown and not
-- flagged" is the negative half of the model's data, so it must survive a
-- restart; it is also the largest table here, so it is kept small on
-- purpose: one row per (viewer, status) pair ever shown, first sighting
-- only (re-showing the same status changes nothing), no author (the
-- status row has it, and the loader joins it anyway to skip deleted
-- statuses), no foreign keys (no cascade work on status or account
-- deletion: rows of deleted statuses are skipped when loading and pruned
-- with age). The primary key is the only b-tree; seen_at has a BRIN index,
-- a few pages for the whole table, because rows arrive in time order and
-- pruning deletes the oldest. Retention and a row cap are configuration
-- (moderation.exposure_retention, moderation.max_exposures); the daemon
-- prunes hourly.
CREATE TABLE mod_exposures (
  account_id bigint NOT NULL,
  status_id  bigint NOT NULL,
  seen_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (account_id, status_id)
);
CREATE INDEX mod_exposures_seen_at_idx ON mod_exposures USING brin (seen_at);

-- Instance-wide actions and admins' decisions on them. Evidence is counts
-- and diversity only, never who flagged. state: 'acted' (marked for
-- everyone by the model, awaiting an admin), 'cleared' (the model no longer
-- acts and no admin decided), 'confirmed' or 'overturned' (an admin
-- decided; restored into the engine at start).
CREATE TABLE mod_instance_actions (
  status_id              bigint PRIMARY KEY REFERENCES statuses (id) ON DELETE CASCADE,
  author_id              bigint NOT NULL,
  state                  text NOT NULL
                         CHECK (state IN ('acted', 'cleared', 'confirmed', 'overturned')),
  flaggers               integer NOT NULL DEFAULT 0,
  exposures              integer NOT NULL DEFAULT 0,
  trusted_flag_weight    real NOT NULL DEFAULT 0,
  flaggers_negative_side integer NOT NULL DEFAULT 0,
  flaggers_positive_side integer NOT NULL DEFAULT 0,
  intercept              real NOT NULL DEFAULT 0,
  bridged                boolean NOT NULL DEFAULT false,
  acted_at               timestamptz,
  decided_at             timestamptz,
  decided_by             bigint REFERENCES accounts (id) ON DELETE SET NULL,  -- the admin
  updated_at             timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX mod_instance_actions_state_idx ON mod_instance_actions (state, updated_at DESC);

-- Online signals: every new report, favourite, boost, reply, mute, block,
-- user domain block, status deletion and account fact is announced on
-- channel `kith_mod`, whoever wrote it (the client API, the inbox worker
-- applying a remote Flag, another daemon). The payload is the signal
-- itself, space-separated, so the listener needs no query:
--   f|p|m|b <rater> <status> <author> <at_ms>   flag, positive, mute, block
--   u|n <rater> <status> <author> <at_ms>       unmuted and unblocked, unfavourited
--   d <rater> <domain> <at_ms>                  a user's domain block
--   x <status>                                  status deleted
--   a <account> <created_at_s> <local 0|1> <vouched 0|1>   account facts
-- A report names at most 100 statuses (kMaxReportStatuses in
-- api/reports.cpp for local reports, kMaxFlagStatuses in ap/apply_flag.cpp
-- for remote Flags), so even its one notification per status stays far
-- below NOTIFY's limits.
CREATE FUNCTION kith_mod_notify(kind text, rater bigint, status bigint, author bigint)
RETURNS void LANGUAGE sql AS $$
  SELECT pg_notify('kith_mod', kind || ' ' || rater || ' ' || coalesce(status, 0) || ' '
                   || coalesce(author, 0) || ' '
                   || (extract(epoch FROM clock_timestamp()) * 1000)::bigint)
$$;

CREATE FUNCTION kith_mod_reports() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  s bigint;
BEGIN
  -- The reporter's trust facts first (a remote Flag's actor is new here).
  PERFORM pg_notify('kith_mod', 'a ' || a.id || ' ' || extract(epoch FROM a.created_at)::bigint
                    || CASE WHEN a.domain IS NULL THEN ' 1 ' ELSE ' 0 ' END
                    || CASE WHEN coalesce(u.admin, false) THEN '1' ELSE '0' END)
    FROM accounts a LEFT JOIN users u ON u.account_id = a.id WHERE a.id = NEW.account_id;
  FOREACH s IN ARRAY NEW.status_ids LOOP
    PERFORM kith_mod_notify('f', NEW.account_id, s, NEW.target_account_id);
  END LOOP;
  RETURN NULL;
END $$;
CREATE TRIGGER reports_mod AFTER INSERT ON reports
  FOR EACH ROW EXECUTE FUNCTION kith_mod_reports();

-- A favourite of one's own status says nothing about it: not a signal.
CREATE FUNCTION kith_mod_favourites() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  status_author bigint;
BEGIN
  SELECT account_id INTO status_author FROM statuses WHERE id = NEW.status_id;
  IF status_author IS DISTINCT FROM NEW.account_id THEN
    PERFORM kith_mod_notify('p', NEW.account_id, NEW.status_id, status_author);
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER favourites_mod AFTER INSERT ON favourites
  FOR EACH ROW EXECUTE FUNCTION kith_mod_favourites();

-- An unfavourite withdraws the positive, unless the same account still
-- boosts the status (a boost is the same positive in the engine).
CREATE FUNCTION kith_mod_unfavourites() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  status_author bigint;
BEGIN
  SELECT account_id INTO status_author FROM statuses WHERE id = OLD.status_id;
  IF status_author IS DISTINCT FROM OLD.account_id AND NOT EXISTS (
       SELECT 1 FROM statuses WHERE reblog_of_id = OLD.status_id
         AND account_id = OLD.account_id AND deleted_at IS NULL) THEN
    PERFORM kith_mod_notify('n', OLD.account_id, OLD.status_id, status_author);
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER favourites_mod_delete AFTER DELETE ON favourites
  FOR EACH ROW EXECUTE FUNCTION kith_mod_unfavourites();

-- A boost or a reply is a positive signal on the boosted or replied-to
-- status (a reply may disagree, but it is engagement, not a report),
-- unless the author boosts or answers their own status; a status deleted
-- (soft or hard) is forgotten.
CREATE FUNCTION kith_mod_statuses() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  status_author bigint;
BEGIN
  IF TG_OP = 'DELETE' THEN
    PERFORM pg_notify('kith_mod', 'x ' || OLD.id);
  ELSIF TG_OP = 'UPDATE' THEN
    IF NEW.deleted_at IS NOT NULL AND OLD.deleted_at IS NULL THEN
      PERFORM pg_notify('kith_mod', 'x ' || NEW.id);
    END IF;
  ELSIF NEW.reblog_of_id IS NOT NULL THEN
    SELECT account_id INTO status_author FROM statuses WHERE id = NEW.reblog_of_id;
    IF status_author IS DISTINCT FROM NEW.account_id THEN
      PERFORM kith_mod_notify('p', NEW.account_id, NEW.reblog_of_id, status_author);
    END IF;
  ELSIF NEW.in_reply_to_id IS NOT NULL AND NEW.in_reply_to_account_id IS DISTINCT FROM NEW.account_id THEN
    PERFORM kith_mod_notify('p', NEW.account_id, NEW.in_reply_to_id, NEW.in_reply_to_account_id);
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER statuses_mod AFTER INSERT OR UPDATE OF deleted_at OR DELETE ON statuses
  FOR EACH ROW EXECUTE FUNCTION kith_mod_statuses();

CREATE FUNCTION kith_mod_mutes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM kith_mod_notify('m', NEW.account_id, 0, NEW.target_account_id);
  RETURN NULL;
END $$;
CREATE TRIGGER mutes_mod AFTER INSERT ON mutes
  FOR EACH ROW EXECUTE FUNCTION kith_mod_mutes();

CREATE FUNCTION kith_mod_blocks() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM kith_mod_notify('b', NEW.account_id, 0, NEW.target_account_id);
  RETURN NULL;
END $$;
CREATE TRIGGER blocks_mod AFTER INSERT ON blocks
  FOR EACH ROW EXECUTE FUNCTION kith_mod_blocks();

-- An unmute or unblock lifts the engine's verdict on the author (the
-- engine keeps one "muted or blocked" mark), so it is announced only when
-- neither a mute nor a block of that author is left (a block through a
-- user's domain block is lifted with it until the next start).
CREATE FUNCTION kith_mod_unmutes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM mutes WHERE account_id = OLD.account_id
                   AND target_account_id = OLD.target_account_id)
     AND NOT EXISTS (SELECT 1 FROM blocks WHERE account_id = OLD.account_id
                       AND target_account_id = OLD.target_account_id) THEN
    PERFORM kith_mod_notify('u', OLD.account_id, 0, OLD.target_account_id);
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER mutes_mod_delete AFTER DELETE ON mutes
  FOR EACH ROW EXECUTE FUNCTION kith_mod_unmutes();
CREATE TRIGGER blocks_mod_delete AFTER DELETE ON blocks
  FOR EACH ROW EXECUTE FUNCTION kith_mod_unmutes();

CREATE FUNCTION kith_mod_domain_blocks() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('kith_mod', 'd ' || NEW.account_id || ' ' || NEW.domain || ' '
                    || (extract(epoch FROM clock_timestamp()) * 1000)::bigint);
  RETURN NULL;
END $$;
CREATE TRIGGER account_domain_blocks_mod AFTER INSERT ON account_domain_blocks
  FOR EACH ROW EXECUTE FUNCTION kith_mod_domain_blocks();

-- Trust facts: a new local user, or a user made or unmade admin.
CREATE FUNCTION kith_mod_users() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND NEW.admin = OLD.admin THEN
    RETURN NULL;
  END IF;
  PERFORM pg_notify('kith_mod', 'a ' || NEW.account_id || ' '
                    || extract(epoch FROM a.created_at)::bigint || ' 1 '
                    || CASE WHEN NEW.admin THEN '1' ELSE '0' END)
    FROM accounts a WHERE a.id = NEW.account_id;
  RETURN NULL;
END $$;
CREATE TRIGGER users_mod AFTER INSERT OR UPDATE OF admin ON users
  FOR EACH ROW EXECUTE FUNCTION kith_mod_users();
