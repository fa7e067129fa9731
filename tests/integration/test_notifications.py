"""Notifications, markers and direct-message conversations against the real
daemon (api_fixture: one daemon, local users, plus one remote account row
for the federation case).

What is proved: each notification type from its local cause (follow,
follow_request, favourite, reblog, mention, status for notify=true
followers, update to boosters, admin.report to admins) with the Notification
entity's fields; no self-notification; types[] / exclude_types[] /
account_id filters; GET one, dismiss, clear; Link headers; the v2 grouped
document (favourites of one status in one group, follows grouped, others
ungrouped-<id>), a group, its accounts and dismissing it; unread_count
counting after the notifications marker; the policy's default shape;
markers (form and JSON, version incremented); conversations upserted by a
direct status (the author's read, the recipient's unread), read, removed;
and a mention arriving by federation (an inbox job, in the shape the
inbox's HTTP side writes) makes one notification even delivered twice.
"""

import hashlib
import json
import time

import api_fixture
import harness

NOTIFICATION_FIELDS = {"id", "type", "group_key", "created_at", "account"}
REMOTE = "https://localhost:9"
BOB = REMOTE + "/users/rob"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


class NotificationsTest(api_fixture.LocalApiTest):

    USERS = ("alice", "bob", "carol", "dan", "admin")

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.pg.psql("UPDATE users SET admin = true WHERE account_id ="
                    " (SELECT id FROM accounts WHERE username = 'admin' AND domain IS NULL)",
                    dbname="api")

    def notifications(self, user, query=""):
        return self.api(user, "GET", "/api/v1/notifications" + query)

    def types_of(self, user, query=""):
        return [n["type"] for n in self.notifications(user, query)]

    def test_each_type_from_local_causes(self):
        self.api("carol", "POST", "/api/v1/notifications/clear")
        # follow (unlocked) and follow_request (locked)
        self.follow("alice", "carol")
        self.psql("UPDATE accounts SET locked = true WHERE username = 'dan'")
        self.follow("alice", "dan")
        dan = self.notifications("dan")
        self.assertEqual([n["type"] for n in dan], ["follow_request"])
        carol = self.notifications("carol")
        self.assertEqual([n["type"] for n in carol], ["follow"])
        n = carol[0]
        self.assertTrue(NOTIFICATION_FIELDS <= set(n), n)
        self.assertEqual(n["account"]["id"], self.id_of("alice"))
        self.assertRegex(n["created_at"], api_fixture.TIME_FORMAT)
        self.assertNotIn("status", n)
        self.assertTrue(n["group_key"].startswith("follow-"), n["group_key"])

        # favourite, reblog, mention
        own = self.post("carol", "carol's post")
        self.api("alice", "POST", f"/api/v1/statuses/{own['id']}/favourite")
        self.api("alice", "POST", f"/api/v1/statuses/{own['id']}/reblog")
        self.post("alice", "hello @carol")
        # self-actions never notify
        self.api("carol", "POST", f"/api/v1/statuses/{own['id']}/favourite")
        self.post("carol", "talking to myself @carol")
        got = self.notifications("carol")
        self.assertEqual([n["type"] for n in got], ["mention", "reblog", "favourite", "follow"])
        self.assertEqual(got[1]["status"]["id"], own["id"])
        self.assertEqual(got[2]["status"]["id"], own["id"])
        self.assertEqual(got[2]["group_key"].split("-")[:2], ["favourite", own["id"]])
        self.assertIn("@carol", got[0]["status"]["content"])
        self.assertTrue(all(n["account"]["id"] == self.id_of("alice") for n in got))
        # favouriting twice does not notify twice
        self.api("alice", "POST", f"/api/v1/statuses/{own['id']}/favourite")
        self.assertEqual(self.types_of("carol").count("favourite"), 1)

        # status: followers who asked to be notified
        self.api("bob", "POST", f"/api/v1/accounts/{self.id_of('carol')}/follow", {"notify": True})
        posted = self.post("carol", "news for subscribers")
        bob = self.notifications("bob", "?types[]=status")
        self.assertEqual([(n["type"], n["status"]["id"]) for n in bob], [("status", posted["id"])])

        # update: those who boosted an edited status
        self.api("carol", "PUT", f"/api/v1/statuses/{own['id']}", {"status": "carol's post, edited"})
        updates = self.notifications("alice", "?types[]=update")
        self.assertEqual(len(updates), 1)
        self.assertEqual(updates[0]["status"]["id"], own["id"])
        self.assertEqual(updates[0]["account"]["id"], self.id_of("carol"))

        # admin.report: to admins
        self.api("bob", "POST", "/api/v1/reports",
                 {"account_id": self.id_of("dan"), "comment": "spam"})
        reports = self.notifications("admin", "?types[]=admin.report")
        self.assertEqual(len(reports), 1)
        self.assertEqual(reports[0]["account"]["id"], self.id_of("bob"))
        self.assertEqual(reports[0]["report"]["target_account"]["id"], self.id_of("dan"))
        self.assertEqual(reports[0]["report"]["comment"], "spam")

    def test_filters_get_dismiss_clear_and_links(self):
        for user in ("alice", "bob"):
            self.follow(user, "dan") if user != "dan" else None
        mine = self.post("dan", "dan posts")
        self.api("alice", "POST", f"/api/v1/statuses/{mine['id']}/favourite")
        self.api("bob", "POST", f"/api/v1/statuses/{mine['id']}/favourite")
        self.post("bob", "@dan hi")
        all_types = self.types_of("dan")
        self.assertEqual(all_types.count("favourite"), 2)
        self.assertEqual(self.types_of("dan", "?types[]=mention"), ["mention"])
        self.assertNotIn("favourite", self.types_of("dan", "?exclude_types[]=favourite"))
        self.assertEqual(self.types_of("dan", "?types[]=favourite&types[]=mention").count("favourite"), 2)
        from_bob = self.notifications("dan", f"?account_id={self.id_of('bob')}")
        self.assertTrue(from_bob and all(n["account"]["id"] == self.id_of("bob") for n in from_bob))
        self.assertEqual(self.types_of("dan", "?types[]=nonsense"), [])

        r = self.request("dan", "GET", "/api/v1/notifications?limit=1&types[]=favourite")
        self.assertEqual(len(r.json()), 1)
        link = r.header("link")
        self.assertRegex(link, r'max_id=\d+.*rel="next", <.*min_id=\d+.*rel="prev"')
        self.assertIn("types=favourite", link)
        older = self.notifications("dan", f"?limit=1&types[]=favourite&max_id={r.json()[0]['id']}")
        self.assertEqual(len(older), 1)
        self.assertLess(int(older[0]["id"]), int(r.json()[0]["id"]))

        one = self.notifications("dan")[0]
        self.assertEqual(self.api("dan", "GET", f"/api/v1/notifications/{one['id']}"), one)
        self.api("alice", "GET", f"/api/v1/notifications/{one['id']}", expect=404)
        self.api("alice", "POST", f"/api/v1/notifications/{one['id']}/dismiss", expect=404)
        self.assertEqual(self.api("dan", "POST", f"/api/v1/notifications/{one['id']}/dismiss"), {})
        self.api("dan", "GET", f"/api/v1/notifications/{one['id']}", expect=404)
        self.api(None, "GET", "/api/v1/notifications", expect=401)
        self.assertEqual(self.api("dan", "POST", "/api/v1/notifications/clear"), {})
        self.assertEqual(self.notifications("dan"), [])
        self.assertEqual(self.api("dan", "GET", "/api/v1/notifications/requests"), [])

    def test_v2_groups(self):
        target = "carol"
        self.api(target, "POST", "/api/v1/notifications/clear")
        post = self.post(target, "group me")
        for user in ("alice", "bob", "dan"):
            self.api(user, "POST", f"/api/v1/statuses/{post['id']}/favourite")
        self.post("alice", "@carol ping")
        self.post("bob", "@carol pong")
        doc = self.api(target, "GET", "/api/v2/notifications")
        self.assertEqual(set(doc), {"accounts", "statuses", "notification_groups"})
        groups = doc["notification_groups"]
        self.assertEqual([g["type"] for g in groups], ["mention", "mention", "favourite"])
        fav = groups[2]
        self.assertEqual(fav["notifications_count"], 3)
        self.assertEqual(fav["status_id"], post["id"])
        self.assertEqual(set(fav["sample_account_ids"]),
                         {self.id_of(u) for u in ("alice", "bob", "dan")})
        for key in ("group_key", "most_recent_notification_id", "page_min_id", "page_max_id",
                    "latest_page_notification_at"):
            self.assertIsInstance(fav[key], str, key)
        self.assertTrue(groups[0]["group_key"].startswith("ungrouped-"))
        self.assertTrue(groups[1]["group_key"].startswith("ungrouped-"))
        self.assertIn(post["id"], {s["id"] for s in doc["statuses"]})
        self.assertTrue({self.id_of(u) for u in ("alice", "bob", "dan")}
                        <= {a["id"] for a in doc["accounts"]})
        # grouped_types[] without favourite: each favourite alone
        flat = self.api(target, "GET", "/api/v2/notifications?grouped_types[]=follow")
        self.assertEqual(len(flat["notification_groups"]), 5)
        # one group, its accounts, dismissing it
        key = fav["group_key"]
        one = self.api(target, "GET", f"/api/v2/notifications/{key}")
        self.assertEqual(one["notification_groups"][0]["notifications_count"], 3)
        accounts = self.api(target, "GET", f"/api/v2/notifications/{key}/accounts")
        self.assertEqual(len(accounts), 3)
        self.api("alice", "GET", f"/api/v2/notifications/{key}", expect=404)
        self.assertEqual(self.api(target, "GET", "/api/v2/notifications/unread_count")["count"], 5)
        self.assertEqual(self.api(target, "POST", f"/api/v2/notifications/{key}/dismiss"), {})
        self.api(target, "GET", f"/api/v2/notifications/{key}", expect=404)
        self.assertEqual(len(self.api(target, "GET", "/api/v2/notifications")
                             ["notification_groups"]), 2)
        r = self.request(target, "GET", "/api/v2/notifications?limit=1")
        self.assertEqual(len(r.json()["notification_groups"]), 1)
        self.assertIn('rel="next"', r.header("link"))

    def test_policy_and_unread_count_with_markers(self):
        policy = self.api("bob", "GET", "/api/v2/notifications/policy")
        self.assertEqual(policy, {
            "for_not_following": "accept", "for_not_followers": "accept",
            "for_new_accounts": "accept", "for_private_mentions": "accept",
            "for_limited_accounts": "filter",
            "summary": {"pending_requests_count": 0, "pending_notifications_count": 0}})
        changed = self.api("bob", "PATCH", "/api/v2/notifications/policy",
                           {"for_new_accounts": "filter"})
        self.assertEqual(changed["for_new_accounts"], "filter")
        self.api("bob", "PATCH", "/api/v2/notifications/policy", {"for_new_accounts": "maybe"},
                 expect=422)
        self.assertEqual(self.api("bob", "GET", "/api/v2/notifications/policy")
                         ["for_new_accounts"], "filter")

        self.api("bob", "POST", "/api/v1/notifications/clear")
        for i in range(3):
            self.post("alice", f"@bob number {i}")
        ids = [n["id"] for n in self.notifications("bob")]
        self.assertEqual(len(ids), 3)
        self.assertEqual(self.api("bob", "GET", "/api/v1/notifications/unread_count"),
                         {"count": 3})
        self.assertEqual(self.api("bob", "GET", "/api/v1/markers?timeline[]=notifications"), {})
        saved = self.api("bob", "POST", "/api/v1/markers",
                         {"notifications[last_read_id]": ids[1]})
        marker = saved["notifications"]
        self.assertEqual((marker["last_read_id"], marker["version"]), (ids[1], 1))
        self.assertRegex(marker["updated_at"], api_fixture.TIME_FORMAT)
        self.assertEqual(self.api("bob", "GET", "/api/v1/notifications/unread_count"),
                         {"count": 1})
        self.assertEqual(self.api("bob", "GET", "/api/v1/notifications/unread_count?limit=0")
                         ["count"], 1)

    def test_markers(self):
        empty = self.api("alice", "GET", "/api/v1/markers?timeline[]=home&timeline[]=notifications")
        self.assertEqual(empty, {})
        first = self.api("alice", "POST", "/api/v1/markers", {"home[last_read_id]": "103"})
        self.assertEqual(set(first), {"home"})
        self.assertEqual(first["home"]["version"], 1)
        second = self.api("alice", "POST", "/api/v1/markers",
                          json.dumps({"home": {"last_read_id": "105"},
                                      "notifications": {"last_read_id": "7"}}),
                          headers={"Content-Type": "application/json"})
        self.assertEqual(second["home"], {**second["home"], "last_read_id": "105", "version": 2})
        self.assertEqual(second["notifications"]["version"], 1)
        both = self.api("alice", "GET", "/api/v1/markers?timeline[]=home&timeline[]=notifications")
        self.assertEqual(both, second)
        self.assertEqual(set(self.api("alice", "GET", "/api/v1/markers?timeline[]=home")), {"home"})
        self.api("alice", "POST", "/api/v1/markers", {"home[last_read_id]": "abc"}, expect=422)
        self.assertEqual(self.api("alice", "GET", "/api/v1/markers?timeline[]=home")["home"]
                         ["version"], 2)
        self.api(None, "GET", "/api/v1/markers", expect=401)

    def test_conversations(self):
        first = self.post("alice", "@bob @carol secret plans", visibility="direct")
        alice = self.api("alice", "GET", "/api/v1/conversations")
        bob = self.api("bob", "GET", "/api/v1/conversations")
        self.assertEqual(len(alice), 1)
        self.assertEqual(len(bob), 1)
        self.assertEqual(set(bob[0]), {"id", "unread", "accounts", "last_status"})
        self.assertFalse(alice[0]["unread"])
        self.assertTrue(bob[0]["unread"])
        self.assertEqual({a["id"] for a in alice[0]["accounts"]},
                         {self.id_of("bob"), self.id_of("carol")})
        self.assertEqual({a["id"] for a in bob[0]["accounts"]},
                         {self.id_of("alice"), self.id_of("carol")})
        self.assertEqual(bob[0]["last_status"]["id"], first["id"])
        # a reply in the thread moves the same conversation on
        reply = self.post("bob", "@alice @carol count me in", visibility="direct",
                          in_reply_to_id=first["id"])
        alice = self.api("alice", "GET", "/api/v1/conversations")
        self.assertEqual(len(alice), 1)
        self.assertTrue(alice[0]["unread"])
        self.assertEqual(alice[0]["last_status"]["id"], reply["id"])
        bob = self.api("bob", "GET", "/api/v1/conversations")
        self.assertFalse(bob[0]["unread"])
        # public posts make no conversation entries; another thread does
        self.post("alice", "@bob in public")
        other = self.post("carol", "@bob just us", visibility="direct")
        bob = self.api("bob", "GET", "/api/v1/conversations")
        self.assertEqual([c["last_status"]["id"] for c in bob], [other["id"], reply["id"]])
        r = self.request("bob", "GET", "/api/v1/conversations?limit=1")
        self.assertEqual(len(r.json()), 1)
        self.assertIn(f"max_id={other['id']}", r.header("link"))
        paged = self.api("bob", "GET", f"/api/v1/conversations?max_id={other['id']}")
        self.assertEqual([c["last_status"]["id"] for c in paged], [reply["id"]])
        # read, remove; others' conversations are 404
        cid = bob[0]["id"]
        self.api("alice", "POST", f"/api/v1/conversations/{cid}/read", expect=404)
        read = self.api("bob", "POST", f"/api/v1/conversations/{cid}/read")
        self.assertFalse(read["unread"])
        self.assertEqual(self.api("bob", "DELETE", f"/api/v1/conversations/{cid}"), {})
        self.assertEqual(len(self.api("bob", "GET", "/api/v1/conversations")), 1)
        self.api("bob", "DELETE", f"/api/v1/conversations/{cid}", expect=404)
        # the DM made a mention notification too
        self.assertIn("mention", self.types_of("bob", "?types[]=mention"))
        # a DM from an account one blocked leaves one's conversations alone
        self.api("dan", "POST", f"/api/v1/accounts/{self.id_of('carol')}/block")
        before = self.api("dan", "GET", "/api/v1/conversations")
        self.post("carol", "@dan are you there?", visibility="direct")
        self.assertEqual(self.api("dan", "GET", "/api/v1/conversations"), before)
        self.api("dan", "POST", f"/api/v1/accounts/{self.id_of('carol')}/unblock")

    def test_mention_by_federation_notifies_once(self):
        rob = int(self.psql(
            "INSERT INTO accounts (username, domain, uri, url, inbox_url, outbox_url,"
            " shared_inbox_url, followers_url, following_url, public_key_pem, public_key_id,"
            " last_fetched_at)"
            f" VALUES ('rob', 'localhost:9', '{BOB}', '{REMOTE}/@rob', '{BOB}/inbox',"
            f" '{BOB}/outbox', '{REMOTE}/inbox', '{BOB}/followers', '{BOB}/following',"
            f" 'unused', '{BOB}#main-key', now()) RETURNING id"))
        alice_uri = f"https://{self.host}/users/alice"
        actor_uri = self.psql("SELECT uri FROM accounts WHERE username = 'alice'"
                              " AND domain IS NULL")
        note_id = f"{REMOTE}/notes/{time.monotonic_ns()}"
        note = {"id": note_id, "type": "Note", "attributedTo": BOB,
                "content": "<p>@alice hello from afar</p>", "to": [PUBLIC], "cc": [actor_uri],
                "published": "2026-11-25T11:00:00Z",
                "tag": [{"type": "Mention", "href": actor_uri, "name": "@alice"}]}
        activity = {"@context": "https://www.w3.org/ns/activitystreams",
                    "id": note_id + "/activity", "type": "Create", "actor": BOB,
                    "to": [PUBLIC], "cc": [actor_uri], "object": note}
        del alice_uri
        self.api("alice", "POST", "/api/v1/notifications/clear")
        # Delivered twice (two inbox jobs: a retrying sender, two inboxes).
        jobs = [self.deliver(activity, rob, f"inbox:{i}:" + hashlib.sha256(
            activity["id"].encode()).hexdigest()) for i in range(2)]
        for job in jobs:
            harness.wait_until(lambda: self.psql(
                f"SELECT state FROM jobs WHERE id = {job}") in ("done", "failed"), 30,
                message=f"inbox job {job}")
            self.assertEqual(self.psql(f"SELECT state || coalesce(last_error, '')"
                                       f" FROM jobs WHERE id = {job}"), "done")
        mentions = self.notifications("alice", "?types[]=mention")
        self.assertEqual(len(mentions), 1)
        self.assertEqual(mentions[0]["account"]["acct"], "rob@localhost:9")
        self.assertIn("hello from afar", mentions[0]["status"]["content"])

    def deliver(self, activity, signer_id, key):
        """FIXTURE SETUP: the job the inbox's HTTP side writes for an
        accepted POST (as test_inbox_worker.py)."""
        payload = json.dumps({"body": json.dumps(activity), "signer": BOB,
                              "signer_account_id": signer_id, "recipient_account_id": 0,
                              "received_at": "2026-11-25T12:00:00.000Z"})
        assert "$fixture$" not in payload
        return int(self.psql("INSERT INTO jobs (queue, payload, dedupe_key) VALUES"
                             f" ('inbox', $fixture${payload}$fixture$::jsonb, '{key}')"
                             " RETURNING id"))


if __name__ == "__main__":
    import unittest
    unittest.main()
