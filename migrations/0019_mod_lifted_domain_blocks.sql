-- Community moderation (issue 5): a user's lifted domain block is
-- announced as it is lifted (notice `D <rater> <domain> <at_ms>`, the
-- counterpart of 0016's `d`), so the moderation service lifts the
-- engine's mark on that domain's authors, except those the user still
-- mutes or blocks one by one (src/api/moderation_service.cpp,
-- resolve_domain_blocks). Ended mutes have no row change to trigger on;
-- the service sweeps for them instead (sweep_expired_mutes). Also two
-- gaps of 0016 closed: an unmute while the domain stays blocked, and a
-- mute made again (an UPDATE of its row).
CREATE FUNCTION kith_mod_domain_unblocks() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('kith_mod', 'D ' || OLD.account_id || ' ' || OLD.domain || ' '
                    || (extract(epoch FROM clock_timestamp()) * 1000)::bigint);
  RETURN NULL;
END $$;
CREATE TRIGGER account_domain_blocks_mod_delete AFTER DELETE ON account_domain_blocks
  FOR EACH ROW EXECUTE FUNCTION kith_mod_domain_unblocks();

-- 0016's unmute/unblock rule, completed: the author stays hidden while
-- the user blocks their domain, and a mute that has ended no longer
-- counts as one left.
CREATE OR REPLACE FUNCTION kith_mod_unmutes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM mutes WHERE account_id = OLD.account_id
                   AND target_account_id = OLD.target_account_id
                   AND (expires_at IS NULL OR expires_at > now()))
     AND NOT EXISTS (SELECT 1 FROM blocks WHERE account_id = OLD.account_id
                       AND target_account_id = OLD.target_account_id)
     AND NOT EXISTS (SELECT 1 FROM account_domain_blocks d JOIN accounts a ON a.domain = d.domain
                       WHERE d.account_id = OLD.account_id AND a.id = OLD.target_account_id) THEN
    PERFORM kith_mod_notify('u', OLD.account_id, 0, OLD.target_account_id);
  END IF;
  RETURN NULL;
END $$;

-- A mute made again (POST .../mute on a row that exists, ended or not, is
-- an UPDATE of the row) is announced as a mute, as the first one was.
CREATE FUNCTION kith_mod_mutes_renewed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.expires_at IS NULL OR NEW.expires_at > now() THEN
    PERFORM kith_mod_notify('m', NEW.account_id, 0, NEW.target_account_id);
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER mutes_mod_update AFTER UPDATE ON mutes
  FOR EACH ROW EXECUTE FUNCTION kith_mod_mutes_renewed();
