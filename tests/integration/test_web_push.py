"""Web Push against the real daemon: /api/v1/push/subscription (create,
get, update, delete, bad inputs) and notifications delivered as encrypted
Web Push messages.

The push service is a small Python HTTP server on 127.0.0.1 that records
what it receives; kith may reach exactly that address:port through
federation.allowed_private_addresses (the only way an http:// endpoint is
accepted; real ones must be https). Each subscription has its own key pair
and auth secret, made here with python3-cryptography, which also decrypts
every message independently of kith's code: RFC 8291 + RFC 8188 aes128gcm
for `standard: true` subscriptions, the legacy aesgcm draft for the others;
and checks the VAPID JWT (RFC 8292: ES256 by the `k` key, aud the
endpoint's origin, exp within 24 hours, sub an https: or mailto: URI).

Notifications come from real causes where the client API already makes
them (a favourite, a mention); where it does not yet, the test inserts the
notification row itself (FIXTURE SETUP, below), which is exactly what
db::create_notification does: the delivery jobs come from the
notifications table's trigger (migration 0014), whoever inserts the row.
"""

import base64
import http.server
import json
import threading
import time
import unittest
import urllib.parse

import harness

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, utils
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

pg = None
PASSWORD = "correct horse battery staple"
SUBSCRIPTION_FIELDS = {"id", "endpoint", "standard", "alerts", "policy", "server_key"}
ALERT_TYPES = {"mention", "status", "reblog", "follow", "follow_request", "favourite", "poll",
               "update", "admin.sign_up", "admin.report"}
DELIVERY_TIMEOUT = 15


def setUpModule():
    global pg
    pg = harness.PgCluster()
    unittest.addModuleCleanup(pg.cleanup)


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def hkdf(salt, ikm, info, length):
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=salt, info=info).derive(ikm)


def public_bytes(key):
    return key.public_key().public_bytes(serialization.Encoding.X962,
                                         serialization.PublicFormat.UncompressedPoint)


class Subscriber:
    """A user agent's side of a subscription: its key pair and auth secret."""

    def __init__(self):
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.auth = bytes(range(16))
        self.public = public_bytes(self.key)

    def shared_secret(self, sender_public):
        peer = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), sender_public)
        return self.key.exchange(ec.ECDH(), peer)

    def decrypt_aes128gcm(self, body):
        """RFC 8291 section 3.4 and RFC 8188: one record, delimiter 0x02."""
        salt, rs, idlen = body[:16], int.from_bytes(body[16:20], "big"), body[20]
        sender = body[21:21 + idlen]
        ciphertext = body[21 + idlen:]
        assert rs == 4096 and idlen == 65, (rs, idlen)
        assert len(ciphertext) <= rs
        secret = self.shared_secret(sender)
        ikm = hkdf(self.auth, secret, b"WebPush: info\x00" + self.public + sender, 32)
        cek = hkdf(salt, ikm, b"Content-Encoding: aes128gcm\x00", 16)
        nonce = hkdf(salt, ikm, b"Content-Encoding: nonce\x00", 12)
        record = AESGCM(cek).decrypt(nonce, ciphertext, None).rstrip(b"\x00")
        assert record[-1] == 2, "the last record ends with 0x02"
        return record[:-1]

    def decrypt_aesgcm(self, body, salt, sender):
        """draft-ietf-webpush-encryption-04: the auth step, a key context."""
        secret = self.shared_secret(sender)
        ikm = hkdf(self.auth, secret, b"Content-Encoding: auth\x00", 32)
        context = (b"P-256\x00" + len(self.public).to_bytes(2, "big") + self.public +
                   len(sender).to_bytes(2, "big") + sender)
        cek = hkdf(salt, ikm, b"Content-Encoding: aesgcm\x00" + context, 16)
        nonce = hkdf(salt, ikm, b"Content-Encoding: nonce\x00" + context, 12)
        record = AESGCM(cek).decrypt(nonce, body, None)
        padding = int.from_bytes(record[:2], "big")
        return record[2 + padding:]


class PushService:
    """Records POSTs; answers each path with the status set for it (201)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.received = []  # (path, headers, body)
        self.statuses = {}
        service = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                headers = {k.lower(): v for k, v in self.headers.items()}
                with service.lock:
                    service.received.append((self.path, headers, body))
                    status = service.statuses.get(self.path, 201)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.authority = f"127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path):
        return f"http://{self.authority}{path}"

    def messages(self, path):
        with self.lock:
            return [(h, b) for p, h, b in self.received if p == path]

    def wait(self, path, count=1):
        harness.wait_until(lambda: len(self.messages(path)) >= count, DELIVERY_TIMEOUT,
                           message=f"{count} push message(s) at {path}")
        return self.messages(path)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class WebPushTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.push = PushService()
        cls.addClassCleanup(cls.push.close)
        pg.createdb("push")
        cls.kith = harness.Kith(database_url=pg.url("push"), env={
            "KITH_FEDERATION_ALLOWED_PRIVATE_ADDRESSES": cls.push.authority,
        })
        cls.addClassCleanup(cls.kith.cleanup)
        cls.kith.start()
        for name in ("alice", "bob", "carol", "dan"):
            created = cls.kith.run("user", "add", name, "--email", f"{name}@example.com",
                                   input=PASSWORD + "\n")
            if created.returncode != 0:
                raise AssertionError(f"kith user add {name}: {created.stderr}")
        app = cls.kith.post("/api/v1/apps", {
            "client_name": "kith web push test", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob",
            "scopes": "read write follow push"})
        assert app.status == 200, app
        cls.app = app.json()
        cls.tokens = {name: cls.password_token(name) for name in ("alice", "bob", "carol", "dan")}
        cls.ids = {}
        for name in cls.tokens:
            r = cls.kith.get("/api/v1/accounts/verify_credentials",
                             headers={"Authorization": f"Bearer {cls.tokens[name]}"})
            assert r.status == 200, r
            cls.ids[name] = r.json()["id"]

    @classmethod
    def password_token(cls, login, scope="read write follow push"):
        r = cls.kith.post("/oauth/token", {
            "grant_type": "password", "client_id": cls.app["client_id"],
            "client_secret": cls.app["client_secret"], "username": login, "password": PASSWORD,
            "scope": scope})
        assert r.status == 200, (r, r.text())
        return r.json()["access_token"]

    def api(self, token, method, path, body=None, expect=200, form=False):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        if form:
            body = urllib.parse.urlencode(body).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        r = self.kith.request(method, path, body=body, headers=headers)
        self.assertTrue(r.header("content-type", "").startswith("application/json"),
                        f"{method} {path}: Content-Type {r.header('content-type')}")
        self.assertEqual(r.status, expect, f"{method} {path}: {r.text()}")
        return r.json()

    def subscribe(self, token, subscriber, path, standard=True, alerts=None, policy="all",
                  form=True):
        alerts = alerts if alerts is not None else {t: True for t in ALERT_TYPES}
        if form:
            body = {"subscription[endpoint]": self.push.url(path),
                    "subscription[keys][p256dh]": b64url(subscriber.public),
                    "subscription[keys][auth]": b64url(subscriber.auth),
                    "subscription[standard]": "true" if standard else "false",
                    "data[policy]": policy}
            for alert, on in alerts.items():
                body[f"data[alerts][{alert}]"] = "true" if on else "false"
            return self.api(token, "POST", "/api/v1/push/subscription", body, form=True)
        return self.api(token, "POST", "/api/v1/push/subscription", {
            "subscription": {"endpoint": self.push.url(path),
                             "keys": {"p256dh": b64url(subscriber.public),
                                      "auth": b64url(subscriber.auth)},
                             "standard": standard},
            "data": {"alerts": alerts, "policy": policy}})

    def notify(self, recipient, sender, type_, status_id=None):
        """FIXTURE SETUP: a notification row, as db::create_notification
        inserts it (the trigger under test does the rest)."""
        status = status_id if status_id else "NULL"
        return pg.psql(
            "INSERT INTO notifications (account_id, from_account_id, type, status_id)"
            f" VALUES ({self.ids[recipient]}, {self.ids[sender]}, '{type_}', {status})"
            " RETURNING id", dbname="push").splitlines()[0]

    def push_jobs(self, notification_id):
        return pg.psql("SELECT count(*) FROM jobs WHERE queue = 'web_push'"
                       f" AND payload->>'notification_id' = '{notification_id}'", dbname="push")

    def notification_of(self, recipient, sender, type_, timeout=3):
        """The notification a real cause made, or None if the client API does
        not make that kind yet."""
        sql = ("SELECT id FROM notifications WHERE account_id = "
               f"{self.ids[recipient]} AND from_account_id = {self.ids[sender]}"
               f" AND type = '{type_}' ORDER BY id DESC LIMIT 1")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            row = pg.psql(sql, dbname="push")
            if row:
                return row
            time.sleep(0.1)
        return None

    def check_vapid(self, headers, path, server_key, standard=True):
        if standard:
            self.assertTrue(headers["authorization"].startswith("vapid "), headers)
            fields = dict(p.strip().split("=", 1)
                          for p in headers["authorization"][len("vapid "):].split(","))
            jwt, key = fields["t"], fields["k"]
        else:
            self.assertTrue(headers["authorization"].startswith("WebPush "), headers)
            jwt = headers["authorization"][len("WebPush "):]
            crypto_key = dict(p.split("=", 1) for p in headers["crypto-key"].split(";"))
            key = crypto_key["p256ecdsa"]
        self.assertEqual(key, server_key)
        head, claims, signature = jwt.split(".")
        raw = b64url_decode(signature)
        self.assertEqual(len(raw), 64)
        public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b64url_decode(key))
        der = utils.encode_dss_signature(int.from_bytes(raw[:32], "big"),
                                         int.from_bytes(raw[32:], "big"))
        public.verify(der, f"{head}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))
        self.assertEqual(json.loads(b64url_decode(head)), {"typ": "JWT", "alg": "ES256"})
        claims = json.loads(b64url_decode(claims))
        self.assertEqual(claims["aud"], f"http://{self.push.authority}")
        now = time.time()
        self.assertGreater(claims["exp"], now)
        self.assertLessEqual(claims["exp"], now + 24 * 3600)
        self.assertTrue(claims["sub"].startswith(("mailto:", "https://")), claims)

    def decrypted(self, subscriber, headers, body, standard=True):
        self.assertEqual(headers["content-type"], "application/octet-stream")
        self.assertEqual(headers["urgency"], "normal")
        self.assertGreater(int(headers["ttl"]), 0)
        if standard:
            self.assertEqual(headers["content-encoding"], "aes128gcm")
            self.assertLessEqual(len(body), 4096)
            return json.loads(subscriber.decrypt_aes128gcm(body))
        self.assertEqual(headers["content-encoding"], "aesgcm")
        salt = b64url_decode(headers["encryption"].split("salt=", 1)[1])
        crypto_key = dict(p.split("=", 1) for p in headers["crypto-key"].split(";"))
        return json.loads(subscriber.decrypt_aesgcm(body, salt, b64url_decode(crypto_key["dh"])))

    # -- subscriptions --

    def test_subscription_crud_shapes(self):
        token = self.password_token("dan")
        self.api(token, "GET", "/api/v1/push/subscription", expect=404)
        subscriber = Subscriber()
        created = self.subscribe(token, subscriber, "/push/crud",
                                 alerts={"favourite": True, "mention": True}, policy="follower")
        self.assertEqual(set(created), SUBSCRIPTION_FIELDS)
        self.assertIsInstance(created["id"], str)
        self.assertEqual(created["endpoint"], self.push.url("/push/crud"))
        self.assertIs(created["standard"], True)
        self.assertEqual(created["policy"], "follower")
        self.assertEqual(set(created["alerts"]), ALERT_TYPES)
        self.assertEqual({k for k, v in created["alerts"].items() if v}, {"favourite", "mention"})
        server_key = b64url_decode(created["server_key"])
        self.assertEqual(len(server_key), 65)
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), server_key)
        self.assertNotIn("=", created["server_key"])

        self.assertEqual(self.api(token, "GET", "/api/v1/push/subscription"), created)
        # Another token of the same user has its own (none).
        other = self.password_token("dan")
        self.api(other, "GET", "/api/v1/push/subscription", expect=404)

        updated = self.api(token, "PUT", "/api/v1/push/subscription",
                           {"data[alerts][favourite]": "false", "data[alerts][follow]": "true",
                            "data[policy]": "none"}, form=True)
        self.assertEqual(updated["id"], created["id"])
        self.assertEqual(updated["policy"], "none")
        self.assertEqual({k for k, v in updated["alerts"].items() if v}, {"follow", "mention"})
        self.assertEqual(updated["endpoint"], created["endpoint"])

        # A JSON body with nested objects; a new POST replaces the old one.
        replaced = self.subscribe(token, subscriber, "/push/crud2", standard=False,
                                  alerts={"reblog": True}, form=False)
        self.assertNotEqual(replaced["id"], created["id"])
        self.assertIs(replaced["standard"], False)
        self.assertEqual(replaced["policy"], "all")
        self.assertEqual({k for k, v in replaced["alerts"].items() if v}, {"reblog"})
        self.assertEqual(replaced["server_key"], created["server_key"])
        self.assertEqual(self.api(token, "GET", "/api/v1/push/subscription")["id"], replaced["id"])
        rows = pg.psql("SELECT count(*) FROM web_push_subscriptions s JOIN users u"
                       f" ON u.id = s.user_id WHERE u.account_id = {self.ids['dan']}",
                       dbname="push")
        self.assertEqual(rows, "1")

        self.assertEqual(self.api(token, "DELETE", "/api/v1/push/subscription"), {})
        self.api(token, "GET", "/api/v1/push/subscription", expect=404)
        self.api(token, "PUT", "/api/v1/push/subscription", {"data[policy]": "all"},
                 form=True, expect=404)
        self.assertEqual(self.api(token, "DELETE", "/api/v1/push/subscription"), {})

    def test_bad_inputs_are_refused_and_change_nothing(self):
        token = self.password_token("dan")
        subscriber = Subscriber()
        good = {"subscription[endpoint]": self.push.url("/push/bad"),
                "subscription[keys][p256dh]": b64url(subscriber.public),
                "subscription[keys][auth]": b64url(subscriber.auth)}
        off_curve = bytearray(subscriber.public)
        off_curve[40] ^= 1
        cases = [
            ("no endpoint", {"subscription[endpoint]": ""}),
            ("http to a host that is not allowed",
             {"subscription[endpoint]": "http://127.0.0.1:1/push"}),
            ("not a URL", {"subscription[endpoint]": "push me"}),
            ("too long", {"subscription[endpoint]": self.push.url("/" + "a" * 3000)}),
            ("no p256dh", {"subscription[keys][p256dh]": ""}),
            ("p256dh off the curve", {"subscription[keys][p256dh]": b64url(bytes(off_curve))}),
            ("p256dh compressed",
             {"subscription[keys][p256dh]": b64url(b"\x02" + subscriber.public[1:33])}),
            ("p256dh not base64", {"subscription[keys][p256dh]": "!!!!"}),
            ("auth of 15 bytes", {"subscription[keys][auth]": b64url(bytes(15))}),
            ("no auth", {"subscription[keys][auth]": ""}),
            ("unknown policy", {"data[policy]": "friends"}),
            ("alert not a boolean", {"data[alerts][mention]": "perhaps"}),
            ("standard not a boolean", {"subscription[standard]": "maybe"}),
        ]
        for name, change in cases:
            with self.subTest(name):
                body = {**good, **change}
                error = self.api(token, "POST", "/api/v1/push/subscription", body, form=True,
                                 expect=422)
                self.assertIsInstance(error.get("error"), str)
                self.api(token, "GET", "/api/v1/push/subscription", expect=404)
        # A JSON body that is not an object, and an unsupported body type.
        r = self.kith.request("POST", "/api/v1/push/subscription", body=b"[1]",
                              headers={"Authorization": f"Bearer {token}",
                                       "Content-Type": "application/json"})
        self.assertEqual(r.status, 400)
        # No token, and a token without the push scope.
        self.api(None, "POST", "/api/v1/push/subscription", good, form=True, expect=401)
        read_only = self.password_token("dan", scope="read")
        self.api(read_only, "POST", "/api/v1/push/subscription", good, form=True, expect=403)
        self.api(read_only, "GET", "/api/v1/push/subscription", expect=403)
        # The update refuses bad data too, and keeps what was there.
        self.subscribe(token, subscriber, "/push/bad")
        self.api(token, "PUT", "/api/v1/push/subscription", {"data[policy]": "friends"},
                 form=True, expect=422)
        self.assertEqual(self.api(token, "GET", "/api/v1/push/subscription")["policy"], "all")
        self.api(token, "DELETE", "/api/v1/push/subscription")

    # -- delivery --

    def test_favourite_is_pushed_encrypted_and_signed(self):
        token = self.tokens["alice"]
        subscriber = Subscriber()
        subscription = self.subscribe(token, subscriber, "/push/alice")
        status = self.api(token, "POST", "/api/v1/statuses", {"status": "a watermelon"})
        self.api(self.tokens["bob"], "POST", f"/api/v1/statuses/{status['id']}/favourite")
        notification_id = self.notification_of("alice", "bob", "favourite")
        if notification_id is None:
            notification_id = self.notify("alice", "bob", "favourite", status["id"])
        [(headers, body)] = self.push.wait("/push/alice")
        self.check_vapid(headers, "/push/alice", subscription["server_key"])
        message = self.decrypted(subscriber, headers, body)
        self.assertEqual(str(message["notification_id"]), notification_id)
        self.assertEqual(message["notification_type"], "favourite")
        self.assertEqual(message["access_token"], "")  # tokens are stored only as hashes
        self.assertEqual(message["preferred_locale"], "en")
        self.assertIn("bob", message["title"])
        self.assertIn("favourited", message["title"])
        self.assertEqual(message["body"], "a watermelon")
        self.assertTrue(message["icon"].startswith("http"), message)
        self.assertEqual(set(message), {"access_token", "preferred_locale", "notification_id",
                                        "notification_type", "icon", "title", "body"})
        harness.wait_until(lambda: pg.psql(
            "SELECT state FROM jobs WHERE queue = 'web_push' AND payload->>'notification_id' = "
            f"'{notification_id}'", dbname="push") == "done", 5, message="the job is done")

    def test_mention_to_a_legacy_subscription_uses_aesgcm(self):
        token = self.tokens["carol"]
        subscriber = Subscriber()
        subscription = self.subscribe(token, subscriber, "/push/carol", standard=False)
        self.api(self.tokens["bob"], "POST", "/api/v1/statuses",
                 {"status": "@carol look at this watermelon"})
        notification_id = self.notification_of("carol", "bob", "mention")
        if notification_id is None:
            status_id = pg.psql("SELECT id FROM statuses WHERE account_id = "
                                f"{self.ids['bob']} ORDER BY id DESC LIMIT 1", dbname="push")
            notification_id = self.notify("carol", "bob", "mention", status_id)
        [(headers, body)] = self.push.wait("/push/carol")
        self.check_vapid(headers, "/push/carol", subscription["server_key"], standard=False)
        message = self.decrypted(subscriber, headers, body, standard=False)
        self.assertEqual(str(message["notification_id"]), notification_id)
        self.assertEqual(message["notification_type"], "mention")
        self.assertIn("mentioned", message["title"])
        self.assertIn("watermelon", message["body"])

    def test_alerts_and_policy_choose_what_is_pushed(self):
        token = self.password_token("bob")
        subscriber = Subscriber()
        self.subscribe(token, subscriber, "/push/bob", alerts={"follow": True, "reblog": False})
        # The alert of the type is off: no job.
        self.assertEqual(self.push_jobs(self.notify("bob", "dan", "reblog")), "0")
        # On, policy all: a job.
        followed = self.notify("bob", "dan", "follow")
        self.assertEqual(self.push_jobs(followed), "1")
        self.push.wait("/push/bob")
        # policy none: nothing.
        self.api(token, "PUT", "/api/v1/push/subscription",
                 {"data[policy]": "none", "data[alerts][follow_request]": "true"}, form=True)
        self.assertEqual(self.push_jobs(self.notify("bob", "carol", "follow")), "0")
        # policy followed: only from accounts bob follows.
        self.api(token, "PUT", "/api/v1/push/subscription", {"data[policy]": "followed"},
                 form=True)
        self.assertEqual(self.push_jobs(self.notify("bob", "alice", "follow_request")), "0")
        self.api(token, "POST", f"/api/v1/accounts/{self.ids['alice']}/follow")
        pg.psql(f"DELETE FROM notifications WHERE account_id = {self.ids['bob']}"
                f" AND from_account_id = {self.ids['alice']}", dbname="push")
        self.assertEqual(self.push_jobs(self.notify("bob", "alice", "follow_request")), "1")
        self.push.wait("/push/bob", 2)  # (sent before the row is deleted below)
        # policy follower: only from accounts that follow bob.
        self.api(token, "PUT", "/api/v1/push/subscription", {"data[policy]": "follower"},
                 form=True)
        pg.psql(f"DELETE FROM notifications WHERE account_id = {self.ids['bob']}",
                dbname="push")
        self.assertEqual(self.push_jobs(self.notify("bob", "alice", "follow")), "0")
        self.api(self.tokens["carol"], "POST", f"/api/v1/accounts/{self.ids['bob']}/follow")
        pg.psql(f"DELETE FROM notifications WHERE account_id = {self.ids['bob']}",
                dbname="push")
        self.assertEqual(self.push_jobs(self.notify("bob", "carol", "follow")), "1")
        self.push.wait("/push/bob", 3)
        # A revoked token's subscription gets nothing.
        self.kith.post("/oauth/revoke", {"client_id": self.app["client_id"],
                                         "client_secret": self.app["client_secret"],
                                         "token": token})
        self.assertEqual(self.push_jobs(self.notify("bob", "dan", "follow")), "0")

    def test_gone_subscription_is_deleted_and_errors_are_retried(self):
        token = self.password_token("dan")
        self.push.statuses["/push/gone"] = 410
        self.subscribe(token, Subscriber(), "/push/gone")
        self.notify("dan", "alice", "follow")
        self.push.wait("/push/gone")
        harness.wait_until(lambda: self.kith.get(
            "/api/v1/push/subscription",
            headers={"Authorization": f"Bearer {token}"}).status == 404,
            5, message="the subscription deleted after 410")

        token = self.password_token("dan")
        self.push.statuses["/push/busy"] = 503
        self.subscribe(token, Subscriber(), "/push/busy")
        busy = self.notify("dan", "bob", "follow")
        self.push.wait("/push/busy")
        harness.wait_until(lambda: pg.psql(
            "SELECT state || ' ' || attempts FROM jobs WHERE queue = 'web_push'"
            f" AND payload->>'notification_id' = '{busy}'", dbname="push") == "queued 1",
            5, message="the job queued again after a 503")
        self.assertEqual(self.api(token, "GET", "/api/v1/push/subscription")["endpoint"],
                         self.push.url("/push/busy"))
        self.api(token, "DELETE", "/api/v1/push/subscription")

        token = self.password_token("dan")
        self.push.statuses["/push/refused"] = 400
        self.subscribe(token, Subscriber(), "/push/refused")
        refused = self.notify("dan", "carol", "follow")
        self.push.wait("/push/refused")
        harness.wait_until(lambda: pg.psql(
            "SELECT state FROM jobs WHERE queue = 'web_push'"
            f" AND payload->>'notification_id' = '{refused}'", dbname="push") == "failed",
            5, message="the job failed after a 400")
        self.api(token, "DELETE", "/api/v1/push/subscription")


if __name__ == "__main__":
    unittest.main()
