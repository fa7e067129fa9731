"""The community moderation engine's verdicts reach users through what
Mastodon clients already understand (issue 5, items 3 and 8): the
`filtered` field of Status entities, with a kith system filter, in
timelines, single statuses and streaming events; users' preferences; and
"why is this hidden for me?" as an API and a page.

  EffectsTest   one daemon (alice, bob, carol): a status alice reports is
                hidden for her at once in her timelines and filtered in GET
                /statuses/:id, and not for bob or carol; an edit of it
                streams to alice with the filter; opting out keeps her own
                flags; preferences are validated and persisted (and reach
                the engine after a restart); the explanation says why and
                never who flagged; the page asks a browser to sign in and
                then explains, in the page's language.
"""

import json
import re
import time
import unittest
import urllib.parse

import harness
from api_fixture import PASSWORD, LocalApiTest, gauge
from test_streaming import EventStream

PREFERENCES = "/api/v1/kith/moderation/preferences"


def explanation_path(status_id):
    return f"/api/v1/kith/moderation/statuses/{status_id}/explanation"


class EffectsTest(LocalApiTest):
    USERS = ("alice", "bob", "carol", "dora")
    ADMINS = ("dora",)
    SCOPES = "read write follow push admin:read admin:write"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tokens["alice-read"] = cls.token("alice", "read")
        harness.wait_until(lambda: gauge(cls.kith, "kith_moderation_loaded") == 1, 20,
                           message="the engine loaded at start")

    def report(self, reporter, target, status_id):
        return self.api(reporter, "POST", "/api/v1/reports", {
            "account_id": self.id_of(target), "status_ids": [status_id],
            "comment": "effects test"})

    def system_results(self, status):
        return [r for r in status["filtered"] if r["filter"]["id"].startswith("kith-")]

    # -- the tests --

    def test_a_reported_status_is_hidden_for_its_reporter_at_once(self):
        self.follow("alice", "bob")
        self.follow("carol", "bob")
        status = self.post("bob", "a status alice will report")
        other = self.post("bob", "a status nobody reports")
        sid = status["id"]
        # What a timeline shows its reader is recorded as exposures.
        exposures = gauge(self.kith, "kith_moderation_model_entries", kind="exposures")
        self.assertIn(sid, self.ids_in("alice", "/api/v1/timelines/home"))
        self.assertEqual(gauge(self.kith, "kith_moderation_model_entries", kind="exposures"),
                         exposures + 2)
        for path in ("/api/v1/timelines/home", "/api/v1/timelines/public?local=true",
                     f"/api/v1/accounts/{self.id_of('bob')}/statuses"):
            self.assertIn(sid, self.ids_in("alice", path), path)
        self.report("alice", "bob", sid)
        # At once: no waiting, no refit.
        for path in ("/api/v1/timelines/home", "/api/v1/timelines/public?local=true",
                     "/api/v1/timelines/public", f"/api/v1/accounts/{self.id_of('bob')}/statuses"):
            shown = self.ids_in("alice", path)
            self.assertNotIn(sid, shown, path)
            self.assertIn(other["id"], shown, path)
        single = self.api("alice", "GET", f"/api/v1/statuses/{sid}")
        results = self.system_results(single)
        self.assertEqual(len(results), 1, single["filtered"])
        result = results[0]
        self.assertEqual(result["filter"]["id"], "kith-reported-by-you")
        self.assertEqual(result["filter"]["filter_action"], "hide")
        self.assertEqual(result["filter"]["keywords"], [])
        self.assertEqual(result["filter"]["statuses"], [])
        self.assertIn("home", result["filter"]["context"])
        self.assertIn("thread", result["filter"]["context"])
        self.assertEqual(result["status_matches"], [sid])
        self.assertIsNone(result["keyword_matches"])
        self.assertTrue(result["filter"]["title"])
        # The thread of a reply shows the reported ancestor filtered out.
        reply = self.api("carol", "POST", "/api/v1/statuses",
                         {"status": "a reply", "in_reply_to_id": sid})
        context = self.api("alice", "GET", f"/api/v1/statuses/{reply['id']}/context")
        self.assertNotIn(sid, [s["id"] for s in context["ancestors"]])
        # Not for anyone else: bob (the author) and carol see it unfiltered.
        for user in ("bob", "carol"):
            self.assertIn(sid, self.ids_in(user, f"/api/v1/accounts/{self.id_of('bob')}/statuses"))
            self.assertEqual(self.system_results(self.api(user, "GET", f"/api/v1/statuses/{sid}")),
                             [], user)
        self.assertIn(sid, self.ids_in("carol", "/api/v1/timelines/home"))
        self.assertEqual(self.system_results(self.api("carol", "GET",
                                                      f"/api/v1/statuses/{reply['id']}")), [])
        # A boost of it, in alice's public timeline view: the boost carries
        # the verdict on the boosted status (and is left out of lists).
        boost = self.api("carol", "POST", f"/api/v1/statuses/{sid}/reblog")
        single_boost = self.api("alice", "GET", f"/api/v1/statuses/{boost['id']}")
        self.assertEqual([r["filter"]["id"] for r in self.system_results(single_boost)],
                         ["kith-reported-by-you"])
        self.assertEqual(self.system_results(single_boost)[0]["status_matches"], [sid])

    def test_the_filtered_field_reaches_the_streaming_api(self):
        self.follow("alice", "carol")
        status = self.post("carol", "a status alice reports, then carol edits")
        self.report("alice", "carol", status["id"])
        stream = EventStream(self.kith.port, "/api/v1/streaming/user", token=self.tokens["alice"])
        self.addCleanup(stream.close)
        self.assertEqual(stream.status, 200)
        self.api("carol", "PUT", f"/api/v1/statuses/{status['id']}",
                 {"status": "a status alice reports, edited"})
        deadline = time.monotonic() + 10
        while True:
            self.assertLess(time.monotonic(), deadline, "no status.update for the edit")
            event, data = stream.next_event()
            if event == "status.update":
                payload = json.loads(data)
                if payload["id"] == status["id"]:
                    break
        results = self.system_results(payload)
        self.assertEqual([r["filter"]["id"] for r in results], ["kith-reported-by-you"])
        self.assertEqual(results[0]["filter"]["filter_action"], "hide")
        self.assertEqual(results[0]["status_matches"], [status["id"]])
        # A status nobody reported is not hidden: at most the model's
        # prediction (alice reported carol before) warns, per alice's
        # preference (warn).
        exposures = gauge(self.kith, "kith_moderation_model_entries", kind="exposures")
        fresh = self.post("carol", "a fresh status")
        while True:
            event, data = stream.next_event()
            if event == "update" and json.loads(data)["id"] == fresh["id"]:
                for result in self.system_results(json.loads(data)):
                    self.assertEqual(result["filter"]["id"], "kith-community-moderation")
                    self.assertEqual(result["filter"]["filter_action"], "warn")
                break
        # Sent to alice, so shown to her: an exposure in the engine (the
        # author's own rendering is not one).
        self.assertEqual(gauge(self.kith, "kith_moderation_model_entries", kind="exposures"),
                         exposures + 1)

    def test_an_instance_wide_action_warns_everyone_and_limits(self):
        self.follow("alice", "bob")
        status = self.post("bob", "confirmed for everyone")
        sid = status["id"]
        self.report("carol", "bob", sid)
        self.assertIn(sid, [s["id"] for s in self.kith.get("/api/v1/timelines/public").json()])
        self.api("dora", "POST", f"/api/v1/kith/moderation/queue/{sid}/confirm")
        # Limited: out of public timelines, for everyone, signed in or not.
        self.assertNotIn(sid, [s["id"] for s in self.kith.get("/api/v1/timelines/public").json()])
        self.assertNotIn(sid, self.ids_in("alice", "/api/v1/timelines/public"))
        # Elsewhere a warning, for everyone (the author too, and anonymous
        # readers); carol's own report still hides it for her.
        self.assertIn(sid, self.ids_in("alice", "/api/v1/timelines/home"))
        anonymous = self.kith.get(f"/api/v1/statuses/{sid}").json()
        for user, shown in (("alice", self.api("alice", "GET", f"/api/v1/statuses/{sid}")),
                            ("bob", self.api("bob", "GET", f"/api/v1/statuses/{sid}")),
                            ("anonymous", anonymous)):
            results = self.system_results(shown)
            self.assertEqual([r["filter"]["id"] for r in results],
                             ["kith-community-moderation-everyone"], user)
            self.assertEqual(results[0]["filter"]["filter_action"], "warn", user)
            # And marked for clients that ignore `filtered`.
            self.assertTrue(shown["sensitive"], user)
            self.assertEqual(shown["spoiler_text"], "Marked by community moderation", user)
        carol = self.system_results(self.api("carol", "GET", f"/api/v1/statuses/{sid}"))
        self.assertEqual([r["filter"]["id"] for r in carol], ["kith-reported-by-you"])
        why = self.api("alice", "GET", explanation_path(sid))
        self.assertEqual(why["reason"], "community")
        self.assertNotIn(self.id_of("carol"), json.dumps(why))
        # Nor on the public streams: an edit of it is not sent there, a
        # fresh status after it is.
        stream = EventStream(self.kith.port, "/api/v1/streaming/public",
                             token=self.tokens["alice"])
        self.addCleanup(stream.close)
        self.assertEqual(stream.status, 200)
        self.api("bob", "PUT", f"/api/v1/statuses/{sid}", {"status": "confirmed, edited"})
        fresh = self.post("bob", "after the edit")
        while True:
            event, data = stream.next_event()
            self.assertNotEqual(json.loads(data)["id"] if data else None, sid, event)
            if event == "update" and json.loads(data)["id"] == fresh["id"]:
                break

    def test_opting_out_keeps_own_flags(self):
        self.api("bob", "PATCH", PREFERENCES, {"opt_out": True})
        status = self.post("carol", "bob reports this while opted out")
        self.report("bob", "carol", status["id"])
        single = self.api("bob", "GET", f"/api/v1/statuses/{status['id']}")
        self.assertEqual([r["filter"]["id"] for r in self.system_results(single)],
                         ["kith-reported-by-you"])
        self.assertNotIn(status["id"], self.ids_in("bob", "/api/v1/timelines/public"))
        why = self.api("bob", "GET", explanation_path(status["id"]))
        self.assertTrue(why["preferences"]["opt_out"])
        self.assertEqual(why["reason"], "own_flag")
        self.api("bob", "PATCH", PREFERENCES, {"opt_out": False})

    def test_preferences_are_validated_and_kept(self):
        self.assertEqual(self.api("carol", "GET", PREFERENCES),
                         {"opt_out": False, "sensitivity": 0.5, "action": "warn"})
        changed = self.api("carol", "PATCH", PREFERENCES, {"sensitivity": 0.8, "action": "hide"})
        self.assertEqual(changed, {"opt_out": False, "sensitivity": 0.8, "action": "hide"})
        # A form body works as well; fields not sent are kept.
        r = self.kith.request("PATCH", PREFERENCES, body=b"opt_out=true",
                              headers={"Authorization": f"Bearer {self.tokens['carol']}",
                                       "Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual(r.status, 200, r.text())
        self.assertEqual(r.json(), {"opt_out": True, "sensitivity": 0.8, "action": "hide"})
        for bad in ({"sensitivity": 1.5}, {"sensitivity": -0.1}, {"sensitivity": "lots"},
                    {"sensitivity": "nan"}, {"action": "block"}, {"action": ""},
                    {"opt_out": "perhaps"}, {"sensitivity": 0.2, "action": "mute"}):
            error = self.api("carol", "PATCH", PREFERENCES, bad, expect=422)["error"]
            self.assertRegex(error, "sensitivity|action|opt_out", bad)
        # Nothing changed by the bad requests.
        self.assertEqual(self.api("carol", "GET", PREFERENCES),
                         {"opt_out": True, "sensitivity": 0.8, "action": "hide"})
        # The engine has them too.
        status = self.post("bob", "for carol's explanation")
        why = self.api("carol", "GET", explanation_path(status["id"]))
        self.assertEqual(why["preferences"], {"opt_out": True, "sensitivity": 0.8,
                                              "action": "hide"})
        # Scopes: a read token cannot change them; no token, no answer.
        self.api("alice-read", "GET", PREFERENCES)
        self.api("alice-read", "PATCH", PREFERENCES, {"opt_out": True}, expect=403)
        self.assertEqual(self.kith.get(PREFERENCES).status, 401)

    def test_the_explanation_says_why_and_never_who(self):
        status = self.post("bob", "explain me")
        self.report("alice", "bob", status["id"])
        why = self.api("alice", "GET", explanation_path(status["id"]))
        self.assertEqual(why["status_id"], status["id"])
        self.assertEqual(why["action"], "hide")
        self.assertEqual(why["reason"], "own_flag")
        self.assertIn("reported", why["summary"])
        for key in ("probability", "threshold"):
            self.assertIsInstance(why[key], (int, float))
        self.assertEqual(set(why["rates"]), {"you", "status", "author"})
        self.assertIn("sensitivity", why["preferences"])
        # carol, who did not report it: nothing hides it, and nothing in
        # the answer names alice.
        other = self.api("carol", "GET", explanation_path(status["id"]))
        self.assertEqual(other["action"], "none")
        self.assertEqual(other["reason"], "none")
        text = json.dumps(other)
        self.assertNotIn(self.id_of("alice"), text)
        self.assertNotIn("alice", text)
        self.assertNotIn("alice", json.dumps(why))
        # Nothing that moves with someone else's flag: not for a viewer
        # nothing acts for, and not for the author (who could otherwise
        # poll the rate of their own post and learn it was reported).
        for viewer, answer in (("carol", other),
                               ("bob", self.api("bob", "GET", explanation_path(status["id"])))):
            self.assertEqual(answer["rates"]["status"], 0, viewer)
            self.assertEqual(answer["rates"]["author"], 0, viewer)
            self.assertEqual(answer["probability"], 0, viewer)
            self.assertIsNone(answer["community"], viewer)
        # Unknown or invisible statuses are 404; no token is 401.
        self.api("alice", "GET", explanation_path("999999999"), expect=404)
        private = self.api("bob", "POST", "/api/v1/statuses",
                           {"status": "only for me", "visibility": "direct"})
        self.api("carol", "GET", explanation_path(private["id"]), expect=404)
        self.assertEqual(self.kith.get(explanation_path(status["id"])).status, 401)

    def test_the_page_asks_to_sign_in_then_explains(self):
        status = self.post("bob", "a status for the page")
        self.report("alice", "bob", status["id"])
        path = f"/kith/moderation/statuses/{status['id']}/explanation"
        page = self.kith.get(path + "?lang=de")
        self.assertEqual(page.status, 200, page.text())
        html = page.text()
        self.assertIn('lang="de"', html)
        self.assertIn('name="password"', html)
        self.assertNotIn("<script", html.lower())
        for bad in ("99999999999999999999", "9999999999999999999", "-5", "0", "12a"):
            answer = self.kith.get(f"/kith/moderation/statuses/{bad}/explanation")
            self.assertEqual(answer.status, 404, bad)
        french = self.kith.get(path + "?lang=fr").text()
        self.assertIn('lang="fr"', french)
        self.assertIn("Connectez-vous à votre compte", french)  # whole UTF-8 characters
        cookie = page.header("set-cookie").split(";")[0]
        csrf = re.search(r'name="csrf" value="([^"]+)"', html).group(1)
        form = {"username": "alice", "password": PASSWORD, "csrf": csrf, "lang": "en"}
        # Without the CSRF cookie the form is refused.
        refused = self.kith.request("POST", path, body=urllib.parse.urlencode(form).encode(),
                                    headers={"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual(refused.status, 403, refused.text())
        answer = self.kith.request("POST", path, body=urllib.parse.urlencode(form).encode(),
                                   headers={"Content-Type": "application/x-www-form-urlencoded",
                                            "Cookie": cookie})
        self.assertEqual(answer.status, 200, answer.text())
        html = answer.text()
        self.assertIn("You reported this status", html)
        self.assertNotIn("<script", html.lower())
        # A wrong password gets the form again, with the error.
        form["password"] = "wrong"
        wrong = self.kith.request("POST", path, body=urllib.parse.urlencode(form).encode(),
                                  headers={"Content-Type": "application/x-www-form-urlencoded",
                                           "Cookie": cookie})
        self.assertEqual(wrong.status, 422, wrong.text())
        self.assertIn('name="password"', wrong.text())

    def test_z_preferences_reach_the_engine_after_a_restart(self):
        # Runs last (unittest sorts by name): it restarts the daemon.
        self.api("alice", "PATCH", PREFERENCES, {"sensitivity": 0.25, "action": "hide"})
        status = self.post("bob", "after the restart")
        self.kith.sigterm()
        self.kith.start()
        harness.wait_until(lambda: gauge(self.kith, "kith_moderation_loaded") == 1, 20,
                           message="the engine loaded after the restart")
        why = self.api("alice", "GET", explanation_path(status["id"]))
        self.assertEqual(why["preferences"], {"opt_out": False, "sensitivity": 0.25,
                                              "action": "hide"})


if __name__ == "__main__":
    unittest.main()
