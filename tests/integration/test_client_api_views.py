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

    def test_09_blocks_hide_statuses_and_refuse_actions(self):
        dan = self.me("dan")
        bob = self.bob()
        carol = self.me("carol")
        hidden = self.bob_status("block-9")
        # FIXTURE: bob blocks dan (his Block would come through the inbox),
        # and a status of bob's mentions dan.
        mentioning = self.bob_status("block-9-mention", "<p>@dan hi</p>")
        psql(f"INSERT INTO mentions (status_id, account_id) VALUES ({mentioning}, {dan['id']});"
             f"INSERT INTO blocks (account_id, target_account_id, uri) VALUES "
             f"({bob['id']}, {dan['id']}, '{self.remote.actor_id}#blocks/9')")
        self.api(None, "GET", f"/api/v1/statuses/{hidden}")  # others still see it
        self.api("alice", "GET", f"/api/v1/statuses/{hidden}")
        self.api("dan", "GET", f"/api/v1/statuses/{hidden}", expect=404)
        self.api("dan", "GET", f"/api/v1/statuses/{hidden}/context", expect=404)
        self.api("dan", "POST", f"/api/v1/statuses/{hidden}/favourite", expect=404)
        self.api("dan", "POST", f"/api/v1/statuses/{hidden}/reblog", expect=404)
        self.api("dan", "POST", "/api/v1/statuses",
                 {"status": "hey", "in_reply_to_id": hidden}, expect=404)
        home = self.api("dan", "GET", "/api/v1/timelines/home?limit=40")
        self.assertNotIn(mentioning, [s["id"] for s in home])
        public = self.api("dan", "GET", "/api/v1/timelines/public?limit=40")
        self.assertNotIn(hidden, [s["id"] for s in public])
        self.assertIn(hidden, [s["id"] for s in self.api(None, "GET",
                                                        "/api/v1/timelines/public?limit=40")])
        self.assertEqual(self.api("dan", "GET", f"/api/v1/accounts/{bob['id']}/statuses"), [])
        self.assertEqual([], [j for j in self.jobs() if j[2] == int(dan["id"]) and
                              j[1] in ("Like", "Announce")])
        psql(f"DELETE FROM blocks WHERE account_id = {bob['id']}")
        self.api("dan", "GET", f"/api/v1/statuses/{hidden}")
        # The other way: dan blocks carol; her statuses leave his views and
        # his favourite or reply of one is refused.
        post = self.api("carol", "POST", "/api/v1/statuses", {"status": "before the block"})
        self.api("dan", "POST", f"/api/v1/accounts/{carol['id']}/block")
        self.api("dan", "GET", f"/api/v1/statuses/{post['id']}", expect=404)
        self.api("dan", "POST", f"/api/v1/statuses/{post['id']}/favourite", expect=404)
        self.api("dan", "POST", "/api/v1/statuses",
                 {"status": "hey", "in_reply_to_id": post["id"]}, expect=404)
        self.assertEqual(self.api("dan", "GET", f"/api/v1/accounts/{carol['id']}/statuses"), [])
        self.api("dan", "POST", f"/api/v1/accounts/{carol['id']}/unblock")
        self.api("dan", "GET", f"/api/v1/statuses/{post['id']}")

    def test_10_concurrent_favourite_reblog_follow(self):
        carol = self.me("carol")
        bob = self.bob()
        target = self.bob_status("race-10")
        results = []

        def hit(path):
            r = self.kith.request("POST", path,
                                  headers={"Authorization": f"Bearer {self.tokens['carol']}"})
            results.append((path, r.status, r.json()))

        for path in (f"/api/v1/statuses/{target}/favourite", f"/api/v1/statuses/{target}/reblog",
                     f"/api/v1/accounts/{bob['id']}/follow"):
            threads = [threading.Thread(target=hit, args=(path,)) for _ in range(6)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        self.assertEqual([r[1] for r in results], [200] * 18, results)
        boosts = {r[2]["id"] for r in results if r[0].endswith("/reblog")}
        self.assertEqual(len(boosts), 1)
        mine = [j for j in self.jobs() if j[2] == int(carol["id"])]
        self.assertEqual(len([j for j in mine if j[1] == "Like" and
                              j[4]["object"].endswith("/statuses/race-10")]), 1)
        self.assertEqual(len([j for j in mine if j[1] == "Announce" and
                              j[4]["object"].endswith("/statuses/race-10")]), 1)
        self.assertEqual(len([j for j in mine if j[1] == "Follow"]), 1)

    def test_11_search_prefers_id_over_url_and_urls_are_indexed(self):
        # FIXTURE: status A's id is status B's url (a server may claim any url).
        claimed = f"{self.remote.actor_id}/statuses/search-11a"
        first = self.bob_status("search-11a")
        second = self.bob_status("search-11b", extra={"url": f"'{claimed}'"})
        self.assertLess(int(first), int(second))
        found = self.api("alice", "GET", "/api/v2/search?type=statuses&q=" +
                         urllib.parse.quote(claimed))
        self.assertEqual([s["id"] for s in found["statuses"]], [first])
        by_url = self.api("alice", "GET", "/api/v2/search?type=statuses&q=" +
                          urllib.parse.quote(f"{self.remote.origin}/@bob/search-11a"))
        self.assertEqual([s["id"] for s in by_url["statuses"]], [first])
        self.api(None, "GET", "/api/v2/search?q=" + urllib.parse.quote(claimed))  # anonymous
        indexes = psql("SELECT indexname FROM pg_indexes WHERE indexname IN "
                       "('accounts_url_idx', 'statuses_url_idx') ORDER BY 1")
        self.assertEqual(indexes.split(), ["accounts_url_idx", "statuses_url_idx"])

    def test_12_context_of_a_huge_thread(self):
        root = self.bob_status("thread-12")
        bob = self.bob()
        # FIXTURE: 3,000 replies to one status, the first of them with a reply.
        psql(f"INSERT INTO statuses (account_id, uri, content, visibility, in_reply_to_id) "
             f"SELECT {bob['id']}, '{self.remote.actor_id}/statuses/thread-12-' || n, '', "
             f"'public', {root} FROM generate_series(1, 3000) n")
        first = psql(f"SELECT min(id) FROM statuses WHERE in_reply_to_id = {root}").strip()
        nested = self.bob_status("thread-12-nested", extra={"in_reply_to_id": first})
        started = time.monotonic()
        context = self.api("alice", "GET", f"/api/v1/statuses/{root}/context")
        self.assertLess(time.monotonic() - started, 5)
        ids = [s["id"] for s in context["descendants"]]
        self.assertEqual(len(ids), 100)
        self.assertEqual(len(set(ids)), 100)
        self.assertEqual(ids[:2], [first, nested])  # depth first, in id order
        replies = self.api(None, "GET", f"/api/v1/statuses/{first}/context")
        self.assertEqual([s["id"] for s in replies["descendants"]], [nested])
        self.assertEqual([s["id"] for s in replies["ancestors"]], [root])

    def test_13_link_headers_keep_filters(self):
        carol = self.me("carol")
        for i in range(2):
            self.api("carol", "POST", "/api/v1/statuses", {"status": f"link {i} #café"})
        pages = (("/api/v1/timelines/public?local=true&only_media=false&limit=1",
                  ["local=true", "only_media=false"]),
                 (f"/api/v1/accounts/{carol['id']}/statuses?exclude_replies=true"
                  "&exclude_reblogs=1&tagged=caf%C3%A9&limit=1",
                  ["exclude_replies=true", "exclude_reblogs=1", "tagged=caf%C3%A9"]))
        for path, kept in pages:
            r = self.kith.get(path)
            self.assertEqual(r.status, 200, path)
            link = r.header("link")
            self.assertRegex(link, r'^<[^>]*max_id=\d+[^>]*>; rel="next", <[^>]*min_id=\d+[^>]*>; '
                             r'rel="prev"$')
            next_link, prev_link = link.split(", ")
            for param in kept + ["limit=1"]:
                self.assertIn(param, next_link, path)
                self.assertIn(param, prev_link, path)
        # Following next gives the next page of the same list.
        r = self.kith.get("/api/v1/timelines/public?local=true&limit=1")
        following = r.header("link").split(">")[0][1:]
        self.assertTrue(following.startswith(f"https://{self.host}/api/v1/timelines/public?"))
        path = following[len(f"https://{self.host}"):]
        second = self.api(None, "GET", path)
        self.assertEqual(len(second), 1)
        self.assertLess(int(second[0]["id"]), int(r.json()[0]["id"]))

    def test_14_remote_media_and_polls(self):
        bob = self.bob()
        plain = self.bob_status("media-14-plain")
        pictured = self.bob_status("media-14")
        asked = self.bob_status("poll-14")
        meta = '{"original": {"width": 640, "height": 480}, "focus": {"x": 0.5, "y": -0.1}}'
        psql(f"INSERT INTO media_attachments (status_id, account_id, type, remote_url, "
             f"media_type, description, blurhash, meta, position) VALUES "
             f"({pictured}, {bob['id']}, 'video', 'https://files.example/2.mp4', 'video/mp4', "
             f"'', NULL, '{{}}', 1),"
             f"({pictured}, {bob['id']}, 'image', 'https://files.example/1.png', 'image/png', "
             f"'a cat', 'LEHV6nWB2yk8', '{meta}', 0);"
             f"INSERT INTO polls (status_id, multiple, options, voters_count, expires_at) VALUES "
             f"({asked}, true, '[{{\"title\": \"yes\", \"votes\": 3}}, "
             f"{{\"title\": \"no\", \"votes\": 1}}]', 3, now() - interval '1 hour')")
        status = self.api(None, "GET", f"/api/v1/statuses/{pictured}")
        media = status["media_attachments"]
        self.assertEqual([m["type"] for m in media], ["image", "video"])
        image = media[0]
        self.assertIsInstance(image["id"], str)
        self.assertEqual((image["url"], image["preview_url"], image["remote_url"]),
                         ("https://files.example/1.png",) * 3)
        self.assertEqual((image["text_url"], image["description"], image["blurhash"]),
                         (None, "a cat", "LEHV6nWB2yk8"))
        self.assertEqual(image["meta"]["original"], {"width": 640, "height": 480})
        self.assertEqual((media[1]["description"], media[1]["blurhash"], media[1]["meta"]),
                         (None, None, {}))
        self.assertIsNone(status["poll"])
        poll = self.api("alice", "GET", f"/api/v1/statuses/{asked}")["poll"]
        self.assertEqual(set(poll), {"id", "expires_at", "expired", "multiple", "votes_count",
                                     "voters_count", "options", "emojis", "voted", "own_votes"})
        self.assertEqual(poll["options"], [{"title": "yes", "votes_count": 3},
                                           {"title": "no", "votes_count": 1}])
        self.assertEqual((poll["expired"], poll["multiple"], poll["votes_count"],
                          poll["voters_count"], poll["voted"], poll["own_votes"]),
                         (True, True, 4, 3, False, []))
        self.check_time(poll["expires_at"])
        self.assertEqual(self.api(None, "GET", f"/api/v1/statuses/{plain}")
                         ["media_attachments"], [])
        # only_media: the statuses with media, not an empty page.
        for path in ("/api/v1/timelines/public?only_media=true&limit=40",
                     "/api/v1/timelines/public?remote=true&only_media=true&limit=40",
                     f"/api/v1/accounts/{bob['id']}/statuses?only_media=true&limit=40"):
            self.assertEqual([s["id"] for s in self.api(None, "GET", path)], [pictured], path)


def load_tests(loader, tests, pattern):
    """Only this class's own tests (not those it inherits)."""
    suite = unittest.TestSuite()
    for name in sorted(vars(ClientViewsTest)):
        if name.startswith("test_"):
            suite.addTest(ClientViewsTest(name))
    return suite
