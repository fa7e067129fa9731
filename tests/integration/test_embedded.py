"""The embedded PostgreSQL: `kith serve` with no database_url on a fresh
data dir must set up its own cluster, become ready, share it with CLI
commands, and leave no PostgreSQL process behind when it stops.
"""

import glob
import os
import signal
import time
import unittest

import harness


class EmbeddedPostgresTest(unittest.TestCase):

    def setUp(self):
        self.kith = harness.Kith(database_url=None)  # embedded
        self.addCleanup(self.kith.cleanup)
        self.pgdata = os.path.join(self.kith.data_dir, "postgres")

    def postgres_processes(self):
        return harness.processes_in_dir(self.pgdata)

    def assert_no_postgres_left(self, when):
        try:
            harness.wait_until(lambda: not self.postgres_processes(), 5,
                               message="PostgreSQL processes to exit")
        except AssertionError:
            self.fail(f"PostgreSQL processes of {self.pgdata} still running {when}: "
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

    def test_fresh_data_dir_gets_a_cluster_and_user_commands_share_it(self):
        kith = self.kith
        kith.start()  # waits for /readyz 200

        # The cluster lives under data_dir, on a unix socket under data_dir/run.
        self.assertTrue(glob.glob(os.path.join(self.pgdata, "**", "PG_VERSION"), recursive=True),
                        f"no cluster under {self.pgdata}")
        self.assertTrue(glob.glob(os.path.join(kith.data_dir, "run", ".s.PGSQL.*")),
                        "no PostgreSQL socket in data_dir/run")
        running = self.postgres_processes()
        self.assertTrue(running, "no PostgreSQL process runs in the cluster directory")
        if harness.running_as_root():
            uids = {os.stat(f"/proc/{pid}").st_uid for pid in running}
            self.assertNotIn(0, uids, "PostgreSQL runs as root")
        self.assertEqual(self.user_count(), 0)

        # A CLI command while the server runs uses the running cluster and
        # leaves it running.
        self.add_user("carol")
        self.assertEqual(self.listed_users(), ["carol"])
        self.assertEqual(kith.get("/readyz").status, 200, "the CLI stopped the server's cluster")
        self.assertTrue(self.postgres_processes())
        self.assertEqual(self.user_count(), 1)

        self.assertEqual(kith.sigterm(), 0, f"stderr:\n{kith.stderr_tail()}")
        self.assert_no_postgres_left("after kith serve exited")

        # A CLI command with no server starts the cluster, and stops it again.
        self.add_user("dave")
        self.assert_no_postgres_left("after kith user add exited")
        self.assertEqual(sorted(self.listed_users()), ["carol", "dave"])
        self.assert_no_postgres_left("after kith user list exited")

        # Second start: the existing cluster is reused, not re-initialised.
        start = time.monotonic()
        kith.start()
        self.assertEqual(self.user_count(), 2)
        self.assertEqual(kith.sigterm(), 0, f"stderr:\n{kith.stderr_tail()}")
        self.assert_no_postgres_left("after the second kith serve exited")
        self.assertLess(time.monotonic() - start, 90)

    def test_killed_daemon_leaves_a_cluster_the_next_start_recovers(self):
        kith = self.kith
        kith.start()
        postmaster = self.postgres_processes()
        self.assertTrue(postmaster)
        # kill -9: no chance to stop PostgreSQL. Simulate the stale
        # postmaster dying too (as after a reboot), leaving postmaster.pid.
        kith.process.kill()
        kith.process.wait(10)
        for pid in self.postgres_processes():
            os.kill(pid, signal.SIGKILL)
        harness.wait_until(lambda: not self.postgres_processes(), 10,
                           message="killed PostgreSQL processes to go")
        kith.start()
        self.assertEqual(self.user_count(), 0)
        self.assertEqual(kith.sigterm(), 0, f"stderr:\n{kith.stderr_tail()}")
        self.assert_no_postgres_left("after kith serve exited")


if __name__ == "__main__":
    unittest.main()
