-- 0003_instance_actor: the key pair of the instance actor.
--
-- The instance actor (https://<host>/actor, an Application) is the server
-- itself as an ActivityPub actor: it signs fetches that no user makes (a
-- remote actor's key, an object behind authorized fetch) and is what remote
-- servers see asking. It has no account row and no user: its URLs follow from
-- the configured host, so only its keys need storing. The row is made lazily,
-- by the first daemon that needs it (db/instance_actor.cpp), since SQL cannot
-- make an RSA key; the singleton column allows exactly one row. The private
-- key never leaves the database and the daemon's memory.
CREATE TABLE instance_actor (
  singleton       boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  public_key_pem  text NOT NULL,
  private_key_pem text NOT NULL,  -- PKCS#8, like users.private_key_pem
  created_at      timestamptz NOT NULL DEFAULT now()
);
