"""docs/API.md is true: its coverage table lists every Mastodon endpoint
family, and each row's status agrees with the daemon's real router (the
route table the daemon logs at debug level when it starts):

* every client API route kith registers (under /api/ and /oauth/, and the
  RFC 8414 document) has a row marked implemented or partial;
* every row marked implemented or partial is registered;
* no row marked "not" is registered.
"""

import os
import re
import unittest

import harness

DOC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "docs", "API.md")
ROW = re.compile(r"^\|\s*`(GET|POST|PUT|PATCH|DELETE) (/[^`]*)`\s*\|\s*(implemented|partial|not)\s*\|")
ROUTE = re.compile(r"route (GET|POST|PUT|PATCH|DELETE) (\S+)")
# Mastodon's endpoint families (docs.joinmastodon.org/methods/), each a
# "### <family>" heading of the table.
FAMILIES = {
    "apps", "oauth", "emails", "accounts", "profile", "bookmarks", "favourites", "mutes", "blocks",
    "domain_blocks", "filters", "reports", "follow_requests", "endorsements", "featured_tags",
    "followed_tags", "preferences", "suggestions", "tags", "statuses", "media", "polls",
    "scheduled_statuses", "timelines", "conversations", "lists", "markers", "streaming",
    "notifications", "grouped_notifications", "push", "search", "instance", "trends",
    "directory", "custom_emojis", "announcements", "oembed", "health", "admin",
}


def client_api(pattern):
    return (pattern.startswith("/api/") or pattern.startswith("/oauth/")
            or pattern == "/.well-known/oauth-authorization-server")


def read_table():
    rows, families = {}, set()
    with open(DOC, encoding="utf-8") as f:
        for line in f:
            if line.startswith("### "):
                families.add(line[4:].strip())
            m = ROW.match(line)
            if m:
                key = (m.group(1), m.group(2))
                if key in rows:
                    raise AssertionError(f"docs/API.md lists {key} twice")
                rows[key] = m.group(3)
    return rows, families


class ApiCoverageTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pg = harness.PgCluster()
        cls.addClassCleanup(cls.pg.cleanup)
        cls.pg.createdb("coverage")
        cls.kith = harness.Kith(database_url=cls.pg.url("coverage"), config={"log_level": "debug"})
        cls.addClassCleanup(cls.kith.cleanup)
        cls.kith.start()
        cls.routes = {(m, p) for m, p in ROUTE.findall(cls.kith.stderr()) if client_api(p)}
        cls.rows, cls.families = read_table()

    def test_the_router_was_read(self):
        self.assertIn(("GET", "/api/v1/instance"), self.routes)
        self.assertGreater(len(self.routes), 50)

    def test_every_family_has_a_section(self):
        self.assertEqual(FAMILIES - self.families, set())

    def test_every_registered_route_is_in_the_table(self):
        missing = sorted(r for r in self.routes if r not in self.rows)
        self.assertEqual(missing, [], "routes without a row in docs/API.md")
        marked_not = sorted(r for r in self.routes if self.rows.get(r) == "not")
        self.assertEqual(marked_not, [], "registered routes marked 'not'")

    def test_every_implemented_row_is_registered(self):
        absent = sorted(r for r, status in self.rows.items()
                        if status in ("implemented", "partial") and r not in self.routes)
        self.assertEqual(absent, [], "rows of docs/API.md that the router does not have")


if __name__ == "__main__":
    unittest.main()
