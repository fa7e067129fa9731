"""OAuth 2 against the real daemon: app registration (JSON, form and
multipart bodies; custom schemes, loopback and oob redirect URIs), the
authorization-code flow through the sign-in and consent pages with PKCE
(right and wrong verifier), a code used twice (the first token is revoked),
a redirect URI that does not match (an error page, never a redirect),
refresh-token rotation, the password grant with e-mail or username,
client_credentials, revocation (RFC 7009), the RFC 8414 metadata document,
scope enforcement, tokens stored only as hashes (read with psql), and the
login throttle (429 after 5 failures, for the password grant and the page).

The browser side of the same pages (rendering, no JavaScript, phone width)
is tests/browser/test_oauth_browser.py.
"""

import base64
import hashlib
import html
import json
import re
import secrets
import unittest
import urllib.parse
import uuid

import harness

pg = None
PASSWORD = "correct horse battery staple"
REDIRECT = "http://127.0.0.1:9/callback"
CUSTOM = "org.kith.test:/oauth-callback"
OOB = "urn:ietf:wg:oauth:2.0:oob"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def setUpModule():
    global pg
    pg = harness.PgCluster()
    unittest.addModuleCleanup(pg.cleanup)


def pkce_pair():
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    return verifier, challenge.rstrip(b"=").decode()


def hidden_fields(page):
    fields = {}
    for name, value in re.findall(r'<input type="hidden" name="([^"]*)" value="([^"]*)">', page):
        fields[html.unescape(name)] = html.unescape(value)
    return fields


def query_of(location):
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))


def sha256_hex(text):
    return hashlib.sha256(text.encode()).hexdigest()


def multipart(fields):
    boundary = "kith" + uuid.uuid4().hex
    body = b""
    for name, value in fields:
        body += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n"
                 f"{value}\r\n").encode()
    body += f"--{boundary}--\r\n".encode()
    return body, {"Content-Type": f"multipart/form-data; boundary={boundary}"}


class OAuthFlows:
    """Helpers shared by the test classes: `kith` and `app` are set up."""

    kith = None
    app = None

    def form_post(self, path, fields, cookie=None):
        headers = dict(FORM)
        if cookie:
            headers["Cookie"] = cookie
        return self.kith.post(path, urllib.parse.urlencode(fields).encode(), headers=headers)

    def sign_in_page(self, **params):
        query = {"response_type": "code", "client_id": self.app["client_id"],
                 "redirect_uri": REDIRECT, "scope": "read write follow push", "state": "s1"}
        query.update(params)
        query = {k: v for k, v in query.items() if v is not None}
        return self.kith.get("/oauth/authorize?" + urllib.parse.urlencode(query))

    def sign_in(self, login="alice", password=PASSWORD, **params):
        """GET the page, post the password; returns (response, cookie)."""
        page = self.sign_in_page(**params)
        assert page.status == 200, page
        cookie = page.header("set-cookie").split(";")[0]
        fields = hidden_fields(page.text())
        fields.update({"username": login, "password": password})
        return self.form_post("/oauth/authorize", fields, cookie), cookie

    def decide(self, decision="approve", **params):
        consent, cookie = self.sign_in(**params)
        assert consent.status == 200, consent
        fields = hidden_fields(consent.text())
        fields["decision"] = decision
        return self.form_post("/oauth/authorize/decision", fields, cookie)

    def code(self, **params):
        r = self.decide(**params)
        assert r.status == 302, r
        return query_of(r.header("location"))["code"]

    def token(self, body, app=None):
        app = app or self.app
        body = {"client_id": app["client_id"], "client_secret": app["client_secret"], **body}
        return self.kith.post("/oauth/token", body)

    def me(self, token):
        return self.kith.get("/api/v1/accounts/verify_credentials",
                             headers={"Authorization": f"Bearer {token}"})

    def check_token_error(self, r, status, error):
        self.assertEqual(r.status, status, r)
        self.assertTrue(r.header("content-type").startswith("application/json"), r)
        self.assertIsNone(r.header("location"))
        self.assertEqual(r.json()["error"], error, r)
        self.assertIn("error_description", r.json())


class OAuthTest(OAuthFlows, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        pg.createdb("oauth")
        cls.kith = harness.Kith(database_url=pg.url("oauth"))
        cls.addClassCleanup(cls.kith.cleanup)
        cls.kith.start()
        for name in ("alice", "bob"):
            created = cls.kith.run("user", "add", name, "--email", f"{name}@example.com",
                                   input=PASSWORD + "\n")
            assert created.returncode == 0, created.stderr
        r = cls.kith.post("/api/v1/apps", {
            "client_name": "oauth test", "redirect_uris": [REDIRECT, CUSTOM, OOB,
                                                          REDIRECT + "?keep=1"],
            "scopes": "read write follow push", "website": "https://example.com/app"})
        assert r.status == 200, r
        cls.app = r.json()

    # -- registration --

    def test_app_registration_bodies(self):
        fields = {"id", "name", "website", "scopes", "redirect_uri", "redirect_uris", "client_id",
                  "client_secret", "client_secret_expires_at"}
        self.assertTrue(fields <= set(self.app), fields - set(self.app))
        self.assertEqual(self.app["redirect_uris"], [REDIRECT, CUSTOM, OOB, REDIRECT + "?keep=1"])
        self.assertEqual(self.app["redirect_uri"], "\n".join(self.app["redirect_uris"]))
        self.assertEqual(self.app["scopes"], ["read", "write", "follow", "push"])
        self.assertIsInstance(self.app["id"], str)
        self.assertEqual(self.app["client_secret_expires_at"], 0)
        # A form body: several redirect URIs one per line, scopes with '+'.
        r = self.form_post("/api/v1/apps", {"client_name": "form app",
                                            "redirect_uris": f"{CUSTOM}\n{OOB}",
                                            "scopes": "read+write:statuses"})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["redirect_uris"], [CUSTOM, OOB])
        self.assertEqual(r.json()["scopes"], ["read", "write:statuses"])
        self.assertIsNone(r.json()["website"])
        # Multipart, as some clients send it.
        body, headers = multipart([("client_name", "multipart app"), ("redirect_uris", OOB),
                                   ("scopes", "read push")])
        r = self.kith.post("/api/v1/apps", body, headers=headers)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["name"], "multipart app")
        self.assertEqual(r.json()["scopes"], ["read", "push"])
        # No scopes: read.
        r = self.kith.post("/api/v1/apps", {"client_name": "x", "redirect_uris": OOB})
        self.assertEqual(r.json()["scopes"], ["read"])
        # Refused: fragments, malformed URIs, unknown scopes, no name.
        for bad in ({"client_name": "x", "redirect_uris": "https://127.0.0.1/cb#frag"},
                    {"client_name": "x", "redirect_uris": "not a uri"},
                    {"client_name": "x", "redirect_uris": "://nothing"},
                    {"client_name": "x", "redirect_uris": ""},
                    {"client_name": "x", "redirect_uris": OOB, "scopes": "read everything"},
                    {"redirect_uris": OOB}):
            r = self.kith.post("/api/v1/apps", bad)
            self.assertEqual(r.status, 422, (bad, r))
            self.assertTrue(r.header("content-type").startswith("application/json"))
            self.assertIn("error", r.json())

    def test_metadata_document(self):
        r = self.kith.get("/.well-known/oauth-authorization-server")
        self.assertEqual(r.status, 200)
        doc = r.json()
        base = "https://" + self.kith.config["host"]
        self.assertEqual(doc["issuer"], base + "/")
        self.assertEqual(doc["authorization_endpoint"], base + "/oauth/authorize")
        self.assertEqual(doc["token_endpoint"], base + "/oauth/token")
        self.assertEqual(doc["revocation_endpoint"], base + "/oauth/revoke")
        self.assertEqual(doc["app_registration_endpoint"], base + "/api/v1/apps")
        self.assertEqual(doc["response_types_supported"], ["code"])
        self.assertEqual(doc["code_challenge_methods_supported"], ["S256"])
        self.assertIn("response_modes_supported", doc)
        self.assertIn("service_documentation", doc)
        for grant in ("authorization_code", "client_credentials", "refresh_token", "password"):
            self.assertIn(grant, doc["grant_types_supported"])
        self.assertIn("client_secret_post", doc["token_endpoint_auth_methods_supported"])
        for scope in ("read", "write", "follow", "push", "profile", "admin:read", "admin:write",
                      "read:accounts", "write:statuses", "write:media", "read:notifications",
                      "admin:read:accounts", "admin:write:reports"):
            self.assertIn(scope, doc["scopes_supported"])

    # -- the pages --

    def test_sign_in_page_and_headers(self):
        for path in ("/oauth/authorize", "/oauth/authorize/"):
            query = urllib.parse.urlencode({"response_type": "code",
                                            "client_id": self.app["client_id"],
                                            "redirect_uri": REDIRECT, "scope": "read",
                                            "force_login": "true", "lang": "de-AT"})
            r = self.kith.get(f"{path}?{query}")
            self.assertEqual(r.status, 200, (path, r))
            page = r.text()
            self.assertTrue(r.header("content-type").startswith("text/html"))
            self.assertIn('<html lang="de">', page)
            self.assertIn("Passwort", page)
            self.assertIn('autocomplete="username"', page)
            self.assertIn('autocomplete="current-password"', page)
            self.assertIn('<label for="password">', page)
            self.assertIn('name="viewport"', page)
            self.assertNotIn("<script", page)
            csp = r.header("content-security-policy")
            self.assertIn("default-src 'none'", csp)
            self.assertIn("frame-ancestors 'none'", csp)
            self.assertNotIn("script-src", csp)
            self.assertEqual(r.header("x-frame-options"), "DENY")
            self.assertEqual(r.header("cache-control"), "no-store")
            self.assertEqual(r.header("referrer-policy"), "no-referrer")
            cookie = r.header("set-cookie")
            self.assertIn("HttpOnly", cookie)
            self.assertIn("SameSite=Lax", cookie)
            # host is localhost:<port>, reached over plain http: no Secure
            # (SecureCookieAndIpv6Test has the https case).
            self.assertNotIn("Secure", cookie)
        # An unknown language falls back to English.
        r = self.sign_in_page(lang="xx")
        self.assertIn('<html lang="en">', r.text())
        self.assertIn("Password", r.text())

    def test_no_open_redirect(self):
        """Unknown clients and unregistered redirect URIs get a page, not a
        redirect; once both are known, other errors go back to the client."""
        cases = [
            {"client_id": "nobody"},
            {"client_id": None},
            {"redirect_uri": "http://127.0.0.1:10/callback"},
            {"redirect_uri": REDIRECT + "/"},
            {"redirect_uri": REDIRECT + "?other=1"},
            {"redirect_uri": "HTTP://127.0.0.1:9/callback"},
            {"redirect_uri": "org.kith.test:/oauth-callback/evil"},
            {"redirect_uri": None},  # the app registered several
        ]
        for params in cases:
            r = self.sign_in_page(**params)
            self.assertEqual(r.status, 400, (params, r))
            self.assertIsNone(r.header("location"), params)
            self.assertTrue(r.header("content-type").startswith("text/html"))
        # Errors after the redirect URI matched: RFC 6749 4.1.2.1.
        for params, error in (({"scope": "read admin:write"}, "invalid_scope"),
                              ({"scope": "reading"}, "invalid_scope"),
                              ({"response_type": "token"}, "unsupported_response_type"),
                              ({"code_challenge": "x" * 43, "code_challenge_method": "plain"},
                               "invalid_request"),
                              ({"code_challenge": "short", "code_challenge_method": "S256"},
                               "invalid_request")):
            r = self.sign_in_page(**params)
            self.assertEqual(r.status, 302, (params, r))
            location = r.header("location")
            self.assertTrue(location.startswith(REDIRECT + "?"), location)
            self.assertEqual(query_of(location), {"error": error, "state": "s1"})
        # A redirect URI with a query keeps it.
        r = self.sign_in_page(redirect_uri=REDIRECT + "?keep=1", response_type="token")
        self.assertEqual(query_of(r.header("location")),
                         {"keep": "1", "error": "unsupported_response_type", "state": "s1"})

    def test_wrong_password_stays_on_the_page(self):
        r, _ = self.sign_in(password="wrong password")
        self.assertEqual(r.status, 422)
        page = r.text()
        self.assertIn('role="alert"', page)
        self.assertIn('aria-describedby="sign-in-error"', page)
        self.assertIn('aria-invalid="true"', page)
        self.assertIn('value="alice"', page)
        self.assertIn('action="/oauth/authorize"', page)
        self.assertNotIn("ticket", page)

    def test_forms_need_the_cookie(self):
        page = self.sign_in_page()
        cookie = page.header("set-cookie").split(";")[0]
        fields = hidden_fields(page.text())
        fields.update({"username": "alice", "password": PASSWORD})
        self.assertEqual(self.form_post("/oauth/authorize", fields).status, 403)
        other = "kith_oauth_csrf=" + "A" * 43
        self.assertEqual(self.form_post("/oauth/authorize", fields, other).status, 403)
        consent = self.form_post("/oauth/authorize", fields, cookie)
        self.assertEqual(consent.status, 200, consent)
        form = hidden_fields(consent.text())
        form["decision"] = "approve"
        # Another browser's cookie, or a changed ticket: refused.
        r = self.form_post("/oauth/authorize/decision", form, other)
        self.assertEqual(r.status, 403)
        changed = dict(form, ticket=form["ticket"][:-2] + "AA")
        r = self.form_post("/oauth/authorize/decision", changed, cookie)
        self.assertEqual(r.status, 403)
        self.assertIsNone(r.header("location"))
        r = self.form_post("/oauth/authorize/decision", form, cookie)
        self.assertEqual(r.status, 302)

    def test_consent_page(self):
        consent, _ = self.sign_in(login="alice@example.com", scope="read write:statuses")
        self.assertEqual(consent.status, 200, consent)
        page = consent.text()
        self.assertIn("oauth test", page)
        self.assertIn("@alice", page)
        self.assertIn("https://example.com/app", page)
        self.assertIn("publish posts", page)
        self.assertIn('value="approve"', page)
        self.assertIn('value="deny"', page)
        csp = consent.header("content-security-policy")
        # The answer redirects to the client: form-action must allow it.
        self.assertIn("form-action 'self' http://127.0.0.1:9", csp)
        self.assertEqual(consent.header("x-frame-options"), "DENY")

    def test_deny(self):
        r = self.decide("deny", state="deny-state")
        self.assertEqual(r.status, 302)
        self.assertEqual(query_of(r.header("location")),
                         {"error": "access_denied", "state": "deny-state"})

    def test_consent_ticket_is_single_use(self):
        for first, second in (("approve", "approve"), ("deny", "approve")):
            consent, cookie = self.sign_in(state="once")
            self.assertEqual(consent.status, 200, consent)
            fields = hidden_fields(consent.text())
            r = self.form_post("/oauth/authorize/decision", {**fields, "decision": first}, cookie)
            self.assertEqual(r.status, 302, r)
            # The same form again (a replay within the ticket's 10 minutes).
            again = self.form_post("/oauth/authorize/decision", {**fields, "decision": second},
                                   cookie)
            self.assertEqual(again.status, 403, (first, second, again))
            self.assertIsNone(again.header("location"))

    # -- the code grant --

    def test_code_flow_with_pkce(self):
        verifier, challenge = pkce_pair()
        r = self.decide(code_challenge=challenge, code_challenge_method="S256", state="xyz")
        self.assertEqual(r.status, 302, r)
        location = r.header("location")
        self.assertTrue(location.startswith(REDIRECT + "?"), location)
        params = query_of(location)
        self.assertEqual(params["state"], "xyz")
        code = params["code"]
        # The code's hash is stored, never the code.
        self.assertEqual(pg.psql("SELECT count(*) FROM oauth_authorization_codes WHERE "
                                 f"code_hash = '{sha256_hex(code)}'", dbname="oauth"), "1")
        r = self.token({"grant_type": "authorization_code", "code": code,
                        "redirect_uri": REDIRECT, "code_verifier": verifier})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.header("cache-control"), "no-store")
        body = r.json()
        self.assertEqual(body["token_type"], "Bearer")
        self.assertEqual(body["scope"], "read write follow push")
        self.assertIsInstance(body["created_at"], int)
        self.assertIn("refresh_token", body)
        me = self.me(body["access_token"])
        self.assertEqual(me.status, 200)
        self.assertEqual(me.json()["username"], "alice")
        # The same code again: refused, and the token it gave is revoked.
        again = self.token({"grant_type": "authorization_code", "code": code,
                            "redirect_uri": REDIRECT, "code_verifier": verifier})
        self.check_token_error(again, 400, "invalid_grant")
        self.assertEqual(self.me(body["access_token"]).status, 401)
        # ...and so is what its refresh token would give.
        r = self.token({"grant_type": "refresh_token", "refresh_token": body["refresh_token"]})
        self.check_token_error(r, 400, "invalid_grant")

    def test_code_flow_wrong_verifier(self):
        verifier, challenge = pkce_pair()
        for sent in (pkce_pair()[0], None, verifier[:-1]):
            code = self.code(code_challenge=challenge, code_challenge_method="S256")
            body = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}
            if sent is not None:
                body["code_verifier"] = sent
            self.check_token_error(self.token(body), 400, "invalid_grant")
        # A verifier when no challenge was sent: a downgrade, refused.
        code = self.code()
        r = self.token({"grant_type": "authorization_code", "code": code,
                        "redirect_uri": REDIRECT, "code_verifier": verifier})
        self.check_token_error(r, 400, "invalid_grant")

    def test_code_redirect_uri_must_match(self):
        code = self.code()
        r = self.token({"grant_type": "authorization_code", "code": code,
                        "redirect_uri": CUSTOM})
        self.check_token_error(r, 400, "invalid_grant")
        # Another application's credentials cannot redeem it either.
        other = self.kith.post("/api/v1/apps", {"client_name": "other", "redirect_uris": REDIRECT,
                                                "scopes": "read write follow push"}).json()
        code = self.code()
        r = self.token({"grant_type": "authorization_code", "code": code,
                        "redirect_uri": REDIRECT}, app=other)
        self.check_token_error(r, 400, "invalid_grant")
        r = self.token({"grant_type": "authorization_code", "code": code,
                        "redirect_uri": REDIRECT, "client_secret": "wrong"})
        self.check_token_error(r, 401, "invalid_client")
        # Without PKCE, with the right redirect URI, in a JSON body: works.
        r = self.token({"grant_type": "authorization_code", "code": code,
                        "redirect_uri": REDIRECT})
        self.assertEqual(r.status, 200, r)

    def test_custom_scheme_and_oob(self):
        r = self.decide(redirect_uri=CUSTOM, state="c")
        self.assertEqual(r.status, 302)
        location = r.header("location")
        self.assertTrue(location.startswith(CUSTOM + "?code="), location)
        consent, _ = self.sign_in(redirect_uri=CUSTOM)
        self.assertIn("form-action 'self' org.kith.test:",
                      consent.header("content-security-policy"))
        # oob: the code is shown on a page.
        r = self.decide(redirect_uri=OOB, scope="read")
        self.assertEqual(r.status, 200, r)
        self.assertIsNone(r.header("location"))
        code = re.search(r'<p class="code" id="code"[^>]*>([^<]+)</p>', r.text()).group(1)
        token = self.token({"grant_type": "authorization_code", "code": code,
                            "redirect_uri": OOB})
        self.assertEqual(token.status, 200, token)
        self.assertEqual(token.json()["scope"], "read")

    # -- the other grants --

    def test_password_grant_and_refresh_rotation(self):
        # Mastodon's `username` is the e-mail; the username works too.
        for login in ("alice@example.com", "ALICE", "alice"):
            r = self.token({"grant_type": "password", "username": login, "password": PASSWORD,
                            "scope": "read write follow push"})
            self.assertEqual(r.status, 200, r)
            self.assertEqual(r.json()["scope"], "read write follow push")
        first = r.json()
        # Form body too.
        r = self.form_post("/oauth/token", {
            "grant_type": "refresh_token", "refresh_token": first["refresh_token"],
            "client_id": self.app["client_id"], "client_secret": self.app["client_secret"]})
        self.assertEqual(r.status, 200, r)
        second = r.json()
        self.assertNotEqual(second["access_token"], first["access_token"])
        self.assertNotEqual(second["refresh_token"], first["refresh_token"])
        self.assertEqual(second["scope"], "read write follow push")
        self.assertEqual(self.me(first["access_token"]).status, 401)
        self.assertEqual(self.me(second["access_token"]).status, 200)
        r = self.token({"grant_type": "refresh_token", "refresh_token": first["refresh_token"]})
        self.check_token_error(r, 400, "invalid_grant")
        # Narrower scope on refresh: allowed; wider: refused.
        r = self.token({"grant_type": "refresh_token", "refresh_token": second["refresh_token"],
                        "scope": "admin:read"})
        self.check_token_error(r, 400, "invalid_scope")
        r = self.token({"grant_type": "refresh_token", "refresh_token": second["refresh_token"],
                        "scope": "read"})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["scope"], "read")
        # Another application cannot use it.
        other = self.kith.post("/api/v1/apps", {"client_name": "o", "redirect_uris": OOB}).json()
        r = self.token({"grant_type": "refresh_token", "refresh_token": r.json()["refresh_token"]},
                       app=other)
        self.check_token_error(r, 400, "invalid_grant")

    def test_client_credentials(self):
        r = self.token({"grant_type": "client_credentials", "scope": "read"})
        self.assertEqual(r.status, 200, r)
        self.assertNotIn("refresh_token", r.json())
        self.assertEqual(self.me(r.json()["access_token"]).status, 422)

    def test_token_errors_are_json(self):
        self.check_token_error(self.kith.post("/oauth/token", {}), 400, "invalid_request")
        self.check_token_error(self.token({"grant_type": "magic"}), 400,
                               "unsupported_grant_type")
        self.check_token_error(self.kith.post("/oauth/token", {
            "grant_type": "password", "client_id": "x", "client_secret": "y",
            "username": "alice", "password": PASSWORD}), 401, "invalid_client")
        self.check_token_error(self.token({"grant_type": "authorization_code",
                                           "code": "nonsense", "redirect_uri": REDIRECT}),
                               400, "invalid_grant")
        self.check_token_error(self.token({"grant_type": "password", "username": "alice",
                                           "password": PASSWORD, "scope": "admin:read"}),
                               400, "invalid_scope")
        self.check_token_error(self.token({"grant_type": "password", "username": "alice",
                                           "password": "wrong"}), 400, "invalid_grant")

    def test_revoke(self):
        tokens = [self.token({"grant_type": "password", "username": "bob",
                              "password": PASSWORD}).json() for _ in range(2)]
        auth = {"client_id": self.app["client_id"], "client_secret": self.app["client_secret"]}
        # RFC 7009: the access token...
        r = self.kith.post("/oauth/revoke", {"token": tokens[0]["access_token"], **auth})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.me(tokens[0]["access_token"]).status, 401)
        # ...or the refresh token (revoking the grant); unknown ones are fine.
        r = self.kith.post("/oauth/revoke", {"token": tokens[1]["refresh_token"], **auth})
        self.assertEqual(r.status, 200)
        self.assertEqual(self.me(tokens[1]["access_token"]).status, 401)
        self.assertEqual(self.kith.post("/oauth/revoke", {"token": "unknown", **auth}).status,
                         200)
        r = self.kith.post("/oauth/revoke", {"token": "x", "client_id": "no",
                                             "client_secret": "no"})
        self.assertEqual(r.status, 403)
        self.assertTrue(r.header("content-type").startswith("application/json"))

    def test_scope_enforcement(self):
        def token(scope):
            r = self.token({"grant_type": "password", "username": "bob", "password": PASSWORD,
                            "scope": scope})
            self.assertEqual(r.status, 200, r)
            return {"Authorization": "Bearer " + r.json()["access_token"]}
        read = token("read")
        r = self.kith.post("/api/v1/statuses", {"status": "no"}, headers=read)
        self.assertEqual(r.status, 403, r)
        self.assertEqual(r.json()["error"], "This action is outside the authorized scopes")
        self.assertEqual(self.kith.get("/api/v1/timelines/home", headers=read).status, 200)
        post_only = token("write:statuses")
        r = self.kith.post("/api/v1/statuses", {"status": "granular"}, headers=post_only)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.kith.get("/api/v1/timelines/home", headers=post_only).status, 403)
        follow = token("follow")
        self.assertEqual(self.kith.get("/api/v1/timelines/home", headers=follow).status, 403)
        self.assertEqual(self.kith.get("/api/v1/follow_requests", headers=follow).status, 200)

    def test_tokens_stored_only_as_hashes(self):
        r = self.token({"grant_type": "password", "username": "bob", "password": PASSWORD})
        issued = r.json()
        dump = pg.pg_dump(dbname="oauth")
        for secret in (issued["access_token"], issued["refresh_token"],
                       self.app["client_secret"]):
            self.assertNotIn(secret, dump)
        self.assertIn(sha256_hex(issued["access_token"]), dump)
        self.assertIn(sha256_hex(issued["refresh_token"]), dump)
        self.assertIn(sha256_hex(self.app["client_secret"]), dump)


class LoginThrottleTest(OAuthFlows, unittest.TestCase):
    """A daemon of its own: the throttle counts per address, and every test
    connects from 127.0.0.1."""

    @classmethod
    def setUpClass(cls):
        pg.createdb("throttle")
        cls.kith = harness.Kith(database_url=pg.url("throttle"))
        cls.addClassCleanup(cls.kith.cleanup)
        cls.kith.start()
        created = cls.kith.run("user", "add", "carol", input=PASSWORD + "\n")
        assert created.returncode == 0, created.stderr
        cls.app = cls.kith.post("/api/v1/apps", {"client_name": "t", "redirect_uris": REDIRECT,
                                                 "scopes": "read"}).json()

    def test_five_failures_then_429(self):
        for _ in range(5):
            r = self.token({"grant_type": "password", "username": "carol", "password": "nope"})
            self.check_token_error(r, 400, "invalid_grant")
        # Even the right password is refused now, with a JSON 429...
        r = self.token({"grant_type": "password", "username": "carol", "password": PASSWORD})
        self.assertEqual(r.status, 429, r)
        self.assertTrue(r.header("content-type").startswith("application/json"))
        self.assertIn("error", r.json())
        self.assertGreater(int(r.header("retry-after")), 0)
        # ...and on the sign-in page, with a page that says so.
        r, _ = self.sign_in(login="carol", scope="read")
        self.assertEqual(r.status, 429, r)
        self.assertTrue(r.header("content-type").startswith("text/html"))
        self.assertIn("Too many", r.text())
        self.assertIsNotNone(r.header("retry-after"))
        # Other clients (app tokens) are not affected.
        self.assertEqual(self.token({"grant_type": "client_credentials"}).status, 200)


class SecureCookieAndIpv6Test(OAuthFlows, unittest.TestCase):
    """A daemon whose host is a public name (kith.example, https behind its
    proxy) and that trusts X-Forwarded-For, so clients can come from IPv6
    addresses."""

    @classmethod
    def setUpClass(cls):
        pg.createdb("secure_host")
        cls.kith = harness.Kith(database_url=pg.url("secure_host"), config={
            "host": "kith.example", "http": {"trust_proxy": True}})
        cls.addClassCleanup(cls.kith.cleanup)
        cls.kith.start()
        cls.app = cls.kith.post("/api/v1/apps", {"client_name": "t", "redirect_uris": REDIRECT,
                                                 "scopes": "read"}).json()

    def test_csrf_cookie_is_secure(self):
        r = self.sign_in_page(scope="read")
        self.assertEqual(r.status, 200, r)
        cookie = r.header("set-cookie")
        self.assertIn("; Secure", cookie)
        self.assertIn("HttpOnly", cookie)

    def test_ipv6_failures_count_by_the_64(self):
        def attempt(address):
            return self.kith.post("/oauth/token", {
                "grant_type": "password", "client_id": self.app["client_id"],
                "client_secret": self.app["client_secret"], "username": "nobody",
                "password": "nope"}, headers={"X-Forwarded-For": address})

        # Five failures, each from another address of one /64...
        for i in range(5):
            self.check_token_error(attempt(f"2001:db8:77:1::{i + 1:x}"), 400, "invalid_grant")
        # ...block the whole /64, not another one.
        self.assertEqual(attempt("2001:db8:77:1:ffff:eeee:dddd:cccc").status, 429)
        self.check_token_error(attempt("2001:db8:77:2::1"), 400, "invalid_grant")


if __name__ == "__main__":
    unittest.main()
