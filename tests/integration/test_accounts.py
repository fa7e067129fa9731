"""Accounts and relationships through the client API, against the real
daemon: update_credentials in JSON, form and multipart bodies (fields,
source, flags) and the CredentialAccount it answers, preferences, an
account's statuses (pinned, tagged, only_media, exclude_replies,
exclude_reblogs, paging), follow options and every Relationship field,
mutes (with an end: expired through SQL rather than by waiting) and what
they hide, the mutes, blocks and endorsements lists with Link headers,
private notes, user-level domain blocks (the follows they end, the
activities they queue, the statuses they hide), lookup, search with
resolve, familiar followers, GET /api/v1/accounts?id[]=, and bad input
(404, 422, 403, 400 with a JSON error, nothing changed).

A remote account, bob, lives on test_client_api's small HTTPS actor server
(WebFinger and an actor document on 127.0.0.1; kith trusts its CA).

FIXTURES (psql): pins (status_pins), media attachments, bob's follow of
alice and an expired mute are rows written directly, because the
endpoints that make them belong to other files (pins, media) or would
need waiting (expiry).
"""

import json
import re
import unittest
import urllib.parse

import harness
import test_client_api as remote_fixture

pg = None
PASSWORD = "correct horse battery staple"
RELATIONSHIP_FIELDS = {"id", "following", "showing_reblogs", "notifying", "languages",
                       "followed_by", "blocking", "blocked_by", "muting",
                       "muting_notifications", "requested", "requested_by", "domain_blocking",
                       "endorsed", "note"}
SOURCE_FIELDS = {"note", "fields", "privacy", "sensitive", "language", "follow_requests_count"}
TIME_FORMAT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def setUpModule():
    global pg
    pg = harness.PgCluster()
    unittest.addModuleCleanup(pg.cleanup)
    remote_fixture.certs = remote_fixture.Certificates()
    unittest.addModuleCleanup(remote_fixture.certs.cleanup)


def link_targets(response):
    """{rel: path?query} of a Link header."""
    out = {}
    for url, rel in re.findall(r'<([^>]+)>; rel="(\w+)"', response.header("link", "")):
        parts = urllib.parse.urlsplit(url)
        out[rel] = parts.path + "?" + parts.query
    return out


class AccountsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.remote = remote_fixture.RemoteServer()
        cls.addClassCleanup(cls.remote.close)
        pg.createdb("accounts")
        cls.kith = harness.Kith(database_url=pg.url("accounts"), env={
            "KITH_FEDERATION_EXTRA_CA_FILE": remote_fixture.certs.ca,
            "KITH_FEDERATION_ALLOWED_PRIVATE_ADDRESSES": cls.remote.authority,
        })
        cls.addClassCleanup(cls.kith.cleanup)
        cls.kith.start()
        cls.host = cls.kith.config["host"]
        for name in ("alice", "carol", "dan", "erin"):
            created = cls.kith.run("user", "add", name, "--email", f"{name}@example.com",
                                   input=PASSWORD + "\n")
            if created.returncode != 0:
                raise AssertionError(f"kith user add {name}: {created.stderr}")
        app = cls.kith.post("/api/v1/apps", {
            "client_name": "accounts test", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob",
            "scopes": "read write follow"})
        assert app.status == 200, app
        cls.app = app.json()
        cls.tokens = {}
        for name in ("alice", "carol", "dan", "erin"):
            r = cls.kith.post("/oauth/token", {
                "grant_type": "password", "client_id": cls.app["client_id"],
                "client_secret": cls.app["client_secret"], "username": name,
                "password": PASSWORD, "scope": "read write follow"})
            assert r.status == 200, r.text()
            cls.tokens[name] = r.json()["access_token"]
        cls.ids = {name: cls.get_me(name)["id"] for name in cls.tokens}

    # -- helpers --

    @classmethod
    def get_me(cls, user):
        r = cls.kith.request("GET", "/api/v1/accounts/verify_credentials",
                             headers={"Authorization": f"Bearer {cls.tokens[user]}"})
        assert r.status == 200, r.text()
        return r.json()

    def call(self, user, method, path, body=None, headers=None):
        headers = dict(headers or {})
        if user:
            headers["Authorization"] = f"Bearer {self.tokens.get(user, user)}"
        r = self.kith.request(method, path, body=body, headers=headers)
        self.assertTrue(r.header("content-type", "").startswith("application/json"),
                        f"{method} {path}: {r.status} {r.header('content-type')}")
        return r

    def api(self, user, method, path, body=None, expect=200, headers=None):
        r = self.call(user, method, path, body, headers)
        self.assertEqual(r.status, expect, f"{method} {path}: {r.text()}")
        if expect >= 400:
            self.assertIsInstance(r.json().get("error"), str)
        return r.json()

    def form(self, user, method, path, fields, expect=200):
        body = urllib.parse.urlencode(fields).encode()
        return self.api(user, method, path, body, expect,
                        {"Content-Type": "application/x-www-form-urlencoded"})

    def sql(self, statement):
        return pg.psql(statement, dbname="accounts").strip()

    def post(self, user, text, **extra):
        # Public unless said otherwise: the authors' default privacy changes below.
        return self.api(user, "POST", "/api/v1/statuses",
                        {"status": text, "visibility": "public", **extra})

    def relationship(self, user, other):
        rels = self.api(user, "GET", f"/api/v1/accounts/relationships?id[]={self.ids[other]}")
        self.assertEqual(len(rels), 1)
        self.assertEqual(set(rels[0]), RELATIONSHIP_FIELDS)
        return rels[0]

    def timeline_ids(self, user, path):
        return [s["id"] for s in self.api(user, "GET", path)]

    # -- update_credentials and preferences --

    def test_01_update_credentials_json(self):
        me = self.api("alice", "PATCH", "/api/v1/accounts/update_credentials", {
            "display_name": "Alice", "note": "Hi @carol, see https://example.com/x #Cats",
            "locked": False, "bot": True, "discoverable": True, "hide_collections": False,
            "indexable": True,
            "fields_attributes": [{"name": "Web", "value": "https://alice.example"},
                                  {"name": "Pronouns", "value": "she/her"},
                                  {"name": "", "value": ""}],
            "source": {"privacy": "unlisted", "sensitive": True, "language": "fr"}})
        self.assertEqual(me["display_name"], "Alice")
        self.assertEqual((me["bot"], me["discoverable"], me["indexable"],
                          me["hide_collections"], me["locked"]), (True, True, True, False, False))
        self.assertIn(f'href="https://{self.host}/@carol"', me["note"])
        self.assertIn('href="https://example.com/x"', me["note"])
        self.assertIn("/tags/cats", me["note"])
        self.assertEqual([f["name"] for f in me["fields"]], ["Web", "Pronouns"])
        self.assertIn('<a href="https://alice.example"', me["fields"][0]["value"])
        self.assertEqual(me["fields"][1]["value"], "she/her")
        self.assertIsNone(me["fields"][0]["verified_at"])
        source = me["source"]
        self.assertTrue(SOURCE_FIELDS <= set(source), SOURCE_FIELDS - set(source))
        self.assertEqual(source["note"], "Hi @carol, see https://example.com/x #Cats")
        self.assertEqual(source["fields"][0]["value"], "https://alice.example")
        self.assertEqual((source["privacy"], source["sensitive"], source["language"]),
                         ("unlisted", True, "fr"))
        self.assertEqual(source["follow_requests_count"], 0)
        self.assertEqual(self.get_me("alice"), me)
        # Others see the Account without source.
        seen = self.api("carol", "GET", f"/api/v1/accounts/{self.ids['alice']}")
        self.assertNotIn("source", seen)
        self.assertEqual(seen["fields"], me["fields"])
        # The fields object form, keyed by any index; preferences follow source.
        me = self.api("alice", "PATCH", "/api/v1/accounts/update_credentials", {
            "fields_attributes": {"5": {"name": "Only", "value": "one"}}})
        self.assertEqual([(f["name"], f["value"]) for f in me["fields"]], [("Only", "one")])
        self.assertEqual(me["display_name"], "Alice")  # untouched
        prefs = self.api("alice", "GET", "/api/v1/preferences")
        self.assertEqual(prefs, {"posting:default:visibility": "unlisted",
                                 "posting:default:sensitive": True,
                                 "posting:default:language": "fr",
                                 "reading:expand:media": "default",
                                 "reading:expand:spoilers": False})
        # The change federates as Update{Person} (nobody remote follows
        # alice yet, so it is queued for nobody) and is in the actor document.
        actor = self.kith.request("GET", "/users/alice",
                                  headers={"Accept": "application/activity+json"}).json()
        self.assertEqual([a["name"] for a in actor.get("attachment", [])], ["Only"])

    def test_02_update_credentials_form_and_multipart(self):
        me = self.form("carol", "PATCH", "/api/v1/accounts/update_credentials", {
            "display_name": "Carol", "locked": "true",
            "fields_attributes[10][name]": "third", "fields_attributes[10][value]": "c",
            "fields_attributes[1][name]": "first", "fields_attributes[1][value]": "a",
            "fields_attributes[2][name]": "second", "fields_attributes[2][value]": "b",
            "source[privacy]": "private", "source[language]": "de"})
        self.assertEqual([f["name"] for f in me["fields"]], ["first", "second", "third"])
        self.assertTrue(me["locked"])
        self.assertEqual((me["source"]["privacy"], me["source"]["language"]), ("private", "de"))
        boundary = "kithBoundary"
        parts = [("note", "multi\npart"), ("locked", "false"),
                 ("fields_attributes[0][name]", "mp"), ("fields_attributes[0][value]", "yes"),
                 ("source[sensitive]", "true")]
        body = "".join(f'--{boundary}\r\nContent-Disposition: form-data; name="{n}"\r\n\r\n'
                       f"{v}\r\n" for n, v in parts)
        body += f"--{boundary}--\r\n"
        me = self.api("carol", "PATCH", "/api/v1/accounts/update_credentials",
                      body.encode("latin-1"),
                      headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
        self.assertEqual(me["note"], "<p>multi<br />part</p>")
        self.assertEqual(me["source"]["note"], "multi\npart")
        self.assertFalse(me["locked"])
        self.assertEqual([(f["name"], f["value"]) for f in me["source"]["fields"]],
                         [("mp", "yes")])
        self.assertEqual((me["source"]["sensitive"], me["source"]["privacy"]), (True, "private"))

    def test_03_update_credentials_bad_input(self):
        before = self.get_me("dan")
        path = "/api/v1/accounts/update_credentials"
        for body in ({"display_name": "x" * 31}, {"note": "n" * 501},
                     {"fields_attributes": [{"name": str(i), "value": "v"} for i in range(5)]},
                     {"fields_attributes": [{"name": "n" * 256, "value": "v"}]},
                     {"fields_attributes": [{"name": "n", "value": "v" * 256}]},
                     {"source": {"privacy": "everyone"}}, {"source": {"language": "english"}},
                     {"source": {"sensitive": "perhaps"}}, {"locked": "maybe"},
                     {"display_name": "ok", "bot": "sometimes"}):
            err = self.api("dan", "PATCH", path, body, expect=422)
            self.assertTrue(err["error"].startswith("Validation failed"), err)
        self.assertEqual(self.get_me("dan"), before)
        self.api(None, "PATCH", path, {"display_name": "x"}, expect=401)
        self.api("dan", "PATCH", path, b"{not json", expect=400,
                 headers={"Content-Type": "application/json"})

    # -- an account's statuses --

    def test_04_account_statuses(self):
        carols = self.post("carol", "carol's post")
        plain = self.post("erin", "first #Cats post")
        reply = self.post("erin", "to carol", in_reply_to_id=carols["id"])
        thread = self.post("erin", "my own thread", in_reply_to_id=plain["id"])
        media = self.post("erin", "with a picture")
        sensitive = self.post("erin", "careful #Ärger", sensitive=True)
        boost = self.api("erin", "POST", f"/api/v1/statuses/{carols['id']}/reblog")
        erin = self.ids["erin"]
        self.sql(f"INSERT INTO media_attachments (status_id, account_id, type, remote_url)"
                 f" VALUES ({media['id']}, {erin}, 'image', 'https://example.com/p.png')")
        self.sql(f"INSERT INTO status_pins (account_id, status_id) VALUES"
                 f" ({erin}, {plain['id']}), ({erin}, {sensitive['id']})")
        base = f"/api/v1/accounts/{erin}/statuses"
        every = self.timeline_ids(None, base)
        self.assertEqual(every, [boost["id"], sensitive["id"], media["id"], thread["id"],
                                 reply["id"], plain["id"]])
        self.assertEqual(self.timeline_ids(None, base + "?pinned=true"),
                         [sensitive["id"], plain["id"]])
        self.assertEqual(self.timeline_ids(None, base + "?tagged=cats"), [plain["id"]])
        self.assertEqual(self.timeline_ids(None, base + "?tagged=%23CATS"), [plain["id"]])
        self.assertEqual(self.timeline_ids(None, base + "?tagged=dogs"), [])
        # Non-ASCII tags match whatever their case (PostgreSQL's lower()).
        self.assertEqual(self.timeline_ids(None, base + "?tagged=%C3%84RGER"), [sensitive["id"]])
        self.assertEqual(self.timeline_ids(None, base + "?only_media=true"), [media["id"]])
        self.assertEqual(self.timeline_ids(None, base + "?exclude_reblogs=true"), every[1:])
        # A reply to oneself stays; a reply to someone else goes.
        self.assertNotIn(reply["id"], self.timeline_ids(None, base + "?exclude_replies=true"))
        self.assertIn(thread["id"], self.timeline_ids(None, base + "?exclude_replies=true"))
        self.assertNotIn(sensitive["id"],
                         self.timeline_ids(None, base + "?exclude_sensitive=true"))
        # Paging keeps the filter in the Link header.
        r = self.call(None, "GET", base + "?pinned=true&limit=1")
        self.assertEqual([s["id"] for s in r.json()], [sensitive["id"]])
        links = link_targets(r)
        self.assertIn("pinned=true", links["next"])
        self.assertTrue(r.header("link").index('rel="next"') < r.header("link").index('"prev"'))
        self.assertEqual(self.timeline_ids(None, links["next"]), [plain["id"]])
        self.assertEqual(self.timeline_ids(None, links["prev"]), [])
        self.api(None, "GET", "/api/v1/accounts/999999/statuses", expect=404)
        self.api(None, "GET", "/api/v1/accounts/nope/statuses", expect=404)

    # -- follows and relationships --

    def test_05_follow_options_and_relationship(self):
        rel = self.form("dan", "POST", f"/api/v1/accounts/{self.ids['erin']}/follow",
                        {"reblogs": "false", "notify": "true", "languages[]": "en"})
        self.assertEqual(set(rel), RELATIONSHIP_FIELDS)
        self.assertEqual((rel["following"], rel["showing_reblogs"], rel["notifying"],
                          rel["languages"], rel["requested"]), (True, False, True, ["en"], False))
        # Following again changes only what is given, and sends no Follow.
        rel = self.api("dan", "POST", f"/api/v1/accounts/{self.ids['erin']}/follow",
                       {"notify": False})
        self.assertEqual((rel["showing_reblogs"], rel["notifying"], rel["languages"]),
                         (False, False, ["en"]))
        rel = self.api("dan", "POST", f"/api/v1/accounts/{self.ids['erin']}/follow",
                       {"reblogs": True, "languages": []})
        self.assertEqual((rel["showing_reblogs"], rel["languages"]), (True, ["en"]))
        self.assertEqual(self.relationship("erin", "dan")["followed_by"], True)
        # A locked account: requested, with its options shown.
        self.form("carol", "PATCH", "/api/v1/accounts/update_credentials", {"locked": "true"})
        rel = self.api("dan", "POST", f"/api/v1/accounts/{self.ids['carol']}/follow",
                       {"reblogs": False})
        self.assertEqual((rel["following"], rel["requested"], rel["showing_reblogs"]),
                         (False, True, False))
        self.assertEqual(self.relationship("carol", "dan")["requested_by"], True)
        self.assertEqual(self.get_me("carol")["source"]["follow_requests_count"], 1)
        self.api("carol", "POST", f"/api/v1/follow_requests/{self.ids['dan']}/authorize")
        self.form("carol", "PATCH", "/api/v1/accounts/update_credentials", {"locked": "false"})
        # Several ids, unknown ones left out, in the order asked.
        rels = self.api("dan", "GET", f"/api/v1/accounts/relationships?id[]={self.ids['erin']}"
                        f"&id[]=999999&id[]={self.ids['carol']}&id[]=bogus")
        self.assertEqual([r["id"] for r in rels], [self.ids["erin"], self.ids["carol"]])
        self.assertEqual(self.api("dan", "GET", "/api/v1/accounts/relationships"), [])
        # Bad input.
        self.api("dan", "POST", f"/api/v1/accounts/{self.ids['erin']}/follow",
                 {"languages": ["english"]}, expect=422)
        self.api("dan", "POST", f"/api/v1/accounts/{self.ids['erin']}/follow",
                 {"notify": "loudly"}, expect=422)
        self.api("dan", "POST", "/api/v1/accounts/999999/follow", expect=404)
        self.api("dan", "POST", f"/api/v1/accounts/{self.ids['dan']}/follow", expect=403)
        self.api(None, "GET", "/api/v1/accounts/relationships", expect=401)

    def test_06_reblogs_false_and_languages_in_home(self):
        # dan follows erin with reblogs on and languages [en] (test_05).
        english = self.post("erin", "hello", language="en")
        german = self.post("erin", "hallo", language="de")
        home = self.timeline_ids("dan", "/api/v1/timelines/home")
        self.assertIn(english["id"], home)
        self.assertNotIn(german["id"], home)
        self.api("dan", "POST", f"/api/v1/accounts/{self.ids['erin']}/follow",
                 {"reblogs": False})
        boost = self.api("erin", "POST", f"/api/v1/statuses/{english['id']}/reblog")
        self.assertNotIn(boost["id"], self.timeline_ids("dan", "/api/v1/timelines/home"))
        self.api("dan", "POST", f"/api/v1/accounts/{self.ids['erin']}/follow",
                 {"reblogs": True, "languages[]": ""})
        self.assertIn(boost["id"], self.timeline_ids("dan", "/api/v1/timelines/home"))

    # -- mutes --

    def test_07_mutes(self):
        # carol follows erin and mutes her for an hour, notifications still on.
        self.api("carol", "POST", f"/api/v1/accounts/{self.ids['erin']}/follow")
        rel = self.api("carol", "POST", f"/api/v1/accounts/{self.ids['erin']}/mute",
                       {"duration": 3600, "notifications": False})
        self.assertEqual((rel["muting"], rel["muting_notifications"], rel["following"]),
                         (True, False, True))
        muted = self.post("erin", "you will not see this")
        boost_of_muted = self.api("dan", "POST", f"/api/v1/statuses/{muted['id']}/reblog")
        self.api("carol", "POST", f"/api/v1/accounts/{self.ids['dan']}/follow")
        home = self.timeline_ids("carol", "/api/v1/timelines/home")
        self.assertNotIn(muted["id"], home)
        self.assertNotIn(boost_of_muted["id"], home)
        self.assertNotIn(muted["id"], self.timeline_ids("carol", "/api/v1/timelines/public"))
        self.assertIn(muted["id"], self.timeline_ids("dan", "/api/v1/timelines/public"))
        # Opened directly, or on the profile, it shows; a boost of it on dan's profile not.
        self.api("carol", "GET", f"/api/v1/statuses/{muted['id']}")
        self.assertIn(muted["id"],
                      self.timeline_ids("carol", f"/api/v1/accounts/{self.ids['erin']}/statuses"))
        self.assertNotIn(boost_of_muted["id"], self.timeline_ids(
            "carol", f"/api/v1/accounts/{self.ids['dan']}/statuses"))
        # The mutes list: mute_expires_at about an hour away.
        mutes = self.api("carol", "GET", "/api/v1/mutes")
        self.assertEqual([a["id"] for a in mutes], [self.ids["erin"]])
        self.assertRegex(mutes[0]["mute_expires_at"], TIME_FORMAT)
        # Muting again: for good, notifications too.
        rel = self.api("carol", "POST", f"/api/v1/accounts/{self.ids['erin']}/mute")
        self.assertEqual((rel["muting"], rel["muting_notifications"]), (True, True))
        self.assertIsNone(self.api("carol", "GET", "/api/v1/mutes")[0]["mute_expires_at"])
        # An expired mute counts for nothing.
        self.sql(f"UPDATE mutes SET expires_at = now() - interval '1 minute'"
                 f" WHERE account_id = {self.ids['carol']}")
        self.assertEqual(self.relationship("carol", "erin")["muting"], False)
        self.assertEqual(self.api("carol", "GET", "/api/v1/mutes"), [])
        home = self.timeline_ids("carol", "/api/v1/timelines/home")
        self.assertIn(muted["id"], home)
        self.assertIn(boost_of_muted["id"], home)
        # Unmute; bad input.
        self.api("carol", "POST", f"/api/v1/accounts/{self.ids['erin']}/mute", {"duration": 60})
        rel = self.api("carol", "POST", f"/api/v1/accounts/{self.ids['erin']}/unmute")
        self.assertFalse(rel["muting"])
        for body in ({"duration": -5}, {"duration": "soon"}, {"notifications": "some"}):
            self.api("carol", "POST", f"/api/v1/accounts/{self.ids['erin']}/mute", body,
                     expect=422)
        self.assertFalse(self.relationship("carol", "erin")["muting"])
        self.api("carol", "POST", "/api/v1/accounts/999999/mute", expect=404)

    def test_08_blocks_and_mutes_lists_page(self):
        for name in ("carol", "dan", "erin"):
            self.api("alice", "POST", f"/api/v1/accounts/{self.ids[name]}/mute")
        r = self.call("alice", "GET", "/api/v1/mutes?limit=2")
        self.assertEqual([a["id"] for a in r.json()], [self.ids["erin"], self.ids["dan"]])
        second = self.api("alice", "GET", link_targets(r)["next"])
        self.assertEqual([a["id"] for a in second], [self.ids["carol"]])
        newer = self.api("alice", "GET", link_targets(r)["prev"])
        self.assertEqual(newer, [])
        for name in ("carol", "dan", "erin"):
            self.api("alice", "POST", f"/api/v1/accounts/{self.ids[name]}/unmute")
        self.api("alice", "POST", f"/api/v1/accounts/{self.ids['dan']}/block")
        self.api("alice", "POST", f"/api/v1/accounts/{self.ids['erin']}/block")
        r = self.call("alice", "GET", "/api/v1/blocks?limit=1")
        self.assertEqual([a["id"] for a in r.json()], [self.ids["erin"]])
        self.assertEqual([a["id"] for a in self.api("alice", "GET", link_targets(r)["next"])],
                         [self.ids["dan"]])
        self.assertTrue(self.relationship("dan", "alice")["blocked_by"])
        for name in ("dan", "erin"):
            self.api("alice", "POST", f"/api/v1/accounts/{self.ids[name]}/unblock")
        self.assertEqual(self.api("alice", "GET", "/api/v1/blocks"), [])
        self.api(None, "GET", "/api/v1/mutes", expect=401)

    # -- notes and endorsements --

    def test_09_notes_and_endorsements(self):
        rel = self.api("alice", "POST", f"/api/v1/accounts/{self.ids['erin']}/note",
                       {"comment": "met at the café"})
        self.assertEqual(rel["note"], "met at the café")
        self.assertEqual(self.relationship("alice", "erin")["note"], "met at the café")
        self.assertEqual(self.relationship("carol", "erin")["note"], "")
        self.api("alice", "POST", f"/api/v1/accounts/{self.ids['erin']}/note",
                 {"comment": "x" * 2001}, expect=422)
        rel = self.api("alice", "POST", f"/api/v1/accounts/{self.ids['erin']}/note")
        self.assertEqual(rel["note"], "")
        self.api("alice", "POST", "/api/v1/accounts/999999/note", {"comment": "x"}, expect=404)
        # Endorsing needs a follow.
        err = self.api("alice", "POST", f"/api/v1/accounts/{self.ids['erin']}/pin", expect=422)
        self.assertIn("following", err["error"])
        self.api("alice", "POST", f"/api/v1/accounts/{self.ids['erin']}/follow")
        self.assertTrue(self.api("alice", "POST",
                                 f"/api/v1/accounts/{self.ids['erin']}/pin")["endorsed"])
        self.assertTrue(self.api("alice", "POST",
                                 f"/api/v1/accounts/{self.ids['erin']}/pin")["endorsed"])
        self.assertEqual([a["id"] for a in self.api("alice", "GET", "/api/v1/endorsements")],
                         [self.ids["erin"]])
        self.assertFalse(self.api("alice", "POST",
                                  f"/api/v1/accounts/{self.ids['erin']}/unpin")["endorsed"])
        self.assertEqual(self.api("alice", "GET", "/api/v1/endorsements"), [])

    # -- lookup, search, several accounts, familiar followers --

    def test_10_lookup_and_search(self):
        self.assertEqual(self.api(None, "GET", "/api/v1/accounts/lookup?acct=carol")["id"],
                         self.ids["carol"])
        self.assertEqual(self.api(None, "GET", "/api/v1/accounts/lookup?acct=%40Carol%40" +
                                  urllib.parse.quote(self.host))["id"], self.ids["carol"])
        self.api(None, "GET", "/api/v1/accounts/lookup?acct=nobody", expect=404)
        self.api(None, "GET", "/api/v1/accounts/lookup", expect=404)
        found = self.api("alice", "GET", "/api/v1/accounts/search?q=car")
        self.assertEqual([a["id"] for a in found], [self.ids["carol"]])
        found = self.api("alice", "GET", "/api/v1/accounts/search?q=%40ERIN")
        self.assertEqual([a["id"] for a in found], [self.ids["erin"]])
        # Display names match too (carol is "Carol", dan has none).
        self.assertEqual(self.api("alice", "GET", "/api/v1/accounts/search?q=zzz"), [])
        # following=true: alice follows erin (test_09) but not dan.
        self.assertEqual([a["id"] for a in self.api(
            "alice", "GET", "/api/v1/accounts/search?q=erin&following=true")], [self.ids["erin"]])
        self.assertEqual(self.api("alice", "GET",
                                  "/api/v1/accounts/search?q=dan&following=true"), [])
        every = self.api("alice", "GET", "/api/v1/accounts/search?q=&limit=2")
        self.assertEqual(every, [])
        page = self.api("alice", "GET", "/api/v1/accounts/search?q=a&limit=1&offset=1")
        self.assertLessEqual(len(page), 1)
        # A remote acct: only with resolve=true, through WebFinger.
        bob = f"bob@{self.remote.authority}"
        self.assertEqual(self.api("alice", "GET", "/api/v1/accounts/search?q=" +
                                  urllib.parse.quote(bob)), [])
        found = self.api("alice", "GET", "/api/v1/accounts/search?resolve=true&q=" +
                         urllib.parse.quote("@" + bob))
        self.assertEqual([a["acct"] for a in found], [bob])
        self.__class__.bob_id = found[0]["id"]
        found = self.api("alice", "GET", "/api/v1/accounts/search?q=" + urllib.parse.quote(bob))
        self.assertEqual([a["acct"] for a in found], [bob])
        self.api(None, "GET", "/api/v1/accounts/search?q=carol", expect=401)
        self.api("alice", "GET", "/api/v1/accounts/search?q=" + "x" * 600, expect=422)

    def test_11_several_accounts_and_familiar_followers(self):
        ids = [self.ids["carol"], "999999", self.ids["alice"], self.ids["carol"]]
        found = self.api(None, "GET", "/api/v1/accounts?" +
                         "&".join(f"id[]={i}" for i in ids))
        self.assertEqual([a["id"] for a in found], [self.ids["carol"], self.ids["alice"]])
        self.assertEqual(self.api(None, "GET",
                                  f"/api/v1/accounts/{self.ids['carol']}/featured_tags"), [])
        self.api(None, "GET", "/api/v1/accounts/999999/featured_tags", expect=404)
        # alice follows erin (test_09); erin follows... dan follows erin and
        # carol follows erin. Who among alice's follows follows carol? dan
        # follows carol (test_05); make alice follow dan.
        self.api("alice", "POST", f"/api/v1/accounts/{self.ids['dan']}/follow")
        familiar = self.api("alice", "GET", "/api/v1/accounts/familiar_followers?id[]=" +
                            self.ids["carol"] + "&id[]=999999&id[]=" + self.ids["erin"])
        self.assertEqual([f["id"] for f in familiar], [self.ids["carol"], self.ids["erin"]])
        self.assertEqual([a["id"] for a in familiar[0]["accounts"]], [self.ids["dan"]])
        self.assertEqual({a["id"] for a in familiar[1]["accounts"]}, {self.ids["dan"]})
        # dan hides his collections: he is no longer shown, nor are his lists.
        self.api("dan", "PATCH", "/api/v1/accounts/update_credentials",
                 {"hide_collections": True})
        familiar = self.api("alice", "GET",
                            f"/api/v1/accounts/familiar_followers?id[]={self.ids['carol']}")
        self.assertEqual(familiar[0]["accounts"], [])
        self.assertEqual(self.api("alice", "GET",
                                  f"/api/v1/accounts/{self.ids['dan']}/following"), [])
        self.assertNotEqual(self.api("dan", "GET",
                                     f"/api/v1/accounts/{self.ids['dan']}/following"), [])
        self.assertTrue(self.api("alice", "GET",
                                 f"/api/v1/accounts/{self.ids['dan']}")["hide_collections"])
        # Over ActivityPub his followers and following show only their size.
        for collection in ("followers", "following"):
            path = f"/users/dan/{collection}"
            accept = {"Accept": "application/activity+json"}
            document = self.kith.request("GET", path, headers=accept).json()
            self.assertGreater(document["totalItems"], 0)
            self.assertNotIn("first", document)
            self.assertNotIn("orderedItems", document)
            page = self.kith.request("GET", path + "?page=true", headers=accept)
            self.assertEqual(page.status, 403)
        self.api("dan", "PATCH", "/api/v1/accounts/update_credentials",
                 {"hide_collections": False})
        self.api(None, "GET", "/api/v1/accounts/familiar_followers?id[]=1", expect=401)

    # -- user-level domain blocks --

    def test_12_domain_blocks(self):
        bob = getattr(self, "bob_id", None)
        if bob is None:
            bob = self.api("alice", "GET", "/api/v1/accounts/lookup?acct=" + urllib.parse.quote(
                f"bob@{self.remote.authority}"))["id"]
        alice = self.ids["alice"]
        # bob follows alice (as if his Follow had arrived) and alice follows bob.
        self.sql(f"INSERT INTO follows (account_id, target_account_id, uri, state) VALUES"
                 f" ({bob}, {alice}, '{self.remote.actor_id}#follows/1', 'accepted')")
        rel = self.api("alice", "POST", f"/api/v1/accounts/{bob}/follow")
        self.assertTrue(rel["requested"] and rel["followed_by"])
        # A status of bob's, fetched by URL, is on alice's public timeline.
        note_url = f"{self.remote.actor_id}/statuses/2"
        note = self.api("alice", "GET", "/api/v2/search?resolve=true&type=statuses&q=" +
                        urllib.parse.quote(note_url))["statuses"][0]
        self.assertIn(note["id"], self.timeline_ids("alice", "/api/v1/timelines/public"))
        # Block the domain, written in another case.
        self.assertEqual(self.form("alice", "POST", "/api/v1/domain_blocks",
                                   {"domain": self.remote.authority.upper()}), {})
        rel = self.relationship_by_id("alice", bob)
        self.assertEqual((rel["domain_blocking"], rel["following"], rel["requested"],
                          rel["followed_by"]), (True, False, False, False))
        self.assertEqual(self.api("alice", "GET", "/api/v1/domain_blocks"),
                         [self.remote.authority])
        queued = pg.psql("SELECT payload::text FROM jobs WHERE queue = 'delivery'"
                         " ORDER BY id", dbname="accounts")
        types = [json.loads(json.loads(line)["body"])["type"]
                 for line in queued.splitlines() if line.strip()]
        self.assertIn("Undo", types)
        self.assertIn("Reject", types)
        self.assertNotIn(note["id"], self.timeline_ids("alice", "/api/v1/timelines/public"))
        self.assertIn(note["id"], self.timeline_ids("carol", "/api/v1/timelines/public"))
        # Twice is fine; paging; bad input changes nothing.
        self.form("alice", "POST", "/api/v1/domain_blocks", {"domain": self.remote.authority})
        self.form("alice", "POST", "/api/v1/domain_blocks", {"domain": "localhost:1"})
        r = self.call("alice", "GET", "/api/v1/domain_blocks?limit=1")
        self.assertEqual(r.json(), ["localhost:1"])
        self.assertEqual(self.api("alice", "GET", link_targets(r)["next"]),
                         [self.remote.authority])
        self.api("alice", "POST", "/api/v1/domain_blocks", {}, expect=400)
        self.form("alice", "POST", "/api/v1/domain_blocks", {"domain": "bad domain!"},
                  expect=422)
        self.form("alice", "POST", "/api/v1/domain_blocks", {"domain": self.host}, expect=422)
        # Unblock (query or body).
        self.assertEqual(self.api("alice", "DELETE", "/api/v1/domain_blocks?domain=localhost:1"),
                         {})
        self.api("alice", "DELETE", "/api/v1/domain_blocks",
                 {"domain": self.remote.authority})
        self.assertEqual(self.api("alice", "GET", "/api/v1/domain_blocks"), [])
        self.assertFalse(self.relationship_by_id("alice", bob)["domain_blocking"])
        self.assertIn(note["id"], self.timeline_ids("alice", "/api/v1/timelines/public"))
        self.api(None, "GET", "/api/v1/domain_blocks", expect=401)
        # At most 1000 blocked domains: the 1001st is 422, one blocked already is fine.
        self.sql(f"INSERT INTO account_domain_blocks (account_id, domain) SELECT {alice},"
                 f" 'd' || n || '.example' FROM generate_series(1, 1000) n")
        self.form("alice", "POST", "/api/v1/domain_blocks", {"domain": "more.example"},
                  expect=422)
        self.form("alice", "POST", "/api/v1/domain_blocks", {"domain": "d1.example"})
        self.sql(f"DELETE FROM account_domain_blocks WHERE account_id = {alice}")

    def relationship_by_id(self, user, account_id):
        rels = self.api(user, "GET", f"/api/v1/accounts/relationships?id[]={account_id}")
        self.assertEqual(len(rels), 1)
        return rels[0]


if __name__ == "__main__":
    unittest.main()
