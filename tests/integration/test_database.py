"""The daemon against a PostgreSQL that goes away and comes back, and the
migrations that set up its schema.

A database restart must never take the daemon down: while PostgreSQL is
away, routes that need it answer 503 with Retry-After and a JSON error,
/readyz says so, /healthz (the process itself) stays 200; once PostgreSQL is
back the pool reconnects on its own and requests succeed again.
"""

import re
import subprocess
import threading
import time
import unittest

import harness

pg = None


def setUpModule():
    global pg
    pg = harness.PgCluster()
    unittest.addModuleCleanup(pg.cleanup)


class DatabaseOutageTest(unittest.TestCase):

    def setUp(self):
        self.kith = harness.Kith(database_url=pg.url(),
                                 config={"database": {"pool_size": 2,
                                                      "acquire_timeout": "2s"}})
        self.addCleanup(self.kith.cleanup)
        self.kith.start()
        # Whatever happens, leave PostgreSQL running for the next test.
        self.addCleanup(lambda: pg.is_running() or pg.start())

    def assert_unavailable(self, response):
        self.assertEqual(response.status, 503, response)
        self.assertTrue(response.header("retry-after"), f"no Retry-After: {response}")
        self.assertTrue(response.header("content-type", "").startswith("application/json"),
                        response)
        self.assertIsInstance(response.json().get("error"), str, response)

    def test_postgres_stopped_mid_traffic_gives_503_then_recovers(self):
        kith = self.kith
        self.assertEqual(kith.get("/api/v1/instance").status, 200)

        # Traffic on two threads while PostgreSQL stops under it.
        statuses, failures, stop = [], [], threading.Event()

        def traffic():
            deadline = time.monotonic() + 40
            while not stop.is_set() and time.monotonic() < deadline:
                try:
                    statuses.append(kith.get("/api/v1/instance", timeout=20).status)
                except Exception as e:  # noqa: BLE001 - a transport error is a failure
                    failures.append(repr(e))
                time.sleep(0.02)
        threads = [threading.Thread(target=traffic) for _ in range(2)]
        for t in threads:
            t.start()
        try:
            time.sleep(0.5)
            pg.stop(mode="fast")
            time.sleep(2)
        finally:
            stop.set()
            for t in threads:
                t.join(45)

        self.assertEqual(failures, [], "requests failed at the transport level during the outage")
        self.assertTrue(set(statuses) <= {200, 503}, f"unexpected statuses: {sorted(set(statuses))}")
        self.assertIn(200, statuses)

        # PostgreSQL is down now.
        for _ in range(3):
            self.assert_unavailable(kith.get("/api/v1/instance", timeout=20))
        readyz = kith.get("/readyz", timeout=20)
        self.assert_unavailable(readyz)
        self.assertEqual(readyz.json(), {"error": "database unavailable"})
        self.assertEqual(kith.get("/healthz").status, 200)
        self.assertTrue(kith.alive(), f"daemon died; stderr:\n{kith.stderr_tail()}")

        pg.start()
        start = time.monotonic()
        harness.wait_until(lambda: kith.get("/readyz", timeout=10).status == 200, 20,
                           interval=0.25, message="/readyz 200 after PostgreSQL restarted")
        # Every pooled connection must have come back, not just one.
        for _ in range(10):
            r = kith.get("/api/v1/instance")
            self.assertEqual(r.status, 200, r)
            self.assertIsInstance(r.json()["stats"]["user_count"], int)
        self.assertLess(time.monotonic() - start, 30)
        self.assertEqual(kith.sigterm(), 0, f"stderr:\n{kith.stderr_tail()}")

    def test_outage_answers_promptly_not_after_a_hang(self):
        kith = self.kith
        pg.stop(mode="fast")
        start = time.monotonic()
        self.assert_unavailable(kith.get("/api/v1/instance", timeout=20))
        # acquire_timeout is 2 s; allow for a slow build but not a hang.
        self.assertLess(time.monotonic() - start, 10)
        pg.start()
        harness.wait_until(lambda: kith.get("/readyz", timeout=10).status == 200, 20,
                           interval=0.25, message="/readyz 200 after PostgreSQL restarted")


class MigrationTest(unittest.TestCase):

    def test_migrate_twice_applies_once_and_then_reports_up_to_date(self):
        pg.createdb("kith_migrate")
        self.addCleanup(lambda: pg.psql('DROP DATABASE IF EXISTS "kith_migrate"', dbname="postgres"))
        kith = harness.Kith(database_url=pg.url("kith_migrate"))
        self.addCleanup(kith.cleanup)

        first = kith.run("migrate")
        self.assertEqual(first.returncode, 0, first.stderr)
        m = re.search(r"applied (\d+) migration\(s\); schema version (\d+)", first.stdout)
        self.assertIsNotNone(m, f"unexpected output: {first.stdout!r}")
        applied, version = int(m.group(1)), int(m.group(2))
        self.assertGreaterEqual(applied, 1)
        rows = int(pg.psql("SELECT count(*) FROM schema_migrations", dbname="kith_migrate"))
        self.assertEqual(rows, applied)

        second = kith.run("migrate")
        self.assertEqual(second.returncode, 0, second.stderr)
        self.assertIn(f"schema is up to date (version {version})", second.stdout)
        self.assertEqual(int(pg.psql("SELECT count(*) FROM schema_migrations",
                                     dbname="kith_migrate")), rows)

        # A daemon started on the migrated database does not migrate again.
        kith.start()
        self.assertEqual(kith.get("/api/v1/instance").status, 200)
        self.assertEqual(kith.sigterm(), 0)
        self.assertEqual(int(pg.psql("SELECT count(*) FROM schema_migrations",
                                     dbname="kith_migrate")), rows)

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
