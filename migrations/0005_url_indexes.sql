-- Indexes for finding an account or a status by its URL (the profile or
-- status page a person pastes into search), not only by its ActivityPub
-- id. Search looks the id up first (accounts.uri and statuses.uri are
-- UNIQUE, so indexed) and the URL only when no id matches; without these
-- indexes that second look-up was a sequential scan of the whole table
-- for every search anyone, even someone not signed in, sends.
-- Partial: boosts have no URL. (Below: one more index, for threads.)
CREATE INDEX accounts_url_idx ON accounts (url) WHERE url IS NOT NULL;
CREATE INDEX statuses_url_idx ON statuses (url) WHERE url IS NOT NULL;

-- The replies of one status in id order, so that GET /context reads the
-- first few replies of each status in a thread and stops, however many
-- thousands a remote server attached (db::descendants).
CREATE INDEX statuses_in_reply_to_id_id_idx ON statuses (in_reply_to_id, id)
  WHERE in_reply_to_id IS NOT NULL;
