"""Discovery and the read-only federation surface, against the real daemon:
WebFinger (both resource forms, case, bad and foreign resources), host-meta
(XML and JSON), NodeInfo 2.0 and 2.1 with real counts, the Person and
instance actor documents (their public keys are real RSA-2048 keys),
content negotiation (both ActivityStreams media types and HTML), the paged
outbox, followers, following and featured collections, and statuses, where
only public and unlisted ones are ever served.

Users are made with `kith user add`. Statuses, follows and remote accounts
have no client API yet, so the fixture writes those rows with psql into
this test's own throwaway cluster (see `insert_fixture_rows`): that is
fixture setup, not a way into the daemon.
"""

import json
import re
import subprocess
import time
import unittest
import urllib.parse
import xml.etree.ElementTree as ET

import harness

AS_TYPE = "application/activity+json"
LD_TYPE = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"

# Statuses of the fixture, by visibility (ids come from kith_next_id, so
# their order is their insertion order).
FIXTURE_VISIBILITIES = (["public"] * 25 + ["unlisted"] * 3 + ["private"] * 2 + ["direct"] * 2
                        + ["local"] * 2)
REMOTE_FOLLOWERS = 45  # accepted; two more are pending
PENDING_FOLLOWERS = 2

pg = None
kith = None
fixture = {}


def setUpModule():
    global pg, kith
    pg = harness.PgCluster()
    unittest.addModuleCleanup(pg.cleanup)
    kith = harness.Kith(database_url=pg.url())
    unittest.addModuleCleanup(kith.cleanup)
    r = kith.run("migrate")
    if r.returncode != 0:
        raise AssertionError(f"kith migrate failed: {r.stderr}")
    for name in ["alice", "Bob", "carol", "dave", "erin"]:
        r = kith.run("user", "add", name, input=f"{name}-password-1234\n")
        if r.returncode != 0:
            raise AssertionError(f"kith user add {name} failed: {r.stderr}")
    insert_fixture_rows()
    kith.start()


def sql_literal(text):
    return "'" + text.replace("'", "''") + "'"


def insert_fixture_rows():
    """Fixture setup, straight into this test's throwaway database: the rows
    that later client-API work will create (statuses, remote accounts,
    follows) and moderation states that have no command yet."""
    host = f"localhost:{kith.port}"
    base = f"https://{host}"
    ids = {row.split("|")[0]: int(row.split("|")[1]) for row in pg.psql(
        "SELECT username, id FROM accounts WHERE domain IS NULL").splitlines()}
    alice, bob = ids["alice"], ids["Bob"]
    fixture.update(host=host, base=base, alice=alice, bob=bob)

    # Profile fields that exercise escaping; a suspended and a disabled user.
    pg.psql("UPDATE accounts SET locked = true, display_name = 'Carol <b>&amp; co',"
            " note = '<p>bio</p><script>alert(1)</script>',"
            " fields = '[{\"name\": \"site\", \"value\": \"<a href=\\\"https://localhost/\\\">x</a>\"}]'"
            " WHERE username = 'carol'")
    pg.psql("UPDATE accounts SET suspended_at = now() WHERE username = 'dave'")
    pg.psql("UPDATE users SET disabled = true WHERE account_id ="
            " (SELECT id FROM accounts WHERE username = 'erin')")

    # alice's statuses, one per visibility slot, in order.
    statuses = []
    for n, visibility in enumerate(FIXTURE_VISIBILITIES):
        row = pg.psql(
            "WITH i AS (SELECT kith_next_id() AS id)"
            " INSERT INTO statuses (id, account_id, uri, url, local, content, visibility, language)"
            f" SELECT id, {alice}, '{base}/users/alice/statuses/' || id, '{base}/@alice/' || id,"
            f" true, '<p>post {n}</p>', '{visibility}', 'en' FROM i RETURNING id")
        statuses.append((int(row), visibility))
    fixture["statuses"] = statuses
    first_public = statuses[0][0]
    # A reply (to alice's first post), a deleted post, a boost, and a post by
    # bob: none but the reply is an original of alice's that may be listed.
    reply = int(pg.psql(
        "WITH i AS (SELECT kith_next_id() AS id)"
        " INSERT INTO statuses (id, account_id, uri, url, local, content, visibility, in_reply_to_id)"
        f" SELECT id, {alice}, '{base}/users/alice/statuses/' || id, '{base}/@alice/' || id,"
        f" true, '<p>a reply</p>', 'public', {first_public} FROM i RETURNING id"))
    deleted = int(pg.psql(
        "WITH i AS (SELECT kith_next_id() AS id)"
        " INSERT INTO statuses (id, account_id, uri, local, content, visibility, deleted_at)"
        f" SELECT id, {alice}, '{base}/users/alice/statuses/' || id, true, 'gone', 'public', now()"
        " FROM i RETURNING id"))
    boost = int(pg.psql(
        "WITH i AS (SELECT kith_next_id() AS id)"
        " INSERT INTO statuses (id, account_id, uri, local, visibility, reblog_of_id)"
        f" SELECT id, {alice}, '{base}/users/alice/statuses/' || id || '/activity', true, 'public',"
        f" {first_public} FROM i RETURNING id"))
    bobs = int(pg.psql(
        "WITH i AS (SELECT kith_next_id() AS id)"
        " INSERT INTO statuses (id, account_id, uri, local, content, visibility)"
        f" SELECT id, {bob}, '{base}/users/Bob/statuses/' || id, true, 'bob', 'public'"
        " FROM i RETURNING id"))
    statuses.append((reply, "public"))
    fixture.update(reply=reply, deleted=deleted, boost=boost, bobs=bobs, first_public=first_public)

    # Remote followers (hosts on localhost only, and never contacted), some
    # pending; alice follows Bob.
    for i in range(REMOTE_FOLLOWERS + PENDING_FOLLOWERS):
        state = "accepted" if i < REMOTE_FOLLOWERS else "pending"
        pg.psql(
            "WITH a AS (INSERT INTO accounts (username, domain, uri, inbox_url)"
            f" VALUES ('r{i}', 'localhost:9', 'https://localhost:9/users/r{i}',"
            f" 'https://localhost:9/users/r{i}/inbox') RETURNING id)"
            f" INSERT INTO follows (account_id, target_account_id, state)"
            f" SELECT id, {alice}, '{state}' FROM a")
    pg.psql(f"INSERT INTO follows (account_id, target_account_id, state)"
            f" VALUES ({alice}, {bob}, 'accepted')")


def listable_ids():
    """alice's statuses the outbox may list, newest first."""
    return sorted((i for i, v in fixture["statuses"] if v in ("public", "unlisted")),
                  reverse=True)


class FederationTestCase(unittest.TestCase):

    def get(self, path, accept=None, headers=None):
        h = dict(headers or {})
        if accept is not None:
            h["Accept"] = accept
        return kith.get(path, headers=h)

    def get_as(self, path, accept=AS_TYPE):
        r = self.get(path, accept)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.header("content-type"), AS_TYPE if accept == AS_TYPE else LD_TYPE)
        return r, r.json()

    def assert_error(self, r, status):
        """An error: the status, a JSON body {"error": ...}, never cached."""
        self.assertEqual(r.status, status, r)
        self.assertTrue(r.header("content-type", "").startswith("application/json"), r)
        self.assertIsInstance(r.json().get("error"), str, r)
        self.assertEqual(r.header("cache-control"), "no-store", r)

    def assert_public_cache(self, r):
        self.assertRegex(r.header("cache-control", ""), r"^public, max-age=\d+$")

    def url(self, path):
        return fixture["base"] + path


class WebFingerTest(FederationTestCase):

    def webfinger(self, resource, **params):
        query = urllib.parse.urlencode({"resource": resource, **params}, doseq=True)
        return self.get("/.well-known/webfinger?" + query)

    def assert_alice(self, r):
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.header("content-type"), "application/jrd+json; charset=utf-8")
        self.assert_public_cache(r)
        self.assertEqual(r.header("access-control-allow-origin"), "*")
        jrd = r.json()
        self.assertEqual(jrd["subject"], f"acct:alice@{fixture['host']}")
        self.assertEqual(jrd["aliases"], [self.url("/users/alice"), self.url("/@alice")])
        links = {l["rel"]: l for l in jrd["links"]}
        self.assertEqual(links["self"], {"rel": "self", "type": AS_TYPE,
                                         "href": self.url("/users/alice")})
        profile = links["http://webfinger.net/rel/profile-page"]
        self.assertEqual((profile["type"], profile["href"]), ("text/html", self.url("/@alice")))

    def test_acct_resource(self):
        host = fixture["host"]
        for resource in [f"acct:alice@{host}", f"acct:ALICE@{host}", f"ACCT:Alice@{host.upper()}",
                         f"acct:alice@{host}.".replace(f":{kith.port}.", f".:{kith.port}"),
                         f"alice@{host}", f"@alice@{host}", f"acct:%61lice@{host}"]:
            with self.subTest(resource):
                self.assert_alice(self.webfinger(resource))

    def test_actor_url_resource(self):
        for path in ["/users/alice", "/@alice", "/users/Alice"]:
            with self.subTest(path):
                self.assert_alice(self.webfinger(self.url(path)))

    def test_subject_keeps_the_accounts_own_spelling(self):
        r = self.webfinger(f"acct:bob@{fixture['host']}")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["subject"], f"acct:Bob@{fixture['host']}")

    def test_rel_filters_links(self):
        r = self.webfinger(f"acct:alice@{fixture['host']}", rel="self")
        self.assertEqual([l["rel"] for l in r.json()["links"]], ["self"])
        r = self.webfinger(f"acct:alice@{fixture['host']}",
                           rel=["self", "http://webfinger.net/rel/profile-page"])
        self.assertEqual(len(r.json()["links"]), 2)

    def test_instance_actor(self):
        host = fixture["host"]
        for resource in [self.url("/actor"), f"acct:{host}@{host}"]:
            with self.subTest(resource):
                r = self.webfinger(resource)
                self.assertEqual(r.status, 200, r)
                jrd = r.json()
                self.assertEqual(jrd["subject"], f"acct:{host}@{host}")
                self.assertEqual(jrd["links"], [{"rel": "self", "type": AS_TYPE,
                                                 "href": self.url("/actor")}])

    def test_missing_or_malformed_resource_is_400(self):
        host = fixture["host"]
        for query in ["", "?resource=", "?other=acct:alice@" + host]:
            with self.subTest(query):
                self.assert_error(self.get("/.well-known/webfinger" + query), 400)
        for resource in ["alice", "acct:alice", "acct:@" + host, "acct:alice@",
                         "acct:al ice@" + host, "acct:alice@exa mple", "acct:alice@host:99999",
                         "https://", "https://exa mple/users/alice",
                         "acct:" + "a" * 2000 + "@" + host]:
            with self.subTest(resource):
                self.assert_error(self.webfinger(resource), 400)

    def test_unknown_or_foreign_resource_is_404(self):
        host = fixture["host"]
        other = f"localhost:{kith.port + 1}"
        for resource in [f"acct:nobody@{host}", f"acct:alice@{other}", f"acct:alice@127.0.0.1:{kith.port}",
                         f"acct:alice@localhost", f"acct:a.b@{host}", f"acct:erin@{host}",
                         f"https://{other}/users/alice", f"http://{host}/users/alice",
                         self.url("/users/nobody"), self.url("/users/alice/outbox"),
                         self.url("/users/alice#main-key"), self.url("/users/alice?x=1"),
                         self.url("/"), f"mailto:alice@{host}"]:
            with self.subTest(resource):
                self.assert_error(self.webfinger(resource), 404)

    def test_suspended_account_is_gone(self):
        self.assert_error(self.webfinger(f"acct:dave@{fixture['host']}"), 410)


class HostMetaTest(FederationTestCase):

    def template(self):
        return self.url("/.well-known/webfinger?resource={uri}")

    def test_xml(self):
        for accept in [None, "application/xrd+xml", "*/*"]:
            with self.subTest(accept):
                r = self.get("/.well-known/host-meta", accept)
                self.assertEqual(r.status, 200, r)
                self.assertEqual(r.header("content-type"), "application/xrd+xml; charset=utf-8")
                self.assertIn("Accept", r.header("vary", ""))
                self.assert_public_cache(r)
                root = ET.fromstring(r.body)
                ns = "{http://docs.oasis-open.org/ns/xri/xrd-1.0}"
                self.assertEqual(root.tag, ns + "XRD")
                links = root.findall(ns + "Link")
                self.assertEqual(len(links), 1)
                self.assertEqual(links[0].get("rel"), "lrdd")
                self.assertEqual(links[0].get("template"), self.template())

    def test_json(self):
        for path, accept in [("/.well-known/host-meta.json", None),
                             ("/.well-known/host-meta", "application/json")]:
            with self.subTest(path):
                r = self.get(path, accept)
                self.assertEqual(r.status, 200, r)
                self.assertTrue(r.header("content-type").startswith("application/json"))
                links = r.json()["links"]
                self.assertEqual([(l["rel"], l["template"]) for l in links],
                                 [("lrdd", self.template())])


class NodeInfoTest(FederationTestCase):

    def test_discovery_links_both_versions(self):
        r = self.get("/.well-known/nodeinfo")
        self.assertEqual(r.status, 200, r)
        links = r.json()["links"]
        self.assertEqual(links, [
            {"rel": "http://nodeinfo.diaspora.software/ns/schema/2.0",
             "href": self.url("/nodeinfo/2.0")},
            {"rel": "http://nodeinfo.diaspora.software/ns/schema/2.1",
             "href": self.url("/nodeinfo/2.1")}])

    def nodeinfo(self, version):
        r = self.get(f"/nodeinfo/{version}")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.header("content-type"),
                         f'application/json; profile="http://nodeinfo.diaspora.software/ns/'
                         f'schema/{version}#"')
        self.assert_public_cache(r)
        return r.json()

    def test_documents(self):
        users = int(pg.psql("SELECT count(*) FROM users WHERE NOT disabled"))
        posts = int(pg.psql("SELECT count(*) FROM statuses WHERE local AND deleted_at IS NULL"))
        for version in ["2.0", "2.1"]:
            with self.subTest(version):
                info = self.nodeinfo(version)
                self.assertEqual(info["version"], version)
                self.assertEqual(info["software"]["name"], "kith")
                self.assertRegex(info["software"]["version"], r"^\d+\.\d+\.\d+")
                self.assertEqual(info["protocols"], ["activitypub"])
                self.assertEqual(info["services"], {"inbound": [], "outbound": []})
                self.assertIs(info["openRegistrations"], False)
                self.assertEqual(info["metadata"]["nodeName"], fixture["host"])
                usage = info["usage"]
                self.assertGreaterEqual(usage["users"]["total"], users)  # users may be added
                self.assertEqual(usage["localPosts"], posts)
                # Only alice and Bob have posted; nobody has signed in.
                self.assertEqual(usage["users"]["activeMonth"], 2)
                self.assertEqual(usage["users"]["activeHalfyear"], 2)

    def test_counts_follow_the_database(self):
        before = self.nodeinfo("2.1")["usage"]["users"]["total"]
        self.assertEqual(before, int(pg.psql("SELECT count(*) FROM users WHERE NOT disabled")))
        r = kith.run("user", "add", "frank", input="frank-password-1234\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        # The document is cached for a few seconds.
        harness.wait_until(
            lambda: self.nodeinfo("2.1")["usage"]["users"]["total"] == before + 1, 30,
            interval=0.5, message="NodeInfo to count the new user")
        self.assertEqual(self.nodeinfo("2.0")["usage"]["users"]["total"], before + 1)


class ActorTest(FederationTestCase):

    def assert_rsa_2048(self, pem):
        r = subprocess.run(["openssl", "rsa", "-pubin", "-text", "-noout"], input=pem,
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("Public-Key: (2048 bit)", r.stdout)

    def test_person(self):
        r, actor = self.get_as("/users/alice")
        self.assertIn("Accept", r.header("vary", ""))
        self.assert_public_cache(r)
        context = actor["@context"]
        self.assertIn("https://www.w3.org/ns/activitystreams", context)
        self.assertIn("https://w3id.org/security/v1", context)
        actor_id = self.url("/users/alice")
        expected = {
            "id": actor_id, "type": "Person", "preferredUsername": "alice", "name": "alice",
            "url": self.url("/@alice"), "inbox": actor_id + "/inbox",
            "outbox": actor_id + "/outbox", "followers": actor_id + "/followers",
            "following": actor_id + "/following",
            "featured": actor_id + "/collections/featured",
            "endpoints": {"sharedInbox": self.url("/inbox")},
            "manuallyApprovesFollowers": False, "discoverable": False,
        }
        for key, value in expected.items():
            self.assertEqual(actor.get(key), value, key)
        self.assertRegex(actor["published"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d")
        self.assertNotIn("icon", actor)  # no avatar: left out, never null
        self.assertNotIn("image", actor)
        key = actor["publicKey"]
        self.assertEqual(key["id"], actor_id + "#main-key")
        self.assertEqual(key["owner"], actor_id)
        self.assertTrue(key["publicKeyPem"].startswith("-----BEGIN PUBLIC KEY-----"))
        self.assert_rsa_2048(key["publicKeyPem"])
        self.assertNotIn("PRIVATE", r.text())

    def test_locked_account_and_profile_fields(self):
        _, actor = self.get_as("/users/carol")
        self.assertIs(actor["manuallyApprovesFollowers"], True)
        self.assertEqual(actor["name"], "Carol <b>&amp; co")
        self.assertEqual(actor["attachment"][0]["type"], "PropertyValue")
        self.assertEqual(actor["attachment"][0]["name"], "site")

    def test_ld_json_is_answered_as_ld_json(self):
        for accept in [LD_TYPE, 'application/ld+json;profile="https://www.w3.org/ns/activitystreams"']:
            with self.subTest(accept):
                r = self.get("/users/alice", accept)
                self.assertEqual(r.status, 200, r)
                self.assertEqual(r.header("content-type"), LD_TYPE)
                self.assertEqual(r.json()["id"], self.url("/users/alice"))

    def test_negotiation(self):
        for accept, kind in [
                (AS_TYPE, "as"), (LD_TYPE, "as"), (None, "as"), ("*/*", "as"),
                ("application/activity+json, application/ld+json; profile=\"https://www.w3.org/"
                 "ns/activitystreams\", text/html;q=0.1", "as"),
                (BROWSER_ACCEPT, "html"), ("text/html", "html"),
                ("application/activity+json;q=0.5, text/html", "html")]:
            for path in ["/users/alice", "/@alice", "/users/ALICE"]:
                with self.subTest(accept=accept, path=path):
                    r = self.get(path, accept)
                    self.assertEqual(r.status, 200, r)
                    self.assertIn("Accept", r.header("vary", ""))
                    if kind == "html":
                        self.assertEqual(r.header("content-type"), "text/html; charset=utf-8")
                        self.assertIn("<h1", r.text())
                    else:
                        self.assertIn(r.header("content-type"), (AS_TYPE, LD_TYPE))
                        self.assertEqual(r.json()["id"], self.url("/users/alice"))
        r = self.get("/users/alice", "image/png")
        self.assert_error(r, 406)
        self.assertIn("Accept", r.header("vary", ""))

    def test_html_profile_is_escaped_and_scriptless(self):
        r = self.get("/@carol", BROWSER_ACCEPT)
        self.assertEqual(r.status, 200, r)
        page = r.text()
        self.assertIn("Carol &lt;b&gt;&amp;amp; co", page)
        self.assertIn("<p>bio</p>", page)
        self.assertNotIn("<script", page.lower())
        self.assertNotIn("alert", page)
        self.assertIn("default-src 'none'", r.header("content-security-policy", ""))
        self.assertNotIn("script-src", r.header("content-security-policy", ""))
        self.assertIn(f'<link rel="alternate" type="application/activity+json" '
                      f'href="{self.url("/users/carol")}">', page)
        self.assertIn(self.url("/users/carol"), r.header("link", ""))

    def test_unknown_disabled_and_suspended(self):
        for path in ["/users/nobody", "/users/erin", "/@erin", "/users/a.b", "/users/%00",
                     "/users/" + "a" * 31]:
            for accept in [AS_TYPE, BROWSER_ACCEPT]:
                with self.subTest(path=path, accept=accept):
                    self.assert_error(self.get(path, accept), 404)
        for path in ["/users/dave", "/@dave", "/users/dave/outbox",
                     "/users/dave/collections/featured"]:
            with self.subTest(path):
                self.assert_error(self.get(path, AS_TYPE), 410)

    def test_instance_actor(self):
        r, actor = self.get_as("/actor")
        self.assert_public_cache(r)
        self.assertEqual(actor["id"], self.url("/actor"))
        self.assertEqual(actor["type"], "Application")
        self.assertEqual(actor["preferredUsername"], fixture["host"])
        self.assertEqual(actor["inbox"], self.url("/actor/inbox"))
        self.assertEqual(actor["outbox"], self.url("/actor/outbox"))
        self.assertEqual(actor["endpoints"], {"sharedInbox": self.url("/inbox")})
        key = actor["publicKey"]
        self.assertEqual((key["id"], key["owner"]), (self.url("/actor#main-key"), self.url("/actor")))
        self.assert_rsa_2048(key["publicKeyPem"])
        self.assertNotIn("PRIVATE", r.text())
        # One key pair, kept in the database, the same on every fetch.
        self.assertEqual(pg.psql("SELECT count(*) FROM instance_actor"), "1")
        stored = pg.psql("SELECT public_key_pem FROM instance_actor")
        self.assertEqual(stored.strip(), key["publicKeyPem"].strip())
        _, again = self.get_as("/actor", LD_TYPE)
        self.assertEqual(again["publicKey"], key)
        _, outbox = self.get_as("/actor/outbox")
        self.assertEqual((outbox["type"], outbox["totalItems"]), ("OrderedCollection", 0))


class CollectionTest(FederationTestCase):

    def walk(self, collection_path):
        """The collection and every page from first along next, checking each
        page's links; returns (collection, items in order, pages)."""
        _, collection = self.get_as(collection_path)
        self.assertEqual(collection["type"], "OrderedCollection")
        self.assertEqual(collection["id"], self.url(collection_path))
        self.assertEqual(collection["first"], self.url(collection_path) + "?page=true")
        items, pages, url = [], [], collection["first"]
        while url:
            self.assertTrue(url.startswith(fixture["base"]), url)
            r, page = self.get_as(url[len(fixture["base"]):])
            self.assert_public_cache(r)
            self.assertIn("Accept", r.header("vary", ""))
            self.assertEqual(page["type"], "OrderedCollectionPage")
            self.assertEqual(page["id"], url)
            self.assertEqual(page["partOf"], collection["id"])
            self.assertEqual(page["totalItems"], collection["totalItems"])
            items += page["orderedItems"]
            pages.append(page)
            url = page.get("next")
            self.assertLess(len(pages), 20, "paging does not end")
        return collection, items, pages

    def test_outbox_lists_public_and_unlisted_creates_newest_first(self):
        collection, items, pages = self.walk("/users/alice/outbox")
        expected = listable_ids()
        self.assertEqual(collection["totalItems"], len(expected))
        self.assertEqual(collection["last"], self.url("/users/alice/outbox?page=true&min_id=0"))
        self.assertEqual([len(p["orderedItems"]) for p in pages], [20, len(expected) - 20])
        base = self.url("/users/alice/statuses/")
        self.assertEqual([int(i["object"]["id"][len(base):]) for i in items], expected)
        visibility = dict(fixture["statuses"])
        for item in items:
            note = item["object"]
            status_id = int(note["id"][len(base):])
            self.assertEqual(item["type"], "Create")
            self.assertEqual(item["id"], note["id"] + "/activity")
            self.assertEqual(item["actor"], self.url("/users/alice"))
            self.assertEqual(note["type"], "Note")
            self.assertEqual(note["attributedTo"], self.url("/users/alice"))
            self.assertNotIn("@context", item)
            if visibility[status_id] == "public":
                self.assertEqual(note["to"], [PUBLIC])
            else:
                self.assertEqual(note["cc"], [PUBLIC])
                self.assertEqual(note["to"], [self.url("/users/alice/followers")])
        # Paging links: next goes back from the oldest item, prev forward
        # from the newest; prev of the second page is the first page again.
        first, second = pages
        self.assertEqual(first["next"],
                         self.url(f"/users/alice/outbox?page=true&max_id={expected[19]}"))
        self.assertEqual(first["prev"],
                         self.url(f"/users/alice/outbox?page=true&min_id={expected[0]}"))
        self.assertNotIn("next", second)
        _, back = self.get_as(second["prev"][len(fixture["base"]):])
        self.assertEqual(back["orderedItems"], first["orderedItems"])
        _, last = self.get_as(collection["last"][len(fixture["base"]):])
        self.assertEqual([i["object"]["id"] for i in last["orderedItems"]],
                         [base + str(i) for i in expected[-20:]])
        _, newer = self.get_as(f"/users/alice/outbox?page=true&min_id={expected[0]}")
        self.assertEqual(newer["orderedItems"], [])
        self.assertNotIn("prev", newer)

    def test_outbox_never_mentions_other_statuses(self):
        _, items, _ = self.walk("/users/alice/outbox")
        text = json.dumps(items)
        hidden = [i for i, v in fixture["statuses"] if v not in ("public", "unlisted")]
        hidden += [fixture["deleted"], fixture["boost"], fixture["bobs"]]
        for status_id in hidden:
            self.assertNotIn(str(status_id), text)

    def test_followers_and_following(self):
        collection, items, pages = self.walk("/users/alice/followers")
        self.assertEqual(collection["totalItems"], REMOTE_FOLLOWERS)
        self.assertEqual([len(p["orderedItems"]) for p in pages], [40, REMOTE_FOLLOWERS - 40])
        self.assertEqual(sorted(items),
                         sorted(f"https://localhost:9/users/r{i}" for i in range(REMOTE_FOLLOWERS)))
        collection, items, _ = self.walk("/users/alice/following")
        self.assertEqual(collection["totalItems"], 1)
        self.assertEqual(items, [self.url("/users/Bob")])
        collection, items, _ = self.walk("/users/Bob/followers")
        self.assertEqual((collection["totalItems"], items), (1, [self.url("/users/alice")]))
        collection, items, _ = self.walk("/users/carol/outbox")
        self.assertEqual((collection["totalItems"], items), (0, []))

    def test_featured_is_empty(self):
        r, featured = self.get_as("/users/alice/collections/featured")
        self.assertEqual(featured["id"], self.url("/users/alice/collections/featured"))
        self.assertEqual((featured["type"], featured["totalItems"], featured["orderedItems"]),
                         ("OrderedCollection", 0, []))

    def test_bad_paging_parameters(self):
        for query in ["?page=true&max_id=abc", "?page=true&min_id=-1", "?max_id=1e5",
                      "?page=true&max_id=99999999999999999999"]:
            with self.subTest(query):
                self.assert_error(self.get("/users/alice/outbox" + query, AS_TYPE), 400)
        for path in ["/users/nobody/outbox", "/users/erin/followers", "/users/a.b/following",
                     "/users/nobody/collections/featured"]:
            with self.subTest(path):
                self.assert_error(self.get(path, AS_TYPE), 404)
        self.assert_error(self.get("/users/alice/outbox", "text/html"), 406)


class StatusTest(FederationTestCase):

    def status_path(self, status_id, user="alice"):
        return f"/users/{user}/statuses/{status_id}"

    def test_public_and_unlisted_statuses_are_notes(self):
        for status_id, visibility in fixture["statuses"]:
            if visibility not in ("public", "unlisted"):
                continue
            with self.subTest(status_id=status_id, visibility=visibility):
                r, note = self.get_as(self.status_path(status_id))
                self.assert_public_cache(r)
                self.assertIn("Accept", r.header("vary", ""))
                self.assertEqual(note["id"], self.url(self.status_path(status_id)))
                self.assertEqual(note["type"], "Note")
                self.assertEqual(note["url"], self.url(f"/@alice/{status_id}"))
                self.assertEqual(note["attributedTo"], self.url("/users/alice"))
                followers = self.url("/users/alice/followers")
                if visibility == "public":
                    self.assertEqual((note["to"], note["cc"]), ([PUBLIC], [followers]))
                else:
                    self.assertEqual((note["to"], note["cc"]), ([followers], [PUBLIC]))

    def test_reply_names_its_parent(self):
        _, note = self.get_as(self.status_path(fixture["reply"]))
        self.assertEqual(note["inReplyTo"], self.url(self.status_path(fixture["first_public"])))

    def test_create_activity(self):
        status_id = fixture["first_public"]
        r, create = self.get_as(self.status_path(status_id) + "/activity", LD_TYPE)
        self.assertEqual(create["type"], "Create")
        self.assertEqual(create["id"], self.url(self.status_path(status_id) + "/activity"))
        self.assertEqual(create["object"]["id"], self.url(self.status_path(status_id)))
        self.assertEqual(create["to"], [PUBLIC])

    def test_other_statuses_are_not_found_whatever_the_form(self):
        not_found = self.get(self.status_path(1), AS_TYPE)
        self.assert_error(not_found, 404)
        hidden = [i for i, v in fixture["statuses"] if v not in ("public", "unlisted")]
        paths = []
        for status_id in hidden + [fixture["deleted"], fixture["boost"]]:
            paths += [self.status_path(status_id), self.status_path(status_id) + "/activity",
                      f"/@alice/{status_id}"]
        # Bob's status under alice's name, and alice's under Bob's.
        paths += [self.status_path(fixture["bobs"]),
                  self.status_path(fixture["first_public"], "Bob"),
                  self.status_path(fixture["first_public"], "erin"),
                  "/users/alice/statuses/abc", "/users/alice/statuses/-1",
                  "/users/alice/statuses/99999999999999999999", "/@alice/x"]
        for path in paths:
            for accept in [AS_TYPE, LD_TYPE, BROWSER_ACCEPT, None]:
                with self.subTest(path=path, accept=accept):
                    r = self.get(path, accept)
                    self.assert_error(r, 404)
                    # Exactly the answer for a status that does not exist.
                    self.assertEqual(r.body, not_found.body)

    def test_html_status_page(self):
        status_id = fixture["first_public"]
        for path in [f"/@alice/{status_id}", self.status_path(status_id)]:
            with self.subTest(path):
                r = self.get(path, BROWSER_ACCEPT)
                self.assertEqual(r.status, 200, r)
                self.assertEqual(r.header("content-type"), "text/html; charset=utf-8")
                self.assertIn("Accept", r.header("vary", ""))
                self.assertIn("<p>post 0</p>", r.text())
                self.assertNotIn("<script", r.text().lower())
        # The ActivityStreams form at the page URL too (as Mastodon serves it).
        _, note = self.get_as(f"/@alice/{status_id}")
        self.assertEqual(note["id"], self.url(self.status_path(status_id)))


class ErrorsTest(FederationTestCase):

    def test_every_error_is_json(self):
        for path, accept, status in [
                ("/.well-known/webfinger", None, 400),
                ("/users/nobody", BROWSER_ACCEPT, 404),
                ("/users/alice", "image/png", 406),
                ("/users/alice/statuses/1", None, 404),
                ("/users/dave", None, 410),
                ("/users/alice/followers?page=true&max_id=x", None, 400)]:
            with self.subTest(path):
                self.assert_error(self.get(path, accept), status)


if __name__ == "__main__":
    unittest.main()
