"""The conventions every Mastodon client depends on, across the whole client
API: the instance documents (v1 and v2, with and without a trailing slash,
a Mastodon version >= 4 first), JSON content types on every answer errors
included, millisecond timestamps, the X-RateLimit headers (all three or
none) and 429 past the limit, per IP for anonymous callers and per account
(not per token) for signed-in ones, and a JSON 404 for endpoints kith does
not have.
"""

import re
import unittest

import harness

PASSWORD = "correct horse battery staple"
LIMIT = 12  # requests per 5 minutes, small for the test
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def setUpModule():
    global pg
    pg = harness.PgCluster()
    unittest.addModuleCleanup(pg.cleanup)


class ApiConventionsTest(unittest.TestCase):
    CONFIG = None  # the harness's defaults

    @classmethod
    def setUpClass(cls):
        db = cls.__name__.lower()
        pg.createdb(db)
        cls.kith = harness.Kith(database_url=pg.url(db), config=cls.CONFIG)
        cls.addClassCleanup(cls.kith.cleanup)
        cls.kith.start()
        created = cls.kith.run("user", "add", "alice", "--email", "alice@example.com",
                               input=PASSWORD + "\n")
        assert created.returncode == 0, created.stderr
        cls.app = cls.kith.post("/api/v1/apps", {
            "client_name": "conventions", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob",
            "scopes": "read write follow push"}).json()

    def token(self):
        r = self.kith.post("/oauth/token", {
            "grant_type": "password", "client_id": self.app["client_id"],
            "client_secret": self.app["client_secret"], "username": "alice@example.com",
            "password": PASSWORD, "scope": "read write follow push"})
        self.assertEqual(r.status, 200, r.text())
        return r.json()["access_token"]

    def assert_json(self, r, what):
        self.assertTrue(r.header("content-type", "").startswith("application/json"),
                        f"{what}: Content-Type {r.header('content-type')}")

    def assert_rate_headers(self, r, what):
        names = ("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset")
        present = [n for n in names if r.header(n) is not None]
        self.assertEqual(present, list(names), f"{what}: all three X-RateLimit headers")
        self.assertRegex(r.header("x-ratelimit-reset"), TIMESTAMP)

    def test_instance_documents(self):
        for path in ("/api/v1/instance", "/api/v1/instance/"):
            r = self.kith.get(path)
            self.assertEqual(r.status, 200, path)
            self.assert_json(r, path)
            v1 = r.json()
            self.assertRegex(v1["version"], r"^4\.\d+\.\d+ \(compatible; kith ")
            self.assertTrue(v1["urls"]["streaming_api"].startswith("wss://"))
            self.assertIn("max_characters", v1["configuration"]["statuses"])
        r = self.kith.get("/api/v2/instance/")
        self.assertEqual(r.status, 200)
        v2 = r.json()
        self.assertRegex(v2["version"], r"^4\.\d+\.\d+ \(compatible; kith ")
        self.assertEqual(v2["domain"], self.kith.config["host"])
        self.assertTrue(v2["configuration"]["urls"]["streaming"].startswith("wss://"))
        for key in ("statuses", "media_attachments", "polls", "accounts", "vapid", "translation"):
            self.assertIn(key, v2["configuration"])
        self.assertIn("image/png", v2["configuration"]["media_attachments"]["supported_mime_types"])
        self.assertEqual(v2["api_versions"]["mastodon"], 2)
        self.assertIsInstance(v2["registrations"]["enabled"], bool)
        self.assertIsInstance(v2["usage"]["users"]["active_month"], int)
        nodeinfo = self.kith.get("/nodeinfo/2.0").json()
        self.assertIsInstance(nodeinfo["metadata"], dict)

    def test_unknown_endpoints_answer_json(self):
        for method, path in (("GET", "/api/v1/no_such_thing"), ("POST", "/api/v1/instance"),
                             ("GET", "/api/v9/instance")):
            r = self.kith.request(method, path)
            self.assertIn(r.status, (404, 405), path)
            self.assert_json(r, path)
            self.assertIn("error", r.json())

    def test_timestamps_have_milliseconds(self):
        token = self.token()
        me = self.kith.get("/api/v1/accounts/verify_credentials",
                           headers={"Authorization": f"Bearer {token}"}).json()
        self.assertRegex(me["created_at"], TIMESTAMP)
        status = self.kith.post("/api/v1/statuses", {"status": "timestamps"},
                                headers={"Authorization": f"Bearer {token}"}).json()
        self.assertRegex(status["created_at"], TIMESTAMP)
        self.assertNotIn("scheduled_at", status)



class RateLimitTest(ApiConventionsTest):
    """A daemon of its own, with small limits."""
    CONFIG = {"api": {"rate_limit.authenticated": LIMIT, "rate_limit.anonymous": LIMIT}}

    # The conventions are checked once, above.
    test_instance_documents = None
    test_unknown_endpoints_answer_json = None
    test_timestamps_have_milliseconds = None

    def test_rate_limit_per_ip_for_anonymous_callers(self):
        # Every request here comes from 127.0.0.1 (http.trust_proxy is off,
        # so the peer address counts).
        first = self.kith.get("/api/v1/timelines/public")
        self.assertEqual(first.status, 200)
        self.assert_rate_headers(first, "anonymous")
        left = int(first.header("x-ratelimit-remaining"))
        self.assertEqual(int(first.header("x-ratelimit-limit")), LIMIT)
        for _ in range(left):
            self.assertEqual(self.kith.get("/api/v1/timelines/public").status, 200)
        refused = self.kith.get("/api/v1/timelines/public")
        self.assertEqual(refused.status, 429)
        self.assert_json(refused, "429")
        self.assertIn("error", refused.json())
        self.assert_rate_headers(refused, "429")
        self.assertEqual(refused.header("x-ratelimit-remaining"), "0")
        self.assertGreaterEqual(int(refused.header("retry-after")), 1)

    def test_rate_limit_per_account_across_tokens(self):
        tokens = [self.token() for _ in range(2)]
        used = 0
        for i in range(LIMIT + 3):
            r = self.kith.get("/api/v1/accounts/verify_credentials",
                              headers={"Authorization": f"Bearer {tokens[i % 2]}"})
            if r.status == 429:
                break
            self.assertEqual(r.status, 200)
            self.assert_rate_headers(r, "signed in")
            used += 1
        # Each token's first request may count against the token itself
        # before its account is known; after that, both count as alice.
        self.assertLessEqual(used, LIMIT + 2)
        self.assertEqual(r.status, 429, "two tokens of one account share its limit")


if __name__ == "__main__":
    unittest.main()
