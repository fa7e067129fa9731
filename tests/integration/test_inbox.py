"""The inbound edge of federation (issue 3, items 3, 5 and 7): kith's inboxes
verify HTTP Signatures and origins and store each accepted activity once as
an inbox job; GETs honour signatures (signed fetch) and, with
federation.authorized_fetch, require them; the fetcher keeps a document only
if its id is the URL it came from.

One kith daemon (its own PostgreSQL, looked at with psql) and one Python
HTTPS server on 127.0.0.1 standing for another fediverse server, with a
certificate from a CA the test makes (kith trusts it through
federation.extra_ca_file and may reach exactly that port through
federation.allowed_private_addresses). That server publishes actors with
RSA keys made by openssl: mallory and eve (each with her own key), liar
(whose document claims to be ghost, another actor of the same server), and
ghost. Requests are signed as Mastodon signs them (tests/integration/
signing.py: draft-cavage, rsa-sha256, (request-target) host date digest).

Local state comes through the client API (alice's posts, through an OAuth
password-grant token). mallory's follow of alice comes through the inbox
itself (a signed Follow, applied by the inbox worker, which auto-accepts),
so no row is inserted by hand. One row is changed with psql: the key
rotation test ages a cached actor past the one-minute refetch guard instead
of waiting a minute (no API can age a row).
"""

import contextlib
import hashlib
import http.server
import json
import os
import shutil
import ssl
import threading
import time
import unittest
import urllib.parse
import uuid

import harness
import signing
from federation import Certificates

AS_TYPE = signing.AS_TYPE
PASSWORD = "correct horse battery staple"
APPLY_TIMEOUT = 30.0  # for the inbox worker to apply a Follow


class RemoteServer:
    """An HTTPS server on 127.0.0.1: documents by path, WebFinger for the
    actors added, 202 to any POST (it records them)."""

    def __init__(self, certs):
        self.lock = threading.Lock()
        self.documents = {}  # path -> (status, content type, body)
        self.webfinger = {}  # resource -> actor URL
        self.posts = []      # (path, body)
        remote = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                remote.serve(self)

            def do_POST(self):
                length = int(self.headers.get("Content-Length", "0") or 0)
                body = self.rfile.read(min(length, 1 << 20))
                with remote.lock:
                    remote.posts.append((self.path, body))
                self.send_response(202)
                self.send_header("Content-Length", "0")
                self.send_header("Connection", "close")
                self.end_headers()

        class Server(http.server.ThreadingHTTPServer):
            daemon_threads = True

        self.server = Server(("127.0.0.1", 0), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(certs.cert, certs.key)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.origin = f"https://localhost:{self.port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def serve(self, request):
        parts = urllib.parse.urlsplit(request.path)
        with self.lock:
            if parts.path == "/.well-known/webfinger":
                resource = urllib.parse.parse_qs(parts.query).get("resource", [""])[0]
                actor = self.webfinger.get(resource)
                found = (404, "application/json", b"{}") if actor is None else (
                    200, "application/jrd+json", json.dumps({
                        "subject": resource,
                        "links": [{"rel": "self", "type": AS_TYPE, "href": actor}]}).encode())
            else:
                found = self.documents.get(parts.path, (404, "application/json", b"{}"))
        status, content_type, body = found
        with contextlib.suppress(OSError):
            request.send_response(status)
            request.send_header("Content-Type", content_type)
            request.send_header("Content-Length", str(len(body)))
            request.send_header("Connection", "close")
            request.end_headers()
            request.wfile.write(body)

    def add(self, path, document, content_type=AS_TYPE, status=200):
        with self.lock:
            self.documents[path] = (status, content_type, json.dumps(document).encode())

    def add_actor(self, name, key, document_id=None):
        """Publishes actor `name` at /users/<name> with `key`; its document
        says its id is `document_id` (the URL itself unless a test lies)."""
        url = f"{self.origin}/users/{name}"
        actor_id = document_id or url
        self.add(f"/users/{name}", {
            "@context": ["https://www.w3.org/ns/activitystreams",
                         "https://w3id.org/security/v1"],
            "id": actor_id, "type": "Person", "preferredUsername": name,
            "name": f"{name.title()} <b>the tester</b>",
            "summary": f"<p>{name}</p><script>alert(1)</script>",
            "inbox": f"{actor_id}/inbox", "outbox": f"{actor_id}/outbox",
            "followers": f"{actor_id}/followers", "following": f"{actor_id}/following",
            "endpoints": {"sharedInbox": f"{self.origin}/inbox"},
            "publicKey": {"id": f"{actor_id}#main-key", "owner": actor_id,
                          "publicKeyPem": key.public_pem}})
        with self.lock:
            self.webfinger[f"acct:{name}@localhost:{self.port}"] = url
        return url

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class InboxTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.cleanups = []
        try:
            cls._start()
        except BaseException:
            cls._cleanup()
            raise

    @classmethod
    def _start(cls):
        cls.dir = harness.make_temp_dir("kinbox-")
        cls.cleanups.append(lambda: shutil.rmtree(cls.dir, ignore_errors=True))
        cls.certs = Certificates()
        cls.cleanups.append(cls.certs.cleanup)
        cls.pg = harness.PgCluster()
        cls.cleanups.append(cls.pg.cleanup)
        cls.remote = RemoteServer(cls.certs)
        cls.cleanups.append(cls.remote.close)
        cls.keys = {name: signing.RsaKey(cls.dir, name) for name in ("mallory", "eve", "liar",
                                                                     "ghost")}
        cls.mallory = cls.remote.add_actor("mallory", cls.keys["mallory"])
        cls.eve = cls.remote.add_actor("eve", cls.keys["eve"])
        cls.ghost = cls.remote.add_actor("ghost", cls.keys["ghost"])
        # liar's document, served at /users/liar, says it is ghost (with
        # liar's key): a fetcher that believed ids would take it for ghost.
        cls.liar = f"{cls.remote.origin}/users/liar"
        cls.remote.add_actor("liar", cls.keys["liar"], document_id=cls.ghost)
        cls.kith = harness.Kith(database_url=cls.pg.url(), env={
            "KITH_FEDERATION_EXTRA_CA_FILE": cls.certs.ca,
            "KITH_FEDERATION_ALLOWED_PRIVATE_ADDRESSES": f"127.0.0.1:{cls.remote.port}",
        })
        cls.cleanups.append(cls.kith.cleanup)
        cls.kith.start()
        created = cls.kith.run("user", "add", "alice", input=PASSWORD + "\n")
        assert created.returncode == 0, created.stderr
        cls.host = f"localhost:{cls.kith.port}"
        cls.alice = f"https://{cls.host}/users/alice"
        app = cls.kith.post("/api/v1/apps", {
            "client_name": "inbox test", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob",
            "scopes": "read write"})
        assert app.status == 200, app
        token = cls.kith.post("/oauth/token", {
            "grant_type": "password", "client_id": app.json()["client_id"],
            "client_secret": app.json()["client_secret"], "username": "alice",
            "password": PASSWORD, "scope": "read write"})
        assert token.status == 200, token
        cls.token = token.json()["access_token"]

    @classmethod
    def _cleanup(cls):
        for fn in reversed(cls.cleanups):
            with contextlib.suppress(Exception):
                fn()
        cls.cleanups = []

    @classmethod
    def tearDownClass(cls):
        cls._cleanup()

    # -- helpers --

    def psql(self, sql):
        return self.pg.psql(sql).strip()

    def jobs_for(self, activity_id):
        """Inbox jobs stored for `activity_id` (by the dedupe key kith uses:
        inbox: + hex SHA-256 of the id), whatever their state."""
        key = "inbox:" + hashlib.sha256(activity_id.encode()).hexdigest()
        return int(self.psql(f"SELECT count(*) FROM jobs WHERE queue = 'inbox' "
                             f"AND dedupe_key = '{key}'"))

    def create(self, actor, note_origin=None, activity_id=None):
        """A Create of a public Note by `actor`; ids fresh each time."""
        uid = uuid.uuid4().hex
        origin = note_origin or actor
        note = {"id": f"{origin}/statuses/{uid}", "type": "Note", "attributedTo": actor,
                "content": "<p>hello</p>", "to": ["https://www.w3.org/ns/activitystreams#Public"],
                "published": "2026-01-01T00:00:00Z"}
        return {"@context": "https://www.w3.org/ns/activitystreams",
                "id": activity_id or f"{actor}/statuses/{uid}/activity", "type": "Create",
                "actor": actor, "object": note, "to": note["to"]}

    def post(self, path, activity, signer="mallory", key=None, body=None, **sign):
        """POSTs `activity` (or raw `body`) to `path`, signed with the key of
        `signer` (key id <signer's actor>#main-key) unless signer is None."""
        body = body if body is not None else json.dumps(activity).encode()
        headers = {"Content-Type": AS_TYPE}
        if signer:
            key_id = f"{self.remote.origin}/users/{signer}#main-key"
            headers.update(signing.signed_headers(key or self.keys[signer], key_id, "POST", path,
                                                  self.host, body=body, **sign))
        return self.kith.post(path, body=body, headers=headers)

    def signed_get(self, path, signer):
        key_id = f"{self.remote.origin}/users/{signer}#main-key"
        headers = signing.signed_headers(self.keys[signer], key_id, "GET", path, self.host)
        headers["Accept"] = AS_TYPE
        return self.kith.get(path, headers=headers)

    def signed_get_with(self, path, actor, key):
        headers = signing.signed_headers(key, f"{actor}#main-key", "GET", path, self.host)
        headers["Accept"] = AS_TYPE
        return self.kith.get(path, headers=headers)

    def api_post(self, path, body):
        r = self.kith.post(path, body, headers={"Authorization": f"Bearer {self.token}"})
        self.assertEqual(r.status, 200, (r, r.text()))
        return r.json()

    def path_of(self, url):
        return urllib.parse.urlsplit(url).path

    # -- the inbox --

    def test_signed_create_is_accepted_and_stored_once(self):
        activity = self.create(self.mallory)
        for path in ("/users/alice/inbox", "/inbox", "/users/alice/inbox"):
            r = self.post(path, activity)
            self.assertEqual(r.status, 202, (path, r, r.text()))
        self.assertEqual(self.jobs_for(activity["id"]), 1)
        # The job says who signed it and for whom it came.
        payload = json.loads(self.psql(
            "SELECT payload::text FROM jobs WHERE queue = 'inbox' AND dedupe_key = "
            f"'inbox:{hashlib.sha256(activity['id'].encode()).hexdigest()}'"))
        self.assertEqual(payload["signer"], self.mallory)
        self.assertEqual(json.loads(payload["body"])["id"], activity["id"])
        # mallory is now a remote account, with her HTML made safe.
        note = self.psql(f"SELECT note FROM accounts WHERE uri = '{self.mallory}'")
        self.assertIn("mallory", note)
        self.assertNotIn("<script", note)

    def test_refusals_store_nothing(self):
        other_body = json.dumps(self.create(self.mallory)).encode()
        cases = [
            # (name, activity, post() arguments, expected status)
            ("missing signature", self.create(self.mallory), {"signer": None}, 401),
            ("signed with another key", self.create(self.mallory), {"key": self.keys["eve"]},
             401),
            ("digest of another body", self.create(self.mallory),
             {"signed_body": other_body}, 401),
            ("date out of the window", self.create(self.mallory),
             {"date": signing.http_date(time.time() - 3 * 3600)}, 401),
            ("digest not signed", self.create(self.mallory),
             {"covered": ("(request-target)", "host", "date")}, 401),
            ("activity id on a foreign origin",
             self.create(self.mallory, activity_id=f"https://{self.host}/evil/{uuid.uuid4()}"),
             {}, 400),
        ]
        for name, activity, arguments, status in cases:
            with self.subTest(name):
                r = self.post("/users/alice/inbox", activity, **arguments)
                self.assertEqual(r.status, status, (r, r.text()))
                self.assertIn("error", r.json())
                self.assertEqual(self.jobs_for(activity["id"]), 0)

    def test_body_changed_after_signing(self):
        activity = self.create(self.mallory)
        signed = json.dumps(activity).encode()
        changed = json.dumps({**activity, "to": []}).encode()
        key_id = f"{self.mallory}#main-key"
        # The digest of what was signed, with another body: digest mismatch.
        headers = {"Content-Type": AS_TYPE, **signing.signed_headers(
            self.keys["mallory"], key_id, "POST", "/inbox", self.host, body=signed)}
        r = self.kith.post("/inbox", body=changed, headers=headers)
        self.assertEqual(r.status, 401, r)
        self.assertIn("digest", r.json()["error"])
        # The digest recomputed for the new body, the old signature kept.
        headers["Digest"] = signing.digest_header(changed)
        r = self.kith.post("/inbox", body=changed, headers=headers)
        self.assertEqual(r.status, 401, r)
        self.assertEqual(r.json()["error"], "bad_signature")
        self.assertEqual(self.jobs_for(activity["id"]), 0)

    def test_wrong_content_type_and_not_an_activity(self):
        activity = self.create(self.mallory)
        body = json.dumps(activity).encode()
        headers = {"Content-Type": "text/plain", **signing.signed_headers(
            self.keys["mallory"], f"{self.mallory}#main-key", "POST", "/inbox", self.host,
            body=body)}
        self.assertEqual(self.kith.post("/inbox", body=body, headers=headers).status, 415)
        note = activity["object"]
        r = self.post("/inbox", note)
        self.assertEqual(r.status, 400, r)
        self.assertIn("not an activity", r.json()["error"])
        self.assertEqual(self.jobs_for(activity["id"]), 0)
        self.assertEqual(self.post("/users/nobody/inbox", activity).status, 404)

    def test_fetched_document_must_be_its_url(self):
        """liar's document at /users/liar claims ghost's id: kith keeps no
        account for either from it, and liar's Follow is refused."""
        follow = {"@context": "https://www.w3.org/ns/activitystreams",
                  "id": f"{self.liar}#follows/{uuid.uuid4().hex}", "type": "Follow",
                  "actor": self.liar, "object": self.alice}
        r = self.post("/users/alice/inbox", follow, signer="liar")
        self.assertEqual(r.status, 401, r)
        self.assertEqual(self.jobs_for(follow["id"]), 0)
        self.assertEqual(self.psql(f"SELECT count(*) FROM accounts WHERE uri = '{self.liar}'"),
                         "0")
        self.assertEqual(self.psql(
            f"SELECT count(*) FROM accounts WHERE public_key_pem = "
            f"$q${self.keys['liar'].public_pem}$q$"), "0")

    def test_delete_from_a_gone_actor_is_accepted_and_dropped(self):
        """A Delete signed with a key whose actor's server answers 410 (the
        account was deleted there) is 202 and stores nothing, as Mastodon
        answers it; so is an actor's Delete of itself when kith never knew
        the actor (not even looked up); any other activity from that key is
        401."""
        gone = f"{self.remote.origin}/users/gone-{uuid.uuid4().hex}"
        self.remote.add(self.path_of(gone), {"error": "gone"}, "application/json", status=410)
        key = self.keys["mallory"]  # whatever key signs: it cannot be had
        delete = {"@context": "https://www.w3.org/ns/activitystreams",
                  "id": f"{gone}#delete", "type": "Delete", "actor": gone,
                  "object": f"{gone}/statuses/1",
                  "to": ["https://www.w3.org/ns/activitystreams#Public"]}
        self_delete = {**delete, "id": f"{gone}#delete-self", "object": gone}
        for activity in (delete, self_delete):
            body = json.dumps(activity).encode()
            headers = {"Content-Type": AS_TYPE, **signing.signed_headers(
                key, f"{gone}#main-key", "POST", "/inbox", self.host, body=body)}
            r = self.kith.post("/inbox", body=body, headers=headers)
            self.assertEqual(r.status, 202, (r, r.text()))
            self.assertEqual(self.jobs_for(activity["id"]), 0)
        self.assertEqual(self.psql(f"SELECT count(*) FROM accounts WHERE uri = '{gone}'"), "0")
        create = self.create(gone)
        body = json.dumps(create).encode()
        headers = {"Content-Type": AS_TYPE, **signing.signed_headers(
            key, f"{gone}#main-key", "POST", "/inbox", self.host, body=body)}
        r = self.kith.post("/inbox", body=body, headers=headers)
        self.assertEqual(r.status, 401, r)
        self.assertIn("actor_gone", r.json()["error"])

    def test_forwarded_activity_is_taken_from_its_origin(self):
        """eve forwards (signs) an activity of mallory's: kith believes
        neither eve nor the body she sent, but the copy mallory's server
        serves at the activity's id, and stores that, as mallory's."""
        real = self.create(self.mallory)
        self.remote.add(self.path_of(real["id"]), real)
        forged = json.loads(json.dumps(real))
        forged["object"]["content"] = "<p>forged by eve</p>"
        r = self.post("/inbox", forged, signer="eve")
        self.assertEqual(r.status, 202, (r, r.text()))
        self.assertEqual(self.jobs_for(real["id"]), 1)
        payload = json.loads(self.psql(
            "SELECT payload::text FROM jobs WHERE queue = 'inbox' AND dedupe_key = "
            f"'inbox:{hashlib.sha256(real['id'].encode()).hexdigest()}'"))
        self.assertEqual(payload["signer"], self.mallory)
        self.assertEqual(json.loads(payload["body"])["object"]["content"], "<p>hello</p>")
        # An activity whose origin copy names an actor on another origin is
        # refused.
        elsewhere = self.create(self.mallory)
        elsewhere["actor"] = f"https://{self.host}/users/alice"
        self.remote.add(self.path_of(elsewhere["id"]), elsewhere)
        r = self.post("/inbox", elsewhere, signer="eve")
        self.assertEqual(r.status, 401, r)
        self.assertEqual(self.jobs_for(elsewhere["id"]), 0)

    def test_forwarded_activity_its_origin_does_not_serve_is_dropped(self):
        """eve forwards (signs) activities of mallory's that mallory's server
        does not serve to kith: a reply Delete (a fragment id), one it has
        not (404) or no longer has (410), a non-public one (401, 403). Each
        is 202 and stores nothing: a sender retries a 401 for days. A 500
        from the origin is still 401 (it may serve it later), and so is a
        bad signature."""
        fragment = self.create(self.mallory, activity_id=f"{self.mallory}/statuses/1#delete")
        fragment["type"] = "Delete"
        fragment["object"] = f"{self.mallory}/statuses/1"
        cases = [("fragment id", fragment, None)]
        for status in (404, 410, 401, 403):
            activity = self.create(self.mallory)
            self.remote.add(self.path_of(activity["id"]), {"error": "no"}, "application/json",
                            status=status)
            cases.append((str(status), activity, status))
        for name, activity, _ in cases:
            with self.subTest(name):
                r = self.post("/inbox", activity, signer="eve")
                self.assertEqual(r.status, 202, (r, r.text()))
                self.assertEqual(self.jobs_for(activity["id"]), 0)
        failing = self.create(self.mallory)
        self.remote.add(self.path_of(failing["id"]), {"error": "oops"}, "application/json",
                        status=500)
        r = self.post("/inbox", failing, signer="eve")
        self.assertEqual(r.status, 401, r)
        self.assertIn("error", r.json())
        forged = self.create(self.mallory)
        r = self.post("/inbox", forged, signer="eve", key=self.keys["mallory"])
        self.assertEqual(r.status, 401, r)
        self.assertEqual(self.jobs_for(forged["id"]), 0)

    def test_signers_own_activity_of_an_unknown_type_is_accepted_and_dropped(self):
        """An EmojiReact (a type kith does not know) signed by its actor,
        with an id on the actor's origin, is 202 and stores nothing, as
        Mastodon answers it. One whose actor is not the signer, whose id is
        on another origin or missing, or a body that is no document at all,
        is still 400."""
        def react(**changes):
            activity = {"@context": "https://www.w3.org/ns/activitystreams",
                        "id": f"{self.mallory}#reacts/{uuid.uuid4().hex}", "type": "EmojiReact",
                        "actor": self.mallory, "object": f"{self.alice}/statuses/1",
                        "content": "🦊"}
            activity.update(changes)
            return {k: v for k, v in activity.items() if v is not None}
        for path in ("/users/alice/inbox", "/inbox"):
            activity = react()
            r = self.post(path, activity)
            self.assertEqual(r.status, 202, (path, r, r.text()))
            self.assertEqual(self.jobs_for(activity["id"]), 0)
        activity = react(actor={"id": self.mallory})
        r = self.post("/inbox", activity)
        self.assertEqual(r.status, 202, (r, r.text()))
        self.assertEqual(self.jobs_for(activity["id"]), 0)
        refused = [
            ("actor not the signer", react(actor=self.eve)),
            ("no actor", react(actor=None)),
            ("id on another origin", react(id=f"https://{self.host}/reacts/{uuid.uuid4()}")),
            ("no id", react(id=None)),
        ]
        for name, activity in refused:
            with self.subTest(name):
                r = self.post("/inbox", activity)
                self.assertEqual(r.status, 400, (r, r.text()))
                self.assertIn("not an activity: EmojiReact", r.json()["error"])
        r = self.post("/inbox", None, body=b'{"type": "EmojiReact", "actor": ')
        self.assertEqual(r.status, 400, r)

    def test_key_id_served_as_a_stub_of_its_actor(self):
        """GoToSocial's key ids are <actor>/main-key, served as a stub whose
        id is the actor's: kith fetches the actor from its own id and
        accepts the key because that actor publishes it."""
        key = signing.RsaKey(self.dir, "gts")
        name = f"gts{uuid.uuid4().hex[:8]}"
        actor = self.remote.add_actor(name, key)
        key_id = f"{actor}/main-key"
        document = json.loads(self.remote.documents[self.path_of(actor)][2])
        document["publicKey"]["id"] = key_id
        self.remote.add(self.path_of(actor), document)
        self.remote.add(self.path_of(key_id), {
            "@context": ["https://www.w3.org/ns/activitystreams",
                         "https://w3id.org/security/v1"],
            "id": actor, "type": "Person", "preferredUsername": name,
            "inbox": f"{actor}/inbox", "publicKey": document["publicKey"]})
        create = self.create(actor)
        body = json.dumps(create).encode()
        headers = {"Content-Type": AS_TYPE, **signing.signed_headers(
            key, key_id, "POST", "/inbox", self.host, body=body)}
        r = self.kith.post("/inbox", body=body, headers=headers)
        self.assertEqual(r.status, 202, (r, r.text()))
        self.assertEqual(self.jobs_for(create["id"]), 1)
        self.assertEqual(self.psql(f"SELECT public_key_id FROM accounts WHERE uri = '{actor}'"),
                         key_id)

    def test_rotated_key_is_fetched_again(self):
        """rotor's key changes on its server: the first request signed with
        the new key fails against the cached one, kith fetches the actor
        again and accepts it. (FIXTURE: rotor's cached copy is made older
        than kith's one-minute refetch guard with psql, instead of waiting
        a minute; no API can age a row.)"""
        old_key = signing.RsaKey(self.dir, "rotor-old")
        new_key = signing.RsaKey(self.dir, "rotor-new")
        name = f"rotor{uuid.uuid4().hex[:8]}"
        rotor = self.remote.add_actor(name, old_key)
        first = self.create(rotor)
        self.assertEqual(self.post("/inbox", first, signer=name, key=old_key).status, 202)
        self.remote.add_actor(name, new_key)
        self.psql("UPDATE accounts SET last_fetched_at = now() - interval '2 minutes' "
                  f"WHERE uri = '{rotor}'")
        second = self.create(rotor)
        r = self.post("/inbox", second, signer=name, key=new_key)
        self.assertEqual(r.status, 202, (r, r.text()))
        self.assertEqual(self.jobs_for(second["id"]), 1)
        # The old key no longer verifies (fetched moments ago: not again).
        third = self.create(rotor)
        r = self.post("/inbox", third, signer=name, key=old_key)
        self.assertEqual(r.status, 401, r)
        self.assertEqual(self.jobs_for(third["id"]), 0)

    # -- signed fetch --

    def test_followers_only_status_needs_a_signing_follower(self):
        # mallory follows alice through the inbox (auto-accepted by the worker).
        follow = {"@context": "https://www.w3.org/ns/activitystreams",
                  "id": f"{self.mallory}#follows/{uuid.uuid4().hex}", "type": "Follow",
                  "actor": self.mallory, "object": self.alice}
        self.assertEqual(self.post("/users/alice/inbox", follow).status, 202)
        harness.wait_until(lambda: self.psql(
            "SELECT count(*) FROM follows f JOIN accounts a ON a.id = f.account_id "
            f"WHERE a.uri = '{self.mallory}' AND f.state = 'accepted'") == "1",
            APPLY_TIMEOUT, message="mallory's follow of alice applied")
        status = self.api_post("/api/v1/statuses",
                               {"status": "for followers", "visibility": "private"})
        path = self.path_of(status["uri"])
        for url in (path, path + "/activity"):
            with self.subTest(url):
                anonymous = self.kith.get(url, headers={"Accept": AS_TYPE})
                self.assertEqual(anonymous.status, 404, anonymous)
                follower = self.signed_get(url, "mallory")
                self.assertEqual(follower.status, 200, (follower, follower.text()))
                self.assertEqual(follower.header("cache-control"), "private")
                self.assertIn("Signature", follower.header("vary", ""))
                stranger = self.signed_get(url, "eve")
                self.assertEqual(stranger.status, 404, stranger)
        self.assertEqual(self.signed_get(path, "mallory").json()["id"], status["uri"])
        # The outbox lists it to the follower only.
        page = "/users/alice/outbox?page=true"
        listed = lambda r: [item["object"]["id"] if isinstance(item["object"], dict)
                            else item["object"] for item in r.json()["orderedItems"]]
        self.assertIn(status["uri"], listed(self.signed_get(page, "mallory")))
        self.assertNotIn(status["uri"], listed(self.signed_get(page, "eve")))
        self.assertNotIn(status["uri"],
                         listed(self.kith.get(page, headers={"Accept": AS_TYPE})))

    def test_direct_status_needs_a_signing_mentioned_account(self):
        status = self.api_post("/api/v1/statuses", {
            "status": f"@eve@localhost:{self.remote.port} just you", "visibility": "direct"})
        self.assertEqual([m["acct"] for m in status["mentions"]],
                         [f"eve@localhost:{self.remote.port}"])
        path = self.path_of(status["uri"])
        self.assertEqual(self.kith.get(path, headers={"Accept": AS_TYPE}).status, 404)
        mentioned = self.signed_get(path, "eve")
        self.assertEqual(mentioned.status, 200, (mentioned, mentioned.text()))
        self.assertEqual(mentioned.header("cache-control"), "private")
        self.assertEqual(self.signed_get(path, "mallory").status, 404)

    def test_suspended_signer_counts_as_unsigned(self):
        """A remote account that deleted itself (its Delete applied by the
        inbox worker: the account is suspended) signs nothing any more: its
        signed GET of a direct status that mentions it is 404, as an
        unsigned one is."""
        key = signing.RsaKey(self.dir, "leaver")
        name = f"leaver{uuid.uuid4().hex[:8]}"
        leaver = self.remote.add_actor(name, key)
        status = self.api_post("/api/v1/statuses", {
            "status": f"@{name}@localhost:{self.remote.port} just you",
            "visibility": "direct"})
        path = self.path_of(status["uri"])
        self.assertEqual(self.signed_get_with(path, leaver, key).status, 200)
        delete = {"@context": "https://www.w3.org/ns/activitystreams",
                  "id": f"{leaver}#delete", "type": "Delete", "actor": leaver,
                  "object": leaver, "to": ["https://www.w3.org/ns/activitystreams#Public"]}
        self.assertEqual(self.post("/inbox", delete, signer=name, key=key).status, 202)
        harness.wait_until(lambda: self.psql(
            f"SELECT suspended_at IS NOT NULL FROM accounts WHERE uri = '{leaver}'") == "t",
            APPLY_TIMEOUT, message="the leaver's Delete of itself applied")
        r = self.signed_get_with(path, leaver, key)
        self.assertEqual(r.status, 404, (r, r.text()))

    def test_authorized_fetch(self):
        """With federation.authorized_fetch on (the daemon restarted with
        KITH_FEDERATION_AUTHORIZED_FETCH=true): an unsigned GET of a public
        status is 401, a signed one 200; actors are still served unsigned,
        with their key."""
        status = self.api_post("/api/v1/statuses", {"status": "public", "visibility": "public"})
        path = self.path_of(status["uri"])
        self.assertEqual(self.kith.get(path, headers={"Accept": AS_TYPE}).status, 200)
        self.kith.sigterm()
        self.kith.extra_env["KITH_FEDERATION_AUTHORIZED_FETCH"] = "true"
        try:
            self.kith.start()
            r = self.kith.get(path, headers={"Accept": AS_TYPE})
            self.assertEqual(r.status, 401, r)
            self.assertIn("error", r.json())
            r = self.signed_get(path, "eve")
            self.assertEqual(r.status, 200, r)
            self.assertEqual(r.header("cache-control"), "private")
            self.assertEqual(self.kith.get("/users/alice/outbox",
                                           headers={"Accept": AS_TYPE}).status, 401)
            actor = self.kith.get("/users/alice", headers={"Accept": AS_TYPE})
            self.assertEqual(actor.status, 200, actor)
            self.assertIn("publicKey", actor.json())
            self.assertEqual(self.kith.get("/actor", headers={"Accept": AS_TYPE}).status, 200)
            # People's browsers still get the page.
            page = self.kith.get(path, headers={"Accept": "text/html"})
            self.assertEqual(page.status, 200, page)
            self.assertTrue(page.header("content-type", "").startswith("text/html"))
        finally:
            self.kith.sigterm()
            del self.kith.extra_env["KITH_FEDERATION_AUTHORIZED_FETCH"]
            self.kith.start()


if __name__ == "__main__":
    unittest.main()
