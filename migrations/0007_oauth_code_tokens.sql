-- 0007_oauth_code_tokens: which authorization code a token came from.
--
-- RFC 6749 4.1.2: when an authorization code is presented a second time the
-- server should revoke the tokens issued from it (someone else has the
-- code). Tokens issued from a code, and the tokens that refreshing them
-- rotates into, carry the code's id, so that revocation is one UPDATE.
ALTER TABLE oauth_access_tokens
  ADD COLUMN authorization_code_id bigint REFERENCES oauth_authorization_codes (id)
  ON DELETE SET NULL;
CREATE INDEX oauth_access_tokens_authorization_code_id_idx
  ON oauth_access_tokens (authorization_code_id) WHERE authorization_code_id IS NOT NULL;
-- Codes are looked up by hash (unique already) and swept when expired.
CREATE INDEX oauth_authorization_codes_expires_at_idx ON oauth_authorization_codes (expires_at);
