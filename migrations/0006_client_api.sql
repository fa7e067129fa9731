-- 0006_client_api: what the full Mastodon client API keeps: refresh tokens,
-- user preferences, uploaded media, notifications and read markers, mutes,
-- bookmarks, pins, edit history, scheduled statuses, poll votes, lists,
-- filters, followed hashtags, user-level domain blocks, private notes,
-- direct-message conversations, Web Push subscriptions; and the triggers
-- that tell every daemon's streaming hub (LISTEN kith_stream) what changed.

-- OAuth: a token may come with a refresh token (RFC 6749 section 6), also
-- stored only as a hash.
ALTER TABLE oauth_access_tokens ADD COLUMN refresh_token_hash text UNIQUE;
ALTER TABLE oauth_access_tokens ADD COLUMN last_used_at timestamptz;

-- Posting and reading preferences (GET /api/v1/preferences, the `source`
-- of the credential account).
ALTER TABLE users ADD COLUMN default_privacy text NOT NULL DEFAULT 'public'
  CHECK (default_privacy IN ('public', 'unlisted', 'private', 'direct'));
ALTER TABLE users ADD COLUMN default_sensitive boolean NOT NULL DEFAULT false;
ALTER TABLE users ADD COLUMN default_language text;
ALTER TABLE users ADD COLUMN expand_media text NOT NULL DEFAULT 'default'
  CHECK (expand_media IN ('default', 'show_all', 'hide_all'));
ALTER TABLE users ADD COLUMN expand_spoilers boolean NOT NULL DEFAULT false;

-- Local uploads: the stored file (relative to media.directory), its size,
-- and whether processing (sniffing, metadata removal, dimensions, blurhash)
-- has finished. Remote media keep remote_url only.
ALTER TABLE media_attachments ADD COLUMN file_path text;
ALTER TABLE media_attachments ADD COLUMN file_size bigint;
ALTER TABLE media_attachments ADD COLUMN processing text NOT NULL DEFAULT 'done'
  CHECK (processing IN ('pending', 'done', 'failed'));
CREATE INDEX media_attachments_unattached_idx ON media_attachments (account_id, created_at)
  WHERE status_id IS NULL;

-- A notification for a local account (account_id) caused by from_account_id.
-- The unique index makes creating one idempotent: a replayed activity does
-- not notify twice.
CREATE TABLE notifications (
  id              bigint PRIMARY KEY DEFAULT kith_next_id(),
  account_id      bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  from_account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  type            text NOT NULL CHECK (type IN ('mention', 'status', 'reblog', 'follow',
                    'follow_request', 'favourite', 'poll', 'update', 'admin.sign_up',
                    'admin.report', 'severed_relationships', 'moderation_warning', 'quote')),
  status_id       bigint REFERENCES statuses (id) ON DELETE CASCADE,
  report_id       bigint REFERENCES reports (id) ON DELETE CASCADE,
  created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX notifications_account_id_idx ON notifications (account_id, id DESC);
CREATE UNIQUE INDEX notifications_once_idx
  ON notifications (account_id, type, from_account_id, coalesce(status_id, 0), coalesce(report_id, 0));

-- Where a user stopped reading (GET/POST /api/v1/markers).
CREATE TABLE markers (
  account_id   bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  timeline     text NOT NULL CHECK (timeline IN ('home', 'notifications')),
  last_read_id bigint NOT NULL,
  version      integer NOT NULL DEFAULT 1,
  updated_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (account_id, timeline)
);

-- account_id muted target_account_id, until expires_at when set.
CREATE TABLE mutes (
  id                 bigint PRIMARY KEY DEFAULT kith_next_id(),
  account_id         bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  target_account_id  bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  hide_notifications boolean NOT NULL DEFAULT true,
  expires_at         timestamptz,
  created_at         timestamptz NOT NULL DEFAULT now(),
  UNIQUE (account_id, target_account_id)
);

CREATE TABLE bookmarks (
  id         bigint PRIMARY KEY DEFAULT kith_next_id(),
  account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  status_id  bigint NOT NULL REFERENCES statuses (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (account_id, status_id)
);
CREATE INDEX bookmarks_account_id_idx ON bookmarks (account_id, id DESC);

-- A status its author pinned to the profile.
CREATE TABLE status_pins (
  id         bigint PRIMARY KEY DEFAULT kith_next_id(),
  account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  status_id  bigint NOT NULL UNIQUE REFERENCES statuses (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX status_pins_account_id_idx ON status_pins (account_id, id DESC);

-- A muted thread: no more notifications from it (statuses/:id/mute).
-- The thread is named by its root status.
CREATE TABLE thread_mutes (
  account_id     bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  root_status_id bigint NOT NULL REFERENCES statuses (id) ON DELETE CASCADE,
  created_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (account_id, root_status_id)
);

-- A status's earlier versions (statuses/:id/history), oldest first; the
-- current version is the status row itself.
CREATE TABLE status_edits (
  id           bigint PRIMARY KEY DEFAULT kith_next_id(),
  status_id    bigint NOT NULL REFERENCES statuses (id) ON DELETE CASCADE,
  account_id   bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  content      text NOT NULL,
  spoiler_text text NOT NULL DEFAULT '',
  sensitive    boolean NOT NULL DEFAULT false,
  media_ids    bigint[] NOT NULL DEFAULT '{}',
  poll_options jsonb,  -- ["title", ...] when the version had a poll
  created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX status_edits_status_id_idx ON status_edits (status_id, id);

-- A status to post later: the create request's parameters, posted by a job
-- (queue 'scheduled_status', run_at = scheduled_at).
CREATE TABLE scheduled_statuses (
  id           bigint PRIMARY KEY DEFAULT kith_next_id(),
  account_id   bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  scheduled_at timestamptz NOT NULL,
  params       jsonb NOT NULL,
  media_ids    bigint[] NOT NULL DEFAULT '{}',
  created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX scheduled_statuses_account_id_idx ON scheduled_statuses (account_id, id DESC);

-- A vote in a poll: one row per chosen option.
CREATE TABLE poll_votes (
  id         bigint PRIMARY KEY DEFAULT kith_next_id(),
  poll_id    bigint NOT NULL REFERENCES polls (id) ON DELETE CASCADE,
  account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  choice     integer NOT NULL CHECK (choice >= 0),
  uri        text UNIQUE,  -- the vote's object id (a Note with `name`)
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (poll_id, account_id, choice)
);

CREATE TABLE lists (
  id             bigint PRIMARY KEY DEFAULT kith_next_id(),
  account_id     bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  title          text NOT NULL CHECK (title <> ''),
  replies_policy text NOT NULL DEFAULT 'list' CHECK (replies_policy IN ('followed', 'list', 'none')),
  exclusive      boolean NOT NULL DEFAULT false,
  created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX lists_account_id_idx ON lists (account_id);
CREATE TABLE list_accounts (
  list_id    bigint NOT NULL REFERENCES lists (id) ON DELETE CASCADE,
  account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  PRIMARY KEY (list_id, account_id)
);
CREATE INDEX list_accounts_account_id_idx ON list_accounts (account_id);

-- Filters (v2): keywords and statuses, shown with a warning or hidden, in
-- the contexts listed.
CREATE TABLE filters (
  id         bigint PRIMARY KEY DEFAULT kith_next_id(),
  account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  title      text NOT NULL,
  context    text[] NOT NULL
             CHECK (context <@ ARRAY['home', 'notifications', 'public', 'thread', 'account']),
  action     text NOT NULL DEFAULT 'warn' CHECK (action IN ('warn', 'hide', 'blur')),
  expires_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX filters_account_id_idx ON filters (account_id);
CREATE TABLE filter_keywords (
  id         bigint PRIMARY KEY DEFAULT kith_next_id(),
  filter_id  bigint NOT NULL REFERENCES filters (id) ON DELETE CASCADE,
  keyword    text NOT NULL CHECK (keyword <> ''),
  whole_word boolean NOT NULL DEFAULT true
);
CREATE INDEX filter_keywords_filter_id_idx ON filter_keywords (filter_id);
CREATE TABLE filter_statuses (
  id        bigint PRIMARY KEY DEFAULT kith_next_id(),
  filter_id bigint NOT NULL REFERENCES filters (id) ON DELETE CASCADE,
  status_id bigint NOT NULL REFERENCES statuses (id) ON DELETE CASCADE,
  UNIQUE (filter_id, status_id)
);

-- Hashtags a user follows (their statuses reach the home timeline).
CREATE TABLE tag_follows (
  id         bigint PRIMARY KEY DEFAULT kith_next_id(),
  account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  tag_id     bigint NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (account_id, tag_id)
);

-- A user's own domain blocks (GET/POST/DELETE /api/v1/domain_blocks):
-- hides that server's accounts from the user and removes their follows.
CREATE TABLE account_domain_blocks (
  id         bigint PRIMARY KEY DEFAULT kith_next_id(),
  account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  domain     text NOT NULL CHECK (domain <> '' AND domain = lower(domain)),
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (account_id, domain)
);

-- A private note about another account (accounts/:id/note).
CREATE TABLE account_notes (
  account_id        bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  target_account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  comment           text NOT NULL,
  updated_at        timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (account_id, target_account_id)
);

-- A direct-message conversation as one local account sees it
-- (GET /api/v1/conversations).
CREATE TABLE account_conversations (
  id                      bigint PRIMARY KEY DEFAULT kith_next_id(),
  account_id              bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  conversation_id         bigint NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
  participant_account_ids bigint[] NOT NULL DEFAULT '{}',
  last_status_id          bigint REFERENCES statuses (id) ON DELETE SET NULL,
  unread                  boolean NOT NULL DEFAULT true,
  updated_at              timestamptz NOT NULL DEFAULT now(),
  UNIQUE (account_id, conversation_id)
);
CREATE INDEX account_conversations_account_id_idx
  ON account_conversations (account_id, last_status_id DESC);

-- A Web Push subscription (RFC 8030), one per access token, as Mastodon
-- keeps them.
CREATE TABLE web_push_subscriptions (
  id              bigint PRIMARY KEY DEFAULT kith_next_id(),
  access_token_id bigint NOT NULL UNIQUE REFERENCES oauth_access_tokens (id) ON DELETE CASCADE,
  user_id         bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  endpoint        text NOT NULL,
  key_p256dh      text NOT NULL,  -- the client's public key, base64url
  key_auth        text NOT NULL,  -- the auth secret, base64url
  alerts          jsonb NOT NULL DEFAULT '{}',
  policy          text NOT NULL DEFAULT 'all' CHECK (policy IN ('all', 'followed', 'follower', 'none')),
  standard        boolean NOT NULL DEFAULT false,  -- RFC 8291 aes128gcm (else Mastodon's legacy aesgcm)
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX web_push_subscriptions_user_id_idx ON web_push_subscriptions (user_id);

-- Server-wide secrets made on first start (e.g. the VAPID key pair of Web
-- Push), by name.
CREATE TABLE instance_secrets (
  name       text PRIMARY KEY,
  value      text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- Streaming: every daemon LISTENs on channel kith_stream; these triggers
-- send a small JSON event when a status or notification changes, whoever
-- wrote it (the client API, the inbox worker, another daemon). NOTIFY is
-- delivered only when the transaction commits. Payloads carry ids only:
-- each daemon renders the entity per subscriber, since what a status looks
-- like (favourited, filtered, ...) depends on who reads it.
CREATE FUNCTION kith_stream_notify(event text, id bigint, account_id bigint) RETURNS void
LANGUAGE sql AS $$
  SELECT pg_notify('kith_stream',
                   json_build_object('event', event, 'id', id::text, 'account_id', account_id::text)::text)
$$;

CREATE FUNCTION kith_statuses_stream() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM kith_stream_notify('status.created', NEW.id, NEW.account_id);
  ELSIF TG_OP = 'DELETE' THEN
    IF OLD.deleted_at IS NULL THEN
      PERFORM kith_stream_notify('status.deleted', OLD.id, OLD.account_id);
    END IF;
  ELSIF NEW.deleted_at IS NOT NULL AND OLD.deleted_at IS NULL THEN
    PERFORM kith_stream_notify('status.deleted', NEW.id, NEW.account_id);
  ELSIF NEW.edited_at IS DISTINCT FROM OLD.edited_at THEN
    PERFORM kith_stream_notify('status.updated', NEW.id, NEW.account_id);
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER statuses_stream AFTER INSERT OR UPDATE OR DELETE ON statuses
  FOR EACH ROW EXECUTE FUNCTION kith_statuses_stream();

CREATE FUNCTION kith_notifications_stream() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM kith_stream_notify('notification', NEW.id, NEW.account_id);
  RETURN NULL;
END
$$;
CREATE TRIGGER notifications_stream AFTER INSERT ON notifications
  FOR EACH ROW EXECUTE FUNCTION kith_notifications_stream();

CREATE FUNCTION kith_conversations_stream() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM kith_stream_notify('conversation', NEW.id, NEW.account_id);
  RETURN NULL;
END
$$;
CREATE TRIGGER account_conversations_stream AFTER INSERT OR UPDATE ON account_conversations
  FOR EACH ROW EXECUTE FUNCTION kith_conversations_stream();

CREATE FUNCTION kith_filters_stream() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    PERFORM kith_stream_notify('filters_changed', OLD.id, OLD.account_id);
  ELSE
    PERFORM kith_stream_notify('filters_changed', NEW.id, NEW.account_id);
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER filters_stream AFTER INSERT OR UPDATE OR DELETE ON filters
  FOR EACH ROW EXECUTE FUNCTION kith_filters_stream();
