"""Visibility is never leaked (issue 3, item 5): the matrix of each
visibility against each way a status can leave the server that has it.

Three nodes (federation.py: each a kith daemon behind its own nginx, TLS
from the test's CA):

  a   alice, the author; amy, whom dave@c follows (so that a knows c's
      inbox and a "send to every known server" bug would show)
  b   bob, who follows alice; carol, whom alice's direct status mentions
      (she does not follow alice); erin, neither
  c   dave, who follows amy@a but not alice; finn, neither

alice posts one status of each visibility: public, unlisted, private
(followers only), two direct ones, and local (this server only). The direct
ones are "direct@b", mentioning carol@b (on the follower's server), and
"direct@c", mentioning dave@c (a server where nobody follows alice): so a
direct status sent to the author's followers' servers, or to every server
that is sent anything, shows as a leak. The test waits until a has
finished delivering and b and c have applied what they got. Then each way
in is tried for each status:

  delivery to b (a follower's server) and to c (no follower): a's delivery
      jobs (who a sent it to) and the receiver's statuses table (what it
      stored), read with psql: delivery has no client API of its own;
  GET of the status URL and of its /activity URL, unsigned and signed (as
      Mastodon signs fetches: draft-cavage, rsa-sha256) with the keys of
      bob, carol, erin, dave and finn, each a real user of another node
      whose key a fetches from that node;
  the outbox collection, walked page by page, unsigned and signed;
  a fetch by c's instance actor: finn searches the status URL on c with
      resolve=true, and c fetches it signed as its instance actor (for
      direct@c, which c already has, c's API must not show it to finn);
  b's client API as bob, carol and erin (GET /api/v1/statuses/:id of b's
      copy; search?resolve=true of the URL as erin).

The rule tested is Mastodon's StatusPolicy#show? with the signer as the
current account (app/policies/status_policy.rb; SignatureAuthentication
makes `current_account` the signed request's account):

  public, unlisted   anyone, signed or not
  private            the author, an ACTOR that follows the author (accepted
                     follow), and an actor the status mentions
  direct             the author and the actors it mentions
  local              nobody outside the author's server, ever

The signer is the ACTOR whose key signed, not its server: an instance actor
follows nobody, so a fetch signed by a server's instance actor gets public
and unlisted statuses only, even from a server where someone follows the
author (erin@b is refused what bob@b may read). This is the rule kith's
ap/visibility.cpp implements (may_fetch: the signer's follows_author or a
mention of the signer's actor). Collections follow Mastodon's
Status.permitted_for as far as kith goes: the outbox lists private
statuses to a signing follower (collection_visibilities), never direct or
local ones to anyone (kith leaves direct statuses to their URL), and
neither to anyone else.

The matrix is printed (stderr) with each cell as observed; a cell that is
not what the rule says is marked, and the test fails naming every such cell.
"""

import sys
import time
import unittest

import federation

# The matrix's columns: one status each, by its visibility and, for the two
# direct ones, whom it mentions (carol@b, on the follower's server, or
# dave@c, on a server where nobody follows alice).
COLUMNS = {
    "public": ("public", None),
    "unlisted": ("unlisted", None),
    "private": ("private", None),
    "direct@b": ("direct", "carol"),
    "direct@c": ("direct", "dave"),
    "local": ("local", None),
}
VISIBILITIES = list(COLUMNS)

fed = None
state = {}
matrix = {}  # row name -> {visibility: (observed, expected)}
ROW_ORDER = []


def setUpModule():
    global fed
    started = time.monotonic()
    fed = federation.Federation(("a", "b", "c"))
    unittest.addModuleCleanup(fed.cleanup)
    a, b, c = fed["a"], fed["b"], fed["c"]
    for node, names in ((a, ["alice", "amy"]), (b, ["bob", "carol", "erin"]),
                        (c, ["dave", "finn"])):
        for name in names:
            node.add_user(name)
    state["started"] = started


def tearDownModule():
    if matrix:
        print_matrix()


def print_matrix():
    width = max(len(r) for r in ROW_ORDER) + 2
    lines = ["", "visibility matrix (yes: it gets the status; * marks a cell against the rule)",
             "way in".ljust(width) + "".join(v.ljust(12) for v in VISIBILITIES)]
    for row in ROW_ORDER:
        cells = matrix.get(row, {})
        text = row.ljust(width)
        for v in VISIBILITIES:
            if v not in cells:
                text += "-".ljust(12)
                continue
            observed, expected = cells[v]
            mark = "" if observed == expected else "*"
            text += f"{observed}{mark}".ljust(12)
        lines.append(text)
    print("\n".join(lines), file=sys.stderr)


def record(row, visibility, observed, expected):
    if row not in ROW_ORDER:
        ROW_ORDER.append(row)
    matrix.setdefault(row, {})[visibility] = (observed, expected)


class VisibilityMatrixTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        a, b, c = fed["a"], fed["b"], fed["c"]
        cls.users = {}
        for node in (a, b, c):
            for name, user in node.users.items():
                node.login(user)
                cls.users[name] = user
        u = cls.users
        # bob follows alice; dave follows amy (not alice).
        for follower, target in ((u["bob"], u["alice"]), (u["dave"], u["amy"])):
            account = follower.resolve_account(target.acct)
            if account is None:
                raise AssertionError(f"{follower.name} could not resolve {target.acct}")
            follower.api("POST", f"/api/v1/accounts/{account['id']}/follow")
            federation.eventually(
                lambda f=follower, i=account["id"]: f.relationship(i).get("following"),
                f"{follower.name} to follow {target.acct}", federation=fed)
        cls.statuses = {}
        for column, (visibility, mention) in COLUMNS.items():
            text = f"{column} post by alice"
            if mention:
                text = f"@{u[mention].acct} {text}"
            status = u["alice"].post(text, visibility=visibility)
            # The client API shows local-only as glitch-soc does (Mastodon's
            # four visibilities plus "local_only": true).
            shown = ("local" if status.get("local_only") is True
                     and status.get("visibility") == "public" else status.get("visibility"))
            if shown != visibility:
                raise AssertionError(f"posted {visibility}, the API says {status.get('visibility')}")
            stored = a.psql("SELECT visibility FROM statuses WHERE uri = "
                            + federation.sql_text(status["uri"]))
            if stored != visibility:
                raise AssertionError(f"posted {visibility}: a stored {stored!r}")
            cls.statuses[column] = status
        cls.settle()
        print(f"\nvisibility: 3 nodes, follows and {len(COLUMNS)} statuses ready in "
              f"{time.monotonic() - state['started']:.1f} s", file=sys.stderr)

    @classmethod
    def settle(cls):
        """Waits until a has no delivery in flight or queued and b and c have
        applied every inbound activity they accepted (up to the effect
        timeout; the checks then say what did or did not arrive)."""
        def idle(node, queue):
            return node.psql(f"SELECT count(*) FROM jobs WHERE queue = '{queue}'"
                             " AND state IN ('queued', 'running')") == "0"
        # b and c store the statuses they are sent before idle can be
        # trusted: the deliveries may not have started yet.
        expected = [(fed["b"], cls.statuses[v]["uri"]) for v in ("public", "unlisted",
                                                                  "private", "direct@b")]
        expected.append((fed["c"], cls.statuses["direct@c"]["uri"]))
        try:
            federation.eventually(
                lambda: all(node.local_status_id(uri) for node, uri in expected),
                "b and c to store the statuses delivered to them", federation=fed)
        except AssertionError as e:
            print(f"visibility: not all statuses reached b and c: {e}", file=sys.stderr)
        with_deadline = federation.EFFECT_TIMEOUT
        try:
            federation.eventually(
                lambda: idle(fed["a"], "delivery") and idle(fed["b"], "inbox")
                and idle(fed["c"], "inbox"), "deliveries to settle", timeout=with_deadline)
        except AssertionError as e:
            print(f"visibility: {e}", file=sys.stderr)

    # -- helpers --

    def check(self, row, rule, observe):
        """Records `observe(visibility)` for each visibility against
        `rule[visibility]`; fails (as a subtest, so the next rows still run)
        naming every cell against the rule."""
        wrong = []
        for v in VISIBILITIES:
            observed = observe(v)
            expected = rule[v]
            record(row, v, observed, expected)
            if observed != expected:
                wrong.append(f"{row} / {v}: {observed}, the rule says {expected}")
        with self.subTest(row):  # a failing row does not hide the rows after it
            self.assertEqual(wrong, [], "\n".join(wrong))

    def fetch_outcome(self, response, uri):
        """"yes" for a 200 serving this object, "no" for a refusal that
        reveals nothing (404, 401, 403, 410), else the status code."""
        if response.status == 200:
            try:
                body = response.json()
            except ValueError:
                return "200 non-JSON"
            served = body.get("id")
            if served == uri or (isinstance(body.get("object"), dict)
                                 and body["object"].get("id") == uri) \
                    or body.get("object") == uri:
                return "yes"
            return f"200 {served}"
        if response.status in (401, 403, 404, 410):
            return "no"
        return str(response.status)

    def signer(self, name):
        key = f"signer_{name}"
        if key not in state:
            user = self.users[name]
            state[key] = federation.Signer(user.node, name)
            self.addClassCleanup(state[key].cleanup)
        return state[key]

    # -- delivery --

    def delivered(self, node, visibility):
        uri = self.statuses[visibility]["uri"]
        sent = [i for i in fed["a"].delivery_inboxes(uri) if f"//{node.host}/" in i]
        stored = fed[node.name].local_status_id(uri) is not None
        if stored:
            return "yes"
        return "sent" if sent else "no"

    def test_1_delivery(self):
        # Who a sends each Create to (its delivery jobs) and what the
        # receivers stored (their statuses tables).
        self.check("delivery to b (bob follows)",
                   {"public": "yes", "unlisted": "yes", "private": "yes",
                    "direct@b": "yes",  # carol@b is addressed
                    "direct@c": "no",  # a follower's server, but nobody there is addressed
                    "local": "no"},
                   lambda v: self.delivered(fed["b"], v))
        self.check("delivery to c (no follower)",
                   {**dict.fromkeys(VISIBILITIES, "no"), "direct@c": "yes"},  # dave@c addressed
                   lambda v: self.delivered(fed["c"], v))

    # -- fetches --

    PUBLIC_ONLY = {"public": "yes", "unlisted": "yes", "private": "no", "direct@b": "no",
                   "direct@c": "no", "local": "no"}

    def fetch_rows(self, suffix):
        """The status URL (suffix "") or its /activity URL, by each fetcher."""
        a = fed["a"]
        label = "status URL" if not suffix else "/activity URL"

        def fetch(signer_name):
            def observe(v):
                uri = self.statuses[v]["uri"]
                path = federation.path_of(uri + suffix)
                if signer_name is None:
                    r = federation.unsigned_get(a, path)
                else:
                    r = self.signer(signer_name).get(a, path)
                return self.fetch_outcome(r, uri)
            return observe
        self.check(f"{label}, unsigned", self.PUBLIC_ONLY, fetch(None))
        self.check(f"{label}, signed by bob@b (follower)",
                   {**self.PUBLIC_ONLY, "private": "yes"}, fetch("bob"))
        self.check(f"{label}, signed by carol@b (mentioned in direct@b)",
                   {**self.PUBLIC_ONLY, "direct@b": "yes"}, fetch("carol"))
        self.check(f"{label}, signed by erin@b (neither)", self.PUBLIC_ONLY, fetch("erin"))
        self.check(f"{label}, signed by dave@c (mentioned in direct@c)",
                   {**self.PUBLIC_ONLY, "direct@c": "yes"}, fetch("dave"))
        self.check(f"{label}, signed by finn@c (neither)", self.PUBLIC_ONLY, fetch("finn"))

    def test_2_status_url(self):
        self.fetch_rows("")

    def test_3_activity_url(self):
        self.fetch_rows("/activity")

    def test_4_instance_actor_fetch(self):
        # finn@c searches each URL with resolve=true: c has none of them but
        # direct@c, so c fetches them from a, signed by c's instance actor
        # (which follows nobody); direct@c, which c has, c must not show him.
        finn = self.users["finn"]
        self.check("c's search?resolve=true as finn (c fetches as its instance actor)",
                   self.PUBLIC_ONLY,
                   lambda v: "yes" if finn.resolve_status(self.statuses[v]["uri"]) else "no")

    # -- the outbox --

    def outbox_uris(self, signer_name):
        """Object ids of every Create in alice's outbox, walked page by page
        (at most 20 pages)."""
        a = fed["a"]
        alice = self.users["alice"]

        def get(url):
            path = federation.path_of(url)
            r = (federation.unsigned_get(a, path) if signer_name is None
                 else self.signer(signer_name).get(a, path))
            self.assertEqual(r.status, 200, f"outbox {url}: {r!r}")
            return r.json()
        collection = get(f"{alice.uri}/outbox")
        uris = set()
        page = collection.get("first")
        for _ in range(20):
            if page is None:
                break
            if isinstance(page, str):
                page = get(page)
            for item in page.get("orderedItems", []):
                obj = item.get("object") if isinstance(item, dict) else None
                uris.add(obj.get("id") if isinstance(obj, dict) else obj)
            page = page.get("next")
        return uris

    def test_5_outbox(self):
        for signer_name, label, rule in (
                (None, "outbox, unsigned", self.PUBLIC_ONLY),
                ("bob", "outbox, signed by bob@b (follower)",
                 {**self.PUBLIC_ONLY, "private": "yes"}),
                ("carol", "outbox, signed by carol@b (mentioned)", self.PUBLIC_ONLY),
                ("dave", "outbox, signed by dave@c (mentioned)", self.PUBLIC_ONLY),
                ("erin", "outbox, signed by erin@b (neither)", self.PUBLIC_ONLY)):
            listed = self.outbox_uris(signer_name)
            self.check(label, rule,
                       lambda v: "yes" if self.statuses[v]["uri"] in listed else "no")

    # -- the other server's client API --

    def api_view(self, viewer, v, node="b"):
        local_id = fed[node].local_status_id(self.statuses[v]["uri"])
        if local_id is None:
            return "no"  # the node does not have it at all
        code, body = viewer.try_api("GET", f"/api/v1/statuses/{local_id}")
        if code == 200:
            return "yes"
        return "no" if code == 404 else str(code)

    def test_6_client_api_of_b(self):
        u = self.users
        # The control row: every status exists, and a's own API shows the
        # local-only one to a's users (amy follows nobody, so not the
        # private one), so the "no" cells elsewhere are refusals, not absences.
        self.check("a's API as amy@a (same server, not following)",
                   {**self.PUBLIC_ONLY, "local": "yes"},
                   lambda v: self.api_view(u["amy"], v, node="a"))
        self.check("b's API as bob (follower)",
                   {**self.PUBLIC_ONLY, "private": "yes"}, lambda v: self.api_view(u["bob"], v))
        self.check("b's API as carol (mentioned)",
                   {**self.PUBLIC_ONLY, "direct@b": "yes"},
                   lambda v: self.api_view(u["carol"], v))
        self.check("b's API as erin (neither)", self.PUBLIC_ONLY,
                   lambda v: self.api_view(u["erin"], v))
        # b has the private and direct statuses (delivered for bob and carol):
        # searching their URLs must not hand them to erin.
        self.check("b's search?resolve=true as erin", self.PUBLIC_ONLY,
                   lambda v: "yes" if u["erin"].resolve_status(self.statuses[v]["uri"])
                   else "no")

    def test_9_every_daemon_exits_cleanly(self):
        # Last (by name): SIGTERM, exit 0, no sanitizer report in any log.
        self.assertEqual(fed.stop_daemons(), [])


if __name__ == "__main__":
    unittest.main()
