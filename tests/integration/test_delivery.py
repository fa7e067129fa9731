"""Delivery: the durable queue and its workers, against a real receiver.

The receiver is a Python HTTPS server on 127.0.0.1 with a certificate from a
CA this test makes with `openssl`; kith trusts that CA through
KITH_FEDERATION_EXTRA_CA_FILE and may reach exactly the receiver's
address:port (and one closed port, for the unreachable case) through
KITH_FEDERATION_ALLOWED_PRIVATE_ADDRESSES. For every POST the receiver
checks what a Mastodon inbox checks: Content-Type, the Digest recomputed
over the body, the Signature header's shape (rsa-sha256 over
(request-target) host date digest), a fresh Date, the Host, and the RSA
signature itself, by running `openssl dgst -sha256 -verify` on the signing
string it rebuilds (Python's standard library cannot verify RSA). It counts
arrivals per activity id and applies each id once, as a real inbox does.

What is proved: a delivery arrives signed; 500 then 200 is retried and
applied once; 410 fails at once; 429 with Retry-After is retried no sooner
than asked; an address kith must not connect to fails at once, and a closed
port is not retried past delivery.give_up_after; and (issue 3, item 9d)
`kill -9` of kith in the middle of 200 deliveries, then a restart, loses
none: every activity arrives, each is applied once, and the duplicates that
at-least-once delivery allows are counted and reported.

FIXTURE SETUP: delivery jobs are created by inserting rows into the test's
own PostgreSQL with psql, in exactly the shape kith's enqueue writes them
(db::enqueue and ap::delivery_payload: queue 'delivery', the JSON payload,
the dedupe key, the host). The client API that creates posts, and so
delivery jobs, comes later; the daemon has no test-only way in. The signing
user is made with `kith user add`, so its key is the one kith generated.
"""

import base64
import calendar
import contextlib
import hashlib
import http.server
import json
import os
import re
import shutil
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import unittest

import harness
from federation import Certificates  # the test CA, shared with the federation tests

pg = None
certs = None

RETRY_AFTER = 25  # seconds: longer than the first backoff can be (15 s + 25 %)
GIVE_UP_AFTER = 40  # seconds, for the main daemon
SLACK = 20.0  # for slow (sanitizer) builds
BREAKER_JOBS = 12  # to a host that always answers 503; its breaker opens at 10 failures

def setUpModule():
    global pg, certs
    pg = harness.PgCluster()
    unittest.addModuleCleanup(pg.cleanup)
    certs = Certificates()
    unittest.addModuleCleanup(certs.cleanup)


# ---------------------------------------------------------------------------
# The receiver

SIGNATURE_PARAM = re.compile(r'\s*([A-Za-z]+)="([^"]*)"\s*(?:,|$)')


class Receiver:
    """An HTTPS inbox on 127.0.0.1 that verifies signatures and counts ids.

    Behaviour by path (the first request for an activity id is its "first"):
      /inbox/ok       202
      /inbox/flaky    500 on the first request, then 202
      /inbox/gone     410
      /inbox/limited  429 with Retry-After: RETRY_AFTER on the first, then 202
      /inbox/down     503, always
      /inbox/burst    202 after a short pause (so that a burst takes a while)
      /inbox/slow     202 after 3 s
    A request whose signature does not verify gets 401 and is recorded as bad.
    """

    def __init__(self, public_key_pem=None):
        self.public_key_path = None
        self.lock = threading.Lock()
        self.arrivals = []  # (monotonic time, path, activity id, status)
        self.applied = {}   # activity id -> count of 2xx answers (applied once, counted all)
        self.seen = set()   # ids seen at all (for "first request" behaviour)
        self.bad = []       # (path, reason) of requests that failed verification
        self.started = threading.Event()  # set when a /inbox/slow request is being served
        self.workdir = harness.make_temp_dir("kdeliv-rx-")
        if public_key_pem:
            self.set_public_key(public_key_pem)
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                receiver.handle(self)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(certs.cert, certs.key)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def set_public_key(self, pem):
        self.public_key_path = os.path.join(self.workdir, "pub.pem")
        with open(self.public_key_path, "w") as f:
            f.write(pem)

    def url(self, path):
        return f"https://127.0.0.1:{self.port}{path}"

    def close(self):
        self.server.shutdown()
        self.server.server_close()
        shutil.rmtree(self.workdir, ignore_errors=True)

    # -- verification --

    def verify(self, request, body):
        """Returns None if the request is signed as Mastodon signs, else why not."""
        h = request.headers
        if h.get("Content-Type") != "application/activity+json":
            return f"content type {h.get('Content-Type')!r}"
        if h.get("Host") != f"127.0.0.1:{self.port}":
            return f"host {h.get('Host')!r}"
        digest = "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode()
        if h.get("Digest") != digest:
            return f"digest {h.get('Digest')!r}, body hashes to {digest!r}"
        date = h.get("Date", "")
        try:
            sent = calendar.timegm(time.strptime(date, "%a, %d %b %Y %H:%M:%S GMT"))
        except ValueError:
            return f"date {date!r}"
        if abs(sent - time.time()) > 300:
            return f"date {date!r} is not now"
        signature_header = h.get("Signature", "")
        params = dict(SIGNATURE_PARAM.findall(signature_header))
        if set(params) != {"keyId", "algorithm", "headers", "signature"}:
            return f"signature parameters {sorted(params)}"
        if params["algorithm"] != "rsa-sha256":
            return f"algorithm {params['algorithm']!r}"
        if params["headers"] != "(request-target) host date digest":
            return f"signed headers {params['headers']!r}"
        if not params["keyId"].endswith("#main-key"):
            return f"keyId {params['keyId']!r}"
        signing_string = "\n".join([
            f"(request-target): post {request.path}",
            f"host: {h.get('Host')}",
            f"date: {date}",
            f"digest: {h.get('Digest')}",
        ])
        with tempfile.TemporaryDirectory(dir=self.workdir) as d:
            with open(os.path.join(d, "sig.bin"), "wb") as f:
                f.write(base64.b64decode(params["signature"], validate=True))
            with open(os.path.join(d, "data.txt"), "wb") as f:
                f.write(signing_string.encode())
            result = subprocess.run(
                ["openssl", "dgst", "-sha256", "-verify", self.public_key_path,
                 "-signature", "sig.bin", "data.txt"],
                cwd=d, capture_output=True, timeout=30)
        if result.returncode != 0 or b"Verified OK" not in result.stdout:
            return f"RSA signature does not verify: {result.stdout!r} {result.stderr!r}"
        return None

    def handle(self, request):
        length = int(request.headers.get("Content-Length", "0"))
        body = request.rfile.read(length)
        path = request.path
        problem = self.verify(request, body)
        try:
            activity_id = json.loads(body)["id"]
        except (ValueError, KeyError, TypeError):
            activity_id = None
            problem = problem or "body is not an activity"
        headers = {}
        if problem:
            status = 401
        else:
            with self.lock:
                first = activity_id not in self.seen
                self.seen.add(activity_id)
            if path == "/inbox/flaky" and first:
                status = 500
            elif path == "/inbox/down":
                status = 503
            elif path == "/inbox/gone":
                status = 410
            elif path == "/inbox/limited" and first:
                status = 429
                headers["Retry-After"] = str(RETRY_AFTER)
            else:
                if path == "/inbox/burst":
                    time.sleep(0.05)
                elif path == "/inbox/slow":
                    self.started.set()
                    time.sleep(3)
                status = 202
        with self.lock:
            self.arrivals.append((time.monotonic(), path, activity_id, status))
            if problem:
                self.bad.append((path, problem))
            elif 200 <= status < 300:
                # Idempotent by activity id: a repeat is acknowledged, not applied again.
                self.applied[activity_id] = self.applied.get(activity_id, 0) + 1
        try:
            request.send_response(status)
            for name, value in headers.items():
                request.send_header(name, value)
            request.send_header("Content-Length", "0")
            request.send_header("Connection", "close")
            request.end_headers()
        except OSError:
            pass  # the sender died (kill -9) before the answer: it will send again

    # -- queries --

    def arrivals_for(self, activity_id):
        with self.lock:
            return [a for a in self.arrivals if a[2] == activity_id]

    def snapshot(self):
        with self.lock:
            return list(self.arrivals), dict(self.applied), list(self.bad)


# ---------------------------------------------------------------------------
# Fixture setup: a signing user and delivery jobs

def closed_port():
    """A loopback port nothing listens on (free a moment ago)."""
    return harness.free_port()


def start_kith(test, dbname, receiver, extra_allowed=(), delivery=None, federation=None,
               more_receivers=()):
    pg.createdb(dbname)
    allowed = [f"127.0.0.1:{r.port}" for r in (receiver, *more_receivers)] + list(extra_allowed)
    config = {"delivery": delivery or {}, "federation": federation or {}}
    kith = harness.Kith(database_url=pg.url(dbname), config=config, env={
        "KITH_FEDERATION_EXTRA_CA_FILE": certs.ca,
        "KITH_FEDERATION_ALLOWED_PRIVATE_ADDRESSES": ",".join(allowed),
    })
    test.addCleanup(kith.cleanup)
    kith.start()
    created = kith.run("user", "add", "alice", input="correct horse battery staple\n")
    if created.returncode != 0:
        raise AssertionError(f"kith user add failed: {created.stderr}")
    row = pg.psql("SELECT id || '|' || public_key_id FROM accounts WHERE username = 'alice'",
                  dbname=dbname)
    account_id, key_id = row.split("|")
    public_key = pg.psql("SELECT public_key_pem FROM accounts WHERE username = 'alice'",
                         dbname=dbname)
    for r in (receiver, *more_receivers):
        r.set_public_key(public_key + "\n")
    return kith, int(account_id), key_id


def psql_script(sql, dbname):
    """Runs `sql` with psql reading standard input (a -c argument is limited
    to 128 KiB, less than 200 jobs take)."""
    result = subprocess.run(
        [os.path.join(pg.bindir, "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", pg.sockdir,
         "-p", str(pg.port), "-U", "kith", "-d", dbname, "-f", "-"],
        input=sql, capture_output=True, text=True, timeout=60, env=harness.clean_env())
    if result.returncode != 0:
        raise RuntimeError(f"psql failed:\n{result.stderr}")


def sql_text(value):
    """A PostgreSQL dollar-quoted literal."""
    assert "$fixture$" not in value
    return f"$fixture${value}$fixture$"


def enqueue(dbname, account_id, key_id, deliveries):
    """FIXTURE SETUP. Inserts delivery jobs as kith's own enqueue would
    (db::enqueue with ap::delivery_payload and ap::delivery_dedupe_key):
    `deliveries` is a list of (activity id, inbox URL)."""
    rows = []
    for activity_id, inbox in deliveries:
        activity = json.dumps({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": activity_id,
            "type": "Create",
            "actor": key_id.split("#")[0],
            "object": {"id": activity_id + "/object", "type": "Note", "content": "héllo"},
        }, ensure_ascii=False)
        payload = json.dumps({"activity_id": activity_id, "inbox": inbox,
                              "account_id": account_id, "key_id": key_id, "body": activity},
                             ensure_ascii=False)
        dedupe = "delivery:" + hashlib.sha256(f"{activity_id}\n{inbox}".encode()).hexdigest()
        host = inbox.split("/")[2]
        rows.append(f"('delivery', {sql_text(payload)}::jsonb, '{dedupe}', '{host}')")
    # In one transaction, as the statement that causes them would.
    statements = ["INSERT INTO jobs (queue, payload, dedupe_key, host) VALUES " +
                  ",\n".join(rows[i:i + 50]) + " ON CONFLICT (dedupe_key) DO NOTHING;"
                  for i in range(0, len(rows), 50)]
    psql_script("BEGIN;\n" + "\n".join(statements) + "\nCOMMIT;\n", dbname)


def job_row(dbname, activity_id):
    """(state, attempts, last_error) of the delivery job of `activity_id`."""
    out = pg.psql("SELECT state || '|' || attempts || '|' || coalesce(last_error, '') FROM jobs"
                  f" WHERE payload->>'activity_id' = {sql_text(activity_id)}", dbname=dbname)
    state, attempts, error = out.split("|", 2)
    return state, int(attempts), error


def job_states(dbname):
    out = pg.psql("SELECT state || '=' || count(*) FROM jobs GROUP BY state", dbname=dbname)
    return dict((line.split("=")[0], int(line.split("=")[1])) for line in out.splitlines() if line)


# ---------------------------------------------------------------------------

class DeliveryOutcomesTest(unittest.TestCase):
    """One daemon, every outcome at once: the jobs are queued together in
    setUpClass, so the slow cases (retries after 15 s, 25 s and 40 s) wait
    in parallel, and each test then waits for its own job's end state."""

    @classmethod
    def setUpClass(cls):
        cls.receiver = Receiver()
        cls.addClassCleanup(cls.receiver.close)
        cls.down = Receiver()  # a host of its own: its breaker must not pause the others
        cls.addClassCleanup(cls.down.close)
        cls.closed = closed_port()
        cls.forbidden = closed_port()  # never allowlisted: the address guard refuses it
        cls.db = "outcomes"
        holder = unittest.TestCase()
        kith, cls.account_id, cls.key_id = start_kith(
            holder, cls.db, cls.receiver, extra_allowed=[f"127.0.0.1:{cls.closed}"],
            delivery={"workers": 4, "give_up_after": f"{GIVE_UP_AFTER}s"},
            more_receivers=[cls.down])
        cls.addClassCleanup(holder.doCleanups)
        cls.kith = kith
        base = f"https://localhost:{kith.port}/users/alice/statuses"
        cls.ids = {name: f"{base}/{name}/activity" for name in
                   ("ok", "flaky", "gone", "limited", "unreachable", "forbidden")}
        cls.enqueued_at = time.monotonic()
        enqueue(cls.db, cls.account_id, cls.key_id, [
            (cls.ids["ok"], cls.receiver.url("/inbox/ok")),
            (cls.ids["flaky"], cls.receiver.url("/inbox/flaky")),
            (cls.ids["gone"], cls.receiver.url("/inbox/gone")),
            (cls.ids["limited"], cls.receiver.url("/inbox/limited")),
            (cls.ids["unreachable"], f"https://127.0.0.1:{cls.closed}/inbox"),
            (cls.ids["forbidden"], f"https://127.0.0.1:{cls.forbidden}/inbox"),
        ] + [(f"{base}/down-{i}/activity", cls.down.url("/inbox/down"))
             for i in range(BREAKER_JOBS)])

    def wait_state(self, name, states, timeout):
        activity_id = self.ids[name]
        return harness.wait_until(
            lambda: (lambda row: row if row[0] in states else None)(job_row(self.db, activity_id)),
            timeout, interval=0.25, message=f"job {name} to reach {states}")

    def test_delivery_arrives_signed(self):
        state, attempts, _ = self.wait_state("ok", ("done", "failed"), 30)
        self.assertEqual((state, attempts), ("done", 1))
        arrivals = self.receiver.arrivals_for(self.ids["ok"])
        self.assertEqual([a[3] for a in arrivals], [202])
        _, applied, bad = self.receiver.snapshot()
        self.assertEqual(bad, [])
        self.assertEqual(applied[self.ids["ok"]], 1)

    def test_500_then_200_is_retried_and_applied_once(self):
        state, attempts, error = self.wait_state("flaky", ("done", "failed"), 30 + SLACK)
        self.assertEqual((state, attempts), ("done", 2))
        self.assertIn("500", error)  # the last error stays on record
        arrivals = self.receiver.arrivals_for(self.ids["flaky"])
        self.assertEqual([a[3] for a in arrivals], [500, 202])
        gap = arrivals[1][0] - arrivals[0][0]
        # The first retry waits 15 s, +-25 %.
        self.assertGreaterEqual(gap, 11.0)
        self.assertLess(gap, 19.0 + SLACK)
        self.assertEqual(self.receiver.snapshot()[1][self.ids["flaky"]], 1)

    def test_410_fails_at_once(self):
        state, attempts, error = self.wait_state("gone", ("done", "failed"), 30)
        self.assertEqual((state, attempts), ("failed", 1))
        self.assertIn("410", error)
        time.sleep(2)
        self.assertEqual([a[3] for a in self.receiver.arrivals_for(self.ids["gone"])], [410])

    def test_429_retry_after_is_honoured(self):
        state, attempts, _ = self.wait_state("limited", ("done", "failed"), RETRY_AFTER + 15 + SLACK)
        self.assertEqual((state, attempts), ("done", 2))
        arrivals = self.receiver.arrivals_for(self.ids["limited"])
        self.assertEqual([a[3] for a in arrivals], [429, 202])
        gap = arrivals[1][0] - arrivals[0][0]
        # Not before Retry-After, although the backoff alone would be at most 18.75 s.
        self.assertGreaterEqual(gap, RETRY_AFTER - 0.5)
        self.assertLess(gap, RETRY_AFTER + 5 + SLACK)

    def test_refused_address_fails_at_once(self):
        state, attempts, error = self.wait_state("forbidden", ("done", "failed"), 30)
        self.assertEqual((state, attempts), ("failed", 1))
        self.assertIn("refused", error)

    def test_unreachable_host_is_given_up_after_give_up_after(self):
        state, attempts, error = self.wait_state("unreachable", ("done", "failed"),
                                                 GIVE_UP_AFTER + 15 + SLACK)
        elapsed = time.monotonic() - self.enqueued_at
        self.assertEqual(state, "failed")
        self.assertIn("gave up", error)
        # Tried at 0, about 15 s, and at the give-up time: not for ever, not once.
        self.assertGreaterEqual(attempts, 2)
        self.assertLessEqual(attempts, 4)
        self.assertGreaterEqual(elapsed, GIVE_UP_AFTER - 2)

    def test_breaker_pauses_a_failing_host(self):
        # Up to 4 in flight to one host: the 10th failure opens the breaker
        # while 0 to 3 others are already on their way (how many depends on
        # what the workers were doing for the other hosts), so 10 to 12
        # arrive, and then none: the first retries would be due after 15 s
        # (+-25 %), but the host is paused for a minute.
        threshold = 10
        harness.wait_until(lambda: len(self.down.snapshot()[0]) >= threshold, 30,
                           interval=0.1, message="the failing host to be tried 10 times")
        tried_at = time.monotonic()
        # (The receiver counts a request before it answers: give kith a moment.)
        harness.wait_until(
            lambda: harness.metric_value(self.kith.metrics()[1], "kith_delivery_breakers",
                                         state="open") == 1, 10, message="the breaker to open")
        harness.wait_until(lambda: "keeps failing; paused" in self.kith.stderr(), 10,
                           message="the host's jobs to be postponed")
        time.sleep(2)  # deliveries that were already on their way when it opened
        when_opened = len(self.down.snapshot()[0])
        self.assertGreaterEqual(when_opened, threshold)
        self.assertLessEqual(when_opened, BREAKER_JOBS)
        time.sleep(max(0.0, tried_at + 25 - time.monotonic()))
        arrivals = self.down.snapshot()[0]
        self.assertEqual(len(arrivals), when_opened, "the paused host was tried again")
        self.assertTrue(all(a[3] == 503 for a in arrivals))
        states = pg.psql("SELECT state, count(*) FROM jobs WHERE host = "
                         f"'127.0.0.1:{self.down.port}' GROUP BY state", dbname=self.db)
        self.assertEqual(states, f"queued|{BREAKER_JOBS}")  # postponed, not failed

    def test_metrics_count_deliveries(self):
        self.wait_state("ok", ("done",), 30)
        self.wait_state("gone", ("failed",), 30)

        def counted():
            _, samples = self.kith.metrics()
            delivered = harness.metric_value(samples, "kith_deliveries_total", outcome="delivered")
            failed = harness.metric_value(samples, "kith_deliveries_total", outcome="failed")
            done = harness.metric_value(samples, "kith_delivery_jobs", state="done")
            breakers = harness.metric_value(samples, "kith_delivery_breakers", state="open")
            return (delivered is not None and delivered >= 1 and failed is not None and
                    failed >= 1 and done is not None and done >= 1 and breakers is not None)
        harness.wait_until(counted, 30, interval=0.5, message="delivery metrics")
        _, samples = self.kith.metrics()
        self.assertGreaterEqual(harness.metric_value(samples, "kith_delivery_failures_total",
                                                     reason="http_410"), 1)


class CrashTest(unittest.TestCase):
    """kill -9 in the middle of a burst, then a restart."""

    BURST = 200
    LEASE = 12  # seconds; must exceed request_timeout (5 s) + acquire_timeout (5 s)

    def test_kill_9_mid_burst_loses_nothing(self):
        receiver = Receiver()
        self.addCleanup(receiver.close)
        db = "crash"
        kith, account_id, key_id = start_kith(
            self, db, receiver, delivery={"workers": 8, "lease": f"{self.LEASE}s"},
            federation={"request_timeout": "5s"})
        ids = [f"https://localhost:{kith.port}/users/alice/statuses/{i}/activity"
               for i in range(self.BURST)]
        # All to one host, so the per-host cap (4 in flight) paces the burst.
        enqueue(db, account_id, key_id, [(i, receiver.url("/inbox/burst")) for i in ids])
        harness.wait_until(lambda: len(receiver.snapshot()[0]) >= self.BURST // 4, 60,
                           interval=0.01, message="a quarter of the burst to arrive")
        kith.process.kill()  # SIGKILL: no drain, no release
        kith.process.wait(timeout=10)
        arrived_before, _, _ = receiver.snapshot()
        states_at_kill = job_states(db)

        killed_at = time.monotonic()
        kith.start()

        def all_done():
            states = job_states(db)
            return states if states.get("done", 0) == self.BURST else None
        harness.wait_until(all_done, self.LEASE + 60 + SLACK, interval=0.25,
                           message="every job of the burst to be done after the restart")
        recovered_in = time.monotonic() - killed_at
        time.sleep(1)  # let any last duplicate land before counting
        arrivals, applied, bad = receiver.snapshot()

        self.assertEqual(bad, [])
        self.assertEqual(set(applied), set(ids), "some activity never arrived")
        delivered = [a for a in arrivals if 200 <= a[3] < 300]
        duplicates = len(delivered) - len(ids)
        # The receiver applies each id once however often it comes; the
        # duplicates are what at-least-once costs, bounded by what was in
        # flight when kith died (at most `workers`).
        self.assertGreaterEqual(duplicates, 0)
        self.assertLessEqual(duplicates, 8)
        self.assertEqual(job_states(db), {"done": self.BURST})
        if states_at_kill.get("running", 0) > 0:
            self.assertIn("reclaimed after their lease ran out", kith.stderr())
        print(f"\nkill -9 mid-burst: {len(arrived_before)} of {self.BURST} had arrived when "
              f"kith was killed (jobs then: {states_at_kill}); after the restart all "
              f"{self.BURST} were delivered in {recovered_in:.1f} s; {len(delivered)} "
              f"deliveries in all, {duplicates} duplicate(s), each activity applied once",
              file=sys.stderr)

    def test_sigterm_lets_a_delivery_in_flight_finish(self):
        receiver = Receiver()
        self.addCleanup(receiver.close)
        db = "drain"
        kith, account_id, key_id = start_kith(self, db, receiver)
        activity = f"https://localhost:{kith.port}/users/alice/statuses/slow/activity"
        enqueue(db, account_id, key_id, [(activity, receiver.url("/inbox/slow"))])
        self.assertTrue(receiver.started.wait(30), "the slow delivery never started")
        code = kith.sigterm(timeout=30)
        self.assertEqual(code, 0, kith.stderr_tail())
        self.assertEqual(job_row(db, activity)[0], "done")
        self.assertEqual([a[3] for a in receiver.arrivals_for(activity)], [202])


if __name__ == "__main__":
    unittest.main()
