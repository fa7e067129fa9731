"""The embedded PostgreSQL: with no database_url, `kith serve` on a fresh
data dir initialises its own cluster under data_dir/postgres (owned by the
`postgres` user when kith runs as root), becomes ready, shares the cluster
with CLI commands, stops it when kith stops (no PostgreSQL process of that
data dir is left), and reuses it on the next start. A cluster left behind
by a kill -9 and a crashed postmaster is recovered by the next start.
"""

import os
import pwd
import signal
import unittest

import harness


def setUpModule():
    # The killed-daemon test must reap the postmaster it kills, so that its
    # PID is really gone (see harness.become_subreaper).
    harness.become_subreaper()
    unittest.addModuleCleanup(harness.reap_exited_orphans)


class EmbeddedPostgresTest(unittest.TestCase):

    def setUp(self):
        self.kith = harness.Kith(database_url=None)  # embedded
        self.addCleanup(self.kith.cleanup)
        self.pgroot = os.path.join(self.kith.data_dir, "postgres")
        self.pgdata = os.path.join(self.pgroot, "data")

    def postgres_processes(self):
        return harness.processes_in_dir(self.pgroot)

    def assert_no_postgres_left(self, when):
        try:
            harness.wait_until(lambda: not self.postgres_processes(), 10,
                               message="PostgreSQL processes to exit")
        except AssertionError:
            self.fail(f"PostgreSQL processes of {self.pgroot} still running {when}: "
                      f"{self.postgres_processes()}")

    def add_user(self, name):
        r = self.kith.run("user", "add", name, input=f"{name}-password-0123\n", timeout=120)
        self.assertEqual(r.returncode, 0, f"kith user add {name}: {r.stdout}{r.stderr}")

    def listed_users(self):
        r = self.kith.run("user", "list", timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        return [line.split("\t")[0] for line in r.stdout.splitlines()[1:] if line]

    def user_count(self):
        r = self.kith.get("/api/v1/instance")
        self.assertEqual(r.status, 200, r)
        return r.json()["stats"]["user_count"]

    def initdb_runs(self):
        """How often kith said it initialised a cluster (stderr accumulates
        over every start of this Kith)."""
        return self.kith.stderr().count("initialising a cluster")

    def test_fresh_data_dir_gets_a_cluster_that_stops_with_kith_and_is_reused(self):
        kith = self.kith
        kith.start()  # waits for /readyz 200
        self.assertEqual(self.initdb_runs(), 1)

        # The cluster lives under data_dir/postgres, on a unix socket in run/.
        self.assertTrue(os.path.exists(os.path.join(self.pgdata, "PG_VERSION")),
                        f"no cluster in {self.pgdata}")
        self.assertTrue(os.path.exists(os.path.join(self.pgroot, "run", ".s.PGSQL.5432")),
                        "no PostgreSQL socket in data_dir/postgres/run")
        running = self.postgres_processes()
        self.assertTrue(running, "no PostgreSQL process runs in the cluster directory")
        if harness.running_as_root():
            postgres = pwd.getpwnam("postgres")
            for path in [self.pgroot, self.pgdata, os.path.join(self.pgdata, "PG_VERSION"),
                         os.path.join(self.pgdata, "kith.conf")]:
                with self.subTest(path=path):
                    self.assertEqual(os.stat(path).st_uid, postgres.pw_uid,
                                     f"{path} is not owned by postgres")
            uids = {os.stat(f"/proc/{pid}").st_uid for pid in running}
            self.assertEqual(uids, {postgres.pw_uid}, "PostgreSQL does not run as postgres")
        self.assertEqual(self.user_count(), 0)

        # A CLI command while the server runs uses the running cluster and
        # leaves it running.
        self.add_user("carol")
        self.assertEqual(self.listed_users(), ["carol"])
        self.assertEqual(kith.get("/readyz").status, 200, "the CLI stopped the server's cluster")
        self.assertTrue(self.postgres_processes())

        self.assertEqual(kith.sigterm(), 0, f"stderr:\n{kith.stderr_tail()}")
        self.assert_no_postgres_left("after kith serve exited")
        self.assertFalse(os.path.exists(os.path.join(self.pgdata, "postmaster.pid")))

        # A CLI command with no server starts the cluster, and stops it again.
        self.add_user("dave")
        self.assert_no_postgres_left("after kith user add exited")
        self.assertEqual(sorted(self.listed_users()), ["carol", "dave"])
        self.assert_no_postgres_left("after kith user list exited")

        # Second start: the existing cluster is reused, not re-initialised.
        kith.start()
        self.assertEqual(self.initdb_runs(), 1, "the cluster was initialised again")
        self.assertEqual(self.user_count(), 2)
        self.assertEqual(kith.sigterm(), 0, f"stderr:\n{kith.stderr_tail()}")
        self.assert_no_postgres_left("after the second kith serve exited")

    def test_killed_daemon_and_postmaster_leave_a_cluster_the_next_start_recovers(self):
        kith = self.kith
        kith.start()
        self.add_user("erin")
        # kill -9: kith gets no chance to stop PostgreSQL. The postmaster
        # dies too (as in a power cut), leaving a stale postmaster.pid.
        kith.process.kill()
        kith.process.wait(10)
        for pid in self.postgres_processes():
            os.kill(pid, signal.SIGKILL)
        harness.wait_until(lambda: not self.postgres_processes(), 10,
                           message="killed PostgreSQL processes to go")
        harness.reap_exited_orphans()
        self.assertTrue(os.path.exists(os.path.join(self.pgdata, "postmaster.pid")))

        kith.start()
        self.assertEqual(self.initdb_runs(), 1, "the cluster was initialised again")
        self.assertEqual(self.user_count(), 1)
        self.assertEqual(kith.sigterm(), 0, f"stderr:\n{kith.stderr_tail()}")
        self.assert_no_postgres_left("after kith serve exited")


if __name__ == "__main__":
    unittest.main()
