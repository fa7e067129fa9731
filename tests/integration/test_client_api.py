"""The Mastodon client API against the real daemon: OAuth, accounts,
statuses, follows, timelines, reports, search, and the delivery jobs each
local action queues for remote recipients.

A remote account, bob, lives on a small Python HTTPS actor server on
127.0.0.1 (certificate from a CA this test makes; kith trusts it through
federation.extra_ca_file and may reach exactly that address:port through
federation.allowed_private_addresses). It answers WebFinger and bob's
actor document, and records what arrives in its inboxes. kith finds bob
only the way it finds anyone: GET /api/v1/accounts/lookup and
/api/v2/search with resolve=true (WebFinger, then the actor).

Everything local goes through the client API: an app (POST /api/v1/apps),
password-grant tokens, posts in each visibility, an edit, favourites,
boosts, a delete, a follow of a locked local account authorised through
follow_requests, a report forwarded as a Flag. Entity shapes are checked
against the Mastodon documentation's fields; the jobs table (psql) shows
which deliveries each action queued.

FIXTURE SETUP (psql): bob following alice and one status of bob's are
inserted as rows, because a remote server's Follow and Create arrive
through the inbox, which this test does not drive (test_federation does).
"""

import base64
import contextlib
import http.server
import json
import os
import re
import shutil
import ssl
import subprocess
import threading
import time
import unittest
import urllib.parse

import harness

pg = None
certs = None

OPENSSL_CONFIG = """[req]
distinguished_name = dn
prompt = no
[dn]
CN = kith client api test
[ca_ext]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[leaf_ext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost,IP:127.0.0.1
"""

TIME_FORMAT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
PASSWORD = "correct horse battery staple"

ACCOUNT_FIELDS = {"id", "username", "acct", "display_name", "locked", "bot", "discoverable",
                  "group", "created_at", "note", "url", "uri", "avatar", "avatar_static",
                  "header", "header_static", "followers_count", "following_count",
                  "statuses_count", "last_status_at", "emojis", "fields"}
STATUS_FIELDS = {"id", "uri", "created_at", "account", "content", "visibility", "sensitive",
                 "spoiler_text", "media_attachments", "application", "mentions", "tags",
                 "emojis", "reblogs_count", "favourites_count", "replies_count", "url",
                 "in_reply_to_id", "in_reply_to_account_id", "reblog", "poll", "card",
                 "language", "edited_at", "favourited", "reblogged", "muted", "bookmarked",
                 "filtered"}
RELATIONSHIP_FIELDS = {"id", "following", "showing_reblogs", "notifying", "followed_by",
                       "blocking", "blocked_by", "muting", "muting_notifications", "requested",
                       "requested_by", "domain_blocking", "endorsed", "note"}


def openssl(directory, *args):
    result = subprocess.run(["openssl", *args], cwd=directory, capture_output=True, timeout=60)
    if result.returncode != 0:
        raise RuntimeError(f"openssl {' '.join(args)} failed:\n{result.stderr.decode()}")
    return result.stdout


class Certificates:
    def __init__(self):
        self.dir = harness.make_temp_dir("kapi-ca-")
        with open(os.path.join(self.dir, "openssl.cnf"), "w") as f:
            f.write(OPENSSL_CONFIG)
        openssl(self.dir, "req", "-x509", "-new", "-newkey", "ec", "-pkeyopt",
                "ec_paramgen_curve:P-256", "-nodes", "-days", "2", "-config", "openssl.cnf",
                "-extensions", "ca_ext", "-keyout", "ca.key", "-out", "ca.pem")
        openssl(self.dir, "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                "-nodes", "-config", "openssl.cnf", "-keyout", "server.key", "-out", "server.csr")
        openssl(self.dir, "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey",
                "ca.key", "-set_serial", "1001", "-days", "2", "-extfile", "openssl.cnf",
                "-extensions", "leaf_ext", "-out", "server.pem")
        openssl(self.dir, "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
                "-out", "bob.key")
        self.bob_public_key = openssl(self.dir, "pkey", "-in", "bob.key", "-pubout").decode()
        self.ca = os.path.join(self.dir, "ca.pem")
        self.cert = os.path.join(self.dir, "server.pem")
        self.key = os.path.join(self.dir, "server.key")

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)


def setUpModule():
    global pg, certs
    pg = harness.PgCluster()
    unittest.addModuleCleanup(pg.cleanup)
    certs = Certificates()
    unittest.addModuleCleanup(certs.cleanup)


class RemoteServer:
    """bob's server: WebFinger, bob's actor, and inboxes that record."""

    def __init__(self):
        self.lock = threading.Lock()
        self.received = []  # (path, activity)
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def reply(self, status, body=b"", content_type="application/activity+json"):
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                url = urllib.parse.urlsplit(self.path)
                if url.path == "/.well-known/webfinger":
                    resource = urllib.parse.parse_qs(url.query).get("resource", [""])[0]
                    if resource != f"acct:bob@{server.authority}":
                        return self.reply(404, b"{}", "application/jrd+json")
                    return self.reply(200, json.dumps({
                        "subject": resource,
                        "links": [{"rel": "self", "type": "application/activity+json",
                                   "href": server.actor_id}]}).encode(), "application/jrd+json")
                if url.path == "/users/bob":
                    return self.reply(200, json.dumps(server.actor()).encode())
                if url.path == "/users/bob/statuses/2":
                    return self.reply(200, json.dumps(server.note()).encode())
                return self.reply(404, b"{}")

            def do_POST(self):
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                try:
                    activity = json.loads(body)
                except ValueError:
                    activity = None
                with server.lock:
                    server.received.append((self.path, activity, dict(self.headers)))
                self.reply(202)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(certs.cert, certs.key)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.authority = f"127.0.0.1:{self.port}"
        self.origin = f"https://{self.authority}"
        self.actor_id = f"{self.origin}/users/bob"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def actor(self):
        return {
            "@context": ["https://www.w3.org/ns/activitystreams",
                         "https://w3id.org/security/v1"],
            "id": self.actor_id, "type": "Person", "preferredUsername": "bob",
            "name": "Bob", "summary": "<p>remote</p>",
            "inbox": f"{self.actor_id}/inbox", "outbox": f"{self.actor_id}/outbox",
            "followers": f"{self.actor_id}/followers",
            "following": f"{self.actor_id}/following",
            "endpoints": {"sharedInbox": f"{self.origin}/inbox"},
            "url": f"{self.origin}/@bob", "manuallyApprovesFollowers": False,
            "publicKey": {"id": f"{self.actor_id}#main-key", "owner": self.actor_id,
                          "publicKeyPem": certs.bob_public_key},
        }

    def note(self):
        return {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": f"{self.actor_id}/statuses/2", "type": "Note",
            "attributedTo": self.actor_id, "content": "<p>fetched <script>x</script>by URL</p>",
            "published": "2024-01-01T00:00:00Z", "url": f"{self.origin}/@bob/2",
            "to": ["https://www.w3.org/ns/activitystreams#Public"],
            "cc": [f"{self.actor_id}/followers"],
            "tag": [{"type": "Hashtag", "name": "#fetched"}],
        }

    def activities(self, type_=None):
        with self.lock:
            return [(p, a, h) for p, a, h in self.received
                    if a is not None and (type_ is None or a.get("type") == type_)]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class ClientApiTest(unittest.TestCase):
    """One daemon, one remote server, the API driven step by step."""

    @classmethod
    def setUpClass(cls):
        cls.remote = RemoteServer()
        cls.addClassCleanup(cls.remote.close)
        pg.createdb("api")
        cls.kith = harness.Kith(database_url=pg.url("api"), env={
            "KITH_FEDERATION_EXTRA_CA_FILE": certs.ca,
            "KITH_FEDERATION_ALLOWED_PRIVATE_ADDRESSES": cls.remote.authority,
        })
        cls.addClassCleanup(cls.kith.cleanup)
        cls.kith.start()
        for name in ("alice", "carol", "dan"):
            created = cls.kith.run("user", "add", name, "--email", f"{name}@example.com",
                                   input=PASSWORD + "\n")
            if created.returncode != 0:
                raise AssertionError(f"kith user add {name}: {created.stderr}")
        cls.host = cls.kith.config["host"]
        app = cls.kith.post("/api/v1/apps", {
            "client_name": "kith client api test", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob",
            "scopes": "read write follow push"})
        assert app.status == 200, app
        cls.app = app.json()
        cls.tokens = {name: cls.password_token(name) for name in ("alice", "carol", "dan")}

    # -- helpers --

    @classmethod
    def password_token(cls, login, scope="read write follow push"):
        r = cls.kith.post("/oauth/token", {
            "grant_type": "password", "client_id": cls.app["client_id"],
            "client_secret": cls.app["client_secret"], "username": login, "password": PASSWORD,
            "scope": scope})
        assert r.status == 200, (r, r.text())
        return r.json()["access_token"]

    def api(self, user, method, path, body=None, expect=200, headers=None):
        headers = dict(headers or {})
        if user:
            headers["Authorization"] = f"Bearer {self.tokens.get(user, user)}"
        r = self.kith.request(method, path, body=body, headers=headers)
        self.assertTrue(r.header("content-type", "").startswith("application/json"),
                        f"{method} {path}: Content-Type {r.header('content-type')}")
        self.assertEqual(r.status, expect, f"{method} {path}: {r.text()}")
        return r.json()

    def jobs(self, where="true"):
        """Delivery jobs as (inbox, activity type, account_id, key_id, activity)."""
        rows = pg.psql("SELECT payload::text FROM jobs WHERE queue = 'delivery' AND " + where +
                       " ORDER BY id", dbname="api")
        out = []
        for line in rows.splitlines():
            if not line.strip():
                continue
            payload = json.loads(line)
            activity = json.loads(payload["body"])
            out.append((payload["inbox"], activity["type"], payload["account_id"],
                        payload["key_id"], activity))
        return out

    def jobs_for(self, activity_id):
        return [j for j in self.jobs() if j[4]["id"] == activity_id]

    def check_time(self, value):
        self.assertRegex(value, TIME_FORMAT)

    def check_status(self, status):
        self.assertTrue(STATUS_FIELDS <= set(status), STATUS_FIELDS - set(status))
        self.assertNotIn("scheduled_at", status)
        self.assertIsInstance(status["id"], str)
        self.check_time(status["created_at"])
        self.assertIn("acct", status["account"])
        self.assertTrue(ACCOUNT_FIELDS <= set(status["account"]))

    def bob(self):
        """bob's account, resolved by lookup (WebFinger + actor)."""
        return self.api("alice", "GET", "/api/v1/accounts/lookup?acct=" +
                        urllib.parse.quote(f"bob@{self.remote.authority}"))

    def me(self, user):
        return self.api(user, "GET", "/api/v1/accounts/verify_credentials")

    # -- tests (named in the order they build on each other) --

    def test_01_oauth(self):
        app = self.app
        # A failed password grant: 400 JSON, never a redirect.
        r = self.kith.post("/oauth/token", {
            "grant_type": "password", "client_id": app["client_id"],
            "client_secret": app["client_secret"], "username": "alice", "password": "wrong"})
        self.assertEqual(r.status, 400)
        self.assertTrue(r.header("content-type").startswith("application/json"))
        self.assertEqual(r.json()["error"], "invalid_grant")
        self.assertIn("error_description", r.json())
        # Wrong client secret: 401 invalid_client.
        r = self.kith.post("/oauth/token", {
            "grant_type": "password", "client_id": app["client_id"], "client_secret": "nope",
            "username": "alice", "password": PASSWORD})
        self.assertEqual((r.status, r.json()["error"]), (401, "invalid_client"))
        # A scope the app did not register: invalid_scope.
        r = self.kith.post("/oauth/token", {
            "grant_type": "password", "client_id": app["client_id"],
            "client_secret": app["client_secret"], "username": "alice", "password": PASSWORD,
            "scope": "admin:read"})
        self.assertEqual((r.status, r.json()["error"]), (400, "invalid_scope"))
        # Form body, login by e-mail (Mastodon's meaning of username).
        form = urllib.parse.urlencode({
            "grant_type": "password", "client_id": app["client_id"],
            "client_secret": app["client_secret"], "username": "Alice@Example.com",
            "password": PASSWORD, "scope": "read"}).encode()
        r = self.kith.post("/oauth/token", form,
                           headers={"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual(r.status, 200, r.text())
        token = r.json()
        self.assertEqual(token["token_type"], "Bearer")
        self.assertEqual(token["scope"], "read")
        self.assertIsInstance(token["created_at"], int)
        self.assertEqual(r.header("cache-control"), "no-store")
        # Stored only as a hash.
        stored = pg.psql("SELECT count(*) FROM oauth_access_tokens WHERE token_hash = '" +
                         token["access_token"].replace("'", "") + "'", dbname="api")
        self.assertEqual(stored.strip(), "0")
        # A read token may read, not post.
        read_only = token["access_token"]
        self.assertEqual(self.api(read_only, "GET", "/api/v1/accounts/verify_credentials")
                         ["username"], "alice")
        err = self.api(read_only, "POST", "/api/v1/statuses", {"status": "x"}, expect=403)
        self.assertEqual(err, {"error": "This action is outside the authorized scopes"})
        # No token, a bad token.
        self.assertEqual(self.api(None, "GET", "/api/v1/accounts/verify_credentials",
                                  expect=401), {"error": "The access token is invalid"})
        self.api("bogus", "GET", "/api/v1/timelines/home", expect=401)
        # client_credentials: an app token is not a user.
        r = self.kith.post("/oauth/token", {
            "grant_type": "client_credentials", "client_id": app["client_id"],
            "client_secret": app["client_secret"]})
        self.assertEqual(r.status, 200, r.text())
        self.api(r.json()["access_token"], "GET", "/api/v1/accounts/verify_credentials",
                 expect=422)
        # ...but it reads what anyone may read.
        self.api(r.json()["access_token"], "GET", "/api/v1/timelines/public")
        # Revoke: the token stops working.
        r = self.kith.post("/oauth/revoke", {"client_id": app["client_id"],
                                             "client_secret": app["client_secret"],
                                             "token": read_only})
        self.assertEqual(r.status, 200, r.text())
        self.api(read_only, "GET", "/api/v1/accounts/verify_credentials", expect=401)
        # Unknown grant type.
        r = self.kith.post("/oauth/token", {"grant_type": "magic"})
        self.assertEqual((r.status, r.json()["error"]), (400, "unsupported_grant_type"))

    def test_02_accounts(self):
        me = self.me("alice")
        self.assertTrue(ACCOUNT_FIELDS <= set(me), ACCOUNT_FIELDS - set(me))
        self.assertEqual((me["username"], me["acct"]), ("alice", "alice"))
        self.check_time(me["created_at"])
        self.assertIn("source", me)
        self.assertEqual(me["url"], f"https://{self.host}/@alice")
        same = self.api(None, "GET", f"/api/v1/accounts/{me['id']}")
        self.assertEqual(same["id"], me["id"])
        self.assertNotIn("source", same)
        self.api(None, "GET", "/api/v1/accounts/999999", expect=404)
        self.assertEqual(self.api(None, "GET", "/api/v1/accounts/lookup?acct=alice")["id"],
                         me["id"])
        # update_credentials, JSON and form.
        updated = self.api("alice", "PATCH", "/api/v1/accounts/update_credentials",
                           {"display_name": "Alice A.", "note": "Hello <b>world</b>",
                            "bot": False})
        self.assertEqual(updated["display_name"], "Alice A.")
        self.assertEqual(updated["note"], "<p>Hello &lt;b&gt;world&lt;/b&gt;</p>")
        self.assertEqual(updated["source"]["note"], "Hello <b>world</b>")
        self.api("alice", "PATCH", "/api/v1/accounts/update_credentials",
                 {"display_name": "x" * 31}, expect=422)
        # Multipart, as Tusky and Elk send it. A header that is not an
        # image is refused and changes nothing (test_media has real ones).
        fake_header = ("--XyZ\r\nContent-Disposition: form-data; name=\"header\"; "
                       "filename=\"h.png\"\r\nContent-Type: image/png\r\n\r\n\x89PNG\r\n")
        discoverable = ("--XyZ\r\nContent-Disposition: form-data; name=\"discoverable\"\r\n\r\n"
                        "true\r\n")
        multipart = {"Content-Type": "multipart/form-data; boundary=XyZ"}
        self.api("alice", "PATCH", "/api/v1/accounts/update_credentials",
                 (discoverable + fake_header + "--XyZ--\r\n").encode("latin-1"),
                 headers=multipart, expect=422)
        self.assertFalse(self.api("alice", "GET",
                                  "/api/v1/accounts/verify_credentials")["discoverable"])
        updated = self.api("alice", "PATCH", "/api/v1/accounts/update_credentials",
                           (discoverable + "--XyZ--\r\n").encode("latin-1"), headers=multipart)
        self.assertEqual((updated["discoverable"], updated["display_name"]), (True, "Alice A."))
        # The remote account, resolved by WebFinger.
        bob = self.bob()
        self.assertEqual(bob["acct"], f"bob@{self.remote.authority}")
        self.assertEqual(bob["uri"], self.remote.actor_id)
        found = self.api("alice", "GET", "/api/v2/search?resolve=true&type=accounts&q=" +
                         urllib.parse.quote(f"@bob@{self.remote.authority}"))
        self.assertEqual([a["id"] for a in found["accounts"]], [bob["id"]])
        self.assertEqual(found["statuses"], [])
        self.assertEqual(found["hashtags"], [])
        by_url = self.api("alice", "GET", "/api/v2/search?resolve=true&q=" +
                          urllib.parse.quote(self.remote.actor_id))
        self.assertEqual([a["id"] for a in by_url["accounts"]], [bob["id"]])
        # A status by URL: fetched from its origin, sanitised, stored once.
        note_url = f"{self.remote.actor_id}/statuses/2"
        self.assertEqual(self.api("alice", "GET", "/api/v2/search?q=" +
                                  urllib.parse.quote(note_url))["statuses"], [])
        for _ in range(2):
            found = self.api("alice", "GET", "/api/v2/search?resolve=true&type=statuses&q=" +
                             urllib.parse.quote(note_url))
            self.assertEqual(len(found["statuses"]), 1)
            note = found["statuses"][0]
            self.check_status(note)
            self.assertEqual(note["uri"], note_url)
            self.assertEqual(note["account"]["id"], bob["id"])
            self.assertNotIn("<script", note["content"])
            self.assertEqual(note["visibility"], "public")
        self.assertEqual(pg.psql(f"SELECT count(*) FROM statuses WHERE uri = '{note_url}'",
                                 dbname="api").strip(), "1")

    def test_03_follow_remote_and_post_each_visibility(self):
        alice = self.me("alice")
        bob = self.bob()
        rel = self.api("alice", "POST", f"/api/v1/accounts/{bob['id']}/follow")
        self.assertTrue(RELATIONSHIP_FIELDS <= set(rel))
        self.assertEqual((rel["following"], rel["requested"]), (False, True))
        follow_id = pg.psql(f"SELECT uri FROM follows WHERE account_id = {alice['id']} AND "
                            f"target_account_id = {bob['id']}", dbname="api").strip()
        self.assertEqual(follow_id.split("#")[0], alice["uri"])
        follows = self.jobs_for(follow_id)
        self.assertEqual(len(follows), 1)
        self.assertEqual(follows[0][1], "Follow")
        self.assertEqual(follows[0][4]["object"], self.remote.actor_id)
        # FIXTURE: bob follows alice (his Follow would come through the inbox).
        pg.psql(f"INSERT INTO follows (account_id, target_account_id, uri, state) VALUES "
                f"({bob['id']}, {alice['id']}, '{self.remote.actor_id}#follows/1', 'accepted')",
                dbname="api")

        shared_inbox = f"{self.remote.origin}/inbox"
        bob_inbox = f"{self.remote.actor_id}/inbox"
        posted = {}
        for visibility in ("public", "unlisted", "private", "direct"):
            text = f"a {visibility} post #kith"
            if visibility == "direct":
                text = f"@bob@{self.remote.authority} just for you"
            status = self.api("alice", "POST", "/api/v1/statuses",
                              {"status": text, "visibility": visibility})
            self.check_status(status)
            self.assertEqual(status["visibility"], visibility)
            self.assertIsNone(status["reblog"])
            self.assertIsNone(status["in_reply_to_id"])
            self.assertEqual(status["url"], f"https://{self.host}/@alice/{status['id']}")
            posted[visibility] = status
            create = self.jobs_for(status["uri"] + "/activity")
            self.assertEqual(len(create), 1, f"{visibility}: {create}")
            inbox, type_, account_id, key_id, activity = create[0]
            self.assertEqual((type_, account_id, key_id),
                             ("Create", int(alice["id"]), alice["uri"] + "#main-key"))
            self.assertEqual(inbox, shared_inbox)
            if visibility == "direct":
                self.assertEqual(activity["to"], [self.remote.actor_id])
                self.assertEqual(activity["cc"], [])
                self.assertEqual(status["mentions"][0]["acct"], f"bob@{self.remote.authority}")
                self.assertIn('class="u-url mention"', status["content"])
                mention_tags = [t for t in activity["object"]["tag"] if t["type"] == "Mention"]
                self.assertEqual(mention_tags[0]["href"], self.remote.actor_id)
            else:
                self.assertEqual(status["tags"][0]["name"], "kith")
                hashtags = [t for t in activity["object"]["tag"] if t["type"] == "Hashtag"]
                self.assertEqual(hashtags[0]["name"], "#kith")
        public_collection = "https://www.w3.org/ns/activitystreams#Public"
        self.assertEqual(self.jobs_for(posted["public"]["uri"] + "/activity")[0][4]["to"],
                         [public_collection])
        self.assertNotIn(public_collection,
                         json.dumps(self.jobs_for(posted["private"]["uri"] + "/activity")[0][4]))
        # Local-only, both spellings: no job at all.
        before = len(self.jobs())
        local = self.api("alice", "POST", "/api/v1/statuses",
                         {"status": "only here", "visibility": "local"})
        glitch = self.api("alice", "POST", "/api/v1/statuses",
                          {"status": "only here too", "local_only": True})
        for status in (local, glitch):
            self.check_status(status)
            self.assertEqual((status["visibility"], status["local_only"]), ("public", True))
        self.assertEqual(len(self.jobs()), before)
        # Nobody signed in sees neither; carol (local) sees it.
        self.api(None, "GET", f"/api/v1/statuses/{local['id']}", expect=404)
        self.api("carol", "GET", f"/api/v1/statuses/{local['id']}")
        # A private post is not visible to carol (not a follower), nor anonymously.
        self.api("carol", "GET", f"/api/v1/statuses/{posted['private']['id']}", expect=404)
        self.api(None, "GET", f"/api/v1/statuses/{posted['direct']['id']}", expect=404)
        self.api(None, "GET", f"/api/v1/statuses/{posted['public']['id']}")
        # The jobs are delivered: bob's server receives them.
        harness.wait_until(lambda: len(self.remote.activities("Create")) >= 4, 30,
                           message="four Creates at bob's server")
        harness.wait_until(lambda: len(self.remote.activities("Follow")) >= 1, 30,
                           message="the Follow at bob's server")
        self.__class__.posted = posted

    def test_04_idempotency_edit_reply_delete(self):
        key = {"Idempotency-Key": "abc-123"}
        first = self.api("alice", "POST", "/api/v1/statuses", {"status": "once"}, headers=key)
        again = self.api("alice", "POST", "/api/v1/statuses", {"status": "once"}, headers=key)
        self.assertEqual(first["id"], again["id"])
        self.api("alice", "POST", "/api/v1/statuses", {"status": ""}, expect=422)
        self.api("alice", "POST", "/api/v1/statuses", {"status": "x" * 5001}, expect=422)
        self.api("alice", "POST", "/api/v1/statuses", {"status": "x", "visibility": "secret"},
                 expect=422)
        # scheduled_at: a ScheduledStatus, not a status (test_statuses has the rest).
        later = self.api("alice", "POST", "/api/v1/statuses",
                         {"status": "later", "scheduled_at": "2099-01-01T00:00:00.000Z"})
        self.assertEqual((later["params"]["text"], later["scheduled_at"]),
                         ("later", "2099-01-01T00:00:00.000Z"))
        self.api("alice", "DELETE", f"/api/v1/scheduled_statuses/{later['id']}")
        # A poll of one option is refused (test_polls has the rest).
        self.api("alice", "POST", "/api/v1/statuses",
                 {"status": "vote", "poll": {"options": ["a"], "expires_in": 300}},
                 expect=422)
        # Edit: Update{Note} with a stable id.
        edited = self.api("alice", "PUT", f"/api/v1/statuses/{first['id']}",
                          {"status": "twice", "spoiler_text": "cw"})
        self.check_status(edited)
        self.assertIn("twice", edited["content"])
        self.check_time(edited["edited_at"])
        self.assertEqual((edited["spoiler_text"], edited["sensitive"]), ("cw", True))
        updates = [j for j in self.jobs() if j[1] == "Update" and
                   j[4]["id"].startswith(first["uri"] + "#updates/")]
        self.assertEqual(len(updates), 1)
        self.assertEqual(updates[0][4]["object"]["summary"], "cw")
        self.api("carol", "PUT", f"/api/v1/statuses/{first['id']}", {"status": "mine"},
                 expect=404)
        # A reply.
        reply = self.api("alice", "POST", "/api/v1/statuses",
                         {"status": "a reply", "in_reply_to_id": first["id"]})
        self.assertEqual(reply["in_reply_to_id"], first["id"])
        context = self.api("alice", "GET", f"/api/v1/statuses/{first['id']}/context")
        self.assertEqual([s["id"] for s in context["descendants"]], [reply["id"]])
        # Delete: answered with the source text; Delete{Tombstone} queued.
        deleted = self.api("alice", "DELETE", f"/api/v1/statuses/{first['id']}")
        self.assertEqual(deleted["text"], "twice")
        self.assertEqual(len(self.jobs_for(first["uri"] + "#delete")), 1)
        self.api("alice", "GET", f"/api/v1/statuses/{first['id']}", expect=404)
        self.api("alice", "DELETE", f"/api/v1/statuses/{first['id']}", expect=404)

    def test_04b_edits_within_one_second_are_each_sent(self):
        # Two edits (and two profile changes) in quick succession, most often
        # within one second: each has its own Update id (microseconds), so
        # neither is swallowed by the delivery dedupe or by the receiver.
        status = self.api("alice", "POST", "/api/v1/statuses", {"status": "draft"})
        self.api("alice", "PUT", f"/api/v1/statuses/{status['id']}", {"status": "draft 2"})
        self.api("alice", "PUT", f"/api/v1/statuses/{status['id']}", {"status": "draft 3"})
        updates = [j for j in self.jobs() if j[1] == "Update" and
                   j[4]["id"].startswith(status["uri"] + "#updates/")]
        self.assertEqual(len(updates), 2, [j[4]["id"] for j in updates])
        self.assertNotEqual(updates[0][4]["id"], updates[1][4]["id"])
        self.assertIn("draft 3", updates[1][4]["object"]["content"])
        alice = self.me("alice")
        for note in ("first bio", "second bio"):
            self.api("alice", "PATCH", "/api/v1/accounts/update_credentials", {"note": note})
        profile = [j for j in self.jobs() if j[1] == "Update" and
                   j[4]["id"].startswith(alice["uri"] + "#updates/")]
        self.assertEqual(len(profile), 2, [j[4]["id"] for j in profile])
        self.assertNotEqual(profile[0][4]["id"], profile[1][4]["id"])

    def test_05_favourite_and_boost(self):
        alice = self.me("alice")
        bob = self.bob()
        own = self.api("alice", "POST", "/api/v1/statuses", {"status": "like me"})
        faved = self.api("carol", "POST", f"/api/v1/statuses/{own['id']}/favourite")
        self.assertEqual((faved["favourited"], faved["favourites_count"]), (True, 1))
        # A local status's favourite goes nowhere.
        self.assertEqual([j for j in self.jobs() if j[1] == "Like"], [])
        # FIXTURE: a public status of bob's (it would come through the inbox).
        remote_uri = f"{self.remote.actor_id}/statuses/1"
        pg.psql(f"INSERT INTO statuses (account_id, uri, url, content, visibility) VALUES "
                f"({bob['id']}, '{remote_uri}', '{self.remote.origin}/@bob/1', "
                f"'<p>hello from bob</p>', 'public')", dbname="api")
        found = self.api("alice", "GET", "/api/v2/search?q=" + urllib.parse.quote(remote_uri))
        self.assertEqual(len(found["statuses"]), 1)
        remote = found["statuses"][0]
        self.assertEqual(remote["account"]["acct"], f"bob@{self.remote.authority}")
        liked = self.api("alice", "POST", f"/api/v1/statuses/{remote['id']}/favourite")
        self.assertTrue(liked["favourited"])
        likes = [j for j in self.jobs() if j[1] == "Like"]
        self.assertEqual(len(likes), 1)
        self.assertEqual(likes[0][4]["object"], remote_uri)
        self.assertTrue(likes[0][4]["id"].startswith(alice["uri"] + "#likes/"))
        self.api("alice", "POST", f"/api/v1/statuses/{remote['id']}/favourite")  # idempotent
        self.assertEqual(len([j for j in self.jobs() if j[1] == "Like"]), 1)
        self.api("alice", "POST", f"/api/v1/statuses/{remote['id']}/unfavourite")
        undo = [j for j in self.jobs() if j[1] == "Undo" and j[4]["object"]["type"] == "Like"]
        self.assertEqual(len(undo), 1)
        self.assertEqual(undo[0][4]["id"], likes[0][4]["id"] + "/undo")
        # Boost: the answer wraps the original.
        boost = self.api("alice", "POST", f"/api/v1/statuses/{remote['id']}/reblog")
        self.check_status(boost)
        self.assertEqual(boost["reblog"]["id"], remote["id"])
        self.assertTrue(boost["reblog"]["reblogged"])
        announces = [j for j in self.jobs() if j[1] == "Announce"]
        self.assertEqual(len(announces), 1)  # bob's shared inbox: follower and author at once
        self.assertEqual(announces[0][4]["object"], remote_uri)
        self.assertEqual(announces[0][4]["id"], boost["uri"] + "/activity")
        home = self.api("alice", "GET", "/api/v1/timelines/home")
        self.assertEqual(home[0]["id"], boost["id"])
        unboosted = self.api("alice", "POST", f"/api/v1/statuses/{remote['id']}/unreblog")
        self.assertFalse(unboosted["reblogged"])
        self.assertEqual(len([j for j in self.jobs() if j[1] == "Undo" and
                              j[4]["object"]["type"] == "Announce"]), 1)
        # Deleting one's boost undoes it too.
        boost = self.api("carol", "POST", f"/api/v1/statuses/{remote['id']}/reblog")
        self.api("carol", "DELETE", f"/api/v1/statuses/{boost['id']}")
        self.assertFalse(self.api("carol", "GET", f"/api/v1/statuses/{remote['id']}")
                         ["reblogged"])
        # Carol has no remote followers, but the boosted status's author hears.
        undone = [j for j in self.jobs() if j[1] == "Undo" and
                  j[4]["object"]["type"] == "Announce"]
        self.assertEqual(len(undone), 2)
        self.assertEqual(undone[1][4]["id"], boost["uri"] + "/activity/undo")
        # Alice boosts carol's post; carol (no remote followers) edits and
        # deletes it: the Update and the Delete reach bob, alice's follower.
        carols = self.api("carol", "POST", "/api/v1/statuses", {"status": "boost me"})
        self.api("alice", "POST", f"/api/v1/statuses/{carols['id']}/reblog")
        self.api("carol", "PUT", f"/api/v1/statuses/{carols['id']}", {"status": "boosted"})
        updates = [j for j in self.jobs() if j[1] == "Update" and
                   j[4]["id"].startswith(carols["uri"] + "#updates/")]
        self.assertEqual([j[0] for j in updates], [f"{self.remote.origin}/inbox"])
        self.api("carol", "DELETE", f"/api/v1/statuses/{carols['id']}")
        self.assertEqual([j[0] for j in self.jobs_for(carols["uri"] + "#delete")],
                         [f"{self.remote.origin}/inbox"])
        # A private status cannot be boosted.
        private = self.api("alice", "POST", "/api/v1/statuses",
                           {"status": "mine only", "visibility": "private"})
        self.api("alice", "POST", f"/api/v1/statuses/{private['id']}/reblog", expect=403)

    def test_05b_edits_and_deletes_reach_who_interacted(self):
        # bob follows alice, not carol; carol has no remote follower. bob
        # favourited one public post of carol's, boosted an unlisted one and
        # replied to a third (FIXTURE rows: they would come through the
        # inbox). Each post's edit and deletion reach his server, as with
        # Mastodon; a private post's never do, whoever interacted with it,
        # nor does the Create of a post.
        bob = self.bob()
        carol = self.me("carol")
        shared_inbox = f"{self.remote.origin}/inbox"

        def fixture(kind, status_id):
            uri = f"{self.remote.actor_id}/{kind}/{status_id}"
            if kind == "favourite":
                sql = (f"INSERT INTO favourites (account_id, status_id, uri) VALUES "
                       f"({bob['id']}, {status_id}, '{uri}')")
            elif kind == "boost":
                sql = (f"INSERT INTO statuses (account_id, uri, visibility, reblog_of_id) "
                       f"VALUES ({bob['id']}, '{uri}', 'public', {status_id})")
            else:
                sql = (f"INSERT INTO statuses (account_id, uri, content, visibility, "
                       f"in_reply_to_id, in_reply_to_account_id) VALUES ({bob['id']}, "
                       f"'{uri}', '<p>re</p>', 'public', {status_id}, {carol['id']})")
            pg.psql(sql, dbname="api")

        def sent(status):
            updates = [j[0] for j in self.jobs() if j[1] == "Update" and
                       j[4]["id"].startswith(status["uri"] + "#updates/")]
            return updates, [j[0] for j in self.jobs_for(status["uri"] + "#delete")]

        for kind, visibility in (("favourite", "public"), ("boost", "unlisted"),
                                 ("reply", "public")):
            status = self.api("carol", "POST", "/api/v1/statuses",
                              {"status": f"{kind} me", "visibility": visibility})
            self.assertEqual(self.jobs_for(status["uri"] + "/activity"), [])
            fixture(kind, status["id"])
            self.api("carol", "PUT", f"/api/v1/statuses/{status['id']}",
                     {"status": f"{kind}d"})
            self.api("carol", "DELETE", f"/api/v1/statuses/{status['id']}")
            self.assertEqual(sent(status), ([shared_inbox], [shared_inbox]), kind)
            delete = self.jobs_for(status["uri"] + "#delete")[0]
            self.assertEqual(delete[4]["object"]["type"], "Tombstone")
        # A private post with all three: its audience does not grow.
        private = self.api("carol", "POST", "/api/v1/statuses",
                           {"status": "followers only", "visibility": "private"})
        for kind in ("favourite", "boost", "reply"):
            fixture(kind, private["id"])
        self.api("carol", "PUT", f"/api/v1/statuses/{private['id']}", {"status": "still"})
        self.api("carol", "DELETE", f"/api/v1/statuses/{private['id']}")
        self.assertEqual(sent(private), ([], []))
        # The fixture rows go, so that later timelines are as they were.
        pg.psql(f"DELETE FROM favourites WHERE account_id = {bob['id']} AND uri LIKE "
                f"'{self.remote.actor_id}/favourite/%'", dbname="api")
        pg.psql(f"DELETE FROM statuses WHERE account_id = {bob['id']} AND "
                f"(uri LIKE '{self.remote.actor_id}/boost/%' OR "
                f"uri LIKE '{self.remote.actor_id}/reply/%')", dbname="api")

    def test_06_locked_account_and_timelines(self):
        carol = self.api("carol", "PATCH", "/api/v1/accounts/update_credentials",
                         urllib.parse.urlencode({"locked": "true"}).encode(),
                         headers={"Content-Type": "application/x-www-form-urlencoded"})
        self.assertTrue(carol["locked"])
        dan = self.me("dan")
        secret = self.api("carol", "POST", "/api/v1/statuses",
                          {"status": "for followers", "visibility": "private"})
        rel = self.api("dan", "POST", f"/api/v1/accounts/{carol['id']}/follow")
        self.assertEqual((rel["following"], rel["requested"]), (False, True))
        self.api("dan", "GET", f"/api/v1/statuses/{secret['id']}", expect=404)
        requests = self.api("carol", "GET", "/api/v1/follow_requests")
        self.assertEqual([a["id"] for a in requests], [dan["id"]])
        self.assertEqual(self.me("carol")["source"]["follow_requests_count"], 1)
        rel = self.api("carol", "POST", f"/api/v1/follow_requests/{dan['id']}/authorize")
        self.assertEqual(rel["followed_by"], True)
        self.assertEqual(self.api("carol", "GET", "/api/v1/follow_requests"), [])
        rels = self.api("dan", "GET", f"/api/v1/accounts/relationships?id[]={carol['id']}")
        self.assertEqual((rels[0]["following"], rels[0]["requested"]), (True, False))
        self.api("dan", "GET", f"/api/v1/statuses/{secret['id']}")
        followers = self.api(None, "GET", f"/api/v1/accounts/{carol['id']}/followers")
        self.assertEqual([a["id"] for a in followers], [dan["id"]])
        following = self.api(None, "GET", f"/api/v1/accounts/{dan['id']}/following")
        self.assertEqual([a["id"] for a in following], [carol["id"]])
        # Home timeline: dan sees carol's private post; newest first; Link next first.
        for i in range(3):
            self.api("carol", "POST", "/api/v1/statuses", {"status": f"post {i}"})
        r = self.kith.get("/api/v1/timelines/home?limit=2",
                          headers={"Authorization": f"Bearer {self.tokens['dan']}"})
        self.assertEqual(r.status, 200)
        page = r.json()
        self.assertEqual([s["content"] for s in page], ["<p>post 2</p>", "<p>post 1</p>"])
        link = r.header("link")
        self.assertTrue(link.startswith("<"), link)
        self.assertRegex(link, r'^<[^>]*max_id=%s[^>]*>; rel="next", <[^>]*>; rel="prev"$'
                         % page[-1]["id"])
        rest = self.api("dan", "GET", f"/api/v1/timelines/home?max_id={page[-1]['id']}")
        self.assertIn(secret["id"], [s["id"] for s in rest])
        newer = self.api("dan", "GET", f"/api/v1/timelines/home?since_id={page[-1]['id']}")
        self.assertEqual([s["content"] for s in newer], ["<p>post 2</p>"])
        # Statuses of an account, as others see them.
        mine = self.api(None, "GET", f"/api/v1/accounts/{carol['id']}/statuses")
        self.assertNotIn(secret["id"], [s["id"] for s in mine])
        # Public timeline: no private, no local-only for nobody.
        public = self.api(None, "GET", "/api/v1/timelines/public?local=true&limit=40")
        self.assertTrue(all(s["visibility"] == "public" and "local_only" not in s
                            for s in public))
        self.assertIn("<p>post 2</p>", [s["content"] for s in public])
        # Reject and unfollow.
        self.api("dan", "POST", f"/api/v1/accounts/{carol['id']}/unfollow")
        self.api("dan", "GET", f"/api/v1/statuses/{secret['id']}", expect=404)
        self.api("alice", "POST", f"/api/v1/accounts/{carol['id']}/follow")
        alice = self.me("alice")
        self.api("carol", "POST", f"/api/v1/follow_requests/{alice['id']}/reject")
        rels = self.api("alice", "GET", f"/api/v1/accounts/relationships?id[]={carol['id']}")
        self.assertEqual((rels[0]["following"], rels[0]["requested"]), (False, False))
        # Following oneself is not allowed.
        self.api("carol", "POST", f"/api/v1/accounts/{carol['id']}/follow", expect=403)

    def test_07_block_and_report(self):
        bob = self.bob()
        rel = self.api("dan", "POST", f"/api/v1/accounts/{bob['id']}/block")
        self.assertTrue(rel["blocking"])
        blocks = [j for j in self.jobs() if j[1] == "Block"]
        self.assertEqual(len(blocks), 1)
        self.assertEqual(blocks[0][0], f"{self.remote.origin}/inbox")
        self.api("dan", "POST", f"/api/v1/accounts/{bob['id']}/follow", expect=403)
        self.api("dan", "POST", f"/api/v1/accounts/{bob['id']}/unblock")
        self.assertEqual(len([j for j in self.jobs() if j[1] == "Undo" and
                              j[4]["object"]["type"] == "Block"]), 1)
        # A report forwarded to bob's server: a Flag from the instance actor.
        report = self.api("dan", "POST", "/api/v1/reports",
                          {"account_id": bob["id"], "comment": "spam", "forward": True})
        self.assertEqual((report["comment"], report["forwarded"]), ("spam", True))
        self.assertEqual(report["target_account"]["id"], bob["id"])
        self.check_time(report["created_at"])
        flags = [j for j in self.jobs() if j[1] == "Flag"]
        self.assertEqual(len(flags), 1)
        _, _, account_id, key_id, activity = flags[0]
        instance_actor = f"https://{self.host}/actor"
        self.assertEqual((account_id, key_id, activity["actor"]),
                         (0, instance_actor + "#main-key", instance_actor))
        self.assertEqual(activity["object"], bob["uri"])
        self.assertEqual(activity["content"], "spam")
        harness.wait_until(lambda: self.remote.activities("Flag"), 30,
                           message="the Flag at bob's server")
        _, _, headers = self.remote.activities("Flag")[0]
        self.assertIn(f'keyId="{instance_actor}#main-key"', headers.get("Signature", ""))
        # Not forwarded: a report row, no Flag.
        self.api("dan", "POST", "/api/v1/reports", {"account_id": bob["id"], "comment": "x"})
        self.assertEqual(len([j for j in self.jobs() if j[1] == "Flag"]), 1)


class PasswordGrantSwitchTest(unittest.TestCase):
    def test_password_grant_can_be_switched_off(self):
        pg.createdb("nopassword")
        kith = harness.Kith(database_url=pg.url("nopassword"),
                            config={"api": {"password_grant": False}})
        self.addCleanup(kith.cleanup)
        kith.start()
        kith.run("user", "add", "alice", input=PASSWORD + "\n")
        app = kith.post("/api/v1/apps", {"client_name": "x",
                                         "redirect_uris": "urn:ietf:wg:oauth:2.0:oob"}).json()
        r = kith.post("/oauth/token", {"grant_type": "password", "client_id": app["client_id"],
                                       "client_secret": app["client_secret"],
                                       "username": "alice", "password": PASSWORD})
        self.assertEqual(r.status, 400)
        self.assertEqual(r.json()["error"], "unsupported_grant_type")


if __name__ == "__main__":
    unittest.main()
