"""Signals reach the community moderation engine, survive a restart, and
admins decide on the queue (issue 5, items 1 and 3's admin part).

The engine itself is not visible through Mastodon's API; these tests watch
it where an operator would: the kith_moderation_* gauges on /metrics (what
the engine holds, and by which path signals came), the admin queue API
(GET /api/v1/kith/moderation/queue, confirm, overturn) and, for what is
persisted, the database (mod_exposures, mod_instance_actions) through psql.

  LocalSignalsTest   one daemon: a report through POST /api/v1/reports is a
                     flag in the engine at once (the direct path) and again
                     through the kith_mod notification; favourites and mutes
                     arrive by notification, a user's domain block as a
                     block of that server's authors; an unfavourite, unboost
                     or deleted reply withdraws its positive unless another
                     of the account's still carries it; statuses rendered for a viewer
                     are exposures, in the engine at once and written to
                     mod_exposures in batches, once per viewer and status; the admin API answers admins
                     only; confirm/overturn are stored; after a restart the
                     engine is rebuilt from the tables (flags, exposures,
                     decisions) before the first request needs it, and
                     exposures past retention are pruned first.
  RemoteFlagTest     two kiths: a report forwarded as a Flag from node b
                     becomes a flag in node a's engine.
"""

import time
import unittest

import federation
import harness
from api_fixture import LocalApiTest, gauge


class LocalSignalsTest(LocalApiTest):
    USERS = ("alice", "bob", "carol", "dave")
    ADMINS = ("alice",)
    SCOPES = "read write follow push admin:read admin:write"
    CONFIG = {"moderation": {"refit_interval": "1s"}}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        harness.wait_until(lambda: gauge(cls.kith, "kith_moderation_loaded") == 1, 20,
                           message="the engine loaded at start")

    def flags(self):
        return gauge(self.kith, "kith_moderation_model_entries", kind="flags")

    def report(self, reporter, target, status_id):
        return self.api(reporter, "POST", "/api/v1/reports", {
            "account_id": self.id_of(target), "status_ids": [status_id],
            "comment": "moderation signals test"})

    # -- the tests, in an order that does not matter (each makes its own) --

    def test_a_report_is_a_flag_in_the_engine_at_once(self):
        status = self.api("bob", "POST", "/api/v1/statuses", {"status": "report me"})
        before = self.flags()
        direct_before = gauge(self.kith, "kith_moderation_signals", path="direct")
        notified = gauge(self.kith, "kith_moderation_signals", path="notification")
        self.report("carol", "bob", status["id"])
        # The handler recorded it before answering: no waiting.
        self.assertEqual(self.flags(), before + 1)
        self.assertEqual(gauge(self.kith, "kith_moderation_signals", path="direct"),
                         direct_before + 1)
        # The notification brings the same flag again: still counted once.
        harness.wait_until(
            lambda: gauge(self.kith, "kith_moderation_signals", path="notification") > notified,
            10, message="the kith_mod notification of the report")
        self.assertEqual(self.flags(), before + 1)
        lag = gauge(self.kith, "kith_moderation_signal_lag_seconds")
        self.assertGreaterEqual(lag, 0)
        self.assertLess(lag, 5)

    def test_favourites_and_mutes_arrive_by_notification(self):
        status = self.api("bob", "POST", "/api/v1/statuses", {"status": "like me"})
        notified = gauge(self.kith, "kith_moderation_signals", path="notification")
        edges = gauge(self.kith, "kith_moderation_model_entries", kind="exposures")
        self.api("dave", "POST", f"/api/v1/statuses/{status['id']}/favourite")
        harness.wait_until(
            lambda: gauge(self.kith, "kith_moderation_signals", path="notification") > notified,
            10, message="the favourite's notification")
        # A favourite is a positive signal: an edge of the engine.
        self.assertEqual(gauge(self.kith, "kith_moderation_model_entries", kind="exposures"),
                         edges + 1)
        notified = gauge(self.kith, "kith_moderation_signals", path="notification")
        self.api("dave", "POST", f"/api/v1/accounts/{self.id_of('carol')}/mute")
        harness.wait_until(
            lambda: gauge(self.kith, "kith_moderation_signals", path="notification") > notified,
            10, message="the mute's notification")

    def test_own_favourites_and_boosts_are_no_signals(self):
        own = self.api("bob", "POST", "/api/v1/statuses",
                       {"status": "my own", "visibility": "public"})
        other = self.api("carol", "POST", "/api/v1/statuses", {"status": "a marker"})
        notified = gauge(self.kith, "kith_moderation_signals", path="notification")
        edges = gauge(self.kith, "kith_moderation_model_entries", kind="exposures")
        self.api("bob", "POST", f"/api/v1/statuses/{own['id']}/favourite")
        self.api("bob", "POST", f"/api/v1/statuses/{own['id']}/reblog")
        # Notifications come in commit order: once the marker's is in, the
        # self-favourite's and self-boost's would have been.
        self.api("dave", "POST", f"/api/v1/statuses/{other['id']}/favourite")
        harness.wait_until(
            lambda: gauge(self.kith, "kith_moderation_signals", path="notification") > notified,
            10, message="the marker favourite's notification")
        time.sleep(0.3)
        self.assertEqual(gauge(self.kith, "kith_moderation_signals", path="notification"),
                         notified + 1)
        self.assertEqual(gauge(self.kith, "kith_moderation_model_entries", kind="exposures"),
                         edges + 1)

    def test_unmute_and_unfavourite_reach_the_engine(self):
        author = self.api("carol", "POST", "/api/v1/statuses", {"status": "mute me, then not"})
        path = f"/api/v1/kith/moderation/statuses/{author['id']}/explanation"
        self.assertEqual(self.api("bob", "GET", path)["reason"], "none")
        self.api("bob", "POST", f"/api/v1/accounts/{self.id_of('carol')}/mute")
        harness.wait_until(lambda: self.api("bob", "GET", path)["reason"] == "muted_author",
                           10, message="the mute in the engine")
        self.api("bob", "POST", f"/api/v1/accounts/{self.id_of('carol')}/unmute")
        harness.wait_until(lambda: self.api("bob", "GET", path)["reason"] == "none",
                           10, message="the unmute in the engine")
        # An unfavourite is announced as the positive withdrawn.
        notified = gauge(self.kith, "kith_moderation_signals", path="notification")
        self.api("dave", "POST", f"/api/v1/statuses/{author['id']}/favourite")
        self.api("dave", "POST", f"/api/v1/statuses/{author['id']}/unfavourite")
        harness.wait_until(
            lambda: gauge(self.kith, "kith_moderation_signals", path="notification")
            >= notified + 2, 10, message="the favourite's and the unfavourite's notifications")

    def test_an_unboost_or_a_deleted_reply_withdraws_its_positive(self):
        def notified():
            return gauge(self.kith, "kith_moderation_signals", path="notification")

        def settle(expected, message):
            harness.wait_until(lambda: notified() >= expected, 10, message=message)
            time.sleep(0.5)  # nothing more arrives
            self.assertEqual(notified(), expected, message)

        boosted = self.api("carol", "POST", "/api/v1/statuses", {"status": "boost me, then not"})
        start = notified()
        self.api("dave", "POST", f"/api/v1/statuses/{boosted['id']}/reblog")
        self.api("dave", "POST", f"/api/v1/statuses/{boosted['id']}/unreblog")
        settle(start + 2, "the boost's positive and its withdrawal")
        # A favourite still carries the positive: the unboost withdraws nothing.
        self.api("dave", "POST", f"/api/v1/statuses/{boosted['id']}/favourite")
        self.api("dave", "POST", f"/api/v1/statuses/{boosted['id']}/reblog")
        self.api("dave", "POST", f"/api/v1/statuses/{boosted['id']}/unreblog")
        settle(start + 4, "the favourite's and the boost's positives, no withdrawal")
        # A deleted reply withdraws the reply's positive.
        reply = self.api("bob", "POST", "/api/v1/statuses",
                         {"status": "a reply", "in_reply_to_id": boosted["id"]})
        self.api("bob", "DELETE", f"/api/v1/statuses/{reply['id']}")
        settle(start + 6, "the reply's positive and its withdrawal")

    def test_a_repeated_status_in_a_report_is_one_flag(self):
        status = self.api("carol", "POST", "/api/v1/statuses", {"status": "report me twice"})
        before = self.flags()
        report = self.api("dave", "POST", "/api/v1/reports", {
            "account_id": self.id_of("carol"), "status_ids": [status["id"], status["id"]]})
        self.assertEqual(report["status_ids"], [status["id"]])
        self.assertEqual(self.flags(), before + 1)
        self.assertEqual(self.psql("SELECT cardinality(status_ids) FROM reports"
                                   f" WHERE id = {report['id']}"), "1")

    def test_signals_sent_while_the_listener_reconnects_are_loaded(self):
        status = self.api("bob", "POST", "/api/v1/statuses", {"status": "liked in the gap"})
        edges = gauge(self.kith, "kith_moderation_model_entries", kind="exposures")
        # The daemon's LISTEN connections are cut, and a favourite is
        # committed at once, before they can reconnect: its notification
        # reaches nobody. The reconnection triggers a new load, which has it.
        self.psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                  " WHERE query ILIKE 'LISTEN%'; INSERT INTO favourites (account_id, status_id)"
                  f" VALUES ({self.id_of('carol')}, {status['id']})")
        harness.wait_until(
            lambda: gauge(self.kith, "kith_moderation_model_entries", kind="exposures") == edges + 1,
            15, message="the favourite committed while the listener was away")

    def test_statuses_shown_are_exposures_written_in_batches(self):
        status = self.api("carol", "POST", "/api/v1/statuses",
                          {"status": "seen by bob", "visibility": "public"})
        edges = gauge(self.kith, "kith_moderation_model_entries", kind="exposures")
        timeline = self.api("bob", "GET", "/api/v1/timelines/public?limit=40")
        self.assertIn(status["id"], [s["id"] for s in timeline])
        # In the engine at once (the edge bob-status is new).
        self.assertGreater(gauge(self.kith, "kith_moderation_model_entries", kind="exposures"),
                           edges)
        row = f"SELECT count(*) FROM mod_exposures WHERE account_id = {self.id_of('bob')}" \
              f" AND status_id = {status['id']}"
        harness.wait_until(lambda: self.psql(row) == "1", 10,
                           message="the exposure written by the worker (every 2 s)")
        # Shown again: still one row, one edge, and nothing more to write.
        edges = gauge(self.kith, "kith_moderation_model_entries", kind="exposures")
        written = gauge(self.kith, "kith_moderation_exposures", state="written")
        self.api("bob", "GET", f"/api/v1/statuses/{status['id']}")
        time.sleep(2.5)  # a flush interval
        self.assertEqual(gauge(self.kith, "kith_moderation_exposures", state="written"), written)
        self.assertEqual(self.psql(row), "1")
        self.assertEqual(gauge(self.kith, "kith_moderation_model_entries", kind="exposures"),
                         edges)
        # The author's own statuses are not exposures.
        own = f"SELECT count(*) FROM mod_exposures WHERE account_id = {self.id_of('carol')}" \
              f" AND status_id = {status['id']}"
        self.api("carol", "GET", f"/api/v1/statuses/{status['id']}")
        time.sleep(2.5)
        self.assertEqual(self.psql(own), "0")
        self.assertEqual(gauge(self.kith, "kith_moderation_exposures", state="dropped"), 0)

    def test_a_domain_block_blocks_that_servers_authors_for_the_blocker(self):
        # A remote author on spam.example with a public status, as the inbox
        # would have stored them.
        self.psql("INSERT INTO accounts (username, domain, uri) VALUES"
                  " ('spammer', 'spam.example', 'https://spam.example/users/spammer')")
        author = self.psql("SELECT id FROM accounts WHERE domain = 'spam.example'")
        self.psql("INSERT INTO statuses (account_id, uri, content, visibility) VALUES"
                  f" ({author}, 'https://spam.example/s/1', '<p>buy</p>', 'public')")
        status = self.psql("SELECT id FROM statuses WHERE uri = 'https://spam.example/s/1'")
        path = f"/api/v1/kith/moderation/statuses/{status}/explanation"
        self.assertEqual(self.api("dave", "GET", path)["reason"], "none")
        r = self.kith.request("POST", "/api/v1/domain_blocks", body={"domain": "spam.example"},
                              headers={"Authorization": f"Bearer {self.tokens['dave']}"})
        self.assertEqual(r.status, 200, r.text())
        # The kith_mod notice names the domain; the worker resolves it to
        # the domain's accounts and records a block of each.
        harness.wait_until(lambda: self.api("dave", "GET", path)["reason"] == "muted_author",
                           10, message="the domain block in the engine")
        self.assertEqual(self.api("bob", "GET", path)["reason"], "none")
        # Lifted: the mark goes, unless the author is also muted one by one.
        def domain_block(method, domain):
            r = self.kith.request(method, "/api/v1/domain_blocks", body={"domain": domain},
                                  headers={"Authorization": f"Bearer {self.tokens['dave']}"})
            self.assertEqual(r.status, 200, r.text())

        domain_block("DELETE", "spam.example")
        harness.wait_until(lambda: self.api("dave", "GET", path)["reason"] == "none",
                           10, message="the lifted domain block in the engine")
        # A second server's author, whose lifted block is resolved after the
        # first one's: once it is, the first one's has been too.
        self.psql("INSERT INTO accounts (username, domain, uri) VALUES"
                  " ('marker', 'marker.example', 'https://marker.example/users/marker')")
        marker = self.psql("SELECT id FROM accounts WHERE domain = 'marker.example'")
        self.psql("INSERT INTO statuses (account_id, uri, content, visibility) VALUES"
                  f" ({marker}, 'https://marker.example/s/1', '<p>hi</p>', 'public')")
        marker_path = "/api/v1/kith/moderation/statuses/" + self.psql(
            "SELECT id FROM statuses WHERE uri = 'https://marker.example/s/1'") + "/explanation"
        domain_block("POST", "marker.example")
        harness.wait_until(lambda: self.api("dave", "GET", marker_path)["reason"] == "muted_author",
                           10, message="the marker's domain block in the engine")
        self.api("dave", "POST", f"/api/v1/accounts/{author}/mute")
        domain_block("POST", "spam.example")
        domain_block("DELETE", "spam.example")
        domain_block("DELETE", "marker.example")
        harness.wait_until(lambda: self.api("dave", "GET", marker_path)["reason"] == "none",
                           10, message="the marker's lifted domain block in the engine")
        self.assertEqual(self.api("dave", "GET", path)["reason"], "muted_author")

    def test_a_timed_mute_ends_in_the_engine_too(self):
        status = self.api("carol", "POST", "/api/v1/statuses", {"status": "muted for seconds"})
        path = f"/api/v1/kith/moderation/statuses/{status['id']}/explanation"
        self.api("bob", "POST", f"/api/v1/accounts/{self.id_of('carol')}/mute", {"duration": 6})
        harness.wait_until(lambda: self.api("bob", "GET", path)["reason"] == "muted_author",
                           5, message="the mute in the engine")
        # No row changes when it ends: the worker's sweep (each refit
        # interval, 1 s here) announces it.
        harness.wait_until(lambda: self.api("bob", "GET", path)["reason"] == "none",
                           30, message="the ended mute out of the engine")

    def test_a_refit_runs_in_the_background_after_a_change(self):
        status = self.api("carol", "POST", "/api/v1/statuses", {"status": "refit me"})
        refits = gauge(self.kith, "kith_moderation_refits")
        self.report("dave", "carol", status["id"])
        harness.wait_until(lambda: gauge(self.kith, "kith_moderation_refits") > refits, 15,
                           message="a refit within the refit interval (1 s here)")
        self.assertGreaterEqual(gauge(self.kith, "kith_moderation_refit_age_seconds"), 0)

    def test_the_queue_answers_admins_only(self):
        body = self.api("alice", "GET", "/api/v1/kith/moderation/queue")
        self.assertIsInstance(body, list)
        for item in body:
            self.assertNotIn("flagger_ids", item)
            self.assertIn(item["state"], ("acted", "cleared", "confirmed", "overturned"))
        self.api("bob", "GET", "/api/v1/kith/moderation/queue", expect=403)
        status = self.api("bob", "POST", "/api/v1/statuses", {"status": "not yours to judge"})
        self.api("bob", "POST", f"/api/v1/kith/moderation/queue/{status['id']}/confirm",
                 expect=403)
        self.api("carol", "POST", f"/api/v1/kith/moderation/queue/{status['id']}/overturn",
                 expect=403)
        # An admin's token without the admin scopes is refused too.
        plain = self.token("alice", "read write")
        self.api(plain, "GET", "/api/v1/kith/moderation/queue", expect=403)
        self.api(plain, "POST", f"/api/v1/kith/moderation/queue/{status['id']}/confirm",
                 expect=403)
        self.api("alice", "GET", "/api/v1/kith/moderation/queue?limit=x", expect=422)
        # Nothing was decided by the refused calls.
        self.assertEqual(self.psql("SELECT count(*) FROM mod_instance_actions WHERE status_id = "
                                   + status["id"]), "0")

    def test_confirm_and_overturn_are_kept(self):
        status = self.api("bob", "POST", "/api/v1/statuses", {"status": "judge me"})
        self.report("carol", "bob", status["id"])
        path = f"/api/v1/kith/moderation/queue/{status['id']}"
        confirmed = self.api("alice", "POST", path + "/confirm")
        self.assertEqual(confirmed["status_id"], status["id"])
        self.assertEqual(confirmed["account_id"], self.id_of("bob"))
        self.assertEqual(confirmed["state"], "confirmed")
        self.assertIs(confirmed["admin_confirmed"], True)
        self.assertIs(confirmed["acted"], True)
        row = self.psql("SELECT state || '|' || decided_by || '|' || author_id"
                        " FROM mod_instance_actions WHERE status_id = " + status["id"])
        self.assertEqual(row, f"confirmed|{self.id_of('alice')}|{self.id_of('bob')}")
        overturned = self.api("alice", "POST", path + "/overturn")
        self.assertEqual(overturned["state"], "overturned")
        self.assertIs(overturned["admin_confirmed"], False)
        self.assertIs(overturned["acted"], False)
        self.assertEqual(self.psql("SELECT state FROM mod_instance_actions WHERE status_id = "
                                   + status["id"]), "overturned")
        self.api("alice", "POST", "/api/v1/kith/moderation/queue/999999999/confirm", expect=404)
        self.api("alice", "POST", "/api/v1/kith/moderation/queue/nope/confirm", expect=404)

    def test_decisions_and_preferences_written_elsewhere_reach_the_engine(self):
        # Another daemon on the same database writes these rows; psql stands
        # in for it. The kith_mod notices (migration 0020) carry them here.
        status = self.api("bob", "POST", "/api/v1/statuses", {"status": "decided elsewhere"})
        self.report("alice", "bob", status["id"])  # so that the engine knows the status
        path = f"/api/v1/kith/moderation/statuses/{status['id']}/explanation"
        self.psql("INSERT INTO mod_preferences (account_id, opt_out, sensitivity, action)"
                  f" VALUES ({self.id_of('carol')}, true, 0.25, 'hide')")
        harness.wait_until(
            lambda: self.api("carol", "GET", path)["preferences"]
            == {"opt_out": True, "sensitivity": 0.25, "action": "hide"},
            10, message="the preferences in the engine")
        self.psql("INSERT INTO mod_instance_actions (status_id, author_id, state)"
                  f" VALUES ({status['id']}, {self.id_of('bob')}, 'confirmed')")
        harness.wait_until(lambda: self.api("dave", "GET", path)["reason"] == "community",
                           10, message="the admin's confirmation in the engine")
        self.psql("UPDATE mod_instance_actions SET state = 'overturned'"
                  f" WHERE status_id = {status['id']}")
        # (alice's report may still predict a warning for dave: not for everyone.)
        harness.wait_until(lambda: self.api("dave", "GET", path)["reason"] != "community",
                           10, message="the admin's overturn in the engine")
        self.assertIsNone(self.api("dave", "GET", path).get("community"))

    def test_z_signals_survive_a_restart(self):
        # Runs last (unittest sorts by name): it restarts the daemon.
        status = self.api("dave", "POST", "/api/v1/statuses", {"status": "remember me"})
        self.report("bob", "dave", status["id"])
        confirmed = self.api("carol", "POST", "/api/v1/statuses", {"status": "confirm me"})
        self.report("bob", "carol", confirmed["id"])
        self.api("alice", "POST", f"/api/v1/kith/moderation/queue/{confirmed['id']}/confirm")
        # An exposure persisted by an earlier daemon (the rendering paths
        # write them; here one row is written as they would).
        shown = self.api("bob", "POST", "/api/v1/statuses", {"status": "seen once"})
        self.psql("INSERT INTO mod_exposures (account_id, status_id) VALUES ("
                  f"{self.id_of('carol')}, {shown['id']})")
        # One past retention (90 days by default): pruned before the load.
        old = self.api("bob", "POST", "/api/v1/statuses", {"status": "seen long ago"})
        self.psql("INSERT INTO mod_exposures (account_id, status_id, seen_at) VALUES ("
                  f"{self.id_of('dave')}, {old['id']}, now() - interval '100 days')")
        flags = self.flags()
        edges = gauge(self.kith, "kith_moderation_model_entries", kind="exposures")
        self.kith.sigterm()
        started = time.monotonic()
        self.kith.start()
        harness.wait_until(lambda: gauge(self.kith, "kith_moderation_loaded") == 1, 20,
                           message="the engine loaded after the restart")
        self.assertLess(time.monotonic() - started, 30)
        self.assertEqual(self.flags(), flags)
        self.assertEqual(gauge(self.kith, "kith_moderation_model_entries", kind="exposures"),
                         edges + 1)
        self.assertGreater(gauge(self.kith, "kith_moderation_model_bytes"), 0)
        self.assertEqual(self.psql("SELECT count(*) FROM mod_exposures WHERE status_id = "
                                   + old["id"]), "0", "an exposure past retention was kept")
        # The decision came back: confirming again finds it acted, and the
        # row is unchanged.
        self.assertEqual(self.psql("SELECT state FROM mod_instance_actions WHERE status_id = "
                                   + confirmed["id"]), "confirmed")
        harness.wait_until(lambda: gauge(self.kith, "kith_moderation_refits") >= 1, 15,
                           message="the first refit after the load")
        self.assertEqual(self.psql("SELECT state FROM mod_instance_actions WHERE status_id = "
                                   + confirmed["id"]), "confirmed",
                         "the model's first refit overrode an admin's decision")
        # The engine has the decision back: the status is in the queue,
        # confirmed and acted on for everyone.
        queue = {item["status_id"]: item
                 for item in self.api("alice", "GET", "/api/v1/kith/moderation/queue?limit=100")}
        self.assertIn(confirmed["id"], queue)
        self.assertEqual(queue[confirmed["id"]]["state"], "confirmed")
        self.assertIs(queue[confirmed["id"]]["acted"], True)
        self.assertEqual(queue[confirmed["id"]]["status"]["id"], confirmed["id"])


class RemoteFlagTest(unittest.TestCase):
    """A report on node b about node a's status, forwarded: a Flag that
    node a's inbox turns into a report, and its engine into a flag."""

    @classmethod
    def setUpClass(cls):
        cls.fed = federation.Federation(("a", "b"))
        cls.addClassCleanup(cls.fed.cleanup)

    def test_a_flag_from_another_kith_reaches_the_engine(self):
        a, b = self.fed["a"], self.fed["b"]
        author = a.login(a.add_user("alice"))
        reporter = b.login(b.add_user("olivia"))
        posted = author.post("a post that b reports", visibility="public")
        harness.wait_until(lambda: gauge(a.kith, "kith_moderation_loaded") == 1, 20,
                           message="node a's engine loaded")
        before = gauge(a.kith, "kith_moderation_model_entries", kind="flags")
        on_b = reporter.resolve_status(posted["uri"])
        self.assertIsNotNone(on_b, "b could not resolve a's status")
        author_on_b = reporter.resolve_account(author.acct)
        reporter.api("POST", "/api/v1/reports", body={
            "account_id": author_on_b["id"], "status_ids": [on_b["id"]],
            "comment": "remote flag test", "forward": True})
        federation.eventually(
            lambda: gauge(a.kith, "kith_moderation_model_entries", kind="flags") == before + 1,
            "the Flag from b is a flag in a's engine", federation=self.fed)
        # It came by notification (a's inbox worker wrote the report).
        self.assertGreaterEqual(gauge(a.kith, "kith_moderation_signals", path="notification"), 1)
        self.assertEqual(gauge(a.kith, "kith_moderation_signals", path="direct"), 0)


if __name__ == "__main__":
    unittest.main()
