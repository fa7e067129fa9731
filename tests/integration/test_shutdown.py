"""Graceful shutdown: what SIGTERM (and SIGINT) promise.

On SIGTERM the daemon stops accepting connections (new ones are refused),
lets requests already in flight finish with their normal answer, closes idle
keep-alive connections at once, and exits 0 no later than
http.drain_timeout (set here through KITH_HTTP_DRAIN_TIMEOUT) after the
signal, even if a request is still unfinished then. Each test starts its own
daemon, since each ends one.
"""

import json
import signal
import time
import unittest

import harness

pg = None

APP_REGISTRATION = json.dumps({"client_name": "shutdown test",
                               "redirect_uris": "urn:ietf:wg:oauth:2.0:oob"}).encode()
# Margin for a slow (sanitizer) build on top of the times the daemon promises.
SLACK = 10.0


def setUpModule():
    global pg
    pg = harness.PgCluster()
    unittest.addModuleCleanup(pg.cleanup)


class ShutdownTest(unittest.TestCase):

    def start_kith(self, drain_timeout):
        """A daemon whose http.drain_timeout comes from KITH_HTTP_DRAIN_TIMEOUT
        (the file says 60s, so a test that passes shows the variable won)."""
        kith = harness.Kith(database_url=pg.url(),
                            config={"http": {"drain_timeout": "60s",
                                             "body_timeout": "60s",
                                             "idle_timeout": "60s"}},
                            env={"KITH_HTTP_DRAIN_TIMEOUT": drain_timeout})
        self.addCleanup(kith.cleanup)
        return kith.start()

    def send_half_of_app_registration(self, kith):
        """Opens a connection and sends the headers and first half of a
        POST /api/v1/apps; returns (connection, the rest of the body)."""
        c = kith.raw()
        self.addCleanup(c.close)
        request = c.request_bytes("POST", "/api/v1/apps", {"Content-Type": "application/json"},
                                  APP_REGISTRATION)
        half = len(request) - len(APP_REGISTRATION) // 2
        c.send(request[:half])
        time.sleep(0.5)  # let the server read the headers: the request is now in flight
        return c, request[half:]

    def test_in_flight_request_completes_after_sigterm(self):
        kith = self.start_kith(drain_timeout="20s")
        c, rest = self.send_half_of_app_registration(kith)
        start = time.monotonic()
        kith.signal(signal.SIGTERM)
        time.sleep(1.0)
        self.assertTrue(kith.alive(), "daemon exited with a request in flight")
        c.send(rest)
        response = c.read_response()
        self.assertEqual(response.status, 200, response)
        self.assertIn("client_id", response.json())
        code = kith.wait_exit(20 + SLACK)
        self.assertEqual(code, 0, f"exit code after drain; stderr:\n{kith.stderr_tail()}")
        self.assertLess(time.monotonic() - start, 20 + SLACK)

    def test_new_connections_are_refused_after_sigterm(self):
        kith = self.start_kith(drain_timeout="20s")
        # Keep the daemon draining with an unfinished request.
        c, rest = self.send_half_of_app_registration(kith)
        kith.signal(signal.SIGTERM)

        def refused():
            try:
                with harness.RawConnection(kith.port, timeout=3) as late:
                    late.request("GET", "/healthz", timeout=3)
            except ConnectionRefusedError:
                return True
            return False
        harness.wait_until(refused, 5, interval=0.05,
                           message="new connections to be refused after SIGTERM")
        self.assertTrue(kith.alive(), "daemon exited with a request in flight")
        c.send(rest)
        response = c.read_response()
        self.assertEqual(response.status, 200, response)
        self.assertEqual(response.header("connection", "").lower(), "close", response)
        self.assertEqual(kith.wait_exit(20 + SLACK), 0, f"stderr:\n{kith.stderr_tail()}")

    def test_idle_keep_alive_connections_are_closed_and_do_not_delay_exit(self):
        kith = self.start_kith(drain_timeout="30s")
        idle = []
        for _ in range(3):
            c = kith.raw()
            self.addCleanup(c.close)
            self.assertEqual(c.request("GET", "/healthz").status, 200)
            idle.append(c)
        start = time.monotonic()
        kith.signal(signal.SIGTERM)
        for c in idle:
            leftover = c.wait_closed(SLACK)
            self.assertEqual(leftover, b"", "idle keep-alive connection not closed cleanly")
        self.assertLess(time.monotonic() - start, 5, "idle connections were not closed promptly")
        code = kith.wait_exit(SLACK + 5)
        self.assertEqual(code, 0, f"stderr:\n{kith.stderr_tail()}")
        self.assertLess(time.monotonic() - start, 10,
                        "idle connections made the daemon wait for the 30 s drain timeout")

    def test_request_unfinished_at_drain_deadline_does_not_prevent_exit_0(self):
        kith = self.start_kith(drain_timeout="2s")
        c, _ = self.send_half_of_app_registration(kith)
        start = time.monotonic()
        kith.signal(signal.SIGTERM)
        code = kith.wait_exit(2 + SLACK)
        elapsed = time.monotonic() - start
        self.assertIsNotNone(code, "still running long after http.drain_timeout (2 s)")
        self.assertEqual(code, 0, f"stderr:\n{kith.stderr_tail()}")
        self.assertGreaterEqual(elapsed, 1.5, "the in-flight request was not given the drain time")
        self.assertLess(elapsed, 2 + 5, "exit came long after the drain deadline")
        self.assertIn("drain deadline passed with 1 connection(s) still open", kith.stderr())
        self.assertIsNotNone(c.wait_closed(5), "the unfinished connection was not closed")

    def test_sigterm_on_idle_daemon_exits_0_promptly(self):
        kith = self.start_kith(drain_timeout="30s")
        self.assertEqual(kith.get("/healthz").status, 200)
        start = time.monotonic()
        self.assertEqual(kith.sigterm(SLACK + 5), 0, f"stderr:\n{kith.stderr_tail()}")
        self.assertLess(time.monotonic() - start, 10)
        self.assertIn("stopped", kith.stderr_tail(3))

    def test_sigint_drains_like_sigterm(self):
        kith = self.start_kith(drain_timeout="20s")
        c, rest = self.send_half_of_app_registration(kith)
        kith.signal(signal.SIGINT)
        time.sleep(0.5)
        c.send(rest)
        self.assertEqual(c.read_response().status, 200)
        self.assertEqual(kith.wait_exit(20 + SLACK), 0, f"stderr:\n{kith.stderr_tail()}")


if __name__ == "__main__":
    unittest.main()
