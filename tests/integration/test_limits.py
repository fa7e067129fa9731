"""Request limits, keep-alive, error shapes and the access log.

Every limit the HTTP server promises is exercised from the outside with the
exact bytes a hostile or broken client would send: oversized header blocks,
bodies announced or streamed beyond the route's cap, headers trickled in
slowly, more connections than allowed. Each test also checks that the
server stays useful afterwards.
"""

import json
import socket
import time
import unittest
import uuid

import harness

HEADER_LIMIT = 16 * 1024          # bytes of request line + headers
APPS_BODY_LIMIT = 64 * 1024       # POST /api/v1/apps
HEADER_TIMEOUT = 1                # s: http.header_timeout given to the daemon below
BODY_TIMEOUT = 30                 # s: long, so that a 413 that waits for the body is caught

pg = None


def setUpModule():
    global pg
    pg = harness.PgCluster()
    unittest.addModuleCleanup(pg.cleanup)


def start_kith(test_class, config=None, env=None):
    """Starts a daemon for a whole test class; it is killed after the class."""
    kith = harness.Kith(database_url=pg.url(), config=config, env=env)
    test_class.addClassCleanup(kith.cleanup)
    return kith.start()


class JsonErrors:
    """Mixin: the shape of every error kith's HTTP layer answers with."""

    def assert_json_error(self, response, status):
        self.assertEqual(response.status, status, response)
        self.assertTrue(response.header("content-type", "").startswith("application/json"),
                        response)
        body = response.json()
        self.assertIsInstance(body.get("error"), str, response)
        self.assertTrue(body["error"], response)


APP_REGISTRATION = {"client_name": "limits test", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob",
                    "scopes": "read"}


class LimitsTest(JsonErrors, unittest.TestCase):
    """One daemon with a short header timeout (set through the environment)
    and a long body timeout."""

    @classmethod
    def setUpClass(cls):
        cls.kith = start_kith(cls, config={"http": {"header_timeout": "30s",
                                                    "body_timeout": f"{BODY_TIMEOUT}s",
                                                    "idle_timeout": "30s"}},
                              env={"KITH_HTTP_HEADER_TIMEOUT": f"{HEADER_TIMEOUT}s"})

    def assert_server_still_answers(self):
        self.assertEqual(self.kith.get("/healthz").status, 200)
        self.assertTrue(self.kith.alive())

    # -- headers --

    def test_header_block_just_under_16KiB_is_accepted(self):
        with self.kith.raw() as c:
            request = c.request_bytes("GET", "/healthz", {"X-Padding": ""})
            padding = "a" * (HEADER_LIMIT - len(request) - 1024)
            response = c.request("GET", "/healthz", {"X-Padding": padding})
        self.assertEqual(response.status, 200, response)

    def test_header_block_over_16KiB_gets_431_and_connection_closed(self):
        for name, headers in [
            ("one huge header", {"X-Padding": "a" * (HEADER_LIMIT + 1024)}),
            ("many small headers", {f"X-Padding-{i}": "b" * 100 for i in range(200)}),
        ]:
            with self.subTest(name), self.kith.raw() as c:
                c.try_send(c.request_bytes("GET", "/healthz", headers))
                try:
                    response = c.read_response()
                except harness.ConnectionClosed as e:
                    self.fail(f"expected 431, connection closed without a response ({e})")
                self.assertEqual(response.status, 431, response)
                self.assertIsNotNone(c.wait_closed(10), "connection left open after 431")
        self.assert_server_still_answers()

    def test_slow_headers_are_cut_off_at_header_timeout(self):
        # Trickle one header byte every 100 ms: each read makes progress, so
        # only a deadline on the whole header block stops this client.
        with self.kith.raw() as c:
            start = time.monotonic()
            c.send("GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: ")
            closed_after = None
            while time.monotonic() - start < 15:
                if not c.try_send("a"):
                    closed_after = time.monotonic() - start
                    break
                leftover = c.wait_closed(0.1)
                if leftover is not None:
                    closed_after = time.monotonic() - start
                    if leftover:
                        self.assertTrue(leftover.startswith(b"HTTP/1.1 408"),
                                        f"only a 408 may precede the close, got {leftover[:200]!r}")
                    break
        self.assertIsNotNone(closed_after, "a client trickling headers was still connected after 15 s "
                                           f"(http.header_timeout is {HEADER_TIMEOUT} s)")
        self.assertGreaterEqual(closed_after, HEADER_TIMEOUT * 0.9)
        self.assertLess(closed_after, HEADER_TIMEOUT + 5)
        self.assert_server_still_answers()

    def test_partial_request_line_is_cut_off_at_header_timeout(self):
        with self.kith.raw() as c:
            start = time.monotonic()
            c.send("GET /heal")
            leftover = c.wait_closed(HEADER_TIMEOUT + 10)
            elapsed = time.monotonic() - start
        self.assertIsNotNone(leftover, "half a request line held the connection open")
        self.assertLess(elapsed, HEADER_TIMEOUT + 5)

    # -- bodies --

    def test_body_within_limit_is_accepted(self):
        # Valid JSON padded with whitespace to just under the 64 KiB cap.
        body = json.dumps(APP_REGISTRATION)
        body = (body[:-1] + " " * (APPS_BODY_LIMIT - len(body) - 100) + "}").encode()
        with self.kith.raw() as c:
            response = c.request("POST", "/api/v1/apps",
                                 {"Content-Type": "application/json"}, body)
        self.assertEqual(response.status, 200, response)
        self.assertIn("client_id", response.json())

    def test_announced_body_over_limit_gets_413_without_reading_it(self):
        # The client declares a large body and sends none, or a little, of
        # it: the answer must come at once, not after the body deadline.
        for declared, sent in [(10_000_000, b""), (10_000_000, b"{" + b" " * 1023),
                               (100_000_000, b""), (APPS_BODY_LIMIT + 1, b"")]:
            with self.subTest(declared=declared, sent=len(sent)), self.kith.raw() as c:
                start = time.monotonic()
                c.send(b"POST /api/v1/apps HTTP/1.1\r\nHost: localhost\r\n"
                       b"Content-Type: application/json\r\n"
                       b"Content-Length: %d\r\n\r\n%s" % (declared, sent))
                try:
                    response = c.read_response(timeout=10)
                except socket.timeout:
                    self.fail("no 413 within 10 s: the server seems to wait for the body")
                elapsed = time.monotonic() - start
                self.assert_json_error(response, 413)
                self.assertEqual(response.header("connection", "").lower(), "close", response)
                self.assertLess(elapsed, 5, "413 came only after a long wait")
                self.assertIsNotNone(c.wait_closed(10), "connection left open after 413")
        self.assert_server_still_answers()

    def test_announced_body_over_limit_with_expect_100_continue_gets_413(self):
        with self.kith.raw() as c:
            c.send("POST /api/v1/apps HTTP/1.1\r\nHost: localhost\r\n"
                   "Content-Type: application/json\r\nContent-Length: 100000000\r\n"
                   "Expect: 100-continue\r\n\r\n")
            response = c.read_response(timeout=10)
        self.assertEqual(response.status, 413, response)

    def test_chunked_body_over_limit_gets_413(self):
        chunk = b"x" * 8192
        with self.kith.raw() as c:
            c.send("POST /api/v1/apps HTTP/1.1\r\nHost: localhost\r\n"
                   "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
            for _ in range(APPS_BODY_LIMIT // len(chunk) + 4):   # 96 KiB in all
                if not c.try_send(b"%x\r\n%s\r\n" % (len(chunk), chunk)):
                    break
            c.try_send(b"0\r\n\r\n")
            try:
                response = c.read_response(timeout=10)
            except harness.ConnectionClosed as e:
                self.fail(f"expected 413, connection closed without a response ({e})")
        self.assert_json_error(response, 413)
        self.assert_server_still_answers()

    def test_chunked_body_within_limit_is_accepted(self):
        body = json.dumps(APP_REGISTRATION).encode()
        with self.kith.raw() as c:
            c.send("POST /api/v1/apps HTTP/1.1\r\nHost: localhost\r\n"
                   "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
            for i in range(0, len(body), 10):
                piece = body[i:i + 10]
                c.send(b"%x\r\n%s\r\n" % (len(piece), piece))
            c.send(b"0\r\n\r\n")
            response = c.read_response()
        self.assertEqual(response.status, 200, response)
        self.assertIn("client_id", response.json())

    def test_form_encoded_app_registration_is_accepted(self):
        body = b"client_name=form+test&redirect_uris=urn%3Aietf%3Awg%3Aoauth%3A2.0%3Aoob&scopes=read"
        with self.kith.raw() as c:
            response = c.request("POST", "/api/v1/apps",
                                 {"Content-Type": "application/x-www-form-urlencoded"}, body)
        self.assertEqual(response.status, 200, response)
        self.assertEqual(response.json().get("name"), "form test")

    # -- keep-alive and error shapes --

    def test_keep_alive_serves_several_requests_on_one_connection(self):
        with self.kith.raw() as c:
            paths = ["/healthz", "/readyz", "/api/v1/instance", "/no-such-path", "/healthz"]
            statuses = []
            for path in paths:
                response = c.request("GET", path)
                statuses.append(response.status)
                self.assertNotEqual(response.header("connection", "").lower(), "close", response)
            c.send(c.request_bytes("POST", "/api/v1/apps", {"Content-Type": "application/json"},
                                   json.dumps(APP_REGISTRATION).encode()))
            statuses.append(c.read_response().status)
            statuses.append(c.request("GET", "/healthz").status)
        self.assertEqual(statuses, [200, 200, 200, 404, 200, 200, 200])

    def test_pipelined_requests_are_answered_in_order(self):
        with self.kith.raw() as c:
            c.send(c.request_bytes("GET", "/healthz") + c.request_bytes("GET", "/nope")
                   + c.request_bytes("GET", "/readyz"))
            statuses = [c.read_response().status for _ in range(3)]
        self.assertEqual(statuses, [200, 404, 200])

    def test_unknown_path_is_json_404(self):
        for path in ["/no-such-path", "/api/v1/no-such-endpoint", "/healthz/extra",
                     "/%2e%2e/etc/passwd"]:
            with self.subTest(path):
                self.assert_json_error(self.kith.get(path), 404)

    def test_wrong_method_is_json_405(self):
        for method, path in [("POST", "/healthz"), ("DELETE", "/api/v1/instance"),
                             ("PUT", "/metrics"), ("GET", "/api/v1/apps")]:
            with self.subTest(f"{method} {path}"):
                self.assert_json_error(self.kith.request(method, path), 405)

    def test_malformed_request_line_gets_400(self):
        for raw in [b"GARBAGE\r\n\r\n", b"GET / HTTP/9.9\r\nHost: localhost\r\n\r\n",
                    b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nBad Header\r\n\r\n"]:
            with self.subTest(raw), self.kith.raw() as c:
                c.send(raw)
                try:
                    response = c.read_response(timeout=10)
                    self.assertGreaterEqual(response.status, 400, response)
                    self.assertLess(response.status, 600, response)
                except harness.ConnectionClosed:
                    pass  # closing on garbage is acceptable too
        self.assert_server_still_answers()

    def test_healthz_and_readyz_answer_json(self):
        for path, body in [("/healthz", {"status": "ok"}), ("/readyz", {"status": "ready"})]:
            with self.subTest(path):
                r = self.kith.get(path)
                self.assertEqual(r.status, 200)
                self.assertTrue(r.header("content-type", "").startswith("application/json"))
                self.assertEqual(r.json(), body)

    def test_instance_reports_user_count(self):
        r = self.kith.get("/api/v1/instance")
        self.assertEqual(r.status, 200, r)
        self.assertTrue(r.header("content-type", "").startswith("application/json"))
        stats = r.json()["stats"]
        self.assertIsInstance(stats["user_count"], int)

    # -- access log --

    def test_access_log_has_one_line_per_request_without_secrets(self):
        marker = f"/access-log-{uuid.uuid4().hex}"
        for _ in range(3):
            r = self.kith.get(f"{marker}?access_token=SECRETVALUE&x=1",
                              headers={"Authorization": "Bearer SECRETVALUE2"})
            self.assertEqual(r.status, 404)
        r = self.kith.get("/healthz?access_token=SECRETVALUE",
                          headers={"Authorization": "Bearer SECRETVALUE2"})
        self.assertEqual(r.status, 200)

        def logged():
            lines = [l for l in self.kith.stderr().splitlines() if marker in l]
            return lines if len(lines) >= 3 else None
        lines = harness.wait_until(logged, 10, message="three access-log lines")
        self.assertEqual(len(lines), 3, lines)
        for line in lines:
            self.assertIn("127.0.0.1", line)
            self.assertIn("GET", line)
            self.assertIn("404", line)
            self.assertNotIn(marker + "?", line, "the query string was logged")
        stderr = self.kith.stderr()
        self.assertNotIn("SECRETVALUE", stderr)
        self.assertNotIn("access_token", stderr)


class ConnectionLimitTest(JsonErrors, unittest.TestCase):
    """A daemon that allows only four connections at once (set through the
    environment, over a larger value in the file)."""
    MAX_CONNECTIONS = 4

    @classmethod
    def setUpClass(cls):
        cls.kith = start_kith(cls, config={"http": {"max_connections": 1000}},
                              env={"KITH_HTTP_MAX_CONNECTIONS": str(cls.MAX_CONNECTIONS)})

    def open_served_connection(self):
        """A connection that got a 200. The daemon may still count a client
        connection that just closed (the readiness probe's, or one of
        ours), so a 503 here is retried briefly."""
        def attempt():
            c = self.kith.raw()
            try:
                if c.request("GET", "/healthz").status == 200:
                    return c
            except harness.ConnectionClosed:
                pass
            c.close()
            return None
        return harness.wait_until(attempt, 10, message="a connection within the limit")

    def test_connections_beyond_max_get_503_while_existing_ones_keep_working(self):
        kith = self.kith
        held = []
        self.addCleanup(lambda: [c.close() for c in held])
        for _ in range(self.MAX_CONNECTIONS):
            held.append(self.open_served_connection())

        # One more: answered 503 with a JSON body, then closed.
        with kith.raw() as extra:
            extra.try_send(extra.request_bytes("GET", "/healthz"))
            try:
                response = extra.read_response(timeout=10)
            except harness.ConnectionClosed as e:
                self.fail(f"expected 503, connection closed without a response ({e})")
            except socket.timeout:
                self.fail("connection beyond http.max_connections was neither answered nor closed")
            self.assert_json_error(response, 503)
            self.assertTrue(response.header("retry-after"), response)
            self.assertEqual(response.header("connection", "").lower(), "close", response)
            self.assertIsNotNone(extra.wait_closed(10), "connection left open after 503")

        for c in held:
            self.assertEqual(c.request("GET", "/healthz").status, 200,
                             "an accepted connection stopped working")

        # Freeing a slot lets a new client in again.
        held.pop().close()

        def metrics_reachable():
            r = kith.get("/metrics", timeout=5)
            return r if r.status == 200 else None
        r = harness.wait_until(metrics_reachable, 10, interval=0.1,
                               message="a new connection after one was freed")
        rejected = harness.metric_value(harness.parse_metrics(r.text()),
                                        "kith_http_rejected_connections_total")
        self.assertIsNotNone(rejected, "kith_http_rejected_connections_total missing")
        self.assertGreaterEqual(rejected, 1)


if __name__ == "__main__":
    unittest.main()
