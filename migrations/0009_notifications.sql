-- 0009_notifications: what notifications and polls keep besides 0006's
-- tables: each account's notification policy (GET/PATCH
-- /api/v2/notifications/policy), an index to find the polls that ended and
-- were not announced yet (their voters get a `poll` notification), and a
-- poll's hide_totals.

-- Mastodon's policy values: accept, filter or drop, per kind of sender.
-- An account without a row has the default policy (all accept, limited
-- accounts filtered), as Mastodon's NotificationPolicy defaults.
CREATE TABLE notification_policies (
  account_id            bigint PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
  for_not_following     text NOT NULL DEFAULT 'accept'
                        CHECK (for_not_following IN ('accept', 'filter', 'drop')),
  for_not_followers     text NOT NULL DEFAULT 'accept'
                        CHECK (for_not_followers IN ('accept', 'filter', 'drop')),
  for_new_accounts      text NOT NULL DEFAULT 'accept'
                        CHECK (for_new_accounts IN ('accept', 'filter', 'drop')),
  for_private_mentions  text NOT NULL DEFAULT 'accept'
                        CHECK (for_private_mentions IN ('accept', 'filter', 'drop')),
  for_limited_accounts  text NOT NULL DEFAULT 'filter'
                        CHECK (for_limited_accounts IN ('accept', 'filter', 'drop')),
  updated_at            timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX polls_unclosed_expires_at_idx ON polls (expires_at)
  WHERE closed_at IS NULL AND expires_at IS NOT NULL;

-- Mastodon's poll[hide_totals]: the counts are not shown until the poll ends.
ALTER TABLE polls ADD COLUMN hide_totals boolean NOT NULL DEFAULT false;
