-- 0004_federation: what applying activities (inbound and outbound) needs
-- besides statuses and follows: favourites, blocks, mentions, hashtags,
-- attachments of remote posts, polls, reports (Flag), and a few columns of
-- statuses and accounts that other servers send.
--
-- Every row that an activity creates keeps that activity's id in `uri`
-- (UNIQUE), so that applying the same activity twice finds the row the
-- first time made and does nothing: the inbox's idempotency does not rest
-- on the job queue's dedupe key alone, which is purged with old jobs.

-- A Like. uri: the Like activity's id (ours: <actor>#likes/<id>).
CREATE TABLE favourites (
  id         bigint PRIMARY KEY DEFAULT kith_next_id(),
  account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  status_id  bigint NOT NULL REFERENCES statuses (id) ON DELETE CASCADE,
  uri        text UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (account_id, status_id)
);
CREATE INDEX favourites_status_id_idx ON favourites (status_id);

-- account_id blocks target_account_id. uri: the Block activity's id.
CREATE TABLE blocks (
  id                bigint PRIMARY KEY DEFAULT kith_next_id(),
  account_id        bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  target_account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  uri               text UNIQUE,
  created_at        timestamptz NOT NULL DEFAULT now(),
  UNIQUE (account_id, target_account_id),
  CHECK (account_id <> target_account_id)
);
CREATE INDEX blocks_target_account_id_idx ON blocks (target_account_id);

-- An account mentioned by a status: a Mention tag, and for a direct status
-- its addressees. silent: addressed without being named in the text.
CREATE TABLE mentions (
  id         bigint PRIMARY KEY DEFAULT kith_next_id(),
  status_id  bigint NOT NULL REFERENCES statuses (id) ON DELETE CASCADE,
  account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  silent     boolean NOT NULL DEFAULT false,
  UNIQUE (status_id, account_id)
);
CREATE INDEX mentions_account_id_idx ON mentions (account_id, status_id DESC);

-- Hashtags, by their name in lower case without '#'.
CREATE TABLE tags (
  id         bigint PRIMARY KEY DEFAULT kith_next_id(),
  name       text NOT NULL UNIQUE CHECK (name <> '' AND name = lower(name)),
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE statuses_tags (
  status_id bigint NOT NULL REFERENCES statuses (id) ON DELETE CASCADE,
  tag_id    bigint NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
  PRIMARY KEY (tag_id, status_id)
);
CREATE INDEX statuses_tags_status_id_idx ON statuses_tags (status_id);

-- A media attachment. For a remote status only remote_url and what the
-- author said about it are kept (kith does not copy remote media); local
-- uploads (the client API's media endpoints) add their file columns later.
CREATE TABLE media_attachments (
  id          bigint PRIMARY KEY DEFAULT kith_next_id(),
  status_id   bigint REFERENCES statuses (id) ON DELETE CASCADE,
  account_id  bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  type        text NOT NULL DEFAULT 'unknown'
              CHECK (type IN ('image', 'gifv', 'video', 'audio', 'unknown')),
  remote_url  text,
  media_type  text,
  description text NOT NULL DEFAULT '',  -- the alt text
  blurhash    text,
  meta        jsonb NOT NULL DEFAULT '{}',  -- width, height, focus
  position    integer NOT NULL DEFAULT 0,   -- order within the status
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX media_attachments_status_id_idx ON media_attachments (status_id, position)
  WHERE status_id IS NOT NULL;

-- A poll (a Question). options: [{"title": ..., "votes": n}, ...].
CREATE TABLE polls (
  id           bigint PRIMARY KEY DEFAULT kith_next_id(),
  status_id    bigint NOT NULL UNIQUE REFERENCES statuses (id) ON DELETE CASCADE,
  multiple     boolean NOT NULL DEFAULT false,
  options      jsonb NOT NULL,
  voters_count bigint,
  expires_at   timestamptz,
  closed_at    timestamptz,
  updated_at   timestamptz NOT NULL DEFAULT now()
);

-- A report: a local user's, or a Flag from another server (account_id is
-- then the Flag's actor, often that server's instance actor). Kept for the
-- moderators and the community moderation model; status_ids are those of
-- the reported statuses that kith knows.
CREATE TABLE reports (
  id                bigint PRIMARY KEY DEFAULT kith_next_id(),
  account_id        bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  target_account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  status_ids        bigint[] NOT NULL DEFAULT '{}',
  comment           text NOT NULL DEFAULT '',
  uri               text UNIQUE,  -- the Flag activity's id
  created_at        timestamptz NOT NULL DEFAULT now(),
  action_taken_at   timestamptz
);
CREATE INDEX reports_target_account_id_idx ON reports (target_account_id);

-- What other servers send about a status besides its content.
ALTER TABLE statuses ADD COLUMN quote_uri text;          -- the quoted post's id (FEP-044f...)
ALTER TABLE statuses ADD COLUMN activity_uri text;       -- the Create (or Announce) that brought it

-- What other servers send about an actor besides what 0001 keeps.
ALTER TABLE accounts ADD COLUMN actor_type text NOT NULL DEFAULT 'Person';
ALTER TABLE accounts ADD COLUMN also_known_as jsonb NOT NULL DEFAULT '[]';  -- Move checks it
-- The Follow activity id of a local account's follow of a remote one is
-- follows.uri; a remote follow of a local account also keeps its id there.
