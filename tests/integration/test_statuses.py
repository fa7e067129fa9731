"""Statuses in the client API beyond posting, against the real daemon and a
throwaway PostgreSQL: edits with their history and source, scheduled
statuses (posted by the worker once due), bookmarks and favourites lists
with Link headers, pins and their limit, thread mutes, favourited_by and
reblogged_by, several statuses by id, the thread (context) of a status, and
the refusals (404, 422, 403, each with a JSON error).

One daemon for the whole class, three local users (alice, carol, dan);
nothing federates (no remote server is needed).

FIXTURE SETUP (psql): a scheduled status is made due by moving its
scheduled_at and its job's run_at into the past, instead of waiting the
five minutes Mastodon's rule requires.
"""

import datetime
import re
import time
import unittest
import urllib.parse

import harness

pg = None

TIME_FORMAT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
PASSWORD = "correct horse battery staple"
USERS = ("alice", "carol", "dan")

STATUS_EDIT_FIELDS = {"content", "spoiler_text", "sensitive", "created_at", "account", "poll",
                      "media_attachments", "emojis"}
SCHEDULED_PARAMS = {"text", "poll", "media_ids", "sensitive", "spoiler_text", "visibility",
                    "idempotency", "scheduled_at", "in_reply_to_id", "language",
                    "application_id", "with_rate_limit"}


def setUpModule():
    global pg
    pg = harness.PgCluster()
    unittest.addModuleCleanup(pg.cleanup)


def later(minutes):
    moment = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(minutes=minutes)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


class StatusesTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        pg.createdb("statuses")
        cls.kith = harness.Kith(database_url=pg.url("statuses"))
        cls.addClassCleanup(cls.kith.cleanup)
        cls.kith.start()
        for name in USERS:
            created = cls.kith.run("user", "add", name, "--email", f"{name}@example.com",
                                   input=PASSWORD + "\n")
            if created.returncode != 0:
                raise AssertionError(f"kith user add {name}: {created.stderr}")
        cls.host = cls.kith.config["host"]
        app = cls.kith.post("/api/v1/apps", {
            "client_name": "kith statuses test", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob",
            "scopes": "read write follow push"})
        assert app.status == 200, app
        cls.app = app.json()
        cls.tokens = {name: cls.token(name) for name in USERS}
        cls.ids = {name: cls.kith.request(
            "GET", "/api/v1/accounts/verify_credentials",
            headers={"Authorization": f"Bearer {cls.tokens[name]}"}).json()["id"]
            for name in USERS}

    @classmethod
    def token(cls, login, scope="read write follow push"):
        r = cls.kith.post("/oauth/token", {
            "grant_type": "password", "client_id": cls.app["client_id"],
            "client_secret": cls.app["client_secret"], "username": login, "password": PASSWORD,
            "scope": scope})
        assert r.status == 200, (r, r.text())
        return r.json()["access_token"]

    def call(self, user, method, path, body=None, expect=200):
        headers = {}
        if user:
            headers["Authorization"] = f"Bearer {self.tokens.get(user, user)}"
        r = self.kith.request(method, path, body=body, headers=headers)
        self.assertTrue(r.header("content-type", "").startswith("application/json"),
                        f"{method} {path}: Content-Type {r.header('content-type')}")
        self.assertEqual(r.status, expect, f"{method} {path}: {r.text()}")
        if expect >= 400:
            self.assertIsInstance(r.json().get("error"), str, r.text())
        return r

    def api(self, user, method, path, body=None, expect=200):
        return self.call(user, method, path, body, expect).json()

    def post(self, user, text, **extra):
        return self.api(user, "POST", "/api/v1/statuses", {"status": text, **extra})

    def psql(self, sql):
        return pg.psql(sql, dbname="statuses")

    def next_link(self, response):
        link = response.header("link")
        self.assertIsNotNone(link)
        self.assertRegex(link, r'^<[^>]+>; rel="next", <[^>]+>; rel="prev"$')
        url = link.split(">")[0][1:]
        self.assertTrue(url.startswith(f"https://{self.host}/"), url)
        return url[len(f"https://{self.host}"):]

    # -- edits --

    def test_01_edit_history_and_source(self):
        post = self.post("alice", "first version #one", spoiler_text="cw")
        once = self.api(None, "GET", f"/api/v1/statuses/{post['id']}/history")
        self.assertEqual(len(once), 1)  # never edited: the current version alone
        self.assertEqual(once[0]["created_at"], post["created_at"])
        self.api("carol", "POST", f"/api/v1/statuses/{post['id']}/reblog")
        edited = self.api("alice", "PUT", f"/api/v1/statuses/{post['id']}",
                          {"status": "second version #two", "spoiler_text": ""})
        self.assertRegex(edited["edited_at"], TIME_FORMAT)
        self.assertEqual([t["name"] for t in edited["tags"]], ["two"])
        self.assertIn("second version", edited["content"])
        history = self.api(None, "GET", f"/api/v1/statuses/{post['id']}/history")
        self.assertEqual(len(history), 2)
        for version in history:
            self.assertEqual(set(version), STATUS_EDIT_FIELDS)
            self.assertRegex(version["created_at"], TIME_FORMAT)
            self.assertEqual(version["account"]["id"], self.ids["alice"])
            self.assertIsNone(version["poll"])
        self.assertIn("first version", history[0]["content"])
        self.assertEqual(history[0]["spoiler_text"], "cw")
        self.assertTrue(history[0]["sensitive"])
        self.assertEqual(history[0]["created_at"], post["created_at"])
        self.assertIn("second version", history[1]["content"])
        self.assertEqual(history[1]["created_at"], edited["edited_at"])
        source = self.api("alice", "GET", f"/api/v1/statuses/{post['id']}/source")
        self.assertEqual(source, {"id": post["id"], "text": "second version #two",
                                  "spoiler_text": ""})
        self.api("carol", "GET", f"/api/v1/statuses/{post['id']}/source", expect=404)
        self.api(None, "GET", f"/api/v1/statuses/{post['id']}/source", expect=401)
        # Those who boosted it hear of the edit, once per edit.
        self.api("alice", "PUT", f"/api/v1/statuses/{post['id']}", {"status": "third"})
        self.assertEqual(len(self.api(None, "GET", f"/api/v1/statuses/{post['id']}/history")), 3)
        updates = self.psql(f"SELECT count(*) FROM notifications WHERE type = 'update' AND "
                            f"account_id = {self.ids['carol']} AND status_id = {post['id']}")
        self.assertEqual(updates.strip(), "1")
        # Not one's own, not a private one to a stranger.
        self.api("carol", "PUT", f"/api/v1/statuses/{post['id']}", {"status": "mine"},
                 expect=404)
        private = self.post("alice", "followers only", visibility="private")
        self.api(None, "GET", f"/api/v1/statuses/{private['id']}/history", expect=404)
        self.api("alice", "GET", f"/api/v1/statuses/{private['id']}/history")

    # -- scheduled statuses --

    def test_02_scheduled_statuses(self):
        self.api("alice", "POST", "/api/v1/statuses",
                 {"status": "too soon", "scheduled_at": later(2)}, expect=422)
        self.api("alice", "POST", "/api/v1/statuses",
                 {"status": "not a date", "scheduled_at": "tomorrow"}, expect=422)
        self.api("alice", "POST", "/api/v1/statuses",
                 {"status": "", "scheduled_at": later(10)}, expect=422)
        parent = self.post("carol", "ask me later")
        scheduled = self.api("alice", "POST", "/api/v1/statuses", {
            "status": "from the past #later", "scheduled_at": later(10), "visibility": "unlisted",
            "in_reply_to_id": parent["id"], "spoiler_text": "time"})
        self.assertEqual(set(scheduled), {"id", "scheduled_at", "params", "media_attachments"})
        self.assertRegex(scheduled["scheduled_at"], TIME_FORMAT)
        self.assertTrue(SCHEDULED_PARAMS <= set(scheduled["params"]))
        params = scheduled["params"]
        self.assertEqual((params["text"], params["visibility"], params["in_reply_to_id"],
                          params["spoiler_text"], params["scheduled_at"]),
                         ("from the past #later", "unlisted", parent["id"], "time", None))
        self.assertEqual(scheduled["media_attachments"], [])
        other = self.kith.request("POST", "/api/v1/statuses",
                                  {"status": "never posted", "scheduled_at": later(30)},
                                  headers={"Authorization": f"Bearer {self.tokens['alice']}",
                                           "Idempotency-Key": "sched-1"}).json()
        self.assertEqual(other["params"]["idempotency"], "sched-1")
        listed = self.call("alice", "GET", "/api/v1/scheduled_statuses?limit=1")
        self.assertEqual([s["id"] for s in listed.json()], [other["id"]])
        rest = self.api("alice", "GET", self.next_link(listed))
        self.assertEqual([s["id"] for s in rest], [scheduled["id"]])
        self.assertEqual(self.api("carol", "GET", "/api/v1/scheduled_statuses"), [])
        self.api("carol", "GET", f"/api/v1/scheduled_statuses/{scheduled['id']}", expect=404)
        moved = self.api("alice", "PUT", f"/api/v1/scheduled_statuses/{scheduled['id']}",
                         {"scheduled_at": later(20)})
        self.assertGreater(moved["scheduled_at"], scheduled["scheduled_at"])
        self.api("alice", "PUT", f"/api/v1/scheduled_statuses/{scheduled['id']}",
                 {"scheduled_at": later(1)}, expect=422)
        self.assertEqual(self.api("alice", "DELETE",
                                  f"/api/v1/scheduled_statuses/{other['id']}"), {})
        self.api("alice", "GET", f"/api/v1/scheduled_statuses/{other['id']}", expect=404)
        self.api("alice", "DELETE", f"/api/v1/scheduled_statuses/{other['id']}", expect=404)
        # FIXTURE: make it due now.
        self.psql(f"UPDATE scheduled_statuses SET scheduled_at = now() - interval '1 second' "
                  f"WHERE id = {scheduled['id']}; UPDATE jobs SET run_at = now() "
                  f"WHERE queue = 'scheduled_status' AND dedupe_key = "
                  f"'scheduled_status:{scheduled['id']}'")

        def posted():
            mine = self.api("alice", "GET", f"/api/v1/accounts/{self.ids['alice']}/statuses")
            return [s for s in mine if "from the past" in s["content"]]
        harness.wait_until(lambda: posted(), 15, message="the scheduled status to be posted")
        status = posted()[0]
        self.assertEqual((status["visibility"], status["in_reply_to_id"], status["spoiler_text"]),
                         ("unlisted", parent["id"], "time"))
        self.assertEqual([t["name"] for t in status["tags"]], ["later"])
        self.assertNotIn("scheduled_at", status)
        self.assertEqual(self.api("alice", "GET", "/api/v1/scheduled_statuses"), [])
        self.assertEqual(self.psql(f"SELECT state FROM jobs WHERE dedupe_key = "
                                   f"'scheduled_status:{scheduled['id']}'").strip(), "done")

    # -- bookmarks, favourites --

    def test_03_bookmarks_and_favourites(self):
        posts = [self.post("carol", f"keep {i}") for i in range(3)]
        for post in posts:
            marked = self.api("alice", "POST", f"/api/v1/statuses/{post['id']}/bookmark")
            self.assertTrue(marked["bookmarked"])
            self.api("alice", "POST", f"/api/v1/statuses/{post['id']}/favourite")
        self.assertFalse(self.api("carol", "GET", f"/api/v1/statuses/{posts[0]['id']}")
                         ["bookmarked"])
        for path in ("/api/v1/bookmarks", "/api/v1/favourites"):
            first = self.call("alice", "GET", path + "?limit=2")
            self.assertEqual([s["id"] for s in first.json()], [posts[2]["id"], posts[1]["id"]])
            rest = self.api("alice", "GET", self.next_link(first))
            self.assertEqual([s["id"] for s in rest], [posts[0]["id"]])
        again = self.api("alice", "POST", f"/api/v1/statuses/{posts[1]['id']}/bookmark")
        self.assertTrue(again["bookmarked"])  # twice is once
        unmarked = self.api("alice", "POST", f"/api/v1/statuses/{posts[1]['id']}/unbookmark")
        self.assertFalse(unmarked["bookmarked"])
        self.assertEqual([s["id"] for s in self.api("alice", "GET", "/api/v1/bookmarks")],
                         [posts[2]["id"], posts[0]["id"]])
        # A status that is gone leaves the list.
        self.api("carol", "DELETE", f"/api/v1/statuses/{posts[2]['id']}")
        self.assertEqual([s["id"] for s in self.api("alice", "GET", "/api/v1/bookmarks")],
                         [posts[0]["id"]])
        # Scopes: read:bookmarks is needed, and a token is.
        narrow = self.token("alice", "read:statuses write:bookmarks")
        self.api(narrow, "GET", "/api/v1/bookmarks", expect=403)
        self.api(None, "GET", "/api/v1/bookmarks", expect=401)
        self.api("alice", "POST", "/api/v1/statuses/99999999/bookmark", expect=404)

    # -- pins --

    def test_04_pins(self):
        mine = [self.post("dan", f"pin {i}") for i in range(5)]
        for post in mine:
            self.assertTrue(self.api("dan", "POST", f"/api/v1/statuses/{post['id']}/pin")
                            ["pinned"])
        sixth = self.post("dan", "one too many")
        self.assertFalse(self.api("dan", "GET", f"/api/v1/statuses/{sixth['id']}")["pinned"])
        self.api("dan", "POST", f"/api/v1/statuses/{sixth['id']}/pin", expect=422)
        self.assertTrue(self.api("dan", "POST", f"/api/v1/statuses/{mine[0]['id']}/pin")
                        ["pinned"])  # already pinned: fine
        # Others see no `pinned`, and cannot pin someone else's status.
        self.assertNotIn("pinned", self.api("carol", "GET", f"/api/v1/statuses/{mine[0]['id']}"))
        self.assertNotIn("pinned", self.api(None, "GET", f"/api/v1/statuses/{mine[0]['id']}"))
        self.api("carol", "POST", f"/api/v1/statuses/{mine[0]['id']}/pin", expect=422)
        self.assertFalse(self.api("dan", "POST", f"/api/v1/statuses/{mine[4]['id']}/unpin")
                         ["pinned"])
        self.assertTrue(self.api("dan", "POST", f"/api/v1/statuses/{sixth['id']}/pin")["pinned"])
        # Not a boost, not a direct status.
        boost = self.api("dan", "POST", f"/api/v1/statuses/{self.post('carol', 'b')['id']}/reblog")
        self.api("dan", "POST", f"/api/v1/statuses/{boost['id']}/pin", expect=422)
        direct = self.post("dan", "@carol secret", visibility="direct")
        self.assertNotIn("pinned", direct)
        self.api("dan", "POST", f"/api/v1/statuses/{direct['id']}/unpin")
        self.api("dan", "POST", f"/api/v1/statuses/{direct['id']}/pin", expect=422)
        self.assertEqual(self.psql(f"SELECT count(*) FROM status_pins WHERE account_id = "
                                   f"{self.ids['dan']}").strip(), "5")
        # Deleting a pinned status frees its place.
        self.api("dan", "DELETE", f"/api/v1/statuses/{mine[0]['id']}")
        self.assertTrue(self.api("dan", "POST", f"/api/v1/statuses/{mine[4]['id']}/pin")
                        ["pinned"])

    # -- thread mutes --

    def test_05_thread_mute(self):
        root = self.post("alice", "a thread")
        reply = self.post("carol", "@alice a reply", in_reply_to_id=root["id"])
        deeper = self.post("dan", "@carol deeper", in_reply_to_id=reply["id"])
        muted = self.api("alice", "POST", f"/api/v1/statuses/{reply['id']}/mute")
        self.assertTrue(muted["muted"])
        for status in (root, reply, deeper):
            self.assertTrue(self.api("alice", "GET", f"/api/v1/statuses/{status['id']}")["muted"])
            self.assertFalse(self.api("carol", "GET", f"/api/v1/statuses/{status['id']}")
                             ["muted"])
        self.assertEqual(self.psql(f"SELECT root_status_id FROM thread_mutes WHERE account_id = "
                                   f"{self.ids['alice']}").strip(), root["id"])
        # Nothing from the muted thread reaches alice.
        self.api("dan", "POST", f"/api/v1/statuses/{root['id']}/favourite")
        self.assertEqual(self.psql(f"SELECT count(*) FROM notifications WHERE account_id = "
                                   f"{self.ids['alice']} AND status_id = {root['id']}").strip(),
                         "0")
        context = self.api("alice", "GET", f"/api/v1/statuses/{reply['id']}/context")
        self.assertTrue(all(s["muted"] for s in context["ancestors"] + context["descendants"]))
        self.assertFalse(self.api("alice", "POST", f"/api/v1/statuses/{deeper['id']}/unmute")
                         ["muted"])
        self.assertFalse(self.api("alice", "GET", f"/api/v1/statuses/{root['id']}")["muted"])

    # -- who favourited and boosted --

    def test_06_favourited_by_and_reblogged_by(self):
        post = self.post("alice", "popular")
        for name in ("carol", "dan"):
            self.api(name, "POST", f"/api/v1/statuses/{post['id']}/favourite")
            self.api(name, "POST", f"/api/v1/statuses/{post['id']}/reblog")
        for kind in ("favourited_by", "reblogged_by"):
            accounts = self.api(None, "GET", f"/api/v1/statuses/{post['id']}/{kind}")
            self.assertEqual([a["id"] for a in accounts], [self.ids["dan"], self.ids["carol"]])
            self.assertIn("acct", accounts[0])
            page = self.call("alice", "GET", f"/api/v1/statuses/{post['id']}/{kind}?limit=1")
            self.assertEqual([a["id"] for a in page.json()], [self.ids["dan"]])
            rest = self.api("alice", "GET", self.next_link(page))
            self.assertEqual([a["id"] for a in rest], [self.ids["carol"]])
        self.api("dan", "POST", f"/api/v1/statuses/{post['id']}/unreblog")
        self.assertEqual([a["id"] for a in self.api(
            None, "GET", f"/api/v1/statuses/{post['id']}/reblogged_by")], [self.ids["carol"]])
        private = self.post("alice", "few may see", visibility="private")
        self.api(None, "GET", f"/api/v1/statuses/{private['id']}/favourited_by", expect=404)
        self.api("carol", "GET", f"/api/v1/statuses/{private['id']}/reblogged_by", expect=404)

    # -- several at once --

    def test_07_statuses_by_id(self):
        public = self.post("carol", "public one")
        private = self.post("carol", "private one", visibility="private")
        query = "&".join(f"id[]={i}" for i in (public["id"], private["id"], "99999999",
                                               public["id"], "nonsense"))
        self.assertEqual([s["id"] for s in self.api("alice", "GET", f"/api/v1/statuses?{query}")],
                         [public["id"]])
        self.assertEqual([s["id"] for s in self.api("carol", "GET", f"/api/v1/statuses?{query}")],
                         [public["id"], private["id"]])
        self.assertEqual(self.api(None, "GET", "/api/v1/statuses"), [])
        many = "&".join(f"id[]={i}" for i in range(1, 22))
        self.api(None, "GET", f"/api/v1/statuses?{many}", expect=422)

    # -- the thread --

    def test_08_context(self):
        root = self.post("alice", "context root")
        first = self.post("carol", "first reply", in_reply_to_id=root["id"])
        nested = self.post("dan", "nested reply", in_reply_to_id=first["id"])
        private = self.post("dan", "private reply", in_reply_to_id=root["id"],
                            visibility="private")
        context = self.api(None, "GET", f"/api/v1/statuses/{root['id']}/context")
        self.assertEqual(set(context), {"ancestors", "descendants"})
        self.assertEqual([s["id"] for s in context["descendants"]], [first["id"], nested["id"]])
        self.assertEqual(
            [s["id"] for s in self.api("dan", "GET",
                                       f"/api/v1/statuses/{root['id']}/context")["descendants"]],
            [first["id"], nested["id"], private["id"]])
        up = self.api(None, "GET", f"/api/v1/statuses/{nested['id']}/context")
        self.assertEqual([s["id"] for s in up["ancestors"]], [root["id"], first["id"]])
        # A deleted reply takes its branch out of the thread (as Mastodon).
        self.api("carol", "DELETE", f"/api/v1/statuses/{first['id']}")
        after = self.api("dan", "GET", f"/api/v1/statuses/{root['id']}/context")
        self.assertEqual([s["id"] for s in after["descendants"]], [private["id"]])
        self.api(None, "GET", f"/api/v1/statuses/{private['id']}/context", expect=404)
        # Someone not signed in sees at most 20 levels down (Mastodon's limit).
        chain = [root["id"]]
        for i in range(22):
            chain.append(self.post("alice", f"level {i}", in_reply_to_id=chain[-1])["id"])
        deep = self.api(None, "GET", f"/api/v1/statuses/{chain[1]}/context")
        self.assertEqual(len(deep["descendants"]), 20)
        self.assertEqual(len(self.api("alice", "GET", f"/api/v1/statuses/{chain[1]}/context")
                             ["descendants"]), 21)

    # -- refusals --

    def test_08b_posting_preferences_fill_what_is_left_out(self):
        self.api("dan", "PATCH", "/api/v1/accounts/update_credentials",
                 {"source": {"privacy": "unlisted", "sensitive": True, "language": "de"}})
        try:
            left_out = self.post("dan", "defaults apply")
            self.assertEqual((left_out["visibility"], left_out["sensitive"], left_out["language"]),
                             ("unlisted", True, "de"))
            given = self.post("dan", "what is given wins", visibility="public", sensitive=False,
                              language="en")
            self.assertEqual((given["visibility"], given["sensitive"], given["language"]),
                             ("public", False, "en"))
        finally:
            self.api("dan", "PATCH", "/api/v1/accounts/update_credentials",
                     {"source": {"privacy": "public", "sensitive": False}})

    def test_09_bad_inputs(self):
        post = self.post("carol", "translate me")
        self.api("alice", "POST", f"/api/v1/statuses/{post['id']}/translate", expect=403)
        self.api("alice", "POST", "/api/v1/statuses/99999999/translate", expect=404)
        for method, path in (("GET", "history"), ("GET", "favourited_by"),
                             ("GET", "reblogged_by"), ("POST", "bookmark"), ("POST", "pin"),
                             ("POST", "mute"), ("POST", "unmute"), ("POST", "unpin")):
            self.api("alice", method, f"/api/v1/statuses/99999999/{path}", expect=404)
            self.api("alice", method, f"/api/v1/statuses/abc/{path}", expect=404)
        self.api("alice", "GET", "/api/v1/scheduled_statuses/abc", expect=404)
        self.api("alice", "PUT", "/api/v1/scheduled_statuses/99999999",
                 {"scheduled_at": later(60)}, expect=404)
        self.api("alice", "PUT", "/api/v1/scheduled_statuses/99999999",
                 {"scheduled_at": "2024-13-45T99:99:99Z"}, expect=422)
        self.api("alice", "POST", "/api/v1/statuses",
                 {"status": "x", "scheduled_at": "1999-01-01T00:00:00Z"}, expect=422)
        self.api(None, "POST", f"/api/v1/statuses/{post['id']}/bookmark", expect=401)
        readonly = self.token("alice", "read")
        self.api(readonly, "POST", f"/api/v1/statuses/{post['id']}/pin", expect=403)
        self.api(readonly, "POST", "/api/v1/statuses",
                 {"status": "x", "scheduled_at": later(60)}, expect=403)
        self.assertEqual(self.psql(f"SELECT count(*) FROM scheduled_statuses WHERE account_id = "
                                   f"{self.ids['alice']}").strip(), "0")


if __name__ == "__main__":
    unittest.main()
