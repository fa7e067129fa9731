-- Community moderation (issue 5): each user's choices about the verdicts
-- the engine makes for them (PATCH /api/v1/kith/moderation/preferences).
-- A row only for users who changed something; everyone else has the
-- engine's defaults (not opted out, sensitivity 0.5, warn). The daemon
-- loads the table into the engine at start (moderation_preferences.cpp,
-- called from the moderation service's load) and writes through on every
-- change. The checks repeat the API's validation, so no other writer can
-- store a value the engine would not accept.
CREATE TABLE mod_preferences (
  account_id  bigint PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
  opt_out     boolean NOT NULL DEFAULT false,
  sensitivity double precision NOT NULL DEFAULT 0.5
              CHECK (sensitivity >= 0 AND sensitivity <= 1),
  action      text NOT NULL DEFAULT 'warn' CHECK (action IN ('warn', 'hide')),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
