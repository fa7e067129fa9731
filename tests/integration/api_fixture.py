"""A small client API fixture for the test files that need only local
users: one throwaway PostgreSQL, one daemon per test class, users made with
`kith user add`, an app and password-grant tokens, and `api()`, which checks
the status and the JSON content type of every answer.

Used by test_lists.py and test_filters.py (not a test file itself).
"""

import re
import unittest

import harness

PASSWORD = "correct horse battery staple"
TIME_FORMAT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


class LocalApiTest(unittest.TestCase):
    """One daemon on a fresh database with the local users in USERS."""

    USERS = ("alice", "bob", "carol")

    @classmethod
    def setUpClass(cls):
        cls.pg = harness.PgCluster()
        cls.addClassCleanup(cls.pg.cleanup)
        cls.pg.createdb("api")
        cls.kith = harness.Kith(database_url=cls.pg.url("api"))
        cls.addClassCleanup(cls.kith.cleanup)
        cls.kith.start()
        for name in cls.USERS:
            created = cls.kith.run("user", "add", name, "--email", f"{name}@example.com",
                                   input=PASSWORD + "\n")
            if created.returncode != 0:
                raise AssertionError(f"kith user add {name}: {created.stderr}")
        cls.host = cls.kith.config["host"]
        app = cls.kith.post("/api/v1/apps", {
            "client_name": "kith fixture", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob",
            "scopes": "read write follow push"})
        assert app.status == 200, app
        cls.app = app.json()
        cls.tokens = {}
        for name in cls.USERS:
            r = cls.kith.post("/oauth/token", {
                "grant_type": "password", "client_id": cls.app["client_id"],
                "client_secret": cls.app["client_secret"], "username": name,
                "password": PASSWORD, "scope": "read write follow push"})
            assert r.status == 200, (r, r.text())
            cls.tokens[name] = r.json()["access_token"]
        cls.ids = {}

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
