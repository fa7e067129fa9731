-- 0010_account_settings: what the accounts and relationships endpoints keep
-- beyond 0006: the profile's plain-text source (update_credentials answers it
-- back in CredentialAccount.source, so clients edit what the user typed, not
-- HTML), the hide_collections and indexable flags, the languages a follower
-- wants to see from a followed account, and endorsed ("featured") accounts.

-- The note as its author typed it (local accounts only; accounts.note keeps
-- the HTML rendered from it). NULL: never set through the client API.
ALTER TABLE accounts ADD COLUMN note_source text;
-- Mastodon 4.1's hide_collections: followers and following are not listed
-- to others; 4.2's indexable: public posts may be found by full-text search.
ALTER TABLE accounts ADD COLUMN hide_collections boolean NOT NULL DEFAULT false;
ALTER TABLE accounts ADD COLUMN indexable boolean NOT NULL DEFAULT false;

-- POST /accounts/:id/follow languages[]: only statuses in these languages
-- reach the follower's home timeline; NULL means every language.
ALTER TABLE follows ADD COLUMN languages text[];

-- POST /accounts/:id/pin: an account the user features on the profile
-- (GET /api/v1/endorsements, Relationship.endorsed).
CREATE TABLE account_endorsements (
  id                bigint PRIMARY KEY DEFAULT kith_next_id(),
  account_id        bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  target_account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  created_at        timestamptz NOT NULL DEFAULT now(),
  UNIQUE (account_id, target_account_id)
);

-- Paging mutes and blocks by row id, and the timelines' "not muted by the
-- viewer" test, read these.
CREATE INDEX mutes_account_id_idx ON mutes (account_id, id DESC);
CREATE INDEX blocks_account_id_idx ON blocks (account_id, id DESC);
