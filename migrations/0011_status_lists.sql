-- Indexes for the status lists of the client API, each paged by its own
-- row id (newest first, an id range, never OFFSET): a user's favourites
-- (GET /api/v1/favourites), the accounts that favourited or boosted one
-- status (GET /api/v1/statuses/:id/favourited_by, /reblogged_by).
-- Without them each page sorted all of a user's favourites, or all of a
-- popular status's favourites and boosts.
CREATE INDEX favourites_account_id_id_idx ON favourites (account_id, id DESC);
CREATE INDEX favourites_status_id_id_idx ON favourites (status_id, id DESC);
CREATE INDEX statuses_reblog_of_id_id_idx ON statuses (reblog_of_id, id DESC)
  WHERE reblog_of_id IS NOT NULL;
