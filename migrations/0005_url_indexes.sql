-- Indexes for finding an account or a status by its URL (the profile or
-- status page a person pastes into search), not only by its ActivityPub
-- id. Search looks the id up first (accounts.uri and statuses.uri are
-- UNIQUE, so indexed) and the URL only when no id matches; without these
-- indexes that second look-up was a sequential scan of the whole table
-- for every search anyone, even someone not signed in, sends.
-- Partial: most rows of a boost or a local-only object have no URL.
CREATE INDEX accounts_url_idx ON accounts (url) WHERE url IS NOT NULL;
CREATE INDEX statuses_url_idx ON statuses (url) WHERE url IS NOT NULL;
