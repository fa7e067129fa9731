"""Filters (v2 with keywords and statuses, and the v1 mapping), the
`filtered` field of statuses, and the endpoints clients probe that kith
answers (nearly) empty, against the real daemon (api_fixture: one daemon,
local users only).

Filters: CRUD with the Filter, FilterKeyword and FilterStatus entities'
fields; keywords_attributes as JSON and as form fields, with id and
_destroy; someone else's filter is 404; bad input is 422 and changes
nothing. The `filtered` field: a warn filter's FilterResult on home,
public and thread views; whole_word; a hide filter removes the status
from the contexts it names only; an expired filter does nothing; status
filters give status_matches. v1: a phrase is one keyword of its own
filter, irreversible is hide.
"""

import time
import urllib.parse

import api_fixture

FILTER_FIELDS = {"id", "title", "context", "expires_at", "filter_action", "keywords", "statuses"}
RESULT_FIELDS = {"filter", "keyword_matches", "status_matches"}
V1_FIELDS = {"id", "phrase", "context", "whole_word", "expires_at", "irreversible"}


def form(pairs):
    return urllib.parse.urlencode(pairs).encode()


FORM = {"Content-Type": "application/x-www-form-urlencoded"}


class FiltersTest(api_fixture.LocalApiTest):

    def setUp(self):
        # Each test starts without filters.
        self.psql("DELETE FROM filters")

    def test_v2_crud(self):
        created = self.api("alice", "POST", "/api/v2/filters", {
            "title": "Spoilers", "context": ["home", "public"], "filter_action": "warn",
            "keywords_attributes": [{"keyword": "finale", "whole_word": False},
                                    {"keyword": "ending"}]})
        self.assertEqual(set(created), FILTER_FIELDS)
        self.assertEqual((created["title"], created["context"], created["filter_action"],
                          created["expires_at"]), ("Spoilers", ["home", "public"], "warn", None))
        self.assertEqual([(k["keyword"], k["whole_word"]) for k in created["keywords"]],
                         [("finale", False), ("ending", True)])
        self.assertEqual(created["statuses"], [])
        path = f"/api/v2/filters/{created['id']}"
        self.assertEqual(self.api("alice", "GET", path), created)
        self.assertEqual(self.api("alice", "GET", "/api/v2/filters"), [created])
        # Form fields, as most clients send them.
        body = form([("title", "Form"), ("context[]", "thread"), ("filter_action", "hide"),
                     ("expires_in", "3600"), ("keywords_attributes[][keyword]", "a"),
                     ("keywords_attributes[][whole_word]", "false"),
                     ("keywords_attributes[][keyword]", "b"),
                     ("keywords_attributes[][whole_word]", "true")])
        other = self.api("alice", "POST", "/api/v2/filters", body, headers=FORM)
        self.assertEqual([(k["keyword"], k["whole_word"]) for k in other["keywords"]],
                         [("a", False), ("b", True)])
        self.assertEqual(other["filter_action"], "hide")
        self.assertRegex(other["expires_at"], api_fixture.TIME_FORMAT)
        # PUT: remove one keyword, change another, add one.
        first, second = created["keywords"]
        updated = self.api("alice", "PUT", path, {
            "title": "Spoilers!", "filter_action": "blur",
            "keywords_attributes": [{"id": first["id"], "_destroy": True},
                                    {"id": second["id"], "keyword": "epilogue"},
                                    {"keyword": "twist"}]})
        self.assertEqual((updated["title"], updated["filter_action"]), ("Spoilers!", "blur"))
        self.assertEqual([k["keyword"] for k in updated["keywords"]], ["epilogue", "twist"])
        self.assertEqual(updated["keywords"][0]["id"], second["id"])
        # Keywords by their own endpoints.
        kw_path = f"{path}/keywords"
        added = self.api("alice", "POST", kw_path, {"keyword": "credits", "whole_word": False})
        self.assertEqual(set(added), {"id", "keyword", "whole_word"})
        self.assertEqual(len(self.api("alice", "GET", kw_path)), 3)
        one = f"/api/v2/filters/keywords/{added['id']}"
        self.assertEqual(self.api("alice", "GET", one), added)
        changed = self.api("alice", "PUT", one, {"keyword": "end credits"})
        self.assertEqual(changed["keyword"], "end credits")
        self.assertEqual(self.api("alice", "DELETE", one), {})
        self.api("alice", "GET", one, expect=404)
        # Statuses.
        post = self.post("bob", "a status to filter")
        st_path = f"{path}/statuses"
        fs = self.api("alice", "POST", st_path, {"status_id": post["id"]})
        self.assertEqual(set(fs), {"id", "status_id"})
        self.assertEqual(fs["status_id"], post["id"])
        self.api("alice", "POST", st_path, {"status_id": post["id"]}, expect=422)
        self.api("alice", "POST", st_path, {"status_id": "12345"}, expect=404)
        self.assertEqual(self.api("alice", "GET", st_path), [fs])
        self.assertEqual(self.api("alice", "GET", f"/api/v2/filters/statuses/{fs['id']}"), fs)
        self.assertEqual(self.api("alice", "GET", path)["statuses"], [fs])
        self.assertEqual(self.api("alice", "DELETE", f"/api/v2/filters/statuses/{fs['id']}"), {})
        self.api("alice", "GET", f"/api/v2/filters/statuses/{fs['id']}", expect=404)
        # Someone else's: 404 everywhere.
        for method, p in (("GET", path), ("PUT", path), ("DELETE", path), ("GET", kw_path),
                          ("POST", st_path),
                          ("GET", f"/api/v2/filters/keywords/{second['id']}")):
            self.api("bob", method, p, {"keyword": "x", "status_id": post["id"]}, expect=404)
        self.assertEqual(self.api("bob", "GET", "/api/v2/filters"), [])
        # Bad input: 422 (404 for a keyword id on create) and nothing changes.
        before = self.api("alice", "GET", "/api/v2/filters")
        for body in ({"context": ["home"]}, {"title": "x"}, {"title": "x", "context": ["bad"]},
                     {"title": "x", "context": ["home"], "filter_action": "explode"},
                     {"title": "x", "context": ["home"], "expires_in": "soon"},
                     {"title": "x", "context": ["home"], "keywords_attributes": [{"keyword": ""}]}):
            self.api("alice", "POST", "/api/v2/filters", body, expect=422)
        self.api("alice", "POST", "/api/v2/filters", {
            "title": "x", "context": ["home"],
            "keywords_attributes": [{"id": second["id"], "keyword": "y"}]}, expect=404)
        self.api("alice", "PUT", path, {"context": ["nowhere"]}, expect=422)
        self.api("alice", "POST", kw_path, {"keyword": " "}, expect=422)
        # Invalid UTF-8 (only a form can carry it) is 422 too, not a 500.
        for raw in (b"title=%FF&context[]=home",
                    b"title=x&context[]=home&keywords_attributes[][keyword]=%C3"):
            self.api("alice", "POST", "/api/v2/filters", raw, headers=FORM, expect=422)
        self.api("alice", "POST", kw_path, b"keyword=a%FFb", headers=FORM, expect=422)
        self.api("alice", "PUT", path, b"title=%80", headers=FORM, expect=422)
        self.api("alice", "POST", "/api/v1/filters", b"phrase=%FE&context[]=home",
                 headers=FORM, expect=422)
        self.assertEqual(self.api("alice", "GET", "/api/v2/filters"), before)
        self.api(None, "GET", "/api/v2/filters", expect=401)
        self.assertEqual(self.api("alice", "DELETE", path), {})
        self.api("alice", "GET", path, expect=404)
        self.api("alice", "GET", kw_path, expect=404)

    def test_filtered_field(self):
        self.follow("alice", "bob")
        self.api("alice", "POST", "/api/v2/filters", {
            "title": "Cats", "context": ["home", "public", "thread"],
            "keywords_attributes": [{"keyword": "cats", "whole_word": True}]})
        hide = self.api("alice", "POST", "/api/v2/filters", {
            "title": "No dogs", "context": ["home"], "filter_action": "hide",
            "keywords_attributes": [{"keyword": "dog", "whole_word": False}]})
        cats = self.post("bob", "I like CATS a lot")
        catsup = self.post("bob", "pass the catsup")
        warned = self.post("bob", "nothing here", spoiler_text="about cats")
        dogs = self.post("bob", "hotdogs for all")
        home = {s["id"]: s for s in self.api("alice", "GET", "/api/v1/timelines/home")}
        result = home[cats["id"]]["filtered"]
        self.assertEqual(len(result), 1)
        self.assertEqual(set(result[0]), RESULT_FIELDS)
        self.assertEqual(result[0]["filter"]["title"], "Cats")
        self.assertEqual(result[0]["filter"]["filter_action"], "warn")
        self.assertEqual(result[0]["keyword_matches"], ["cats"])
        self.assertIsNone(result[0]["status_matches"])
        self.assertEqual(home[catsup["id"]]["filtered"], [])  # whole word only
        self.assertEqual(len(home[warned["id"]]["filtered"]), 1)  # the spoiler text counts
        self.assertNotIn(dogs["id"], home)  # hide, in home
        public = {s["id"]: s for s in self.api("alice", "GET", "/api/v1/timelines/public")}
        self.assertEqual(len(public[cats["id"]]["filtered"]), 1)
        self.assertEqual(public[dogs["id"]]["filtered"], [])  # hide is for home only
        # Other viewers and anonymous ones see nothing filtered.
        self.assertEqual(self.api("carol", "GET", f"/api/v1/statuses/{cats['id']}")["filtered"], [])
        self.assertEqual(self.api(None, "GET", f"/api/v1/statuses/{cats['id']}")["filtered"], [])
        # One status: every unexpired filter is reported, nothing removed.
        single = self.api("alice", "GET", f"/api/v1/statuses/{dogs['id']}")
        self.assertEqual([r["filter"]["id"] for r in single["filtered"]], [hide["id"]])
        # The thread.
        reply = self.post("carol", "@bob cats again", in_reply_to_id=cats["id"])
        context = self.api("alice", "GET", f"/api/v1/statuses/{cats['id']}/context")
        self.assertEqual([len(s["filtered"]) for s in context["descendants"]
                          if s["id"] == reply["id"]], [1])
        # A status filter.
        plain = self.post("bob", "quite plain")
        status_filter = self.api("alice", "POST", "/api/v2/filters", {
            "title": "That one", "context": ["home"]})
        self.api("alice", "POST", f"/api/v2/filters/{status_filter['id']}/statuses",
                 {"status_id": plain["id"]})
        home = {s["id"]: s for s in self.api("alice", "GET", "/api/v1/timelines/home")}
        self.assertEqual(home[plain["id"]]["filtered"][0]["status_matches"], [plain["id"]])
        self.assertIsNone(home[plain["id"]]["filtered"][0]["keyword_matches"])
        # Expired filters do nothing.
        self.psql("UPDATE filters SET expires_at = now() - interval '1 minute'")
        home = {s["id"]: s for s in self.api("alice", "GET", "/api/v1/timelines/home")}
        self.assertEqual(home[cats["id"]]["filtered"], [])
        self.assertIn(dogs["id"], home)

    def test_limits(self):
        # At most 200 keywords per filter, counting existing and new ones.
        def words(start, count):
            return [{"keyword": f"w{n}"} for n in range(start, start + count)]
        made = self.api("alice", "POST", "/api/v2/filters", {
            "title": "many", "context": ["home"], "keywords_attributes": words(0, 100)})
        path = f"/api/v2/filters/{made['id']}"
        self.api("alice", "PUT", path, {"keywords_attributes": words(100, 100)})
        self.api("alice", "PUT", path, {"keywords_attributes": words(200, 1)}, expect=422)
        self.api("alice", "POST", path + "/keywords", {"keyword": "one more"}, expect=422)
        self.assertEqual(len(self.api("alice", "GET", path + "/keywords")), 200)
        # Removing one in the same request makes room for one.
        first = self.api("alice", "GET", path)["keywords"][0]["id"]
        self.api("alice", "PUT", path, {"keywords_attributes": [
            {"id": first, "_destroy": True}, {"keyword": "swap"}]})
        # At most 200 filters per account, v1 and v2.
        self.psql(f"INSERT INTO filters (account_id, title, context) SELECT"
                  f" {self.id_of('alice')}, 'f' || n, '{{home}}' FROM generate_series(1, 199) n")
        self.api("alice", "POST", "/api/v2/filters", {"title": "x", "context": ["home"]},
                 expect=422)
        self.api("alice", "POST", "/api/v1/filters", {"phrase": "x", "context": ["home"]},
                 expect=422)
        self.assertEqual(len(self.api("alice", "GET", "/api/v2/filters")), 200)

    def test_expires_in(self):
        self.follow("carol", "bob")
        self.api("carol", "POST", "/api/v2/filters", {
            "title": "Soon gone", "context": ["home"], "filter_action": "hide",
            "expires_in": 2, "keywords_attributes": [{"keyword": "ephemeral"}]})
        post = self.post("bob", "an ephemeral post")
        self.assertNotIn(post["id"], self.ids_in("carol", "/api/v1/timelines/home"))
        time.sleep(2.5)
        self.assertIn(post["id"], self.ids_in("carol", "/api/v1/timelines/home"))

    def test_v1_filters(self):
        self.follow("carol", "bob")
        v1 = self.api("carol", "POST", "/api/v1/filters", {
            "phrase": "Spam", "context": ["home", "notifications"], "irreversible": True})
        self.assertEqual(set(v1), V1_FIELDS)
        self.assertEqual((v1["phrase"], v1["context"], v1["irreversible"], v1["whole_word"],
                          v1["expires_at"]),
                         ("Spam", ["home", "notifications"], True, False, None))
        v2 = self.api("carol", "GET", "/api/v2/filters")
        self.assertEqual(len(v2), 1)
        self.assertEqual((v2[0]["title"], v2[0]["filter_action"]), ("Spam", "hide"))
        self.assertEqual([k["id"] for k in v2[0]["keywords"]], [v1["id"]])
        post = self.post("bob", "buy spam now")
        self.assertNotIn(post["id"], self.ids_in("carol", "/api/v1/timelines/home"))
        path = f"/api/v1/filters/{v1['id']}"
        self.assertEqual(self.api("carol", "GET", path), v1)
        self.assertEqual(self.api("carol", "GET", "/api/v1/filters"), [v1])
        changed = self.api("carol", "PUT", path, {"phrase": "ham", "irreversible": False,
                                                  "context": ["home"], "whole_word": True})
        self.assertEqual((changed["phrase"], changed["irreversible"], changed["context"],
                          changed["whole_word"]), ("ham", False, ["home"], True))
        self.api("carol", "PUT", path, {"context": ["nowhere"]}, expect=422)
        self.api("carol", "POST", "/api/v1/filters", {"context": ["home"]}, expect=422)
        self.api("carol", "POST", "/api/v1/filters", {"phrase": "x"}, expect=422)
        self.api("bob", "GET", path, expect=404)
        # A filter of several keywords: v1 may change a phrase, not the group.
        group = self.api("carol", "POST", "/api/v2/filters", {
            "title": "Group", "context": ["home"],
            "keywords_attributes": [{"keyword": "one"}, {"keyword": "two"}]})
        kw = group["keywords"][0]["id"]
        self.api("carol", "PUT", f"/api/v1/filters/{kw}", {"context": ["public"]}, expect=422)
        self.assertEqual(self.api("carol", "PUT", f"/api/v1/filters/{kw}",
                                  {"phrase": "uno"})["phrase"], "uno")
        self.assertEqual(len(self.api("carol", "GET", "/api/v1/filters")), 3)
        # DELETE removes the keyword only.
        self.assertEqual(self.api("carol", "DELETE", f"/api/v1/filters/{kw}"), {})
        self.assertEqual([k["keyword"] for k in self.api(
            "carol", "GET", f"/api/v2/filters/{group['id']}")["keywords"]], ["two"])
        self.api("carol", "DELETE", path)
        self.api("carol", "GET", path, expect=404)


class PlaceholdersTest(api_fixture.LocalApiTest):

    def test_each_answers_well_formed_json(self):
        public = [("/api/v1/trends", []), ("/api/v1/trends/tags", []),
                  ("/api/v1/trends/statuses", []), ("/api/v1/trends/links", []),
                  ("/api/v1/custom_emojis", []), ("/api/v1/instance/rules", []),
                  ("/api/v1/instance/domain_blocks", []),
                  ("/api/v1/instance/translation_languages", {})]
        for path, expected in public:
            self.assertEqual(self.api(None, "GET", path), expected, path)
            self.assertEqual(self.api("alice", "GET", path), expected, path)
        for path in ("/api/v1/instance/extended_description", "/api/v1/instance/privacy_policy"):
            doc = self.api(None, "GET", path)
            self.assertEqual(set(doc), {"updated_at", "content"})
            self.assertRegex(doc["updated_at"], api_fixture.TIME_FORMAT)
        self.assertEqual(self.api(None, "GET", "/api/v1/instance/peers"), [])
        activity = self.api(None, "GET", "/api/v1/instance/activity")
        self.assertEqual(len(activity), 12)
        self.assertEqual(set(activity[0]), {"week", "statuses", "logins", "registrations"})
        self.assertTrue(all(isinstance(v, str) for w in activity for v in w.values()))
        self.assertEqual(activity[0]["registrations"], str(len(self.USERS)))
        user_only = [("/api/v1/announcements", []), ("/api/v1/suggestions", []),
                     ("/api/v2/suggestions", []), ("/api/v1/featured_tags", []),
                     ("/api/v1/featured_tags/suggestions", [])]
        for path, expected in user_only:
            self.assertEqual(self.api("alice", "GET", path), expected, path)
            self.api(None, "GET", path, expect=401)
        self.assertEqual(self.api("alice", "DELETE",
                                  f"/api/v1/suggestions/{self.id_of('bob')}"), {})
        self.api("alice", "POST", "/api/v1/announcements/1/dismiss", expect=404)
        self.api("alice", "PUT", "/api/v1/announcements/1/reactions/%F0%9F%91%8D", expect=404)
        # The directory: discoverable accounts only.
        self.assertEqual(self.api(None, "GET", "/api/v1/directory"), [])
        self.psql("UPDATE accounts SET discoverable = true WHERE username IN ('alice', 'bob')")
        listed = self.api(None, "GET", "/api/v1/directory?order=new&local=true")
        self.assertEqual([a["username"] for a in listed], ["bob", "alice"])
        self.assertEqual(len(self.api(None, "GET", "/api/v1/directory?limit=1&offset=1")), 1)
        self.assertEqual(self.api(None, "GET", "/api/v1/directory?offset=999999"), [])
