"""Lists, followed hashtags and the list and hashtag timelines, against the
real daemon (api_fixture: one daemon, local users only).

Lists: CRUD with replies_policy and exclusive, the List entity's fields,
members only among followed accounts (404 otherwise, 422 twice), members
paged with a Link header, GET /accounts/:id/lists, the list timeline with
each replies_policy, and an exclusive list's members leaving the home
timeline. Hashtags: GET /tags/:name (Tag entity with a 7-day history),
follow/unfollow (an unknown tag is created), followed_tags paged, statuses
with a followed tag in home, and /timelines/tag/:hashtag with any[], all[],
none[] and local.
"""

import api_fixture

LIST_FIELDS = {"id", "title", "replies_policy", "exclusive"}
TAG_FIELDS = {"id", "name", "url", "history", "following"}


class ListsTest(api_fixture.LocalApiTest):

    USERS = ("alice", "bob", "carol", "dan")

    def test_list_crud_and_bad_input(self):
        created = self.api("alice", "POST", "/api/v1/lists", {"title": "Friends"})
        self.assertEqual(set(created), LIST_FIELDS)
        self.assertEqual((created["title"], created["replies_policy"], created["exclusive"]),
                         ("Friends", "list", False))
        self.assertIsInstance(created["id"], str)
        path = f"/api/v1/lists/{created['id']}"
        updated = self.api("alice", "PUT", path, {"title": "Close friends",
                                                  "replies_policy": "followed",
                                                  "exclusive": True})
        self.assertEqual((updated["title"], updated["replies_policy"], updated["exclusive"]),
                         ("Close friends", "followed", True))
        self.assertEqual(self.api("alice", "GET", path), updated)
        self.assertIn(updated, self.api("alice", "GET", "/api/v1/lists"))
        # Someone else's list does not exist for bob.
        self.api("bob", "GET", path, expect=404)
        self.api("bob", "PUT", path, {"title": "mine"}, expect=404)
        self.api("bob", "DELETE", path, expect=404)
        self.assertEqual(self.api("bob", "GET", "/api/v1/lists"), [])
        # Bad input: 422 and nothing changes.
        self.api("alice", "POST", "/api/v1/lists", {}, expect=422)
        self.api("alice", "POST", "/api/v1/lists", {"title": "  "}, expect=422)
        self.api("alice", "POST", "/api/v1/lists", {"title": "x", "replies_policy": "some"},
                 expect=422)
        self.api("alice", "PUT", path, {"replies_policy": "everyone"}, expect=422)
        self.api("alice", "PUT", path, b"title=%FF", expect=422,
                 headers={"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual(self.api("alice", "GET", path), updated)
        self.api("alice", "GET", "/api/v1/lists/abc", expect=404)
        self.api(None, "GET", "/api/v1/lists", expect=401)
        self.assertEqual(self.api("alice", "DELETE", path), {})
        self.api("alice", "GET", path, expect=404)

    def test_members_and_list_timeline(self):
        for target in ("bob", "carol"):
            self.follow("alice", target)
        lst = self.api("alice", "POST", "/api/v1/lists", {"title": "Work"})
        members = f"/api/v1/lists/{lst['id']}/accounts"
        # dan is not followed: 404; an unknown account: 404.
        self.api("alice", "POST", members, {"account_ids": [self.id_of("dan")]}, expect=404)
        self.api("alice", "POST", members, {"account_ids": ["999999"]}, expect=404)
        self.api("alice", "POST", members,
                 {"account_ids": [self.id_of("bob"), self.id_of("carol")]})
        self.api("alice", "POST", members, {"account_ids": [self.id_of("bob")]}, expect=422)
        self.api("bob", "GET", members, expect=404)
        listed = self.api("alice", "GET", members)
        self.assertEqual({a["id"] for a in listed}, {self.id_of("bob"), self.id_of("carol")})
        r = self.request("alice", "GET", members + "?limit=1")
        self.assertEqual(len(r.json()), 1)
        self.assertRegex(r.header("link"), r'max_id=\d+>; rel="next", <.*min_id=\d+>; rel="prev"')
        self.assertEqual(len(self.api("alice", "GET", members + "?limit=0")), 2)
        in_lists = self.api("alice", "GET", f"/api/v1/accounts/{self.id_of('bob')}/lists")
        self.assertEqual([l["id"] for l in in_lists], [lst["id"]])
        self.assertEqual(self.api("alice", "GET",
                                  f"/api/v1/accounts/{self.id_of('dan')}/lists"), [])
        self.api("alice", "GET", "/api/v1/accounts/999999/lists", expect=404)

        timeline = f"/api/v1/timelines/list/{lst['id']}"
        own = self.post("bob", "bob at work")
        to_dan = self.post("bob", "@dan hello")
        dan_post = self.post("dan", "dan here")
        reply_to_dan = self.post("bob", "@dan reply", in_reply_to_id=dan_post["id"])
        carol_post = self.post("carol", "carol here")
        reply_to_carol = self.post("bob", "@carol reply", in_reply_to_id=carol_post["id"])
        self_reply = self.post("bob", "more", in_reply_to_id=own["id"])
        alice_post = self.post("alice", "alice here")
        reply_to_alice = self.post("bob", "@alice reply", in_reply_to_id=alice_post["id"])
        seen = self.ids_in("alice", timeline)
        # replies_policy list: replies to members, to oneself, to the owner.
        for status in (own, to_dan, reply_to_carol, self_reply, reply_to_alice, carol_post):
            self.assertIn(status["id"], seen)
        for status in (reply_to_dan, dan_post, alice_post):
            self.assertNotIn(status["id"], seen)
        # followed: replies to dan appear once alice follows dan.
        self.api("alice", "PUT", f"/api/v1/lists/{lst['id']}", {"replies_policy": "followed"})
        self.assertNotIn(reply_to_dan["id"], self.ids_in("alice", timeline))
        self.follow("alice", "dan")
        self.assertIn(reply_to_dan["id"], self.ids_in("alice", timeline))
        self.assertIn(reply_to_carol["id"], self.ids_in("alice", timeline))
        # none: only replies to oneself or to the owner.
        self.api("alice", "PUT", f"/api/v1/lists/{lst['id']}", {"replies_policy": "none"})
        seen = self.ids_in("alice", timeline)
        self.assertNotIn(reply_to_carol["id"], seen)
        self.assertNotIn(reply_to_dan["id"], seen)
        self.assertIn(self_reply["id"], seen)
        self.assertIn(reply_to_alice["id"], seen)
        # Paging with Link.
        r = self.request("alice", "GET", timeline + "?limit=2")
        self.assertEqual(len(r.json()), 2)
        self.assertIn('rel="next"', r.header("link"))
        older = self.ids_in("alice", timeline + f"?limit=2&max_id={r.json()[-1]['id']}")
        self.assertTrue(all(int(i) < int(r.json()[-1]["id"]) for i in older))
        self.api("bob", "GET", timeline, expect=404)
        self.api("alice", "GET", "/api/v1/timelines/list/123", expect=404)
        # A muted member's statuses leave the list timeline, as on home.
        self.api("alice", "POST", f"/api/v1/accounts/{self.id_of('bob')}/mute")
        self.assertNotIn(own["id"], self.ids_in("alice", timeline))
        self.api("alice", "POST", f"/api/v1/accounts/{self.id_of('bob')}/unmute")
        self.assertIn(own["id"], self.ids_in("alice", timeline))
        # Removing a member takes its statuses out.
        self.api("alice", "DELETE", members, {"account_ids": [self.id_of("carol")]})
        self.assertNotIn(carol_post["id"], self.ids_in("alice", timeline))
        self.assertEqual([a["id"] for a in self.api("alice", "GET", members)],
                         [self.id_of("bob")])

    def test_exclusive_list_leaves_home(self):
        self.follow("carol", "dan")
        self.follow("carol", "bob")
        post = self.post("dan", "only in the list")
        other = self.post("bob", "still home")
        home = "/api/v1/timelines/home?limit=40"
        self.assertIn(post["id"], self.ids_in("carol", home))
        lst = self.api("carol", "POST", "/api/v1/lists", {"title": "Dan", "exclusive": "true"})
        self.api("carol", "POST", f"/api/v1/lists/{lst['id']}/accounts",
                 {"account_ids": [self.id_of("dan")]})
        seen = self.ids_in("carol", home)
        self.assertNotIn(post["id"], seen)
        self.assertIn(other["id"], seen)
        self.assertIn(post["id"], self.ids_in("carol", f"/api/v1/timelines/list/{lst['id']}"))
        self.api("carol", "PUT", f"/api/v1/lists/{lst['id']}", {"exclusive": False})
        self.assertIn(post["id"], self.ids_in("carol", home))


class TagsTest(api_fixture.LocalApiTest):

    def test_tag_entity_and_follow(self):
        self.post("bob", "#Caturday is here")
        tag = self.api(None, "GET", "/api/v1/tags/caturday")
        self.assertTrue(TAG_FIELDS - {"following"} <= set(tag), tag)
        self.assertEqual(tag["name"], "caturday")
        self.assertEqual(tag["url"], f"https://{self.host}/tags/caturday")
        self.assertEqual(len(tag["history"]), 7)
        today = tag["history"][0]
        self.assertEqual(set(today), {"day", "uses", "accounts"})
        self.assertEqual((today["uses"], today["accounts"]), ("1", "1"))
        self.assertTrue(all(isinstance(v, str) for d in tag["history"] for v in d.values()))
        self.assertEqual(int(tag["history"][0]["day"]) % 86400, 0)
        mine = self.api("alice", "GET", "/api/v1/tags/CatUrday")
        self.assertIs(mine["following"], False)
        followed = self.api("alice", "POST", "/api/v1/tags/Caturday/follow")
        self.assertIs(followed["following"], True)
        self.api("alice", "POST", "/api/v1/tags/caturday/follow")  # idempotent
        # An unknown tag is created on follow.
        fresh = self.api("alice", "POST", "/api/v1/tags/brandnew/follow")
        self.assertEqual((fresh["name"], fresh["following"]), ("brandnew", True))
        self.assertEqual(self.psql("SELECT count(*) FROM tags WHERE name = 'brandnew'"), "1")
        self.api("alice", "POST", "/api/v1/tags/not%20a%20tag/follow", expect=404)
        self.api("alice", "GET", "/api/v1/tags/%23%23", expect=404)
        self.api(None, "POST", "/api/v1/tags/caturday/follow", expect=401)
        r = self.request("alice", "GET", "/api/v1/followed_tags?limit=1")
        self.assertEqual(r.status, 200)
        self.assertEqual([t["name"] for t in r.json()], ["brandnew"])
        self.assertIn('rel="next"', r.header("link"))
        names = {t["name"] for t in self.api("alice", "GET", "/api/v1/followed_tags")}
        self.assertEqual(names, {"caturday", "brandnew"})
        unfollowed = self.api("alice", "POST", "/api/v1/tags/brandnew/unfollow")
        self.assertIs(unfollowed["following"], False)
        self.assertEqual([t["name"] for t in self.api("alice", "GET", "/api/v1/followed_tags")],
                         ["caturday"])
        # A public status with a followed tag reaches alice's home; a
        # followers-only one does not.
        post = self.post("carol", "more #caturday")
        private = self.post("carol", "secret #caturday", visibility="private")
        home = self.ids_in("alice", "/api/v1/timelines/home")
        self.assertIn(post["id"], home)
        self.assertNotIn(private["id"], home)
        self.api("alice", "POST", "/api/v1/tags/caturday/unfollow")
        self.assertNotIn(post["id"], self.ids_in("alice", "/api/v1/timelines/home"))
        # The tag timeline leaves out muted accounts too.
        self.api("alice", "POST", f"/api/v1/accounts/{self.id_of('carol')}/mute")
        self.assertNotIn(post["id"], self.ids_in("alice", "/api/v1/timelines/tag/caturday"))
        self.assertIn(post["id"], self.ids_in(None, "/api/v1/timelines/tag/caturday"))
        self.api("alice", "POST", f"/api/v1/accounts/{self.id_of('carol')}/unmute")
        # At most 1000 followed tags: the 1001st is 422, one followed already is fine.
        bob = self.id_of("bob")
        self.psql("INSERT INTO tags (name) SELECT 'cap' || n FROM generate_series(1, 999) n")
        self.psql(f"INSERT INTO tag_follows (account_id, tag_id) SELECT {bob}, id FROM tags"
                  f" WHERE name LIKE 'cap%'")
        self.api("bob", "POST", "/api/v1/tags/lastone/follow")
        self.api("bob", "POST", "/api/v1/tags/onetoomany/follow", expect=422)
        self.api("bob", "POST", "/api/v1/tags/cap1/follow")
        self.psql("DELETE FROM tags WHERE name LIKE 'cap%' OR name = 'lastone'")

    def test_tag_timeline_any_all_none(self):
        a = self.post("bob", "#red")
        ab = self.post("bob", "#red #green")
        b = self.post("carol", "#green")
        c = self.post("carol", "#blue #red")
        self.post("carol", "#red hidden", visibility="private")
        base = "/api/v1/timelines/tag/red"
        self.assertEqual(self.ids_in(None, base), [c["id"], ab["id"], a["id"]])
        self.assertEqual(self.ids_in(None, "/api/v1/timelines/tag/RED"),
                         [c["id"], ab["id"], a["id"]])
        self.assertEqual(self.ids_in(None, base + "?any[]=green"),
                         [c["id"], b["id"], ab["id"], a["id"]])
        self.assertEqual(self.ids_in(None, base + "?all[]=green"), [ab["id"]])
        self.assertEqual(self.ids_in(None, base + "?none[]=green&none[]=blue"), [a["id"]])
        self.assertEqual(self.ids_in(None, base + "?all[]=nosuchtag"), [])
        self.assertEqual(self.ids_in("alice", base + "?local=true"),
                         [c["id"], ab["id"], a["id"]])
        self.assertEqual(self.ids_in(None, base + "?remote=true"), [])
        self.assertEqual(self.ids_in(None, "/api/v1/timelines/tag/nosuchtag"), [])
        r = self.request(None, "GET", base + "?limit=1&none[]=blue")
        self.assertEqual([s["id"] for s in r.json()], [ab["id"]])
        link = r.header("link")
        self.assertIn("none=blue", link)
        next_path = link.split(">")[0][1:].split(self.host, 1)[1]
        self.assertEqual(self.ids_in(None, next_path), [a["id"]])
