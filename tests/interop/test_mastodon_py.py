"""Mastodon.py (Debian's python3-mastodon), a client we did not write,
against kith.

MastodonPyTest: register an app, log in with the password grant (by e-mail,
with the scopes Mastodon.py asks for, push included), read the account,
post, favourite, boost, read the home timeline, delete; and a wrong password
comes back as Mastodon.py's error, not a crash or a redirect. A report filed
with Mastodon.py (account and status_ids) comes back as Mastodon.py's Report
and is a flag in the community moderation engine (its /metrics gauge).

MastodonPyFederatedTest: two kiths behind TLS (tests/integration/
federation.py). Mastodon.py registers an app on a, the user authorizes it
through the sign-in and consent pages (the authorization-code flow, code
shown out of band), then posts with media and with a poll, reads timelines,
follows bob on b, reads a streaming event (Mastodon.py's server-sent events)
when bob posts, favourites and boosts bob's post, and gets a notification
when bob favourites hers.

scripts/setup installs python3-mastodon; the test is skipped (and says so)
only where it is missing. Run with Debian's /usr/bin/python3, where it lives.
"""

import html.parser
import os
import struct
import sys
import threading
import time
import unittest
import urllib.parse
import zlib

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
import harness  # noqa: E402
import federation  # noqa: E402

try:
    import mastodon
    import requests
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

    def test_a_report_reaches_the_moderation_engine(self):
        created = self.kith.run("user", "add", "bob", "--email", "bob@example.com",
                                input=PASSWORD + "\n")
        self.assertEqual(created.returncode, 0, created.stderr)
        client_id, client_secret = mastodon.Mastodon.create_app(
            "kith interop", api_base_url=self.base, scopes=["read", "write"])
        apis = {}
        for name in ("alice", "bob"):
            apis[name] = mastodon.Mastodon(client_id=client_id, client_secret=client_secret,
                                           api_base_url=self.base)
            apis[name].log_in(f"{name}@example.com", PASSWORD, scopes=["read", "write"])
        post = apis["bob"].status_post("a post alice reports")

        def flags():
            _, samples = self.kith.metrics()
            for name, labels, value in samples:
                if name == "kith_moderation_model_entries" and labels.get("kind") == "flags":
                    return value
            return None
        harness.wait_until(lambda: flags() is not None, 20, message="the moderation gauges")
        before = flags()
        report = apis["alice"].report(post["account"]["id"], status_ids=[post["id"]],
                                      comment="spam from Mastodon.py", category="spam")
        self.assertEqual(report["target_account"]["id"], post["account"]["id"])
        self.assertEqual([str(i) for i in report["status_ids"]], [str(post["id"])])
        self.assertEqual(report["category"], "spam")
        self.assertFalse(report["action_taken"])
        # Recorded by the handler before it answered.
        self.assertEqual(flags(), before + 1)


SCOPES = ["read", "write", "follow", "push"]
OOB = "urn:ietf:wg:oauth:2.0:oob"


def tiny_png(width=4, height=3):
    """A small red RGB PNG, made here so no image file is needed."""
    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))
    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


class FormReader(html.parser.HTMLParser):
    """The hidden inputs of a page, and the text of its element id="code"."""

    def __init__(self):
        super().__init__()
        self.hidden, self.code, self._in_code = {}, "", False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input" and attrs.get("type") == "hidden":
            self.hidden[attrs["name"]] = attrs.get("value", "")
        self._in_code = attrs.get("id") == "code"

    def handle_data(self, data):
        if self._in_code:
            self.code += data.strip()


def read_form(text):
    reader = FormReader()
    reader.feed(text)
    return reader


def authorize_through_pages(session, url, login, password):
    """What a person does in a browser: open the authorization URL, sign in,
    approve; returns the code the out-of-band page shows."""
    page = session.get(url, timeout=30)
    page.raise_for_status()
    base = url.split("/oauth/")[0]
    fields = read_form(page.text).hidden
    fields.update({"username": login, "password": password})
    consent = session.post(base + "/oauth/authorize", data=fields, timeout=30)
    consent.raise_for_status()
    fields = read_form(consent.text).hidden
    fields["decision"] = "approve"
    shown = session.post(base + "/oauth/authorize/decision", data=fields, timeout=30,
                         allow_redirects=False)
    shown.raise_for_status()
    code = read_form(shown.text).code
    if not code:
        raise AssertionError(f"no code on the out-of-band page: {shown.text[:500]}")
    return code


def wait_for(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@unittest.skipIf(mastodon is None, "python3-mastodon is not installed")
class MastodonPyFederatedTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.fed = federation.Federation(("a", "b"))
        cls.addClassCleanup(cls.fed.cleanup)
        cls.a, cls.b = cls.fed.nodes["a"], cls.fed.nodes["b"]
        cls.alice = cls.a.add_user("alice")
        cls.bob = cls.b.login(cls.b.add_user("bob"))

    def test_code_flow_media_poll_follow_stream_notifications(self):
        session = requests.Session()
        session.trust_env = False  # no CA bundle or proxy from the environment
        session.verify = self.fed.certs.ca
        base = self.a.base_url
        client_id, client_secret = mastodon.Mastodon.create_app(
            "kith interop", api_base_url=base, scopes=SCOPES, redirect_uris=OOB, session=session)
        api = mastodon.Mastodon(client_id=client_id, client_secret=client_secret,
                                api_base_url=base, session=session, ratelimit_method="throw")
        url = api.auth_request_url(scopes=SCOPES, redirect_uris=OOB, state="kith-state")
        code = authorize_through_pages(session, url, "alice", self.alice.password)
        api.log_in(code=code, redirect_uri=OOB, scopes=SCOPES)
        me = api.account_verify_credentials()
        self.assertEqual(me["acct"], "alice")

        # Media (v2 upload, waited for), then a status with it; a poll.
        media = api.media_post(tiny_png(), mime_type="image/png", description="a red dot",
                               synchronous=True)
        self.assertEqual(media["type"], "image")
        self.assertEqual(media["meta"]["original"]["width"], 4)
        pictured = api.status_post("a picture", media_ids=[media])
        self.assertEqual(pictured["media_attachments"][0]["description"], "a red dot")
        asked = api.status_post("tea or coffee?",
                                poll=api.make_poll(["tea", "coffee"], expires_in=3600))
        self.assertEqual([o["title"] for o in asked["poll"]["options"]], ["tea", "coffee"])
        home_ids = [s["id"] for s in api.timeline_home()]
        self.assertIn(pictured["id"], home_ids)
        self.assertIn(asked["id"], home_ids)
        self.assertIn(pictured["id"], [s["id"] for s in api.timeline_local()])

        # Follow bob on the other server; b accepts over federation.
        found = api.search_v2(self.bob.acct, resolve=True)["accounts"]
        self.assertEqual(len(found), 1)
        bob = found[0]
        api.account_follow(bob)
        wait_for(lambda: api.account_relationships(bob)[0]["following"], 20, "the Accept")

        # A streaming event: bob's post reaches alice's user stream.
        updates, notifications = [], []
        arrived = threading.Event()

        class Listener(mastodon.StreamListener):
            def on_update(self, status):
                updates.append(status)
                arrived.set()

            def on_notification(self, notification):
                notifications.append(notification)
                arrived.set()

        stream = api.stream_user(Listener(), run_async=True)
        self.addCleanup(stream.close)
        time.sleep(0.5)  # the stream is open before bob posts
        posted = self.bob.post("hello from b")
        wait_for(lambda: any(u["uri"] == posted["uri"] for u in updates), 20,
                 "bob's post on alice's stream")
        mine = next(u for u in updates if u["uri"] == posted["uri"])
        self.assertEqual(mine["account"]["acct"], self.bob.acct)

        # Favourite and boost bob's post from a.
        self.assertTrue(api.status_favourite(mine)["favourited"])
        self.assertEqual(api.status_reblog(mine)["reblog"]["id"], mine["id"])

        # bob favourites alice's picture: alice gets a notification, in the
        # API and on her stream.
        theirs = self.bob.resolve_status(pictured["uri"])
        self.assertIsNotNone(theirs)
        self.bob.api("POST", f"/api/v1/statuses/{theirs['id']}/favourite")
        note = wait_for(lambda: [n for n in api.notifications(types=["favourite"])
                                 if n["account"]["acct"] == self.bob.acct], 20,
                        "the favourite notification")[0]
        self.assertEqual(note["status"]["id"], pictured["id"])
        wait_for(lambda: any(n["type"] == "favourite" for n in notifications), 10,
                 "the notification on the stream")


if __name__ == "__main__":
    unittest.main()
