"""Polls against the real daemon (api_fixture: one daemon, local users).

What is proved: POST /api/v1/statuses with poll[options][], expires_in,
multiple and hide_totals (form and JSON) makes a Poll entity with
Mastodon's fields; Mastodon's limits (2 to 4 options, 50 characters,
5 minutes to a month, unique options, no media with a poll) answer 422
and post nothing; GET /api/v1/polls/:id; voting counts (options'
votes_count, votes_count, voters_count) and shows voted/own_votes to the
voter only; the status is served to other servers as a Question; a
second vote, a vote in one's own poll, a second choice in a single-choice
poll, a choice out of range and a vote in an ended poll are 422; an
unknown poll is 404; when a poll ends its voters and author get a `poll`
notification.
"""

import json
import sys
import unittest
import urllib.parse

import api_fixture

POLL_FIELDS = {"id", "expires_at", "expired", "multiple", "votes_count", "voters_count",
               "options", "emojis", "voted", "own_votes"}


class PollsTest(api_fixture.LocalApiTest):

    def poll_post(self, user, options, expires_in=3600, expect=200, **extra):
        body = {"status": "vote!", "poll[options][]": options,
                "poll[expires_in]": str(expires_in), **extra}
        return self.api(user, "POST", "/api/v1/statuses", body, expect=expect)

    def test_create_and_vote(self):
        status = self.poll_post("alice", ["tea", "coffee", "water"])
        poll = status["poll"]
        self.assertEqual(set(poll), POLL_FIELDS)
        self.assertEqual([o["title"] for o in poll["options"]], ["tea", "coffee", "water"])
        self.assertEqual([o["votes_count"] for o in poll["options"]], [0, 0, 0])
        self.assertEqual((poll["multiple"], poll["expired"], poll["votes_count"],
                          poll["voters_count"]), (False, False, 0, 0))
        self.assertRegex(poll["expires_at"], api_fixture.TIME_FORMAT)
        self.assertTrue(poll["voted"])  # the author's own poll, as Mastodon shows it
        path = f"/api/v1/polls/{poll['id']}"
        fetched = self.api("bob", "GET", path)
        self.assertEqual((fetched["voted"], fetched["own_votes"]), (False, []))

        voted = self.api("bob", "POST", path + "/votes", {"choices[]": ["1"]})
        self.assertEqual((voted["voted"], voted["own_votes"]), (True, [1]))
        self.assertEqual([o["votes_count"] for o in voted["options"]], [0, 1, 0])
        self.assertEqual((voted["votes_count"], voted["voters_count"]), (1, 1))
        self.api("bob", "POST", path + "/votes", {"choices[]": ["0"]}, expect=422)
        self.api("alice", "POST", path + "/votes", {"choices[]": ["0"]}, expect=422)
        self.api("carol", "POST", path + "/votes", {"choices[]": ["0", "1"]}, expect=422)
        self.api("carol", "POST", path + "/votes", {"choices[]": ["3"]}, expect=422)
        self.api("carol", "POST", path + "/votes", {"choices[]": ["x"]}, expect=422)
        self.api("carol", "POST", path + "/votes", {}, expect=422)
        after = self.api("carol", "POST", path + "/votes", {"choices": [0]})
        self.assertEqual([o["votes_count"] for o in after["options"]], [1, 1, 0])
        self.assertEqual(after["voters_count"], 2)
        # the status shows the viewer's votes too
        seen = self.api("bob", "GET", f"/api/v1/statuses/{status['id']}")["poll"]
        self.assertEqual(seen["own_votes"], [1])
        self.api("bob", "GET", "/api/v1/polls/999999", expect=404)
        self.api("bob", "POST", "/api/v1/polls/999999/votes", {"choices[]": ["0"]}, expect=404)

    def test_served_as_question(self):
        status = self.poll_post("alice", ["left", "right"], **{"poll[multiple]": "true"})
        path = urllib.parse.urlparse(status["uri"]).path
        r = self.kith.request("GET", path, headers={"Accept": "application/activity+json"})
        self.assertEqual(r.status, 200, r.text())
        question = r.json()
        self.assertEqual(question["type"], "Question")
        self.assertEqual([o["name"] for o in question["anyOf"]], ["left", "right"])
        self.assertEqual([o["replies"]["totalItems"] for o in question["anyOf"]], [0, 0])
        self.assertIn("endTime", question)

    def test_multiple_json_and_hide_totals(self):
        status = self.api("alice", "POST", "/api/v1/statuses", {
            "status": "pick several",
            "poll": {"options": ["a", "b", "c", "d"], "expires_in": 600, "multiple": True,
                     "hide_totals": True}})
        poll = status["poll"]
        self.assertTrue(poll["multiple"])
        voted = self.api("bob", "POST", f"/api/v1/polls/{poll['id']}/votes",
                         {"choices": ["0", "2"]})
        self.assertEqual(voted["own_votes"], [0, 2])
        self.assertEqual(voted["voters_count"], 1)
        self.assertEqual(voted["votes_count"], 2)
        # totals hidden until it ends, from everyone but the author
        self.assertEqual([o["votes_count"] for o in voted["options"]], [None] * 4)

    def test_limits(self):
        before = self.psql("SELECT count(*) FROM statuses")
        self.poll_post("alice", ["only one"], expect=422)
        self.poll_post("alice", ["1", "2", "3", "4", "5"], expect=422)
        self.poll_post("alice", ["x" * 51, "y"], expect=422)
        self.poll_post("alice", ["same", "same"], expect=422)
        self.poll_post("alice", ["a", "b"], expires_in=299, expect=422)
        self.poll_post("alice", ["a", "b"], expires_in=2629747, expect=422)
        self.poll_post("alice", ["a", ""], expect=422)
        self.api("alice", "POST", "/api/v1/statuses",
                 {"status": "no expiry", "poll[options][]": ["a", "b"]}, expect=422)
        self.assertEqual(self.psql("SELECT count(*) FROM statuses"), before)

    def test_ended_poll_refuses_votes_and_notifies(self):
        status = self.poll_post("alice", ["yes", "no"], expires_in=300)
        poll_id = status["poll"]["id"]
        self.api("bob", "POST", f"/api/v1/polls/{poll_id}/votes", {"choices[]": ["0"]})
        self.api("alice", "POST", "/api/v1/notifications/clear")
        self.api("bob", "POST", "/api/v1/notifications/clear")
        self.psql(f"UPDATE polls SET expires_at = now() - interval '1 second' WHERE id = {poll_id}")
        self.api("carol", "POST", f"/api/v1/polls/{poll_id}/votes", {"choices[]": ["1"]},
                 expect=422)
        ended = self.api("carol", "GET", f"/api/v1/polls/{poll_id}")
        self.assertTrue(ended["expired"])
        for user in ("alice", "bob"):
            got = self.api(user, "GET", "/api/v1/notifications?types[]=poll")
            self.assertEqual(len(got), 1, user)
            self.assertEqual(got[0]["status"]["id"], status["id"])
            self.assertEqual(got[0]["account"]["id"], self.id_of("alice"))
        # read again: no second notification
        self.api("carol", "GET", f"/api/v1/polls/{poll_id}")
        self.assertEqual(len(self.api("bob", "GET", "/api/v1/notifications?types[]=poll")), 1)
        self.assertEqual(self.api("carol", "GET", "/api/v1/notifications?types[]=poll"), [])


class FederatedPollTest(unittest.TestCase):
    """Two kiths: bob on b votes in alice's poll on a through b's API; b
    sends each choice as a Create of a Note with `name` and inReplyTo the
    Question (as Mastodon), and a counts it once per voter and option."""

    def test_remote_votes_are_counted(self):
        import federation
        import harness
        with federation.Federation(("a", "b")) as fed:
            alice = fed["a"].login(fed["a"].add_user("alice"))
            bob = fed["b"].login(fed["b"].add_user("bob"))
            carol = fed["b"].login(fed["b"].add_user("carol"))
            posted = alice.post("which ones?", **{
                "poll[options][]": ["red", "green", "blue"], "poll[expires_in]": "3600",
                "poll[multiple]": "true"})
            single = alice.post("just one", **{
                "poll[options][]": ["yes", "no"], "poll[expires_in]": "3600"})
            seen = {}
            for user in (bob, carol):
                for status in (posted, single):
                    found = user.resolve_status(status["uri"])
                    self.assertIsNotNone(found, f"{user.name} finds {status['uri']}")
                    seen[(user.name, status["id"])] = found["poll"]["id"]
            bob.api("POST", f"/api/v1/polls/{seen[('bob', posted['id'])]}/votes",
                    {"choices[]": ["0", "2"]})
            carol.api("POST", f"/api/v1/polls/{seen[('carol', posted['id'])]}/votes",
                      {"choices[]": ["2"]})
            carol.api("POST", f"/api/v1/polls/{seen[('carol', single['id'])]}/votes",
                      {"choices[]": ["1"]})

            def poll_on_a(status):
                return alice.api("GET", f"/api/v1/polls/{status['poll']['id']}")

            harness.wait_until(
                lambda: poll_on_a(posted)["voters_count"] == 2 and
                poll_on_a(single)["voters_count"] == 1,
                federation.EFFECT_TIMEOUT, message="a counts the votes from b")
            counted = poll_on_a(posted)
            self.assertEqual([o["votes_count"] for o in counted["options"]], [1, 0, 2])
            self.assertEqual(counted["votes_count"], 3)
            self.assertEqual([o["votes_count"] for o in poll_on_a(single)["options"]], [0, 1])
            # One row per voter and option, each named by its Note's id.
            self.assertEqual(fed["a"].psql(
                "SELECT count(*), count(DISTINCT uri) FROM poll_votes"), "4|4")
            print("ok: votes from b counted on a: red 1, green 0, blue 2 (2 voters); "
                  "yes 0, no 1", file=sys.stderr)


if __name__ == "__main__":
    unittest.main()
