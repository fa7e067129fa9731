"""Two kith daemons federating every activity a local action causes, both
ways (issue 3, items 4 and 9a).

Nodes a and b each run behind their own nginx with TLS from the test's CA
(federation.py). Each node has the same cast of users, so every scenario
runs in both directions: `test_<scenario>_a_to_b` acts on a (through a's
client API) and waits for the effect on b, seen through b's client API;
`_b_to_a` is the mirror image. The cast (same names on both nodes):

  alice   posts; the author whose statuses the other side receives
  bob     follows the other node's alice (so he receives her posts)
  carol   mentioned by, and sent a direct message by, the other's alice
  dave    follows and unfollows the other node's erin (auto-accepted)
  erin    an open account
  frank   locked: authorizes the follow request of the other's heidi
  grace   locked: rejects the follow request of the other's ivan
  heidi, ivan   the requesters
  judy    blocks (and unblocks) the other node's ken, who followed her
  ken     the blocked one
  olivia  reports the other node's alice (Flag, forwarded)

Every effect is awaited with a deadline (federation.EFFECT_TIMEOUT, 30 s;
after the first time-out the rest get a short one, so that a daemon that
delivers nothing fails the run in minutes, not hours). Where the other node
has no client API for the effect, the test reads that node's database with
psql and says so where it does: reports (Flag) have no moderation API yet,
and a status that reached a user who cannot list it (a direct message, no
conversations/notifications API in the test's reach) is looked up by its
ActivityPub id to learn its local id, then read through the API as each
user.

Each passed check is printed ("ok: ...") so a run shows which steps held
before the first failing one. The last two tests read each nginx's access
log (the other node's inbox POSTs and WebFinger lookups went through TLS
and the proxy) and SIGTERM both daemons (exit 0, no sanitizer report).

AuthorizedFetchFederationTest starts two more nodes, p and q, in
authorized-fetch ("secure") mode and shows that they still resolve, follow,
deliver and fetch from each other (kith signs its fetches), while an
unsigned GET of a public status is 401.

Move and Delete{Person} come from GoToSocial's client API endpoints
(POST /api/v1/accounts/alias, /move, /delete; Mastodon has only settings
pages): each of those scenarios makes its own users, since a moved or
deleted account is no use to any other test.
"""

import os
import re
import sys
import time
import unittest

import federation

fed = None
CAST = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy",
        "ken", "olivia"]
LOCKED = {"frank", "grace"}

# After one effect has timed out, the daemons evidently do not federate it;
# later waits are cut to this so the run still ends within ctest's limit.
SHORT_TIMEOUT = 10.0
_timed_out = [False]


def setUpModule():
    global fed
    started = time.monotonic()
    fed = federation.Federation(("a", "b"))
    unittest.addModuleCleanup(fed.cleanup)
    for node in fed.nodes.values():
        for name in CAST:
            node.add_user(name)
    print(f"\nfederation: 2 nodes with {len(CAST)} users each up in "
          f"{time.monotonic() - started:.1f} s ({fed['a'].base_url}, {fed['b'].base_url})",
          file=sys.stderr)


class FederationTest(unittest.TestCase):
    """Scenario methods take (x, y): act on node x, observe node y."""

    maxDiff = None

    # -- plumbing --

    def user(self, node, name):
        """A logged-in user (the token is made on first use; a LOCKED one
        then locks the account through update_credentials, before any other
        node has looked it up)."""
        u = fed[node].users[name]
        if u.token is None:
            fed[node].login(u)
            if name in LOCKED:
                me = u.api("PATCH", "/api/v1/accounts/update_credentials", body={"locked": True})
                self.assertTrue(me.get("locked"), f"update_credentials locked=true: {me}")
        return u

    def ok(self, what):
        print(f"  ok: {what}", file=sys.stderr)

    def eventually(self, predicate, message):
        timeout = SHORT_TIMEOUT if _timed_out[0] else federation.EFFECT_TIMEOUT
        try:
            return federation.eventually(predicate, message, timeout=timeout, federation=fed)
        except AssertionError:
            _timed_out[0] = True
            raise

    def remote_account_id(self, viewer, target):
        """viewer's node's id of `target` (a user of another node), through
        search?resolve=true (WebFinger and the actor, fetched over TLS)."""
        account = viewer.resolve_account(target.acct)
        self.assertIsNotNone(account, f"{viewer.name}@{viewer.node.name} could not resolve "
                                      f"{target.acct}")
        return account["id"]

    _follows = set()

    def ensure_following(self, follower, target):
        """`follower` follows `target` (an open account on another node), and
        the Accept has come back. Done once per pair for the module."""
        key = (follower.node.name, follower.name, target.node.name, target.name)
        if key in self._follows:
            return
        target_id = self.remote_account_id(follower, target)
        follower.api("POST", f"/api/v1/accounts/{target_id}/follow")
        self.eventually(lambda: follower.relationship(target_id).get("following"),
                        f"{follower.name}@{follower.node.name} to be following {target.acct}")
        self._follows.add(key)

    def status_on(self, node_name, uri, viewer, message):
        """The Status entity of `uri` on node `node_name` as `viewer` sees it,
        waiting until the node has it. The local id comes from the node's
        database (there is no by-URI lookup without a fetch)."""
        node = fed[node_name]
        local_id = self.eventually(lambda: node.local_status_id(uri), message)
        return viewer.api("GET", f"/api/v1/statuses/{local_id}")

    def in_home(self, viewer, uri):
        return next((s for s in viewer.home() if s.get("uri") == uri), None)

    # -- scenarios --

    def check_resolve(self, x, y):
        bob = self.user(x, "bob")
        alice = fed[y].users["alice"]
        account = bob.resolve_account(alice.acct)
        self.assertIsNotNone(account, f"search?resolve=true of {alice.acct} found nothing")
        self.assertEqual(account["acct"], alice.acct)
        self.assertEqual(account["username"], "alice")
        self.assertEqual(account.get("uri", alice.uri), alice.uri)
        self.ok(f"{x}: search?resolve=true of {alice.acct} -> {account['acct']} (WebFinger over TLS)")
        again = bob.resolve_account(alice.acct)
        self.assertEqual(again["id"], account["id"], "a second lookup made another account")
        self.ok(f"{x}: the second lookup finds the same account (id {account['id']})")

    def check_follow_and_undo(self, x, y):
        dave, erin = self.user(x, "dave"), self.user(y, "erin")
        erin_id = self.remote_account_id(dave, erin)
        rel = dave.api("POST", f"/api/v1/accounts/{erin_id}/follow")
        self.assertTrue(rel.get("following") or rel.get("requested"), rel)
        self.eventually(lambda: dave.relationship(erin_id).get("following"),
                        f"Accept: {dave.name}@{x} following {erin.acct}")
        self.ok(f"Follow {x}->{y} auto-accepted: {x} shows following")
        dave_id = self.remote_account_id(erin, dave)
        self.eventually(lambda: erin.relationship(dave_id).get("followed_by"),
                        f"{y}: {erin.name} followed_by {dave.acct}")
        self.ok(f"{y}: erin's relationship shows followed_by")
        dave.api("POST", f"/api/v1/accounts/{erin_id}/unfollow")
        self.assertFalse(dave.relationship(erin_id).get("following"))
        self.eventually(lambda: not erin.relationship(dave_id).get("followed_by"),
                        f"Undo Follow: {y} no longer shows followed_by")
        self.ok(f"Undo Follow {x}->{y}: {y} shows followed_by false")

    def check_locked_authorize(self, x, y):
        heidi, frank = self.user(x, "heidi"), self.user(y, "frank")
        frank_id = self.remote_account_id(heidi, frank)
        rel = heidi.api("POST", f"/api/v1/accounts/{frank_id}/follow")
        self.assertFalse(rel.get("following"), f"following a locked account at once: {rel}")
        self.assertTrue(heidi.relationship(frank_id).get("requested"))
        self.ok(f"{x}: follow of locked {frank.acct} is a request")

        def request():
            for account in frank.api("GET", "/api/v1/follow_requests") or []:
                if account.get("acct") == heidi.acct:
                    return account
            return None
        requester = self.eventually(request, f"{y}: {heidi.acct} in frank's follow_requests")
        self.ok(f"{y}: the request is listed in GET /api/v1/follow_requests")
        frank.api("POST", f"/api/v1/follow_requests/{requester['id']}/authorize")
        self.eventually(lambda: heidi.relationship(frank_id).get("following"),
                        f"Accept: {x} shows heidi following frank")
        self.assertFalse(heidi.relationship(frank_id).get("requested"))
        self.ok(f"authorize on {y} -> Accept: {x} shows following, not requested")
        self.assertTrue(frank.relationship(requester["id"]).get("followed_by"))
        self.assertIsNone(request(), "still listed after authorize")

    def check_locked_reject(self, x, y):
        ivan, grace = self.user(x, "ivan"), self.user(y, "grace")
        grace_id = self.remote_account_id(ivan, grace)
        ivan.api("POST", f"/api/v1/accounts/{grace_id}/follow")
        self.assertTrue(ivan.relationship(grace_id).get("requested"))

        def request():
            for account in grace.api("GET", "/api/v1/follow_requests") or []:
                if account.get("acct") == ivan.acct:
                    return account
            return None
        requester = self.eventually(request, f"{y}: {ivan.acct} in grace's follow_requests")
        grace.api("POST", f"/api/v1/follow_requests/{requester['id']}/reject")
        self.eventually(lambda: not ivan.relationship(grace_id).get("requested"),
                        f"Reject: {x} no longer shows the request")
        self.assertFalse(ivan.relationship(grace_id).get("following"))
        self.ok(f"reject on {y} -> Reject: {x} shows neither following nor requested")
        self.assertFalse(grace.relationship(requester["id"]).get("followed_by"))
        self.assertIsNone(request(), "still listed after reject")

    def check_create(self, x, y):
        alice, bob, carol = self.user(x, "alice"), self.user(y, "bob"), self.user(y, "carol")
        self.ensure_following(bob, alice)
        tag = f"kithfed{x}{y}"
        text = f"Hello @{carol.acct} from {x} #{tag}"
        status = alice.post(text, visibility="public", spoiler_text="cw: federation test")
        uri = status["uri"]
        seen = self.eventually(lambda: self.in_home(bob, uri),
                               f"{y}: the Create in bob's home timeline")
        self.ok(f"Create {x}->{y}: the public status is in {y}'s bob's home timeline")
        self.assertEqual(seen["spoiler_text"], "cw: federation test")
        self.assertTrue(seen["sensitive"], "a content warning makes it sensitive")
        self.assertEqual(seen["visibility"], "public")
        self.assertIn(tag, [t["name"].lower() for t in seen.get("tags", [])])
        self.assertIn(carol.name, [m["acct"] for m in seen.get("mentions", [])])
        self.assertIn(f"from {x}", seen["content"])
        self.assertEqual(seen["account"]["acct"], alice.acct)
        self.ok(f"{y}: content warning, sensitive, hashtag #{tag} and the mention of carol kept")
        as_carol = carol.api("GET", f"/api/v1/statuses/{seen['id']}")
        self.assertEqual(as_carol["uri"], uri)
        self.ok(f"{y}: the mentioned carol sees it too")

    def check_reply(self, x, y):
        # A reply made on x to a status of y's alice reaches y and shows in
        # the context of the original there.
        bob, author = self.user(x, "bob"), self.user(y, "alice")
        self.ensure_following(bob, author)
        original = author.post(f"a post on {y} to reply to", visibility="public")
        on_x = self.eventually(lambda: self.in_home(bob, original["uri"]),
                               f"{x}: {y}'s post in bob's home timeline")
        reply = bob.post(f"@{author.acct} a reply from {x}", in_reply_to_id=on_x["id"],
                         visibility="public")
        self.assertEqual(reply["in_reply_to_id"], on_x["id"])

        def in_context():
            context = author.api("GET", f"/api/v1/statuses/{original['id']}/context")
            return next((s for s in context.get("descendants", [])
                         if s.get("uri") == reply["uri"]), None)
        found = self.eventually(in_context, f"{y}: the reply in the original's context")
        self.assertEqual(found["in_reply_to_id"], original["id"])
        self.ok(f"Create (reply) {x}->{y}: in the context of the original on {y}")

    def check_direct(self, x, y):
        alice, bob, carol = self.user(x, "alice"), self.user(y, "bob"), self.user(y, "carol")
        self.ensure_following(bob, alice)  # a follower who is NOT addressed
        status = alice.post(f"@{carol.acct} just for you, from {x}", visibility="direct")
        uri = status["uri"]
        seen = self.status_on(y, uri, carol, f"{y}: the direct message stored")
        self.assertEqual(seen["visibility"], "direct")
        self.ok(f"Create (direct) {x}->{y}: carol reads it through {y}'s API")
        code, _ = bob.try_api("GET", f"/api/v1/statuses/{seen['id']}")
        self.assertEqual(code, 404, f"{y}: bob, a follower not addressed, can read the DM")
        self.assertIsNone(self.in_home(bob, uri), "the DM is in a non-addressee's home")
        self.ok(f"{y}: bob (follower, not addressed) gets 404 and no home entry")

    def check_edit(self, x, y):
        alice, bob = self.user(x, "alice"), self.user(y, "bob")
        self.ensure_following(bob, alice)
        status = alice.post(f"before the edit, on {x}", visibility="public")
        seen = self.eventually(lambda: self.in_home(bob, status["uri"]),
                               f"{y}: the status to edit")
        edited = alice.api("PUT", f"/api/v1/statuses/{status['id']}",
                           body={"status": f"after the edit, on {x}"})
        self.assertIn("after the edit", edited["content"])

        def updated():
            s = bob.api("GET", f"/api/v1/statuses/{seen['id']}")
            return s if "after the edit" in s["content"] else None
        s = self.eventually(updated, f"Update{{Note}}: {y} shows the new text")
        self.assertIsNotNone(s.get("edited_at"), "edited_at not set")
        self.ok(f"Update (Note) {x}->{y}: new content and edited_at on {y}")

    def check_update_profile(self, x, y):
        alice, bob = self.user(x, "alice"), self.user(y, "bob")
        self.ensure_following(bob, alice)
        name = f"Alice of {x} {int(time.time() * 1000) % 100000}"
        me = alice.api("PATCH", "/api/v1/accounts/update_credentials",
                       body={"display_name": name, "note": f"bio written on {x}"})
        self.assertEqual(me["display_name"], name)
        alice_id = self.remote_account_id(bob, alice)

        def shown():
            account = bob.api("GET", f"/api/v1/accounts/{alice_id}")
            return account if account["display_name"] == name else None
        account = self.eventually(shown, f"Update{{Person}}: {y} shows the new display name")
        self.assertIn(f"bio written on {x}", account["note"])
        self.ok(f"Update (Person) {x}->{y}: display name and note on {y}")

    def check_delete(self, x, y):
        alice, bob = self.user(x, "alice"), self.user(y, "bob")
        self.ensure_following(bob, alice)
        status = alice.post(f"soon deleted, on {x}", visibility="public")
        seen = self.eventually(lambda: self.in_home(bob, status["uri"]),
                               f"{y}: the status to delete")
        alice.api("DELETE", f"/api/v1/statuses/{status['id']}")
        self.eventually(lambda: bob.try_api("GET", f"/api/v1/statuses/{seen['id']}")[0] == 404,
                        f"Delete: {y} answers 404 for the status")
        self.assertIsNone(self.in_home(bob, status["uri"]))
        self.ok(f"Delete {x}->{y}: 404 and gone from bob's home on {y}")

    def remote_post(self, x, y, what):
        """A fresh public post of y's alice as seen on x (by x's bob, who
        follows her): (x's entity, y's entity)."""
        bob, author = self.user(x, "bob"), self.user(y, "alice")
        self.ensure_following(bob, author)
        original = author.post(f"a post on {y} to {what}", visibility="public")
        on_x = self.eventually(lambda: self.in_home(bob, original["uri"]),
                               f"{x}: {y}'s post in bob's home timeline")
        return on_x, original

    def check_like_and_undo(self, x, y):
        on_x, original = self.remote_post(x, y, "like")
        bob, author = self.user(x, "bob"), self.user(y, "alice")
        bob.api("POST", f"/api/v1/statuses/{on_x['id']}/favourite")

        def count(n):
            return lambda: author.api("GET", f"/api/v1/statuses/{original['id']}")[
                "favourites_count"] == n
        self.eventually(count(1), f"Like: favourites_count 1 on {y}")
        self.ok(f"Like {x}->{y}: favourites_count 1 on {y}")
        bob.api("POST", f"/api/v1/statuses/{on_x['id']}/unfavourite")
        self.eventually(count(0), f"Undo Like: favourites_count 0 on {y}")
        self.ok(f"Undo Like {x}->{y}: favourites_count 0 on {y}")

    def check_announce_and_undo(self, x, y):
        on_x, original = self.remote_post(x, y, "boost")
        bob, author = self.user(x, "bob"), self.user(y, "alice")
        bob.api("POST", f"/api/v1/statuses/{on_x['id']}/reblog")

        def count(n):
            return lambda: author.api("GET", f"/api/v1/statuses/{original['id']}")[
                "reblogs_count"] == n
        self.eventually(count(1), f"Announce: reblogs_count 1 on {y}")
        self.ok(f"Announce {x}->{y}: reblogs_count 1 on {y}")
        bob.api("POST", f"/api/v1/statuses/{on_x['id']}/unreblog")
        self.eventually(count(0), f"Undo Announce: reblogs_count 0 on {y}")
        self.ok(f"Undo Announce {x}->{y}: reblogs_count 0 on {y}")

    def check_block_and_undo(self, x, y):
        judy, ken = self.user(x, "judy"), self.user(y, "ken")
        self.ensure_following(ken, judy)
        ken_on_x = self.remote_account_id(judy, ken)
        judy_on_y = self.remote_account_id(ken, judy)
        rel = judy.api("POST", f"/api/v1/accounts/{ken_on_x}/block")
        self.assertTrue(rel.get("blocking"), rel)
        self.eventually(lambda: ken.relationship(judy_on_y).get("blocked_by"),
                        f"Block: {y} shows ken blocked_by judy")
        self.assertFalse(ken.relationship(judy_on_y).get("following"),
                         "the blocked follower still follows")
        self.ok(f"Block {x}->{y}: blocked_by and the follow removed on {y}")
        judy.api("POST", f"/api/v1/accounts/{ken_on_x}/unblock")
        self.eventually(lambda: not ken.relationship(judy_on_y).get("blocked_by"),
                        f"Undo Block: {y} no longer shows blocked_by")
        self.ok(f"Undo Block {x}->{y}: blocked_by false on {y}")

    def check_flag(self, x, y):
        olivia, author = self.user(x, "olivia"), self.user(y, "alice")
        reported = author.post(f"a post on {y} to report", visibility="public")
        on_x = olivia.resolve_status(reported["uri"])
        self.assertIsNotNone(on_x, f"{x}: search?resolve=true of {reported['uri']} found nothing")
        author_on_x = self.remote_account_id(olivia, author)
        comment = f"flag test {x}->{y} {int(time.time() * 1000)}"
        olivia.api("POST", "/api/v1/reports", body={
            "account_id": author_on_x, "status_ids": [on_x["id"]], "comment": comment,
            "forward": True})
        self.ok(f"{x}: POST /api/v1/reports with forward=true accepted")
        # No moderation API yet: the reports row on y, read with psql.
        node = fed[y]

        def report_row():
            return node.psql(
                "SELECT r.target_account_id || '|' || array_to_string(r.status_ids, ',')"
                " || '|' || coalesce(a.domain, '') FROM reports r"
                " JOIN accounts a ON a.id = r.account_id"
                " WHERE r.comment LIKE '%' || " + federation.sql_text(comment) + " || '%'")
        row = self.eventually(report_row, f"Flag: a reports row on {y}")
        target, status_ids, reporter_domain = row.split("|")
        self.assertEqual(target, str(author.account_id))
        self.assertIn(str(reported["id"]), status_ids.split(","))
        self.assertEqual(reporter_domain, fed[x].host, "the Flag's actor is not of the sender")
        self.ok(f"Flag {x}->{y}: reports row on {y} for alice with the status, from {x}")

    def new_user(self, node, name):
        """A user made for one scenario (moving or deleting an account
        spoils it for every other test), logged in."""
        if name not in fed[node].users:
            fed[node].add_user(name)
        return self.user(node, name)

    def check_move(self, x, y):
        # mover@x has a follower on y (fan) and one on x (pal); target@y
        # lists mover in alsoKnownAs; mover moves to target.
        mover, pal = self.new_user(x, f"mover_{x}"), self.new_user(x, f"pal_{x}")
        target, fan = self.new_user(y, f"target_{x}"), self.new_user(y, f"fan_{x}")
        self.ensure_following(fan, mover)
        mover_on_x = pal.api("GET", "/api/v1/accounts/lookup", params={"acct": mover.name})
        pal.api("POST", f"/api/v1/accounts/{mover_on_x['id']}/follow")
        self.assertTrue(pal.relationship(mover_on_x["id"]).get("following"))
        target_on_x = self.remote_account_id(mover, target)

        # Without the alias the move is refused, and so is a wrong password.
        status, body = mover.try_api("POST", "/api/v1/accounts/move",
                                     body={"password": mover.password,
                                           "moved_to_uri": target.uri})
        self.assertEqual(status, 422, body)
        self.assertIn("error", body)
        status, body = mover.try_api("POST", "/api/v1/accounts/move",
                                     body={"password": "wrong", "moved_to_uri": target.uri})
        self.assertEqual(status, 403, body)
        self.ok(f"{x}: move refused without the alias (422) and with a wrong password (403)")

        me = target.api("POST", "/api/v1/accounts/alias",
                        body={"also_known_as_uris": [mover.uri]})
        self.assertEqual(me["username"], target.name)
        actor = fed[y].request("GET", f"/users/{target.name}",
                               headers={"Accept": "application/activity+json"}).json()
        self.assertEqual(actor.get("alsoKnownAs"), [mover.uri], actor)
        self.ok(f"{y}: alias set; the actor document lists alsoKnownAs")

        status, body = mover.try_api("POST", "/api/v1/accounts/move",
                                     body={"password": mover.password,
                                           "moved_to_uri": target.uri})
        self.assertEqual(status, 202, body)
        self.assertEqual(body, {})
        self.ok(f"{x}: POST /api/v1/accounts/move answered 202 {{}}")

        # The local follower moved at once.
        self.assertFalse(pal.relationship(mover_on_x["id"]).get("following"))
        rel = pal.relationship(target_on_x)
        self.assertTrue(rel.get("following") or rel.get("requested"), rel)
        self.eventually(lambda: pal.relationship(target_on_x).get("following"),
                        f"{x}: pal following {target.acct} (Accept from {y})")
        self.ok(f"{x}: the local follower now follows {target.acct}, not the mover")

        # The follower on y moved on receiving the Move.
        target_on_y = fan.api("GET", "/api/v1/accounts/lookup", params={"acct": target.name})
        mover_on_y = self.remote_account_id(fan, mover)
        self.eventually(lambda: fan.relationship(target_on_y["id"]).get("following"),
                        f"{y}: fan following {target.acct} after the Move")
        self.assertFalse(fan.relationship(mover_on_y).get("following"))
        self.ok(f"{y}: the remote follower now follows {target.acct}, not the mover")
        account = fan.api("GET", f"/api/v1/accounts/{mover_on_y}")
        self.assertEqual((account.get("moved") or {}).get("id"), target_on_y["id"], account)
        self.assertNotIn("moved", target_on_y)
        self.ok(f"{y}: the mover's Account entity shows moved: {target.acct}")
        account = pal.api("GET", f"/api/v1/accounts/{mover_on_x['id']}")
        self.assertEqual((account.get("moved") or {}).get("id"), target_on_x, account)
        self.ok(f"{x}: so does the mover's own node")

    def check_delete_account(self, x, y):
        # leaver@x, followed by reader@y, deletes herself.
        # She also follows kept@y, whose server must drop that follow.
        leaver, reader = self.new_user(x, f"leaver_{x}"), self.new_user(y, f"reader_{x}")
        kept = self.new_user(y, f"kept_{x}")
        self.ensure_following(reader, leaver)
        self.ensure_following(leaver, kept)
        self.assertEqual(kept.api("GET", "/api/v1/accounts/verify_credentials")
                         ["followers_count"], 1)
        posted = leaver.post(f"a post of {leaver.name} before leaving", visibility="public")
        self.eventually(lambda: self.in_home(reader, posted["uri"]),
                        f"{y}: the post in reader's home")
        leaver_on_y = self.remote_account_id(reader, leaver)

        status, body = leaver.try_api("POST", "/api/v1/accounts/delete",
                                      body={"password": "wrong"})
        self.assertEqual(status, 403, body)
        status, body = leaver.try_api("POST", "/api/v1/accounts/delete",
                                      body={"password": leaver.password})
        self.assertEqual(status, 202, body)
        self.assertEqual(body, {})
        self.ok(f"{x}: wrong password 403; POST /api/v1/accounts/delete answered 202 {{}}")

        r = fed[x].request("GET", f"/users/{leaver.name}",
                           headers={"Accept": "application/activity+json"})
        self.assertEqual(r.status, 410)
        status, _ = leaver.try_api("GET", "/api/v1/accounts/verify_credentials")
        self.assertEqual(status, 401)
        self.ok(f"{x}: the actor answers 410 and the token no longer works")

        self.eventually(lambda: self.in_home(reader, posted["uri"]) is None,
                        f"{y}: the post gone from reader's home after Delete{{Person}}")
        status, _ = reader.try_api("GET", f"/api/v1/accounts/{leaver_on_y}")
        self.assertEqual(status, 404)
        self.ok(f"{y}: the deleted account is gone (404) with its posts")
        self.assertEqual(kept.api("GET", "/api/v1/accounts/verify_credentials")
                         ["followers_count"], 0)
        self.ok(f"{y}: the account she followed has lost her as a follower")

        # An account nobody on y follows still tells the servers it follows.
        loner, watched = self.new_user(x, f"loner_{x}"), self.new_user(y, f"watched_{x}")
        self.ensure_following(loner, watched)
        loner.api("POST", "/api/v1/accounts/delete", body={"password": loner.password},
                  expect=(202,))
        self.eventually(lambda: watched.api("GET", "/api/v1/accounts/verify_credentials")
                        ["followers_count"] == 0,
                        f"{y}: Delete{{Person}} of a follower with no followers arrives")
        self.ok(f"{y}: an account that only followed someone there is gone too")

        # Refused aliases: an account that does not exist, too many.
        status, body = reader.try_api("POST", "/api/v1/accounts/alias", body={
            "also_known_as_uris": [f"{fed[x].base_url}/users/nobody_{x}"]})
        self.assertEqual(status, 422, body)
        status, body = reader.try_api("POST", "/api/v1/accounts/alias", body={
            "also_known_as_uris": [kept.uri] * 6})
        self.assertEqual(status, 422, body)
        self.ok(f"{y}: alias refused (422) for an unknown account and for more than 5")


    def test_98_federation_went_through_the_tls_proxies(self):
        # Each node's nginx log shows the other node's deliveries (inbox
        # POSTs answered 202) and WebFinger lookups: the daemons reached
        # each other through TLS and the proxy, as in production (they may
        # connect to nothing else on loopback).
        for name, node in fed.nodes.items():
            with open(os.path.join(node.proxy.dir, "access.log"), errors="replace") as f:
                log = f.read()
            inbox_posts = re.findall(r'"POST /(?:users/[A-Za-z0-9_]+/)?inbox HTTP/1\.1" 202 ', log)
            webfinger = re.findall(r'"GET /\.well-known/webfinger\?[^"]*" 200 ', log)
            self.assertGreater(len(inbox_posts), 0, f"no inbox POST through {name}'s nginx")
            self.assertGreater(len(webfinger), 0, f"no WebFinger through {name}'s nginx")
            self.ok(f"{name}'s nginx: {len(inbox_posts)} inbox POSTs answered 202, "
                    f"{len(webfinger)} WebFinger lookups")

    def test_99_every_daemon_exits_cleanly(self):
        # Last (by name): SIGTERM, exit 0, and no sanitizer report in either
        # daemon's log after all of the above.
        self.assertEqual(fed.stop_daemons(), [])
        self.ok("both daemons exit 0 on SIGTERM, no sanitizer report in their logs")


class AuthorizedFetchFederationTest(unittest.TestCase):
    """Two more nodes, both in authorized-fetch ("secure") mode
    (federation.authorized_fetch = true): they still find, follow and read
    each other, because kith signs every fetch it makes, while an unsigned
    reader gets 401 for a public status and a signed one gets it."""

    @classmethod
    def setUpClass(cls):
        cls.fed = federation.Federation(("p", "q"),
                                        config={"federation": {"authorized_fetch": True}})
        cls.addClassCleanup(cls.fed.cleanup)
        cls.alice = cls.fed["p"].add_user("alice")
        cls.bob = cls.fed["q"].add_user("bob")
        cls.fed["p"].login(cls.alice)
        cls.fed["q"].login(cls.bob)

    def ok(self, what):
        print(f"  ok: {what}", file=sys.stderr)

    def test_secure_mode_federates(self):
        alice, bob, fed2 = self.alice, self.bob, self.fed
        # Posted before anyone on q follows alice: q never receives it, and
        # can only have it by fetching it (signed, or p says 401).
        early = alice.post("public, before q follows, in secure mode", visibility="public")
        account = bob.resolve_account(alice.acct)
        self.assertIsNotNone(account, f"q could not resolve {alice.acct} in secure mode")
        bob.api("POST", f"/api/v1/accounts/{account['id']}/follow")
        federation.eventually(lambda: bob.relationship(account["id"]).get("following"),
                              "q's bob following p's alice", federation=fed2)
        self.ok("secure mode: WebFinger, actor fetch and Follow/Accept between p and q")
        status = alice.post("public, in secure mode", visibility="public")
        federation.eventually(
            lambda: any(s.get("uri") == status["uri"] for s in bob.home()),
            "the Create in q's bob's home timeline", federation=fed2)
        self.ok("secure mode: the Create reached q")
        path = federation.path_of(status["uri"])
        unsigned = federation.unsigned_get(fed2["p"], path)
        self.assertEqual(unsigned.status, 401, unsigned)
        signer = federation.Signer(fed2["q"], "bob")
        self.addCleanup(signer.cleanup)
        signed = signer.get(fed2["p"], path)
        self.assertEqual(signed.status, 200, signed)
        self.assertEqual(signed.json()["id"], status["uri"])
        self.ok("secure mode: a public status is 401 unsigned, 200 signed")
        self.assertIsNone(fed2["q"].local_status_id(early["uri"]))
        found = bob.resolve_status(early["uri"])
        self.assertIsNotNone(found, "search?resolve=true of a status q lacks, in secure mode")
        self.ok("secure mode: q fetches a status it lacks, signed by its instance actor")
        self.assertEqual(fed2.stop_daemons(), [])


SCENARIOS = ["resolve", "follow_and_undo", "locked_authorize", "locked_reject", "create",
             "reply", "direct", "edit", "update_profile", "delete", "like_and_undo",
             "announce_and_undo", "block_and_undo", "flag", "move", "delete_account"]


def _make_test(scenario, x, y):
    def test(self):
        getattr(self, f"check_{scenario}")(x, y)
    test.__doc__ = f"{scenario.replace('_', ' ')}: act on {x}, observe on {y}"
    return test


for _index, _scenario in enumerate(SCENARIOS):
    for _x, _y in (("a", "b"), ("b", "a")):
        # Numbered so unittest (alphabetical) runs them in the order above.
        setattr(FederationTest, f"test_{_index:02d}_{_scenario}_{_x}_to_{_y}",
                _make_test(_scenario, _x, _y))


if __name__ == "__main__":
    unittest.main()
