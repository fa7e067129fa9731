-- 0001_core: the core schema: accounts and their local users, statuses,
-- follows, OAuth applications and tokens, and the durable job queue.
--
-- Conventions for this and later migrations:
-- * Ids are bigint and time-ordered, generated in the database by
--   kith_next_id() (Mastodon's scheme): milliseconds since the Unix epoch
--   shifted left 16 bits, plus a sequence number for ids taken in the same
--   millisecond. Sorting by id sorts by creation time, so timelines page on
--   the primary key, and an id can be made before the row (the uri of a local
--   status contains its id).
-- * Times are timestamptz. Hosts (domain) are stored normalised: lower case.
-- * Enumerations are text with a CHECK constraint: readable in psql and in
--   queries, for a few bytes more per row than a smallint code.
-- * Secrets (passwords, OAuth secrets and tokens) are stored only as hashes.

CREATE SEQUENCE kith_id_seq;

CREATE FUNCTION kith_next_id() RETURNS bigint
LANGUAGE sql VOLATILE PARALLEL UNSAFE AS $$
  SELECT ((floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint) << 16)
         | (nextval('kith_id_seq') % 65536)
$$;

-- An actor: a local account (domain IS NULL) or a remote one we have seen.
-- Remote accounts are a cache of the actor document, refreshed when
-- last_fetched_at grows old.
CREATE TABLE accounts (
  id                  bigint PRIMARY KEY DEFAULT kith_next_id(),
  username            text NOT NULL CHECK (username <> ''),
  domain              text CHECK (domain IS NULL OR (domain <> '' AND domain = lower(domain))),
  display_name        text NOT NULL DEFAULT '',
  note                text NOT NULL DEFAULT '',  -- bio, sanitised HTML
  uri                 text NOT NULL UNIQUE,      -- the ActivityPub actor id
  url                 text,                      -- the profile page for people
  inbox_url           text NOT NULL DEFAULT '',
  outbox_url          text NOT NULL DEFAULT '',
  shared_inbox_url    text,
  followers_url       text NOT NULL DEFAULT '',
  following_url       text NOT NULL DEFAULT '',
  featured_url        text,
  public_key_pem      text NOT NULL DEFAULT '',
  public_key_id       text,                      -- e.g. <uri>#main-key
  locked              boolean NOT NULL DEFAULT false,  -- follows need approval
  discoverable        boolean NOT NULL DEFAULT false,
  bot                 boolean NOT NULL DEFAULT false,
  avatar_url          text,
  header_url          text,
  fields              jsonb NOT NULL DEFAULT '[]',     -- [{name, value, verified_at}]
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now(),
  last_fetched_at     timestamptz,                     -- remote accounts only
  suspended_at        timestamptz,
  moved_to_account_id bigint REFERENCES accounts (id) ON DELETE SET NULL
);
-- One account per name and host, case-insensitively (alice@x is Alice@X).
CREATE UNIQUE INDEX accounts_username_domain_idx
  ON accounts (lower(username), lower(coalesce(domain, '')));
CREATE INDEX accounts_domain_idx ON accounts (domain) WHERE domain IS NOT NULL;
-- Signature verification looks accounts up by key id.
CREATE INDEX accounts_public_key_id_idx ON accounts (public_key_id)
  WHERE public_key_id IS NOT NULL;

-- A person who signs in here: the login side of a local account.
CREATE TABLE users (
  id              bigint PRIMARY KEY DEFAULT kith_next_id(),
  account_id      bigint NOT NULL UNIQUE REFERENCES accounts (id) ON DELETE CASCADE,
  email           text NOT NULL,
  password_hash   text NOT NULL,               -- argon2id, PHC string format
  admin           boolean NOT NULL DEFAULT false,
  confirmed_at    timestamptz,
  disabled        boolean NOT NULL DEFAULT false,
  private_key_pem text NOT NULL,               -- the account's RSA key, PKCS#8
  locale          text NOT NULL DEFAULT 'en',
  created_at      timestamptz NOT NULL DEFAULT now(),
  last_sign_in_at timestamptz
);
CREATE UNIQUE INDEX users_email_idx ON users (lower(email));

-- A thread, so that replies from several servers group together.
CREATE TABLE conversations (
  id         bigint PRIMARY KEY DEFAULT kith_next_id(),
  uri        text UNIQUE,                      -- the remote context, if any
  created_at timestamptz NOT NULL DEFAULT now()
);

-- A post, local or remote; a boost is a status with reblog_of_id set and no
-- content of its own. Deleted statuses keep their row (deleted_at) until
-- cleanup, so that a late Delete or a repeated fetch is recognised.
CREATE TABLE statuses (
  id                     bigint PRIMARY KEY DEFAULT kith_next_id(),
  account_id             bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  uri                    text NOT NULL UNIQUE,  -- the ActivityPub object id
  url                    text,
  local                  boolean NOT NULL DEFAULT false,
  in_reply_to_id         bigint REFERENCES statuses (id) ON DELETE SET NULL,
  in_reply_to_account_id bigint REFERENCES accounts (id) ON DELETE SET NULL,
  in_reply_to_uri        text,  -- kept when the parent is unknown or gone
  reblog_of_id           bigint REFERENCES statuses (id) ON DELETE CASCADE,
  conversation_id        bigint REFERENCES conversations (id) ON DELETE SET NULL,
  content                text NOT NULL DEFAULT '',  -- sanitised HTML
  text                   text,                      -- the author's source (local only)
  content_type           text NOT NULL DEFAULT 'text/plain',  -- of `text`
  spoiler_text           text NOT NULL DEFAULT '',
  sensitive              boolean NOT NULL DEFAULT false,
  -- Who may see it: 'public', 'unlisted' (public but off public timelines),
  -- 'private' (followers only), 'direct' (mentioned accounts only), 'local'
  -- (this server's users only, never federated).
  visibility             text NOT NULL DEFAULT 'public'
                         CHECK (visibility IN ('public', 'unlisted', 'private', 'direct', 'local')),
  language               text,
  created_at             timestamptz NOT NULL DEFAULT now(),
  updated_at             timestamptz NOT NULL DEFAULT now(),
  edited_at              timestamptz,
  deleted_at             timestamptz
);
-- An account's statuses, newest first (profiles, outbox, home timeline fan-in).
CREATE INDEX statuses_account_id_idx ON statuses (account_id, id DESC);
-- The public timelines.
CREATE INDEX statuses_public_idx ON statuses (id DESC)
  WHERE visibility = 'public' AND deleted_at IS NULL AND reblog_of_id IS NULL;
CREATE INDEX statuses_in_reply_to_id_idx ON statuses (in_reply_to_id)
  WHERE in_reply_to_id IS NOT NULL;
CREATE INDEX statuses_conversation_id_idx ON statuses (conversation_id)
  WHERE conversation_id IS NOT NULL;
-- A boost's reblogs, and at most one boost of a status per account.
CREATE UNIQUE INDEX statuses_reblog_idx ON statuses (reblog_of_id, account_id)
  WHERE reblog_of_id IS NOT NULL;

-- account_id follows target_account_id. 'pending' until a locked account
-- (or a remote server) accepts.
CREATE TABLE follows (
  id                bigint PRIMARY KEY DEFAULT kith_next_id(),
  account_id        bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  target_account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  uri               text UNIQUE,  -- the Follow activity's id
  state             text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'accepted')),
  show_reblogs      boolean NOT NULL DEFAULT true,
  notify            boolean NOT NULL DEFAULT false,
  created_at        timestamptz NOT NULL DEFAULT now(),
  UNIQUE (account_id, target_account_id),
  CHECK (account_id <> target_account_id)
);
-- Followers of an account (delivery, followers-only visibility).
CREATE INDEX follows_target_account_id_idx ON follows (target_account_id, state);

-- A client registered through POST /api/v1/apps (or by an admin).
CREATE TABLE oauth_applications (
  id                 bigint PRIMARY KEY DEFAULT kith_next_id(),
  name               text NOT NULL,
  website            text,
  redirect_uris      text NOT NULL,                -- one per line
  scopes             text NOT NULL DEFAULT 'read',  -- space-separated
  client_id          text NOT NULL UNIQUE,
  client_secret_hash text NOT NULL,
  owner_user_id      bigint REFERENCES users (id) ON DELETE CASCADE,
  created_at         timestamptz NOT NULL DEFAULT now()
);

-- An authorisation code of the OAuth code flow: short-lived, used once.
CREATE TABLE oauth_authorization_codes (
  id                    bigint PRIMARY KEY DEFAULT kith_next_id(),
  code_hash             text NOT NULL UNIQUE,
  application_id        bigint NOT NULL REFERENCES oauth_applications (id) ON DELETE CASCADE,
  user_id               bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  redirect_uri          text NOT NULL,
  scopes                text NOT NULL,
  code_challenge        text,  -- PKCE (RFC 7636)
  code_challenge_method text CHECK (code_challenge_method IN ('S256', 'plain')),
  created_at            timestamptz NOT NULL DEFAULT now(),
  expires_at            timestamptz NOT NULL,
  used_at               timestamptz
);

-- A bearer token. user_id is NULL for a client-credentials (app) token.
CREATE TABLE oauth_access_tokens (
  id             bigint PRIMARY KEY DEFAULT kith_next_id(),
  token_hash     text NOT NULL UNIQUE,
  application_id bigint NOT NULL REFERENCES oauth_applications (id) ON DELETE CASCADE,
  user_id        bigint REFERENCES users (id) ON DELETE CASCADE,
  scopes         text NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now(),
  revoked_at     timestamptz,
  expires_at     timestamptz
);
CREATE INDEX oauth_access_tokens_user_id_idx ON oauth_access_tokens (user_id)
  WHERE user_id IS NOT NULL;

-- The durable queue: outgoing deliveries and accepted inbound activities.
-- A row is written in the same transaction as what caused it; workers claim
-- rows with FOR UPDATE SKIP LOCKED, set state 'running' and locked_until, and
-- a row whose lock ran out (its worker died) is claimed again. dedupe_key
-- makes enqueueing idempotent (e.g. one delivery per activity and inbox).
CREATE TABLE jobs (
  id           bigserial PRIMARY KEY,
  queue        text NOT NULL,
  payload      jsonb NOT NULL,
  dedupe_key   text UNIQUE,
  state        text NOT NULL DEFAULT 'queued'
               CHECK (state IN ('queued', 'running', 'done', 'failed')),
  attempts     integer NOT NULL DEFAULT 0,
  run_at       timestamptz NOT NULL DEFAULT now(),  -- not before (retry backoff)
  locked_until timestamptz,
  last_error   text,
  created_at   timestamptz NOT NULL DEFAULT now(),
  finished_at  timestamptz
);
-- Claiming: the next due jobs of a queue.
CREATE INDEX jobs_claim_idx ON jobs (queue, run_at) WHERE state = 'queued';
-- Reclaiming jobs whose worker died.
CREATE INDEX jobs_running_idx ON jobs (locked_until) WHERE state = 'running';
