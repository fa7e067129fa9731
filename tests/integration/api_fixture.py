"""A small client API fixture for the test files that need only local
users: one throwaway PostgreSQL, one daemon per test class, users made with
`kith user add`, an app and password-grant tokens, and `api()`, which checks
the status and the JSON content type of every answer.

Used by test_lists.py, test_filters.py and the moderation tests (not a test
file itself). A class may name ADMINS among its USERS, the SCOPES its tokens
get, and CONFIG for the daemon.
"""

import re
import unittest

import harness

PASSWORD = "correct horse battery staple"
TIME_FORMAT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


class LocalApiTest(unittest.TestCase):
    """One daemon on a fresh database with the local users in USERS."""

    USERS = ("alice", "bob", "carol")
    ADMINS = ()  # those of USERS made with `kith user add --admin`
    SCOPES = "read write follow push"
    CONFIG = None  # extra daemon configuration

    @classmethod
    def setUpClass(cls):
        cls.pg = harness.PgCluster()
        cls.addClassCleanup(cls.pg.cleanup)
        cls.pg.createdb("api")
        cls.kith = harness.Kith(database_url=cls.pg.url("api"), config=cls.CONFIG)
        cls.addClassCleanup(cls.kith.cleanup)
        cls.kith.start()
        for name in cls.USERS:
            args = ["user", "add", name, "--email", f"{name}@example.com"]
            if name in cls.ADMINS:
                args.append("--admin")
            created = cls.kith.run(*args, input=PASSWORD + "\n")
            if created.returncode != 0:
                raise AssertionError(f"kith user add {name}: {created.stderr}")
        cls.host = cls.kith.config["host"]
        app = cls.kith.post("/api/v1/apps", {
            "client_name": "kith fixture", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob",
            "scopes": cls.SCOPES})
        assert app.status == 200, app
        cls.app = app.json()
        cls.tokens = {name: cls.token(name, cls.SCOPES) for name in cls.USERS}
        cls.ids = {}

    @classmethod
    def token(cls, name, scope):
        """A password-grant token of `name` with `scope`."""
        r = cls.kith.post("/oauth/token", {
            "grant_type": "password", "client_id": cls.app["client_id"],
            "client_secret": cls.app["client_secret"], "username": name,
            "password": PASSWORD, "scope": scope})
        assert r.status == 200, (r, r.text())
        return r.json()["access_token"]

    def psql(self, sql):
        return self.pg.psql(sql, dbname="api")

    def request(self, user, method, path, body=None, headers=None):
        headers = dict(headers or {})
        if user:
            headers["Authorization"] = f"Bearer {self.tokens.get(user, user)}"
        return self.kith.request(method, path, body=body, headers=headers)

    def api(self, user, method, path, body=None, expect=200, headers=None):
        r = self.request(user, method, path, body, headers)
        self.assertTrue(r.header("content-type", "").startswith("application/json"),
                        f"{method} {path}: Content-Type {r.header('content-type')}")
        self.assertEqual(r.status, expect, f"{method} {path}: {r.text()}")
        body = r.json()
        if expect >= 400:
            self.assertIsInstance(body.get("error"), str, body)
        return body

    def id_of(self, user):
        if user not in self.ids:
            self.ids[user] = self.api(user, "GET", "/api/v1/accounts/verify_credentials")["id"]
        return self.ids[user]

    def post(self, user, text, **extra):
        return self.api(user, "POST", "/api/v1/statuses", {"status": text, **extra})

    def follow(self, user, target):
        self.api(user, "POST", f"/api/v1/accounts/{self.id_of(target)}/follow")

    def ids_in(self, user, path):
        return [s["id"] for s in self.api(user, "GET", path)]


def gauge(kith, name, **labels):
    """The value of one sample of /metrics, or None."""
    _, samples = kith.metrics()
    for sample_name, sample_labels, value in samples:
        if sample_name == name and all(sample_labels.get(k) == v for k, v in labels.items()):
            return value
    return None
