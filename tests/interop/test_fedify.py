"""Interop: kith federates with a peer built on Fedify (issue 3, item 9b).

Tests where kith talks to kith cannot catch a misreading of a spec that both
ends share, so here the other end is an implementation we did not write: a
small server on Fedify 1.5.9 from the npm registry (tests/interop/fedify/
peer.mjs), under the machine's Node. Fedify makes its own actor, WebFinger
and key documents, signs what it sends, and verifies the HTTP signature of
everything that reaches its inbox (it answers 401 to anything unsigned or
badly signed, before the peer's code sees it), so "the peer received it"
means "Fedify verified kith's signature".

Set-up: one kith node behind nginx with TLS (tests/integration/federation.py,
the test CA), and the peer on its own loopback port with a certificate from
the same CA (Node trusts it through NODE_EXTRA_CA_CERTS). kith may connect
to exactly the peer's address:port; Fedify may connect to loopback
(allowPrivateAddress). The peer's user is bob@localhost:<port>; kith's is
alice@localhost:<port>. Every action goes through a public interface: the
peer's control API on one side, kith's Mastodon client API on the other.

What is proved, in order (each step needs the ones before it):
 1. the peer follows alice: kith accepts at once, and the Accept reaches
    the peer signed with alice's key;
 2. alice follows the peer's user: kith sends Follow (verified by Fedify),
    the peer accepts, kith records the follow as accepted;
 3. the peer posts: the post arrives in alice's home timeline;
 4. alice posts: the peer receives a Create whose signature Fedify verified;
    Fedify fetches her post; a followers-only post of hers is refused to an
    unsigned fetch and served to the peer's signed one (bob follows her);
 5. the peer replies to alice: the reply is in her home timeline, in reply
    to her status;
 6. the peer likes and unlikes alice's status: favourites_count 1, then 0;
 7. the peer boosts and unboosts it: reblogs_count 1, then 0;
 8. the peer deletes its post: kith no longer has it;
 9. alice favourites and boosts a post of the peer's, 10. deletes her own
    post, 11. unfollows the peer: each arrives with a signature Fedify
    verified (her Delete goes to her followers, so before the peer leaves);
12. the peer unfollows alice: alice is no longer followed by bob;
and, first, that the peer is a fair judge (Fedify refuses an unsigned
activity with 401), and last, that Fedify refused nothing kith sent and
that kith then exits cleanly on SIGTERM (no sanitizer report).

Node and npm come from scripts/setup; the peer's packages are installed
here with `npm ci` from the lock file when node_modules does not already
match it (so a second run needs no network).
"""

import contextlib
import json
import os
import select
import shutil
import subprocess
import sys
import time
import unittest
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))

import federation  # noqa: E402
import harness  # noqa: E402

PEER_DIR = os.path.join(HERE, "fedify")
FEDIFY_VERSION = "1.5.9"
NPM_TIMEOUT = 300
PEER_READY_TIMEOUT = 30.0
CONTROL_TIMEOUT = 30.0  # a control action waits for Fedify's deliveries
EFFECT_TIMEOUT = federation.EFFECT_TIMEOUT
FORGED_ID_MARK = "#forged-by-the-test"


# ---------------------------------------------------------------------------
# The peer's packages

def installed_matches_lock():
    """Whether node_modules holds exactly what package-lock.json pins (npm
    keeps a copy of the installed tree in node_modules/.package-lock.json)."""
    try:
        with open(os.path.join(PEER_DIR, "package-lock.json")) as f:
            wanted = json.load(f)["packages"]
        with open(os.path.join(PEER_DIR, "node_modules", ".package-lock.json")) as f:
            installed = json.load(f)["packages"]
        with open(os.path.join(PEER_DIR, "node_modules", "@fedify", "fedify", "package.json")) as f:
            fedify_version = json.load(f)["version"]
    except (OSError, ValueError, KeyError):
        return False
    wanted = {k: v.get("version") for k, v in wanted.items() if k}
    installed = {k: v.get("version") for k, v in installed.items() if k}
    return wanted == installed and fedify_version == FEDIFY_VERSION


def install_peer_packages():
    """`npm ci` unless node_modules already matches the lock file."""
    for tool in ("node", "npm"):
        if shutil.which(tool) is None:
            raise RuntimeError(f"`{tool}` not found: run scripts/setup (Debian's nodejs and npm)")
    version = subprocess.run(["node", "--version"], capture_output=True, text=True,
                             timeout=30).stdout.strip()
    if int(version.lstrip("v").split(".")[0] or 0) < 20:
        raise RuntimeError(f"Node {version} is too old: Fedify {FEDIFY_VERSION} needs Node 20 "
                           "or later")
    if installed_matches_lock():
        return
    result = subprocess.run(["npm", "ci", "--prefer-offline", "--no-audit", "--no-fund"],
                            cwd=PEER_DIR, capture_output=True, text=True, timeout=NPM_TIMEOUT,
                            stdin=subprocess.DEVNULL)
    if result.returncode != 0 or not installed_matches_lock():
        raise RuntimeError(f"npm ci in {PEER_DIR} failed ({result.returncode}):\n"
                           f"{result.stdout[-2000:]}{result.stderr[-2000:]}")


# ---------------------------------------------------------------------------
# The peer

class Peer:
    """peer.mjs as a child process: HTTPS on `port`, control API on
    `control_port`. It exits when its stdin closes; cleanup() also kills it."""

    def __init__(self, port, certs):
        self.dir = harness.make_temp_dir("kfedify-")
        self.log_path = os.path.join(self.dir, "peer.log")
        self.process = None
        self.port = port
        env = harness.clean_env({"NODE_EXTRA_CA_CERTS": certs.ca, "NODE_NO_WARNINGS": "1"})
        args = ["node", os.path.join(PEER_DIR, "peer.mjs"), "--cert", certs.cert,
                "--key", certs.key, "--port", str(port)]
        if os.environ.get("KITH_PEER_DEBUG"):
            args.append("--debug")
        log = open(self.log_path, "ab")
        try:
            self.process = subprocess.Popen(
                args, cwd=PEER_DIR, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                stderr=log, preexec_fn=harness._set_parent_death_signal)  # noqa: SLF001
        finally:
            log.close()
        try:
            info = json.loads(self._read_ready_line())
        except BaseException:
            self.cleanup()
            raise
        self.control_port = info["control_port"]
        self.actor = info["actor"]
        self.host = f"localhost:{self.port}"
        self.handle = f"bob@{self.host}"

    def _read_ready_line(self):
        """The JSON line the peer prints once it listens (bounded wait)."""
        deadline = time.monotonic() + PEER_READY_TIMEOUT
        while time.monotonic() < deadline:
            readable, _, _ = select.select([self.process.stdout], [], [], 0.2)
            if readable:
                line = self.process.stdout.readline().decode().strip()
                if line:
                    return line
            if self.process.poll() is not None:
                raise AssertionError(f"the Fedify peer exited with {self.process.returncode}:\n"
                                     f"{self.log_tail()}")
        raise AssertionError(f"the Fedify peer did not start within {PEER_READY_TIMEOUT:.0f}s:\n"
                             f"{self.log_tail()}")

    def log_tail(self, lines=40):
        with contextlib.suppress(OSError):
            with open(self.log_path, errors="replace") as f:
                return "".join(f.readlines()[-lines:])
        return "(no log)"

    def call(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"http://127.0.0.1:{self.control_port}{path}",
                                         data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=CONTROL_TIMEOUT) as r:
                return json.load(r)
        except urllib.error.HTTPError as e:
            raise AssertionError(f"peer {method} {path} {body!r} answered {e.code}: "
                                 f"{e.read()[:600]!r}\npeer log:\n{self.log_tail()}") from None

    def act(self, action, **body):
        return self.call("POST", f"/{action}", body)

    def received(self):
        return self.call("GET", "/received")

    def rejected(self):
        return self.call("GET", "/rejected")

    def state(self):
        return self.call("GET", "/state")

    def cleanup(self):
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(OSError):
                self.process.stdin.close()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self.process.wait(timeout=5)
        if self.process is not None:
            with contextlib.suppress(OSError):
                self.process.stdout.close()
        if os.environ.get("KITH_KEEP_TEST_DIRS"):
            print(f"kept {self.dir}")
        else:
            shutil.rmtree(self.dir, ignore_errors=True)


# ---------------------------------------------------------------------------

class FedifyInteropTest(unittest.TestCase):
    """One kith node and one Fedify peer; the steps run in order (numbered
    names) and share what they made."""

    fed = None
    peer = None

    @classmethod
    def setUpClass(cls):
        install_peer_packages()
        # The peer's port is chosen first so that kith's allowlist can name it;
        # the peer starts after the node, with the node's CA and certificate.
        peer_port = harness.free_port()
        cls.fed = federation.Federation(names=("kith",), config={
            "federation": {"allowed_private_addresses": [f"127.0.0.1:{peer_port}"]},
        })
        cls.addClassCleanup(cls.fed.cleanup)
        cls.node = cls.fed["kith"]
        cls.peer = Peer(peer_port, cls.fed.certs)
        cls.addClassCleanup(cls.peer.cleanup)
        cls.alice = cls.node.add_user("alice")
        cls.shared = {}
        # Step 1 needs no client API; the others do. A login failure is
        # reported by each step that needs it, not as a failure of them all.
        cls.login_error = None
        try:
            cls.node.login(cls.alice)
        except federation.ApiError as e:
            cls.login_error = str(e)

    # -- helpers --

    def eventually(self, predicate, message, timeout=EFFECT_TIMEOUT):
        try:
            return harness.wait_until(predicate, timeout, interval=federation.POLL_INTERVAL,
                                      message=message)
        except AssertionError as e:
            raise AssertionError(f"{e}\n{self.fed.logs()}\n--- peer log (tail)\n"
                                 f"{self.peer.log_tail()}") from None

    def need_api(self):
        if self.login_error:
            self.fail(f"no client API token for alice: {self.login_error}")

    def need(self, *keys):
        missing = [k for k in keys if k not in self.shared]
        if missing:
            self.skipTest(f"an earlier step failed (no {', '.join(missing)})")
        return [self.shared[k] for k in keys]

    def received_of(self, type_, predicate=lambda r: True):
        return [r for r in self.peer.received() if r["type"] == type_ and predicate(r)]

    def assert_signed_by_alice(self, record):
        """Fedify verified the HTTP signature, and the key is alice's own."""
        signature = record.get("signature")
        self.assertIsNotNone(signature, f"no verified signature on {record['type']}")
        self.assertEqual(signature["keyId"], f"{self.alice.uri}#main-key")
        self.assertEqual(signature["owner"], self.alice.uri)
        self.assertEqual(record["actor"], self.alice.uri)

    def kith_status(self, uri):
        """The kith status (client API entity) whose ActivityPub id is `uri`,
        found through alice's home timeline; None if not there."""
        for status in self.alice.home():
            if status.get("uri") == uri:
                return status
        return None

    def status_counts(self, status_id):
        s = self.alice.api("GET", f"/api/v1/statuses/{status_id}")
        return s["favourites_count"], s["reblogs_count"]

    # -- the steps --

    def test_00_peer_refuses_unsigned(self):
        # The peer is a fair judge: Fedify itself answers 401 to an activity
        # without a signature, so what reaches /received was verified.
        forged = {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": f"{self.alice.uri}{FORGED_ID_MARK}", "type": "Follow",
            "actor": self.alice.uri, "object": self.peer.actor,
        }
        r = federation.https_request(self.peer.port, self.fed.client_context, "POST",
                                     "/users/bob/inbox", body=json.dumps(forged).encode(),
                                     headers={"Content-Type": "application/activity+json"})
        self.assertEqual(r.status, 401, r)
        self.assertEqual(self.received_of("Follow"), [])
        self.assertEqual([x["status"] for x in self.peer.rejected()], [401])

    def test_01_peer_follows_alice(self):
        follow = self.peer.act("follow", handle=self.alice.acct)
        self.assertEqual(follow["object"], self.alice.uri)
        self.eventually(lambda: self.peer.state()["follows"].get(follow["id"], {})
                        .get("state") == "accepted",
                        "the peer's follow of alice to be accepted")
        accepts = self.received_of("Accept", lambda r: r["object"] == follow["id"])
        self.assertEqual(len(accepts), 1, accepts)
        self.assert_signed_by_alice(accepts[0])
        self.shared["peer_follow"] = follow["id"]

    def test_02_alice_follows_peer(self):
        self.need_api()
        account = self.alice.resolve_account(self.peer.handle)
        self.assertIsNotNone(account, f"kith could not resolve {self.peer.handle}")
        self.assertEqual(account["acct"], self.peer.handle)
        self.shared["bob_id"] = account["id"]
        self.alice.api("POST", f"/api/v1/accounts/{account['id']}/follow")
        self.eventually(lambda: self.alice.relationship(account["id"]).get("following"),
                        "kith to record alice's follow of the peer as accepted")
        follows = self.received_of("Follow", lambda r: r["actor"] == self.alice.uri)
        self.assertEqual(len(follows), 1, follows)
        self.assert_signed_by_alice(follows[0])
        self.assertEqual(follows[0]["object"], self.peer.actor)
        self.assertIn(self.alice.uri, self.peer.state()["followers"])
        if "peer_follow" in self.shared:
            self.assertTrue(self.alice.relationship(account["id"]).get("followed_by"))

    def test_03_peer_post_arrives_in_home_timeline(self):
        self.need_api()
        self.need("bob_id")
        note = self.peer.act("note", content="<p>Hello from Fedify</p>")
        self.assertIn(self.alice.uri, note["sent_to"])
        status = self.eventually(lambda: self.kith_status(note["id"]),
                                 "the peer's post in alice's home timeline")
        self.assertIn("Hello from Fedify", status["content"])
        self.assertEqual(status["account"]["acct"], self.peer.handle)
        self.assertEqual(status["visibility"], "public")
        self.shared["peer_note"] = note["id"]
        self.shared["peer_note_status_id"] = status["id"]

    def test_04_alice_post_reaches_peer_signed(self):
        self.need_api()
        self.need("peer_follow")
        status = self.alice.post("Hello, Fedify! From kith.", visibility="public")
        self.shared["alice_status"] = status
        creates = self.eventually(
            lambda: self.received_of("Create", lambda r: r["object"] == status["uri"]),
            "alice's Create to reach the peer")
        self.assertEqual(len(creates), 1, creates)
        self.assert_signed_by_alice(creates[0])
        note = creates[0]["json"]["object"]
        self.assertIn("Hello, Fedify!", note.get("content", ""))

    def test_04b_peer_fetches_alice_posts(self):
        # kith's documents as Fedify reads them, and its visibility rules
        # against a signer kith did not write: a followers-only post is
        # refused to an unsigned fetch and served to a follower's signed one.
        self.need_api()
        (public,) = self.need("alice_status")
        fetched = self.peer.act("lookup", uri=public["uri"])
        self.assertEqual(fetched["type"], "Note", fetched)
        self.assertEqual(fetched["json"]["attributedTo"], self.alice.uri)
        self.assertIn("Hello, Fedify!", fetched["json"]["content"])
        private = self.alice.post("For my followers only.", visibility="private")
        self.eventually(lambda: self.received_of("Create", lambda r: r["object"] == private["uri"]),
                        "alice's followers-only Create to reach the peer (a follower)")
        self.assertFalse(self.peer.act("lookup", uri=private["uri"])["found"],
                         "kith served a followers-only post to an unsigned fetch")
        signed = self.peer.act("lookup", uri=private["uri"], signed=True)
        self.assertEqual(signed["type"], "Note", signed)
        self.assertIn("For my followers only.", signed["json"]["content"])
        self.assertNotIn(federation.PUBLIC, json.dumps(signed["json"]))

    def test_05_peer_reply_is_threaded(self):
        self.need_api()
        self.need("bob_id", "alice_status")
        parent = self.shared["alice_status"]
        reply = self.peer.act("note", content="<p>A reply from Fedify</p>",
                              inReplyTo=parent["uri"], mention=self.alice.acct)
        status = self.eventually(lambda: self.kith_status(reply["id"]),
                                 "the peer's reply in alice's home timeline")
        self.assertEqual(str(status["in_reply_to_id"]), str(parent["id"]))
        self.assertIn("A reply from Fedify", status["content"])

    def test_06_peer_like_and_undo(self):
        self.need_api()
        (parent,) = self.need("alice_status")
        like = self.peer.act("like", object=parent["uri"])
        self.assertEqual(like["sent_to"], [self.alice.uri])
        self.eventually(lambda: self.status_counts(parent["id"])[0] == 1,
                        "favourites_count 1 after the peer's Like")
        self.peer.act("undo", activity=like["id"])
        self.eventually(lambda: self.status_counts(parent["id"])[0] == 0,
                        "favourites_count 0 after the peer's Undo{Like}")

    def test_07_peer_announce_and_undo(self):
        self.need_api()
        (parent,) = self.need("alice_status")
        announce = self.peer.act("announce", object=parent["uri"])
        self.assertIn(self.alice.uri, announce["sent_to"])
        self.eventually(lambda: self.status_counts(parent["id"])[1] == 1,
                        "reblogs_count 1 after the peer's Announce")
        self.peer.act("undo", activity=announce["id"])
        self.eventually(lambda: self.status_counts(parent["id"])[1] == 0,
                        "reblogs_count 0 after the peer's Undo{Announce}")

    def test_08_peer_delete(self):
        self.need_api()
        note, status_id = self.need("peer_note", "peer_note_status_id")
        self.peer.act("delete", object=note)
        self.eventually(lambda: self.alice.try_api("GET", f"/api/v1/statuses/{status_id}")[0]
                        == 404, "the peer's deleted post to be gone from kith")
        self.assertIsNone(self.kith_status(note))

    def test_09_alice_acts_on_peer_post(self):
        self.need_api()
        self.need("bob_id")
        note = self.peer.act("note", content="<p>Something to like</p>")
        status = self.eventually(lambda: self.kith_status(note["id"]),
                                 "the peer's new post in alice's home timeline")
        self.alice.api("POST", f"/api/v1/statuses/{status['id']}/favourite")
        likes = self.eventually(
            lambda: self.received_of("Like", lambda r: r["object"] == note["id"]),
            "alice's Like to reach the peer")
        self.assert_signed_by_alice(likes[0])
        self.alice.api("POST", f"/api/v1/statuses/{status['id']}/reblog")
        announces = self.eventually(
            lambda: self.received_of("Announce", lambda r: r["object"] == note["id"]),
            "alice's Announce to reach the peer")
        self.assert_signed_by_alice(announces[0])

    def test_10_alice_deletes_her_post(self):
        self.need_api()
        (status,) = self.need("alice_status")
        self.alice.api("DELETE", f"/api/v1/statuses/{status['id']}")
        deletes = self.eventually(
            lambda: self.received_of("Delete", lambda r: r["object"] == status["uri"]),
            "alice's Delete to reach the peer")
        self.assert_signed_by_alice(deletes[0])

    def test_11_alice_unfollows_peer(self):
        self.need_api()
        (bob_id,) = self.need("bob_id")
        self.alice.api("POST", f"/api/v1/accounts/{bob_id}/unfollow")
        self.eventually(lambda: self.alice.uri not in self.peer.state()["followers"],
                        "the peer to drop alice from its followers after her Undo{Follow}")
        undos = self.received_of("Undo", lambda r: r["actor"] == self.alice.uri)
        self.assertEqual(len(undos), 1, undos)
        self.assert_signed_by_alice(undos[0])

    def test_12_peer_unfollows_alice(self):
        self.need_api()
        follow, bob_id = self.need("peer_follow", "bob_id")
        self.peer.act("undo", activity=follow)
        self.eventually(lambda: not self.alice.relationship(bob_id).get("followed_by"),
                        "alice to be no longer followed by the peer")

    def test_99_fedify_refused_nothing(self):
        # After every step that made kith send something: nothing kith sent
        # was refused, and everything received carried a verified signature.
        time.sleep(0.5)
        refused = [r for r in self.peer.rejected() if FORGED_ID_MARK not in r.get("body", "")]
        self.assertEqual(refused, [])
        unsigned = [r for r in self.peer.received() if r.get("signature") is None]
        self.assertEqual(unsigned, [])

    def test_zz_kith_exits_cleanly(self):
        # Last (by name): SIGTERM, exit 0, no ASan/UBSan/LSan report in its log.
        self.assertEqual(self.fed.stop_daemons(), [])


if __name__ == "__main__":
    unittest.main()
