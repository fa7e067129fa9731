"""The inbox worker: other servers' activities applied to kith's database.

One daemon on a throwaway PostgreSQL. Local users are made with `kith user
add`; a remote actor (https://localhost:9/users/bob, a port nothing answers
on and that kith may not connect to) is a row of `accounts`, as the inbox's
HTTP side leaves it after verifying bob's signature. Another server's origin
(OriginServer: HTTPS on loopback with the test CA, which kith trusts and may
reach) serves the documents the worker must fetch rather than believe: a
Move's target actor, a boosted status kith does not have.

FIXTURE SETUP: inbox jobs are inserted with psql in exactly the shape the
inbox's HTTP side writes them (ap::inbox_payload and ap::inbox_dedupe_key:
queue 'inbox', payload {"body": <the activity as received>, "signer",
"signer_account_id", "recipient_account_id", "received_at"}, dedupe key
"inbox:" + hex SHA-256 of the activity id). Receiving a signed POST is the
HTTP side's test (test_bad_inputs, test_federation); this one proves what
the worker makes of an accepted activity. Local statuses that remote
activities refer to are rows inserted the same way (the client API that
posts them is tested elsewhere).

What is proved: a Create is stored once, with its mentions, hashtags,
content warning, attachments, reply and quote, even when two jobs carry it;
a Question becomes a poll; a Create from someone nobody here follows and
that names nobody here is dropped; a Create whose object is on another
origin than its actor is not stored as claimed (the worker tries the
object's origin, which refuses, and retries later); an edit changes the
author's status once; Like and Undo{Like}; a Follow of an unlocked account
is accepted and an Accept delivery job is queued in the same transaction, a
Follow of a locked one stays pending; Undo{Follow}; Announce of a local
status, and of an unknown one, stored as its origin serves it and not as
the booster embedded it; Move refused when the target does not list the
origin in alsoKnownAs, and applied once when it does (origin marked moved,
each local follower's follow moved to the target with its Follow and Undo
queued); Delete of a status and of the actor; Block ends follows both ways;
Flag is stored as a report; an unknown type fails at once with last_error;
Undo of someone else's activity changes nothing.
"""

import hashlib
import http.server
import json
import os
import ssl
import subprocess
import threading
import time
import unittest

import harness
from federation import Certificates  # the test CA, shared with the federation tests

pg = None
certs = None
origin_server = None
DB = "inbox"
REMOTE = "https://localhost:9"
BOB = REMOTE + "/users/bob"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
JOB_TIMEOUT = 30.0


def setUpModule():
    global pg, certs, origin_server
    pg = harness.PgCluster()
    unittest.addModuleCleanup(pg.cleanup)
    certs = Certificates()
    unittest.addModuleCleanup(certs.cleanup)
    origin_server = OriginServer()
    unittest.addModuleCleanup(origin_server.close)


class OriginServer:
    """Another server's origin, on https://localhost:<port> with a
    certificate from the test CA: serves the documents put in `documents`
    (path -> JSON) as application/activity+json, 404 for anything else, and
    answers 202 to POSTs (the deliveries a Move queues). kith may reach it:
    its address is in federation.allowed_private_addresses."""

    def __init__(self):
        self.documents = {}
        self.posts = []
        self.lock = threading.Lock()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                with outer.lock:
                    document = outer.documents.get(self.path)
                if document is None:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                body = json.dumps(document).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/activity+json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self):
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                with outer.lock:
                    outer.posts.append((self.path, body))
                self.send_response(202)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(certs.cert, certs.key)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.origin = f"https://localhost:{self.port}"
        self.public_key = rsa_public_key()

    def actor(self, name, also_known_as=()):
        """Serves a Person at /users/<name>; returns its id."""
        uri = f"{self.origin}/users/{name}"
        with self.lock:
            self.documents[f"/users/{name}"] = {
                "@context": ["https://www.w3.org/ns/activitystreams",
                             "https://w3id.org/security/v1"],
                "id": uri, "type": "Person", "preferredUsername": name,
                "inbox": uri + "/inbox", "outbox": uri + "/outbox",
                "followers": uri + "/followers", "following": uri + "/following",
                "endpoints": {"sharedInbox": self.origin + "/inbox"},
                "alsoKnownAs": list(also_known_as),
                "publicKey": {"id": uri + "#main-key", "owner": uri,
                              "publicKeyPem": self.public_key},
            }
        return uri

    def serve(self, path, document):
        with self.lock:
            self.documents[path] = document
        return self.origin + path

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def rsa_public_key():
    key = subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt",
                          "rsa_keygen_bits:2048"], capture_output=True, check=True).stdout
    return subprocess.run(["openssl", "pkey", "-pubout"], input=key, capture_output=True,
                          check=True).stdout.decode()


def sql_text(value):
    """A PostgreSQL dollar-quoted literal."""
    assert "$fixture$" not in value
    return f"$fixture${value}$fixture$"


def psql_script(sql):
    result = subprocess.run(
        [os.path.join(pg.bindir, "psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
         "-h", pg.sockdir, "-p", str(pg.port), "-U", "kith", "-d", DB, "-f", "-"],
        input=sql, capture_output=True, text=True, timeout=60, env=harness.clean_env())
    if result.returncode != 0:
        raise RuntimeError(f"psql failed:\n{result.stderr}")
    return result.stdout.strip()


def q(sql):
    return pg.psql(sql, dbname=DB)


def dedupe_key(activity_id):
    return "inbox:" + hashlib.sha256(activity_id.encode()).hexdigest()


class InboxWorkerTest(unittest.TestCase):
    kith = None
    counter = 0

    @classmethod
    def setUpClass(cls):
        pg.createdb(DB)
        cls.kith = harness.Kith(database_url=pg.url(DB), config={"inbox": {"workers": 4}}, env={
            "KITH_FEDERATION_EXTRA_CA_FILE": certs.ca,
            "KITH_FEDERATION_ALLOWED_PRIVATE_ADDRESSES": f"127.0.0.1:{origin_server.port}",
        })
        try:
            cls.kith.start()
            for name in ("alice", "carol", "dave"):
                created = cls.kith.run("user", "add", name,
                                       input="correct horse battery staple\n")
                if created.returncode != 0:
                    raise AssertionError(f"kith user add failed: {created.stderr}")
        except BaseException:
            cls.kith.cleanup()
            raise
        cls.addClassCleanup(cls.kith.cleanup)
        q("UPDATE accounts SET locked = true WHERE username = 'carol'")
        cls.origin = f"https://localhost:{cls.kith.port}"
        cls.alice = cls.origin + "/users/alice"
        cls.carol = cls.origin + "/users/carol"
        cls.dave = cls.origin + "/users/dave"
        cls.bob_id = cls.remote_account("bob")
        cls.eve_id = cls.remote_account("eve")

    @classmethod
    def tearDownClass(cls):
        # SIGTERM drains the inbox workers with the rest: exit 0, and under
        # the sanitizer build no report (LeakSanitizer runs at that exit).
        code = cls.kith.sigterm()
        stderr = cls.kith.stderr()
        if code != 0 or "Sanitizer" in stderr or "runtime error" in stderr:
            raise AssertionError(f"kith exited with {code}:\n{cls.kith.stderr_tail(80)}")

    @classmethod
    def remote_account(cls, name):
        """FIXTURE SETUP: a remote account as the HTTP side stores it after
        fetching and checking its actor document."""
        uri = f"{REMOTE}/users/{name}"
        return int(q(
            "INSERT INTO accounts (username, domain, uri, url, inbox_url, outbox_url,"
            " shared_inbox_url, followers_url, following_url, public_key_pem, public_key_id,"
            " last_fetched_at)"
            f" VALUES ('{name}', 'localhost:9', '{uri}', '{REMOTE}/@{name}', '{uri}/inbox',"
            f" '{uri}/outbox', '{REMOTE}/inbox', '{uri}/followers', '{uri}/following',"
            f" 'unused', '{uri}#main-key', now()) RETURNING id"))

    # -- fixtures --

    def next_id(self, kind):
        InboxWorkerTest.counter += 1
        return f"{REMOTE}/{kind}/{InboxWorkerTest.counter}-{time.monotonic_ns()}"

    def local_status(self, username="alice", visibility="public", text="hello"):
        """A local status row (what the client API writes when posting)."""
        return q(
            "INSERT INTO statuses (id, account_id, uri, url, local, content, visibility)"
            " SELECT x.n, a.id, a.uri || '/statuses/' || x.n, a.url || '/' || x.n, true,"
            f" '<p>{text}</p>', '{visibility}'"
            f" FROM accounts a, (SELECT kith_next_id() AS n) x"
            f" WHERE a.username = '{username}' AND a.domain IS NULL RETURNING uri")

    def follow_bob(self, username):
        q("INSERT INTO follows (account_id, target_account_id, uri, state)"
          f" SELECT a.id, {self.bob_id}, a.uri || '#follows/' || kith_next_id(), 'accepted'"
          f" FROM accounts a WHERE a.username = '{username}' AND a.domain IS NULL"
          " ON CONFLICT DO NOTHING")

    def deliver(self, activity, signer=BOB, signer_id=None, dedupe=None, recipient=0):
        """FIXTURE SETUP: the job the inbox's HTTP side writes for an accepted
        POST. Returns the job id."""
        body = json.dumps(activity)
        payload = json.dumps({
            "body": body,
            "signer": signer,
            "signer_account_id": signer_id if signer_id is not None else self.bob_id,
            "recipient_account_id": recipient,
            "received_at": "2026-11-25T12:00:00.000Z",
        })
        key = dedupe if dedupe is not None else dedupe_key(activity["id"])
        job = psql_script(
            "INSERT INTO jobs (queue, payload, dedupe_key)"
            f" VALUES ('inbox', {sql_text(payload)}::jsonb, {sql_text(key)}) RETURNING id;")
        return int(job)

    def wait_job(self, job, states=("done", "failed")):
        """Waits until the job is in one of `states`; returns (state, last_error)."""
        result = {}

        def finished():
            row = q(f"SELECT state || '|' || coalesce(last_error, '') || '|' || attempts"
                    f" FROM jobs WHERE id = {job}")
            state, error, attempts = row.split("|", 2)
            result.update(state=state, error=error, attempts=int(attempts))
            if state == "queued" and "retry" in states:
                return int(attempts) >= 1
            return state in states

        harness.wait_until(finished, JOB_TIMEOUT, interval=0.1,
                           message=f"inbox job {job} to finish")
        return result["state"], result["error"]

    def apply(self, activity, expect="done", **kwargs):
        job = self.deliver(activity, **kwargs)
        state, error = self.wait_job(job)
        self.assertEqual(state, expect, f"job {job}: {error}\n{self.kith.stderr_tail()}")
        return error

    def note(self, content="<p>hi</p>", to=(PUBLIC,), cc=(), **extra):
        note = {"id": self.next_id("notes"), "type": "Note", "attributedTo": BOB,
                "content": content, "to": list(to), "cc": list(cc),
                "published": "2026-11-25T11:00:00Z"}
        note.update(extra)
        return note

    def create(self, obj):
        return {"@context": "https://www.w3.org/ns/activitystreams",
                "id": obj["id"] + "/activity", "type": "Create", "actor": BOB,
                "to": obj.get("to", []), "cc": obj.get("cc", []), "object": obj}

    # -- Create --

    def test_create_is_stored_once_with_what_the_sender_said(self):
        self.follow_bob("alice")
        parent = f"{REMOTE}/notes/unknown-parent"
        quoted = f"{REMOTE}/notes/quoted"
        note = self.note(
            content='<p>hello <span class="h-card"><a href="x">@alice</a></span> #Kith'
                    '<script>alert(1)</script></p>',
            to=(PUBLIC,), cc=(BOB + "/followers", self.alice),
            summary="spoilers ahead", sensitive=True, inReplyTo=parent, quote=quoted,
            tag=[{"type": "Mention", "href": self.alice, "name": "@alice"},
                 {"type": "Hashtag", "href": f"{REMOTE}/tags/kith", "name": "#Kith"}],
            attachment=[{"type": "Document", "mediaType": "image/png",
                         "url": f"{REMOTE}/media/1.png", "name": "a cat",
                         "blurhash": "LEHV6nWB2yk8pyo0adR*.7kCMdnj", "width": 640,
                         "height": 480}],
            contentMap={"en": "<p>hello</p>"})
        activity = self.create(note)
        # The same activity in two jobs (two dedupe keys, as if it had been
        # POSTed before the first job was purged): applied once.
        first = self.deliver(activity, dedupe=dedupe_key(activity["id"]))
        second = self.deliver(activity, dedupe=dedupe_key(activity["id"]) + ":again")
        self.assertEqual(self.wait_job(first)[0], "done")
        self.assertEqual(self.wait_job(second)[0], "done")
        uri = note["id"]
        self.assertEqual(q(f"SELECT count(*) FROM statuses WHERE uri = '{uri}'"), "1")
        row = q("SELECT visibility || '|' || spoiler_text || '|' || sensitive || '|' ||"
                " coalesce(in_reply_to_uri, '') || '|' || coalesce(quote_uri, '') || '|' ||"
                " coalesce(activity_uri, '') || '|' || coalesce(language, '') || '|' ||"
                f" local FROM statuses WHERE uri = '{uri}'")
        self.assertEqual(row.split("|"), ["public", "spoilers ahead", "true", parent, quoted,
                                          activity["id"], "en", "false"])
        content = q(f"SELECT content FROM statuses WHERE uri = '{uri}'")
        self.assertIn("hello", content)
        self.assertNotIn("script", content)
        self.assertEqual(q(
            "SELECT string_agg(a.username || ':' || m.silent, ',') FROM mentions m"
            " JOIN statuses s ON s.id = m.status_id JOIN accounts a ON a.id = m.account_id"
            f" WHERE s.uri = '{uri}'"), "alice:false")
        self.assertEqual(q(
            "SELECT string_agg(t.name, ',') FROM statuses_tags st JOIN tags t ON t.id = st.tag_id"
            f" JOIN statuses s ON s.id = st.status_id WHERE s.uri = '{uri}'"), "kith")
        self.assertEqual(q(
            "SELECT type || '|' || remote_url || '|' || description || '|' || blurhash || '|' ||"
            " (meta->'original'->>'width') FROM media_attachments m"
            f" JOIN statuses s ON s.id = m.status_id WHERE s.uri = '{uri}'"),
            f"image|{REMOTE}/media/1.png|a cat|LEHV6nWB2yk8pyo0adR*.7kCMdnj|640")
        self.assertEqual(q(f"SELECT count(*) FROM mentions m JOIN statuses s"
                           f" ON s.id = m.status_id WHERE s.uri = '{uri}'"), "1")

    def test_create_replying_to_a_local_status_links_the_parent(self):
        parent = self.local_status("dave")
        note = self.note(to=(BOB + "/followers",), inReplyTo=parent)  # followers-only
        self.apply(self.create(note))
        row = q("SELECT s.visibility || '|' || p.uri || '|' || a.username FROM statuses s"
                " JOIN statuses p ON p.id = s.in_reply_to_id"
                " JOIN accounts a ON a.id = s.in_reply_to_account_id"
                f" WHERE s.uri = '{note['id']}'")
        self.assertEqual(row, f"private|{parent}|dave")

    def test_direct_create_to_a_local_account_is_stored_as_direct(self):
        note = self.note(to=(self.carol,), tag=[{"type": "Mention", "href": self.carol}])
        self.apply(self.create(note))
        self.assertEqual(q(f"SELECT visibility FROM statuses WHERE uri = '{note['id']}'"),
                         "direct")

    def test_question_becomes_a_poll(self):
        self.follow_bob("alice")
        question = self.note(content="<p>tea or coffee?</p>", type="Question",
                             oneOf=[{"type": "Note", "name": "tea",
                                     "replies": {"type": "Collection", "totalItems": 3}},
                                    {"type": "Note", "name": "coffee",
                                     "replies": {"type": "Collection", "totalItems": 5}}],
                             endTime="2030-01-01T00:00:00Z", votersCount=8)
        self.apply(self.create(question))
        row = q("SELECT p.multiple || '|' || p.options::text || '|' || p.voters_count"
                " FROM polls p JOIN statuses s ON s.id = p.status_id"
                f" WHERE s.uri = '{question['id']}'")
        multiple, options, voters = row.split("|")
        self.assertEqual(multiple, "false")
        self.assertEqual(json.loads(options), [{"title": "tea", "votes": 3},
                                               {"title": "coffee", "votes": 5}])
        self.assertEqual(voters, "8")

    def test_create_nobody_here_cares_about_is_dropped(self):
        # gina: followed by nobody, names nobody here, replies to nothing here.
        gina_id = self.remote_account("gina")
        gina = f"{REMOTE}/users/gina"
        note = {"id": self.next_id("notes"), "type": "Note", "attributedTo": gina,
                "content": "<p>shouting into the void</p>", "to": [PUBLIC],
                "inReplyTo": f"{REMOTE}/notes/unknown"}
        activity = {"id": note["id"] + "/activity", "type": "Create", "actor": gina,
                    "object": note}
        self.apply(activity, signer=gina, signer_id=gina_id)
        self.assertEqual(q(f"SELECT count(*) FROM statuses WHERE uri = '{note['id']}'"), "0")

    def test_create_of_an_object_on_another_origin_is_not_believed(self):
        self.follow_bob("alice")
        # bob claims a note that lives on another server (127.0.0.1:1): the
        # worker does not store what bob embedded; it asks the object's
        # origin, which kith may not reach, so the job is retried later.
        foreign = "https://127.0.0.1:1/notes/forged"
        note = self.note(id=foreign, content="<p>words put in someone's mouth</p>")
        activity = self.create(note)
        activity["id"] = self.next_id("activities")
        job = self.deliver(activity)
        state, error = self.wait_job(job, states=("failed", "retry"))
        self.assertIn(state, ("queued", "failed"))
        self.assertIn("fetching https://127.0.0.1:1/notes/forged", error)
        self.assertEqual(q(f"SELECT count(*) FROM statuses WHERE uri = '{foreign}'"), "0")
        q(f"DELETE FROM jobs WHERE id = {job}")

    def test_create_attributed_to_someone_else_fails(self):
        self.follow_bob("alice")
        note = self.note(attributedTo=f"{REMOTE}/users/eve")
        error = self.apply(self.create(note), expect="failed")
        self.assertIn("not attributed to the actor", error)
        self.assertEqual(q(f"SELECT count(*) FROM statuses WHERE uri = '{note['id']}'"), "0")

    # -- Update, Delete --

    def test_update_edits_the_authors_status_once(self):
        self.follow_bob("alice")
        note = self.note(content="<p>frist</p>")
        self.apply(self.create(note))
        edited = dict(note, content="<p>first</p>", updated="2026-11-25T11:05:00Z")
        update = {"id": note["id"] + "#updates/1", "type": "Update", "actor": BOB,
                  "object": edited}
        self.apply(update)
        row = q("SELECT content || '|' || (edited_at IS NOT NULL) FROM statuses"
                f" WHERE uri = '{note['id']}'")
        self.assertEqual(row, "<p>first</p>|true")
        edited_at = q(f"SELECT edited_at FROM statuses WHERE uri = '{note['id']}'")
        update2 = dict(update, id=note["id"] + "#updates/1-replayed")
        self.apply(update2)
        self.assertEqual(q(f"SELECT edited_at FROM statuses WHERE uri = '{note['id']}'"),
                         edited_at)
        # Without `updated` (some servers send none): applied when the text
        # changed, and its replay changes nothing.
        plain = dict(note, content="<p>first!</p>")
        self.apply({"id": note["id"] + "#updates/2", "type": "Update", "actor": BOB,
                    "object": plain})
        self.assertEqual(q(f"SELECT content FROM statuses WHERE uri = '{note['id']}'"),
                         "<p>first!</p>")
        edited_at = q(f"SELECT edited_at FROM statuses WHERE uri = '{note['id']}'")
        self.apply({"id": note["id"] + "#updates/2-replayed", "type": "Update", "actor": BOB,
                    "object": plain})
        self.assertEqual(q(f"SELECT edited_at FROM statuses WHERE uri = '{note['id']}'"),
                         edited_at)
        # Nobody else may edit it.
        eve = f"{REMOTE}/users/eve"
        error = self.apply({"id": eve + "#updates/1", "type": "Update", "actor": eve,
                            "object": dict(plain, attributedTo=eve, content="<p>pwned</p>")},
                           signer=eve, signer_id=self.eve_id, expect="failed")
        self.assertIn("not the actor's", error)
        self.assertEqual(q(f"SELECT content FROM statuses WHERE uri = '{note['id']}'"),
                         "<p>first!</p>")

    def test_delete_marks_the_status_deleted_and_a_late_create_does_not_revive_it(self):
        self.follow_bob("alice")
        note = self.note(content="<p>regrettable</p>")
        create = self.create(note)
        self.apply(create)
        self.apply({"id": note["id"] + "#delete", "type": "Delete", "actor": BOB,
                    "object": {"id": note["id"], "type": "Tombstone"}})
        row = q(f"SELECT (deleted_at IS NOT NULL) || '|' || content FROM statuses"
                f" WHERE uri = '{note['id']}'")
        self.assertEqual(row, "true|")
        self.apply(dict(create, id=create["id"] + "-again"))
        self.assertEqual(q(f"SELECT content FROM statuses WHERE uri = '{note['id']}'"), "")

    def test_delete_of_another_origins_object_fails(self):
        error = self.apply({"id": self.next_id("deletes"), "type": "Delete", "actor": BOB,
                            "object": self.local_status("alice")}, expect="failed")
        self.assertIn("another origin", error)

    # -- Like --

    def test_like_and_undo_like_of_a_local_status(self):
        status = self.local_status("alice")
        like = {"id": BOB + "#likes/" + str(time.monotonic_ns()), "type": "Like",
                "actor": BOB, "object": status}
        self.apply(like)
        self.apply(dict(like, id=like["id"]), dedupe="replayed:" + like["id"])  # once
        count = f"SELECT count(*) FROM favourites f JOIN statuses s ON s.id = f.status_id" \
                f" WHERE s.uri = '{status}'"
        self.assertEqual(q(count), "1")
        # eve cannot undo bob's Like.
        self.apply({"id": f"{REMOTE}/users/eve#undo/1", "type": "Undo",
                    "actor": f"{REMOTE}/users/eve", "object": like["id"]},
                   signer=f"{REMOTE}/users/eve", signer_id=self.eve_id)
        self.assertEqual(q(count), "1")
        self.apply({"id": like["id"] + "/undo", "type": "Undo", "actor": BOB, "object": like})
        self.assertEqual(q(count), "0")

    def test_like_of_a_remote_status_is_ignored(self):
        self.apply({"id": self.next_id("likes"), "type": "Like", "actor": BOB,
                    "object": f"{REMOTE}/notes/somebody-elses"})
        self.assertEqual(q("SELECT count(*) FROM favourites f JOIN statuses s"
                           f" ON s.id = f.status_id WHERE NOT s.local"), "0")

    def test_like_and_announce_of_a_local_status_named_by_its_page(self):
        """Some servers name a status by the page they showed their user
        (https://<host>/@alice/<id>): kith finds the status from it. A page
        whose name is not the author's, or that is not exactly a status page,
        names nothing."""
        status = self.local_status("alice")
        number = status.rsplit("/", 1)[1]
        page = f"{self.origin}/@alice/{number}"
        favourites = ("SELECT count(*) FROM favourites f JOIN statuses s ON s.id = f.status_id"
                      f" WHERE s.uri = '{status}'")
        boosts = ("SELECT count(*) FROM statuses r JOIN statuses s ON s.id = r.reblog_of_id"
                  f" WHERE s.uri = '{status}'")
        for wrong in (f"{self.origin}/@carol/{number}", f"{self.origin}/@alice/0{number}",
                      f"{self.origin}/@alice/{number}/", f"{self.origin}/@alice/{number}#x"):
            with self.subTest(wrong):
                self.apply({"id": self.next_id("likes"), "type": "Like", "actor": BOB,
                            "object": wrong})
                self.apply({"id": self.next_id("announces"), "type": "Announce",
                            "actor": BOB, "object": wrong, "to": [PUBLIC],
                            "published": "2026-11-25T11:00:00Z"})
                self.assertEqual(q(favourites), "0")
                self.assertEqual(q(boosts), "0")
        self.apply({"id": self.next_id("likes"), "type": "Like", "actor": BOB, "object": page})
        self.assertEqual(q(favourites), "1")
        announce = {"id": self.next_id("announces"), "type": "Announce", "actor": BOB,
                    "object": page, "to": [PUBLIC], "published": "2026-11-25T11:00:00Z"}
        self.apply(announce)
        self.assertEqual(q(boosts), "1")

    # -- Announce --

    def test_announce_of_a_local_status(self):
        status = self.local_status("alice")
        announce = {"id": self.next_id("announces"), "type": "Announce", "actor": BOB,
                    "object": status, "to": [PUBLIC], "published": "2026-11-25T11:00:00Z"}
        self.apply(announce)
        self.apply(announce, dedupe="again:" + announce["id"])
        self.assertEqual(q(
            "SELECT count(*) FROM statuses r JOIN statuses s ON s.id = r.reblog_of_id"
            f" WHERE s.uri = '{status}' AND r.uri = '{announce['id']}'"), "1")
        self.apply({"id": announce["id"] + "/undo", "type": "Undo", "actor": BOB,
                    "object": announce})
        self.assertEqual(q(f"SELECT count(*) FROM statuses WHERE uri = '{announce['id']}'"), "0")

    def test_announce_of_an_unknown_status_fetches_it_from_its_origin(self):
        self.follow_bob("alice")
        author = origin_server.actor("writer")
        # What bob embeds is ignored; the status is what its origin serves.
        served = origin_server.serve("/notes/boosted", {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": f"{origin_server.origin}/notes/boosted", "type": "Note",
            "attributedTo": author, "content": "<p>the real words</p>", "to": [PUBLIC]})
        announce = {"id": self.next_id("announces"), "type": "Announce", "actor": BOB,
                    "to": [PUBLIC],
                    "object": {"id": served, "type": "Note", "attributedTo": author,
                               "content": "<p>words bob put in writer's mouth</p>",
                               "to": [PUBLIC]}}
        self.apply(announce)
        row = q("SELECT s.content || '|' || a.uri FROM statuses s JOIN accounts a"
                f" ON a.id = s.account_id WHERE s.uri = '{served}'")
        self.assertEqual(row, f"<p>the real words</p>|{author}")
        self.assertEqual(q("SELECT count(*) FROM statuses r JOIN statuses s"
                           " ON s.id = r.reblog_of_id"
                           f" WHERE s.uri = '{served}' AND r.account_id = {self.bob_id}"), "1")

    # -- Move --

    def test_move_takes_local_followers_to_the_new_account(self):
        mover_id = self.remote_account("mover")
        mover = f"{REMOTE}/users/mover"
        for name in ("alice", "dave"):
            q("INSERT INTO follows (account_id, target_account_id, uri, state)"
              f" SELECT a.id, {mover_id}, a.uri || '#follows/' || kith_next_id(), 'accepted'"
              f" FROM accounts a WHERE a.username = '{name}' AND a.domain IS NULL")
        # A target that does not name the origin in alsoKnownAs: refused.
        stranger = origin_server.actor("stranger")
        error = self.apply({"id": mover + "#moves/1", "type": "Move", "actor": mover,
                            "object": mover, "target": stranger},
                           signer=mover, signer_id=mover_id, expect="failed")
        self.assertIn("alsoKnownAs", error)
        self.assertEqual(q(f"SELECT count(*) FROM follows WHERE target_account_id = {mover_id}"),
                         "2")
        # The real new account lists the old one.
        target = origin_server.actor("moved", also_known_as=[mover])
        move = {"id": mover + "#moves/2", "type": "Move", "actor": mover, "object": mover,
                "target": target}
        self.apply(move, signer=mover, signer_id=mover_id)
        self.apply(move, signer=mover, signer_id=mover_id, dedupe="again:" + move["id"])
        self.assertEqual(q("SELECT t.uri FROM accounts o JOIN accounts t"
                           f" ON t.id = o.moved_to_account_id WHERE o.id = {mover_id}"), target)
        self.assertEqual(q(f"SELECT count(*) FROM follows WHERE target_account_id = {mover_id}"),
                         "0")
        rows = q("SELECT string_agg(a.username || ':' || f.state, ',' ORDER BY a.username)"
                 " FROM follows f JOIN accounts a ON a.id = f.account_id"
                 " JOIN accounts t ON t.id = f.target_account_id"
                 f" WHERE t.uri = '{target}'")
        self.assertEqual(rows, "alice:pending,dave:pending")
        # Each moved follower's Follow of the target and Undo of the origin
        # follow were queued with the move.
        follows = q("SELECT count(*) FROM jobs WHERE queue = 'delivery'"
                    " AND payload->>'body' LIKE '%\"Follow\"%'"
                    f" AND payload->>'body' LIKE '%{target}%'"
                    " AND payload->>'body' NOT LIKE '%\"Undo\"%'")
        self.assertEqual(follows, "2")
        undos = q("SELECT count(*) FROM jobs WHERE queue = 'delivery'"
                  " AND payload->>'body' LIKE '%\"Undo\"%'"
                  f" AND payload->>'body' LIKE '%{mover}%'")
        self.assertEqual(undos, "2")

    # -- Follow --

    def test_follow_of_an_unlocked_account_is_accepted_and_answered(self):
        follow = {"id": self.next_id("follows"), "type": "Follow", "actor": BOB,
                  "object": self.dave}
        self.apply(follow)
        self.apply(follow, dedupe="again:" + follow["id"])
        row = q("SELECT f.state || '|' || f.uri FROM follows f"
                " JOIN accounts t ON t.id = f.target_account_id"
                f" WHERE f.account_id = {self.bob_id} AND t.username = 'dave'")
        self.assertEqual(row, f"accepted|{follow['id']}")
        # The Accept was queued in the same transaction (one job, however
        # often the Follow is applied).
        accepts = q("SELECT count(*) FROM jobs WHERE queue = 'delivery'"
                    " AND payload->>'body' LIKE '%\"Accept\"%'"
                    f" AND payload->>'body' LIKE '%{follow['id']}%'")
        self.assertEqual(accepts, "1")
        self.apply({"id": follow["id"] + "/undo", "type": "Undo", "actor": BOB,
                    "object": follow})
        self.assertEqual(q("SELECT count(*) FROM follows f JOIN accounts t"
                           " ON t.id = f.target_account_id"
                           f" WHERE f.account_id = {self.bob_id} AND t.username = 'dave'"), "0")

    def test_follow_of_a_locked_account_stays_pending(self):
        follow = {"id": self.next_id("follows"), "type": "Follow", "actor": BOB,
                  "object": self.carol}
        self.apply(follow)
        self.assertEqual(q("SELECT f.state FROM follows f JOIN accounts t"
                           " ON t.id = f.target_account_id"
                           f" WHERE f.account_id = {self.bob_id} AND t.username = 'carol'"),
                         "pending")
        self.assertEqual(q("SELECT count(*) FROM jobs WHERE queue = 'delivery'"
                           f" AND payload->>'body' LIKE '%{follow['id']}%'"), "0")

    def test_accept_of_a_follow_kith_sent(self):
        follow_uri = q(
            "INSERT INTO follows (account_id, target_account_id, uri, state)"
            f" SELECT a.id, {self.eve_id}, a.uri || '#follows/' || kith_next_id(), 'pending'"
            " FROM accounts a WHERE a.username = 'carol' AND a.domain IS NULL RETURNING uri")
        eve = f"{REMOTE}/users/eve"
        # bob cannot accept a follow of eve.
        self.apply({"id": self.next_id("accepts"), "type": "Accept", "actor": BOB,
                    "object": follow_uri})
        state = f"SELECT state FROM follows WHERE uri = '{follow_uri}'"
        self.assertEqual(q(state), "pending")
        self.apply({"id": eve + "#accepts/1", "type": "Accept", "actor": eve,
                    "object": {"id": follow_uri, "type": "Follow", "actor": self.carol,
                               "object": eve}},
                   signer=eve, signer_id=self.eve_id)
        self.assertEqual(q(state), "accepted")

    # -- Block, Flag --

    def test_block_ends_follows_both_ways(self):
        self.follow_bob("alice")
        q("INSERT INTO follows (account_id, target_account_id, uri, state)"
          f" SELECT {self.bob_id}, a.id, '{self.next_id('follows')}', 'accepted'"
          " FROM accounts a WHERE a.username = 'alice' AND a.domain IS NULL"
          " ON CONFLICT DO NOTHING")
        block = {"id": self.next_id("blocks"), "type": "Block", "actor": BOB,
                 "object": self.alice}
        self.apply(block)
        self.assertEqual(q("SELECT count(*) FROM blocks b JOIN accounts t"
                           " ON t.id = b.target_account_id"
                           f" WHERE b.account_id = {self.bob_id} AND t.username = 'alice'"
                           f" AND b.uri = '{block['id']}'"), "1")
        self.assertEqual(q("SELECT count(*) FROM follows f JOIN accounts a"
                           " ON a.id IN (f.account_id, f.target_account_id)"
                           f" WHERE a.username = 'alice' AND {self.bob_id} IN"
                           " (f.account_id, f.target_account_id)"), "0")
        self.apply({"id": block["id"] + "/undo", "type": "Undo", "actor": BOB,
                    "object": block})
        self.assertEqual(q(f"SELECT count(*) FROM blocks WHERE uri = '{block['id']}'"), "0")

    def test_flag_is_stored_as_a_report(self):
        status = self.local_status("dave", text="something reportable")
        flag = {"id": self.next_id("flags"), "type": "Flag", "actor": BOB,
                "object": [self.dave, status, f"{REMOTE}/notes/not-ours"],
                "content": "spam"}
        self.apply(flag)
        self.apply(flag, dedupe="again:" + flag["id"])
        row = q("SELECT a.username || '|' || r.comment || '|' || s.uri FROM reports r"
                " JOIN accounts a ON a.id = r.target_account_id"
                " JOIN statuses s ON s.id = ANY(r.status_ids)"
                f" WHERE r.uri = '{flag['id']}' AND r.account_id = {self.bob_id}")
        self.assertEqual(row, f"dave|spam|{status}")

    # -- what fails --

    def test_unknown_type_fails_at_once(self):
        error = self.apply({"id": self.next_id("reacts"), "type": "EmojiReact", "actor": BOB,
                            "object": self.local_status("alice"), "content": "🐈"},
                           expect="failed")
        self.assertIn("EmojiReact", error)

    def test_malformed_payload_fails_at_once(self):
        job = psql_script("INSERT INTO jobs (queue, payload, dedupe_key)"
                          " VALUES ('inbox', '{\"body\": 5}'::jsonb, 'inbox:malformed')"
                          " RETURNING id;")
        state, error = self.wait_job(int(job))
        self.assertEqual(state, "failed")
        self.assertIn("malformed job payload", error)

    def test_delete_of_the_actor_removes_its_statuses_and_follows(self):
        # Last: frank is made for this test alone.
        frank_id = self.remote_account("frank")
        frank = f"{REMOTE}/users/frank"
        q("INSERT INTO follows (account_id, target_account_id, uri, state)"
          f" SELECT a.id, {frank_id}, a.uri || '#follows/' || kith_next_id(), 'accepted'"
          " FROM accounts a WHERE a.username = 'alice' AND a.domain IS NULL")
        note = {"id": f"{REMOTE}/notes/frank-1", "type": "Note", "attributedTo": frank,
                "content": "<p>bye</p>", "to": [PUBLIC]}
        self.apply({"id": note["id"] + "/activity", "type": "Create", "actor": frank,
                    "object": note}, signer=frank, signer_id=frank_id)
        self.assertEqual(q(f"SELECT count(*) FROM statuses WHERE account_id = {frank_id}"
                           " AND deleted_at IS NULL"), "1")
        self.apply({"id": frank + "#delete", "type": "Delete", "actor": frank, "object": frank},
                   signer=frank, signer_id=frank_id)
        self.assertEqual(q(f"SELECT count(*) FROM statuses WHERE account_id = {frank_id}"
                           " AND deleted_at IS NULL"), "0")
        self.assertEqual(q(f"SELECT count(*) FROM follows WHERE {frank_id} IN"
                           " (account_id, target_account_id)"), "0")
        self.assertEqual(q(f"SELECT suspended_at IS NOT NULL FROM accounts WHERE id = {frank_id}"),
                         "t")

    def test_metrics_count_outcomes(self):
        self.apply({"id": self.next_id("likes"), "type": "Like", "actor": BOB,
                    "object": f"{REMOTE}/notes/x"})
        _, samples = self.kith.metrics()
        self.assertGreaterEqual(
            harness.metric_value(samples, "kith_inbox_activities_total", type="Like",
                                 outcome="ignored"), 1)


if __name__ == "__main__":
    unittest.main()
