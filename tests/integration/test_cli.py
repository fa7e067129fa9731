"""The `kith` command line: version, help, usage errors, configuration
errors that name the key, and user management against a real database.
"""

import os
import re
import shutil
import subprocess
import time
import unittest

import harness

pg = None


def setUpModule():
    global pg
    pg = harness.PgCluster()
    unittest.addModuleCleanup(pg.cleanup)


def run_kith(*args, input="", env=None, timeout=60):
    """Runs kith with exactly `args`, empty stdin, a clean environment."""
    base = harness.make_temp_dir("kcli-")
    try:
        return subprocess.run([harness.kith_bin(), *args], input=input, capture_output=True,
                              text=True, timeout=timeout, env=harness.clean_env(env), cwd=base)
    finally:
        os.rmdir(base)


EX_CONFIG = 78  # sysexits.h: what kith exits with on a bad configuration


class CommandLineTest(unittest.TestCase):

    def test_version_prints_name_and_version(self):
        r = run_kith("version")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout.strip(), r"^kith \d+\.\d+\.\d+\S*$")

    def test_help_lists_the_commands(self):
        for args in [("--help",), ("-h",), ("help",), ()]:
            with self.subTest(args):
                r = run_kith(*args)
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertIn("usage: kith", r.stdout)
                for command in ["serve", "migrate", "user add", "user list", "version", "--config"]:
                    self.assertIn(command, r.stdout)

    def test_unknown_command_or_option_prints_usage_and_exits_2(self):
        for args in [("frobnicate",), ("user", "frobnicate"), ("user",), ("--frobnicate",),
                     ("--config",), ("--config", "/dev/null")]:
            with self.subTest(args):
                r = run_kith(*args)
                self.assertEqual(r.returncode, 2, f"stdout={r.stdout!r} stderr={r.stderr!r}")
                self.assertIn("usage", (r.stderr + r.stdout).lower())

    def assert_config_error(self, result, key):
        """Exit 78 at once, with a message naming `key`."""
        self.assertEqual(result.returncode, EX_CONFIG,
                         f"stdout={result.stdout!r} stderr={result.stderr!r}")
        self.assertIn(key, result.stderr)
        self.assertIn("config", result.stderr.lower())

    def test_bad_configuration_file_fails_naming_the_key(self):
        cases = [
            ("[http]\nmax_connections = -5\n", "http.max_connections"),
            ('[http]\nmax_connections = "lots"\n', "http.max_connections"),
            ('[http]\nheader_timeout = "ten seconds"\n', "http.header_timeout"),
            ('memory_budget = "a lot"\n', "memory_budget"),
            ('log_level = "chatty"\n', "log_level"),
            ('listen = "not an address"\n', "listen"),
            ('listen = "nohost:8080"\n', "listen"),
            ('listen = "300.1.2.3:8080"\n', "listen"),
            ('listen = "127.0.0.1:99999"\n', "listen"),
            ("[database]\npool_size = 0\n", "database.pool_size"),
            ("no_such_key = 1\n", "no_such_key"),
            ("[http]\nno_such_key = 1\n", "http.no_such_key"),
            ("this is not toml\n", "kith.toml"),
        ]
        base = harness.make_temp_dir("kcfg-")
        self.addCleanup(lambda: shutil.rmtree(base, ignore_errors=True))
        path = os.path.join(base, "kith.toml")
        data_dir = os.path.join(base, "data")
        for text, key in cases:
            with self.subTest(key=key, text=text):
                with open(path, "w") as f:
                    f.write(f'data_dir = "{data_dir}"\n' + text)
                start = time.monotonic()
                r = run_kith("--config", path, "serve", timeout=30)
                self.assert_config_error(r, key)
                self.assertLess(time.monotonic() - start, 10, "a config error should fail fast")
                self.assertFalse(os.path.exists(data_dir), "kith acted on a bad configuration")

    def test_bad_environment_override_fails_naming_the_key(self):
        for variable, value, key in [("KITH_MEMORY_BUDGET", "lots", "memory_budget"),
                                     ("KITH_HTTP_MAX_CONNECTIONS", "many", "http.max_connections"),
                                     ("KITH_HTTP_HEADER_TIMEOUT", "soon", "http.header_timeout"),
                                     ("KITH_LISTEN", "localhost:8080", "listen")]:
            with self.subTest(variable):
                r = run_kith("serve", env={variable: value,
                                           "KITH_DATA_DIR": "/nonexistent-kith-test"}, timeout=30)
                self.assert_config_error(r, key)

    def test_config_file_is_taken_from_option_or_environment(self):
        base = harness.make_temp_dir("kcfg-")
        self.addCleanup(lambda: shutil.rmtree(base, ignore_errors=True))
        path = os.path.join(base, "env.toml")
        with open(path, "w") as f:
            f.write(f'data_dir = "{base}/data"\n[database]\npool_size = -1\n')
        for args, env in [(("--config", path, "serve"), None),
                          ((f"--config={path}", "serve"), None),
                          (("-c", path, "migrate"), None),
                          (("serve", "--config", path), None),
                          (("serve",), {"KITH_CONFIG": path})]:
            with self.subTest(args=args, env=env):
                self.assert_config_error(run_kith(*args, env=env, timeout=30),
                                         "database.pool_size")

    def test_environment_overrides_the_config_file(self):
        base = harness.make_temp_dir("kcfg-")
        self.addCleanup(lambda: shutil.rmtree(base, ignore_errors=True))
        path = os.path.join(base, "kith.toml")
        with open(path, "w") as f:
            f.write(f'data_dir = "{base}/data"\nmemory_budget = "64MiB"\n')
        r = run_kith("--config", path, "serve", env={"KITH_MEMORY_BUDGET": "lots"}, timeout=30)
        self.assert_config_error(r, "memory_budget")
        self.assertIn("lots", r.stderr)

    def test_missing_config_file_fails(self):
        r = run_kith("--config", "/nonexistent/kith.toml", "migrate", timeout=30)
        self.assert_config_error(r, "/nonexistent/kith.toml")


class UserCommandsTest(unittest.TestCase):
    """`kith user add` and `kith user list` against an external database."""

    @classmethod
    def setUpClass(cls):
        cls.kith = harness.Kith(database_url=pg.url())
        cls.addClassCleanup(cls.kith.cleanup)
        r = cls.kith.run("migrate")
        if r.returncode != 0:
            raise AssertionError(f"kith migrate failed: {r.stderr}")

    def users(self):
        """`kith user list` as {username: (email, role, created_at)}."""
        r = self.kith.run("user", "list")
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = r.stdout.rstrip("\n").split("\n")
        self.assertEqual(lines[0], "username\temail\trole\tcreated_at", "header line")
        users = {}
        for line in lines[1:]:
            fields = line.split("\t")
            self.assertEqual(len(fields), 4, f"expected 4 tab-separated fields: {line!r}")
            users[fields[0]] = tuple(fields[1:])
        return users

    def test_user_add_reads_password_from_stdin_and_never_prints_or_stores_it(self):
        password = "correct horse battery staple 42"
        r = self.kith.run("user", "add", "alice", "--email", "alice@localhost",
                          input=password + "\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn("password:", r.stdout)
        self.assertNotIn(password, r.stdout + r.stderr)
        email, role, created_at = self.users()["alice"]
        self.assertEqual(email, "alice@localhost")
        self.assertEqual(role, "user")
        self.assertRegex(created_at, r"^\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d")
        dump = pg.pg_dump()
        self.assertNotIn(password, dump, "the plain-text password is in the database")
        self.assertIn("$argon2id$", dump)

    def test_user_add_without_stdin_password_generates_and_prints_one(self):
        r = self.kith.run("user", "add", "bob", "--admin")
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = [l for l in r.stdout.splitlines() if l.startswith("password: ")]
        self.assertEqual(len(lines), 1, r.stdout)
        password = lines[0][len("password: "):]
        self.assertGreaterEqual(len(password), 12)
        self.assertNotIn(password, r.stderr)
        self.assertNotIn(password, pg.pg_dump())
        email, role, _ = self.users()["bob"]
        self.assertEqual(role, "admin")
        self.assertTrue(email, "email defaults to something (username@host)")

    def test_empty_first_stdin_line_means_generated_password(self):
        r = self.kith.run("user", "add", "erin", input="\nignored\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(any(re.match(r"^password: \S{12,}$", l) for l in r.stdout.splitlines()),
                        r.stdout)

    def test_duplicate_username_fails_without_changing_the_user(self):
        r = self.kith.run("user", "add", "carol", "--email", "carol@localhost", input="carol-password-1\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        before = self.users()["carol"]
        for name in ["carol", "CAROL", "Carol"]:
            with self.subTest(name):
                r = self.kith.run("user", "add", name, "--email", "other@localhost",
                                  input="carol-password-2\n")
                self.assertEqual(r.returncode, 1, r.stdout)
                self.assertIn(f"cannot create user {name}", r.stderr)
                self.assertIn("username is taken", r.stderr)
                self.assertNotIn("created", r.stdout)
        self.assertEqual(self.users()["carol"], before)
        self.assertEqual([u for u in self.users() if u.lower() == "carol"], ["carol"])

    def test_invalid_usernames_are_refused(self):
        for name in ["", "has space", "semi;colon", "x" * 31, "émile", "../etc"]:
            with self.subTest(name=name):
                r = self.kith.run("user", "add", name, input="a-long-enough-password\n")
                self.assertNotEqual(r.returncode, 0, r.stdout)
                self.assertTrue(r.stderr.strip(), "no error message")
                self.assertNotIn(name, self.users() if name else {})

    def test_user_list_has_header_and_one_line_per_user(self):
        self.kith.run("user", "add", "dave", input="dave-password-1\n")
        users = self.users()
        count = int(pg.psql("SELECT count(*) FROM users"))
        self.assertEqual(len(users), count)
        self.assertIn("dave", users)


if __name__ == "__main__":
    unittest.main()
