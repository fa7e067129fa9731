"""The daemon against a PostgreSQL that goes away and comes back, and the
migrations that set up its schema.

A database restart must never take the daemon down: while PostgreSQL is
away, routes that need it answer 503 with Retry-After and a JSON error,
/readyz says so, /healthz (the process itself) stays 200; once PostgreSQL is
back the pool reconnects on its own and requests succeed again.
"""

import re
import subprocess
import sys
import threading
import time
import unittest

import harness

pg = None


def setUpModule():
    global pg
    pg = harness.PgCluster()
    unittest.addModuleCleanup(pg.cleanup)


APP_REGISTRATION = {"client_name": "database test", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob"}


class DatabaseOutageTest(unittest.TestCase):
    """POST /api/v1/apps and /readyz reach PostgreSQL on every request (the
    instance document is cached for a few seconds, so it is not used here)."""

    def setUp(self):
        self.kith = harness.Kith(database_url=pg.url(),
                                 config={"database": {"pool_size": 2,
                                                      "acquire_timeout": "2s"}})
        self.addCleanup(self.kith.cleanup)
        self.kith.start()
        # Whatever happens, leave PostgreSQL running for the next test.
        self.addCleanup(lambda: pg.is_running() or pg.start())

    def register_app(self, timeout=20):
        return self.kith.post("/api/v1/apps", APP_REGISTRATION, timeout=timeout)

    def assert_unavailable(self, response):
        self.assertEqual(response.status, 503, response)
        self.assertTrue(response.header("retry-after", "").isdigit(),
                        f"no numeric Retry-After: {response}")
        self.assertTrue(response.header("content-type", "").startswith("application/json"),
                        response)
        self.assertIsInstance(response.json().get("error"), str, response)

    def test_postgres_restart_mid_traffic_gives_503_then_recovers_without_a_crash(self):
        kith = self.kith
        self.assertEqual(self.register_app().status, 200)

        # Clients keep registering apps and probing /healthz while
        # PostgreSQL stops (-m fast: sessions are terminated) and restarts.
        app_statuses, health_statuses, failures = [], [], []
        stop = threading.Event()

        def traffic(request, statuses):
            while not stop.is_set():
                try:
                    statuses.append(request().status)
                except Exception as e:  # noqa: BLE001 - a transport error is a failure
                    failures.append(repr(e))
                time.sleep(0.02)
        threads = [threading.Thread(target=traffic, args=(self.register_app, app_statuses)),
                   threading.Thread(target=traffic, args=(self.register_app, app_statuses)),
                   threading.Thread(target=traffic,
                                    args=(lambda: kith.get("/healthz"), health_statuses))]
        for t in threads:
            t.start()
        try:
            harness.wait_until(lambda: app_statuses.count(200) >= 5, 10,
                               message="traffic to succeed before the outage")
            pg.stop(mode="fast")
            stopped_at = len(app_statuses)

            # PostgreSQL is down: DB-backed requests fail fast and honestly.
            harness.wait_until(lambda: 503 in app_statuses[stopped_at:], 10,
                               message="a 503 from POST /api/v1/apps while PostgreSQL is down")
            for _ in range(3):
                self.assert_unavailable(self.register_app())
            readyz = kith.get("/readyz", timeout=20)
            self.assert_unavailable(readyz)
            self.assertEqual(readyz.json(), {"error": "database unavailable"})
            self.assertEqual(kith.get("/healthz").status, 200)
            self.assertTrue(kith.alive(), f"daemon died; stderr:\n{kith.stderr_tail()}")

            pg.start()
            restarted_at = time.monotonic()
            harness.wait_until(lambda: kith.get("/readyz", timeout=10).status == 200, 20,
                               interval=0.1, message="/readyz 200 after PostgreSQL restarted")
            recovered_at = len(app_statuses)
            harness.wait_until(lambda: app_statuses[recovered_at:].count(200) >= 5, 20,
                               message="traffic to succeed again")
        finally:
            stop.set()
            for t in threads:
                t.join(30)

        self.assertEqual(failures, [], "requests failed at the transport level")
        self.assertEqual(set(health_statuses), {200}, "/healthz depends on the database")
        self.assertTrue(set(app_statuses) <= {200, 503},
                        f"unexpected statuses: {sorted(set(app_statuses))}")
        # Every pooled connection has come back, not just one.
        for _ in range(10):
            r = self.register_app()
            self.assertEqual(r.status, 200, r)
            self.assertIn("client_id", r.json())
        self.assertLess(time.monotonic() - restarted_at, 30)
        self.assertEqual(kith.sigterm(), 0, f"stderr:\n{kith.stderr_tail()}")

    def test_a_restart_that_is_over_costs_no_request(self):
        # The pooled connections sat idle through the restart; each is found
        # ended when a job comes and replaced before the job runs. Requests
        # go on until the log shows both pooled connections replaced.
        kith = self.kith
        self.assertEqual(self.register_app().status, 200)
        pg.stop(mode="fast")
        pg.start()
        statuses = []
        while kith.stderr().count("ended by the server while idle") < 2 and len(statuses) < 40:
            statuses.append(self.register_app().status)
        self.assertEqual(statuses, [200] * len(statuses))
        self.assertEqual(kith.stderr().count("ended by the server while idle"), 2,
                         kith.stderr_tail())
        print(f"ok: after a restart, {len(statuses)} requests all 200 while both pooled "
              f"connections were replaced", file=sys.stderr)

    def test_outage_is_answered_promptly_not_after_a_hang(self):
        kith = self.kith
        pg.stop(mode="fast")
        for request in [self.register_app, lambda: kith.get("/readyz", timeout=20)]:
            start = time.monotonic()
            self.assert_unavailable(request())
            # acquire_timeout is 2 s; allow for a slow build but not a hang.
            self.assertLess(time.monotonic() - start, 10)
        pg.start()
        harness.wait_until(lambda: kith.get("/readyz", timeout=10).status == 200, 20,
                           interval=0.1, message="/readyz 200 after PostgreSQL restarted")
        self.assertEqual(self.register_app().status, 200)


class MigrationTest(unittest.TestCase):

    def test_migrate_twice_applies_once_and_then_reports_up_to_date(self):
        pg.createdb("kith_migrate")
        self.addCleanup(lambda: pg.psql('DROP DATABASE IF EXISTS "kith_migrate"', dbname="postgres"))
        kith = harness.Kith(database_url=pg.url("kith_migrate"))
        self.addCleanup(kith.cleanup)

        def recorded():
            return pg.psql("SELECT version, name, applied_at FROM schema_migrations "
                           "ORDER BY version", dbname="kith_migrate").splitlines()

        first = kith.run("migrate")
        self.assertEqual(first.returncode, 0, first.stderr)
        m = re.search(r"applied (\d+) migration\(s\); schema version (\d+)", first.stdout)
        self.assertIsNotNone(m, f"unexpected output: {first.stdout!r}")
        applied, version = int(m.group(1)), int(m.group(2))
        self.assertGreaterEqual(applied, 1)
        after_first = recorded()
        self.assertEqual(len(after_first), applied)
        self.assertEqual(int(after_first[-1].split("|")[0]), version)

        second = kith.run("migrate")
        self.assertEqual(second.returncode, 0, second.stderr)
        self.assertEqual(second.stdout.strip(), f"schema is up to date (version {version})")
        self.assertEqual(recorded(), after_first, "the second run changed schema_migrations")

        # A daemon started on the migrated database does not migrate again.
        kith.start()
        self.assertEqual(kith.get("/api/v1/instance").status, 200)
        self.assertEqual(kith.sigterm(), 0)
        self.assertEqual(recorded(), after_first)
        self.assertIn(f"schema at version {version} (0 migration(s) applied now)", kith.stderr())

    def test_concurrent_migrations_apply_each_version_once(self):
        pg.createdb("kith_race")
        self.addCleanup(lambda: pg.psql('DROP DATABASE IF EXISTS "kith_race"', dbname="postgres"))
        kith = harness.Kith(database_url=pg.url("kith_race"))
        self.addCleanup(kith.cleanup)
        procs = [subprocess.Popen([kith.bin, "--config", kith.config_path, "migrate"],
                                  stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True, env=kith.env())
                 for _ in range(3)]
        results = [p.communicate(timeout=120) + (p.returncode,) for p in procs]
        for out, err, code in results:
            self.assertEqual(code, 0, err)
        total_applied = sum(int(m.group(1)) for out, _, _ in results
                            for m in [re.search(r"applied (\d+) migration", out)] if m)
        rows = int(pg.psql("SELECT count(*) FROM schema_migrations", dbname="kith_race"))
        self.assertEqual(total_applied, rows)
        distinct = int(pg.psql("SELECT count(DISTINCT version) FROM schema_migrations",
                               dbname="kith_race"))
        self.assertEqual(distinct, rows)


if __name__ == "__main__":
    unittest.main()
