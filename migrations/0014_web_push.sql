-- 0014_web_push: delivering notifications as Web Push messages.
--
-- Whoever creates a notification (the client API, the inbox worker, another
-- daemon), the trigger below queues one 'web_push' job per Web Push
-- subscription of the recipient that wants it, in the same transaction: the
-- notification and its push jobs commit together or not at all. A worker
-- (api/web_push_worker.cpp) claims the jobs, encrypts and sends them.

-- Mastodon's push payload carries the subscription's access token, and
-- some clients (Mastodon for iOS, Ice Cubes) pick the account a push is for
-- by it. kith stores tokens only as hashes and keeps that promise here too:
-- the payload's access_token is empty (docs/API.md, push).

-- Mastodon's PushSubscription#pushable?: the alert of the notification's
-- type is on, and the policy allows its sender (followed: the recipient
-- follows them; follower: they follow the recipient; none: nobody).
CREATE FUNCTION kith_notifications_web_push() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO jobs (queue, payload, dedupe_key)
  SELECT 'web_push',
         json_build_object('subscription_id', s.id::text, 'notification_id', NEW.id::text)::jsonb,
         'web_push:' || s.id || ':' || NEW.id
    FROM web_push_subscriptions s
    JOIN users u ON u.id = s.user_id
    JOIN oauth_access_tokens t ON t.id = s.access_token_id
   WHERE u.account_id = NEW.account_id
     AND NOT u.disabled
     AND t.revoked_at IS NULL
     AND (t.expires_at IS NULL OR t.expires_at > now())
     AND coalesce(s.alerts ->> NEW.type, 'false') = 'true'
     AND CASE s.policy
           WHEN 'all' THEN true
           WHEN 'followed' THEN EXISTS (SELECT 1 FROM follows f
                                        WHERE f.account_id = NEW.account_id
                                          AND f.target_account_id = NEW.from_account_id
                                          AND f.state = 'accepted')
           WHEN 'follower' THEN EXISTS (SELECT 1 FROM follows f
                                        WHERE f.account_id = NEW.from_account_id
                                          AND f.target_account_id = NEW.account_id
                                          AND f.state = 'accepted')
           ELSE false
         END
  ON CONFLICT (dedupe_key) DO NOTHING;
  RETURN NULL;
END
$$;
CREATE TRIGGER notifications_web_push AFTER INSERT ON notifications
  FOR EACH ROW EXECUTE FUNCTION kith_notifications_web_push();
