"""What the client API shows, against the real daemon, on the fixture of
test_client_api (one daemon, bob on a small HTTPS actor server): counts
that leave out replies and boosts nobody else may see, blocks that hide
statuses and refuse favourites, boosts and replies, concurrent
favourite/boost/follow requests that all succeed once, search by id before
URL, the thread of a status with thousands of replies, Link headers that
keep a timeline's filters, and remote media and polls.

A class of its own, so that it runs beside test_client_api's steps without
editing them; it reuses that module's fixture and helpers (only the tests
written here run: load_tests).

FIXTURE SETUP (psql): bob's statuses, blocks, media and polls are inserted
as rows, as in test_client_api: they would come through the inbox, which
test_federation and test_inbox drive.
"""

import threading
import time
import unittest
import urllib.parse

import test_client_api as base


def setUpModule():
    base.setUpModule()


def psql(sql):
    return base.pg.psql(sql, dbname="api")


class ClientViewsTest(base.ClientApiTest):

    def bob_status(self, key, content="<p>from bob</p>", visibility="public", extra=None):
        """FIXTURE: a status of bob's (it would come through the inbox); its id."""
        bob = self.bob()
        uri = f"{self.remote.actor_id}/statuses/{key}"
        columns = {"account_id": bob["id"], "uri": f"'{uri}'",
                   "url": f"'{self.remote.origin}/@bob/{key}'", "content": f"'{content}'",
                   "visibility": f"'{visibility}'"}
        columns.update(extra or {})
        return psql(f"INSERT INTO statuses ({', '.join(columns)}) VALUES "
                    f"({', '.join(str(v) for v in columns.values())}) RETURNING id"
                    ).strip().splitlines()[0]

    def test_08_counts_leave_out_private_replies_and_boosts(self):
        post = self.api("alice", "POST", "/api/v1/statuses", {"status": "count my replies"})
        self.api("carol", "POST", "/api/v1/statuses", {
            "status": "@alice psst", "visibility": "private", "in_reply_to_id": post["id"]})
        self.api("carol", "POST", "/api/v1/statuses", {
            "status": "@alice secret", "visibility": "direct", "in_reply_to_id": post["id"]})
        # FIXTURE: a followers-only boost row (as a remote server may send).
        bob = self.bob()
        psql(f"INSERT INTO statuses (account_id, uri, reblog_of_id, visibility, content) "
             f"VALUES ({bob['id']}, '{self.remote.actor_id}/statuses/boost-8', {post['id']}, "
             f"'private', '')")
        for viewer in (None, "alice", "dan"):
            seen = self.api(viewer, "GET", f"/api/v1/statuses/{post['id']}")
            self.assertEqual((seen["replies_count"], seen["reblogs_count"]), (0, 0), viewer)
        self.api("dan", "POST", "/api/v1/statuses", {
            "status": "@alice open", "in_reply_to_id": post["id"]})
        self.api("dan", "POST", f"/api/v1/statuses/{post['id']}/reblog")
        seen = self.api(None, "GET", f"/api/v1/statuses/{post['id']}")
        self.assertEqual((seen["replies_count"], seen["reblogs_count"]), (1, 1))


def load_tests(loader, tests, pattern):
    """Only this class's own tests (not those it inherits)."""
    suite = unittest.TestSuite()
    for name in sorted(vars(ClientViewsTest)):
        if name.startswith("test_"):
            suite.addTest(ClientViewsTest(name))
    return suite
