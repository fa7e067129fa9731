"""Mastodon.py (Debian's python3-mastodon), a client we did not write,
against kith: register an app, log in with the password grant (by e-mail,
with the scopes Mastodon.py asks for, push included), read the account,
post, favourite, boost, read the home timeline, delete; and a wrong password
comes back as Mastodon.py's error, not a crash or a redirect.

scripts/setup installs python3-mastodon; the test is skipped (and says so)
only where it is missing. Run with Debian's /usr/bin/python3, where it lives.
"""

import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
import harness  # noqa: E402

try:
    import mastodon
except ImportError:  # pragma: no cover
    mastodon = None

PASSWORD = "correct horse battery staple"


@unittest.skipIf(mastodon is None, "python3-mastodon is not installed")
class MastodonPyTest(unittest.TestCase):
    def setUp(self):
        self.pg = harness.PgCluster()
        self.addCleanup(self.pg.cleanup)
        self.pg.createdb("mpy")
        self.kith = harness.Kith(database_url=self.pg.url("mpy"))
        self.addCleanup(self.kith.cleanup)
        self.kith.start()
        created = self.kith.run("user", "add", "alice", "--email", "alice@example.com",
                                input=PASSWORD + "\n")
        self.assertEqual(created.returncode, 0, created.stderr)
        self.base = f"http://127.0.0.1:{self.kith.port}"

    def test_log_in_post_favourite_boost_delete(self):
        client_id, client_secret = mastodon.Mastodon.create_app(
            "kith interop", api_base_url=self.base, scopes=["read", "write", "follow", "push"])
        api = mastodon.Mastodon(client_id=client_id, client_secret=client_secret,
                                api_base_url=self.base)
        with self.assertRaises(mastodon.MastodonError):
            api.log_in("alice@example.com", "wrong password",
                       scopes=["read", "write", "follow", "push"])
        token = api.log_in("alice@example.com", PASSWORD,
                           scopes=["read", "write", "follow", "push"])
        self.assertTrue(token)
        me = api.account_verify_credentials()
        self.assertEqual(me["acct"], "alice")
        self.assertEqual(me["username"], "alice")

        status = api.status_post("hello from Mastodon.py #interop", visibility="unlisted",
                                 spoiler_text="a warning")
        self.assertEqual(status["visibility"], "unlisted")
        self.assertEqual(status["spoiler_text"], "a warning")
        self.assertIsNone(status["reblog"])
        self.assertEqual(status["account"]["acct"], "alice")
        self.assertEqual(status["tags"][0]["name"], "interop")

        faved = api.status_favourite(status)
        self.assertTrue(faved["favourited"])
        self.assertEqual(faved["favourites_count"], 1)
        boosted = api.status_reblog(status)
        self.assertEqual(boosted["reblog"]["id"], status["id"])

        home = api.timeline_home()
        self.assertEqual(home[0]["id"], boosted["id"])
        self.assertEqual(api.status(status["id"])["id"], status["id"])

        api.status_unreblog(status)
        api.status_unfavourite(status)
        deleted = api.status_delete(status)
        self.assertEqual(deleted["text"], "hello from Mastodon.py #interop")
        with self.assertRaises(mastodon.MastodonNotFoundError):
            api.status(status["id"])


if __name__ == "__main__":
    unittest.main()
