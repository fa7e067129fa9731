"""The OAuth sign-in and consent pages in a real browser: Debian's headless
Chromium (/usr/bin/chromium) driven by npm's playwright-core (pinned in
package-lock.json; `npm ci` runs when node_modules does not match it).

This file starts a daemon (tests/integration/harness.py) with a user,
serves a loopback redirect URI, registers an application for it, and runs
oauth_flow.mjs, which walks the whole authorization-code flow with PKCE
with JavaScript off on a phone-sized screen: a wrong password, Deny, then
Authorize, the code exchanged for a token and verify_credentials.

Skipped (with the reason) only when Chromium or Node is missing;
scripts/setup installs both, so CI never skips.
"""

import http.server
import json
import os
import shutil
import subprocess
import sys
import threading
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import harness  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
PLAYWRIGHT_VERSION = "1.65.1"
NPM_TIMEOUT = 600
FLOW_TIMEOUT = 180
PASSWORD = "correct horse battery staple"
APP_NAME = "Browser test app"


def installed_matches_lock():
    """Whether node_modules holds exactly what package-lock.json pins."""
    try:
        with open(os.path.join(HERE, "package-lock.json")) as f:
            wanted = json.load(f)["packages"]
        with open(os.path.join(HERE, "node_modules", ".package-lock.json")) as f:
            installed = json.load(f)["packages"]
        with open(os.path.join(HERE, "node_modules", "playwright-core", "package.json")) as f:
            version = json.load(f)["version"]
    except (OSError, ValueError, KeyError):
        return False
    wanted = {k: v.get("version") for k, v in wanted.items() if k}
    installed = {k: v.get("version") for k, v in installed.items() if k}
    return wanted == installed and version == PLAYWRIGHT_VERSION


def install_packages():
    if installed_matches_lock():
        return
    result = subprocess.run(["npm", "ci", "--prefer-offline", "--no-audit", "--no-fund"],
                            cwd=HERE, capture_output=True, text=True, timeout=NPM_TIMEOUT,
                            stdin=subprocess.DEVNULL)
    if result.returncode != 0 or not installed_matches_lock():
        raise RuntimeError(f"npm ci in {HERE} failed ({result.returncode}):\n"
                           f"{result.stdout[-2000:]}{result.stderr[-2000:]}")


class Callback(http.server.BaseHTTPRequestHandler):
    """The client's loopback redirect URI: records what arrived."""

    received = []

    def do_GET(self):  # noqa: N802 - http.server's name
        Callback.received.append(self.path)
        body = b"<!DOCTYPE html><title>client</title><p>callback received</p>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@unittest.skipUnless(os.access(CHROMIUM, os.X_OK), f"{CHROMIUM} is missing: run scripts/setup")
@unittest.skipUnless(shutil.which("node") and shutil.which("npm"),
                     "node or npm is missing: run scripts/setup")
class OAuthBrowserTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        install_packages()
        cls.pg = harness.PgCluster()
        cls.addClassCleanup(cls.pg.cleanup)
        cls.pg.createdb("browser")
        cls.kith = harness.Kith(database_url=cls.pg.url("browser"))
        cls.addClassCleanup(cls.kith.cleanup)
        cls.kith.start()
        created = cls.kith.run("user", "add", "alice", "--email", "alice@example.com",
                               input=PASSWORD + "\n")
        assert created.returncode == 0, created.stderr
        cls.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Callback)
        cls.addClassCleanup(cls.server.server_close)
        threading.Thread(target=cls.server.serve_forever, daemon=True).start()
        cls.addClassCleanup(cls.server.shutdown)
        cls.redirect_uri = f"http://127.0.0.1:{cls.server.server_address[1]}/callback"

    def test_authorization_code_flow(self):
        r = self.kith.post("/api/v1/apps", {"client_name": APP_NAME,
                                            "redirect_uris": self.redirect_uri,
                                            "scopes": "read write follow push"})
        self.assertEqual(r.status, 200, r)
        app = r.json()
        env = harness.clean_env({
            "KITH_URL": f"http://127.0.0.1:{self.kith.port}",
            "CLIENT_ID": app["client_id"], "CLIENT_SECRET": app["client_secret"],
            "REDIRECT_URI": self.redirect_uri, "LOGIN": "alice", "PASSWORD": PASSWORD,
            "APP_NAME": APP_NAME,
        })
        result = subprocess.run(["node", "oauth_flow.mjs"], cwd=HERE, env=env,
                                capture_output=True, text=True, timeout=FLOW_TIMEOUT,
                                stdin=subprocess.DEVNULL)
        self.assertEqual(result.returncode, 0,
                         f"{result.stderr[-3000:]}\n{result.stdout[-2000:]}\n"
                         f"kith:\n{self.kith.stderr_tail()}")
        seen = json.loads(result.stdout.strip().splitlines()[-1])
        self.assertEqual(seen["verify_credentials"], "alice")
        self.assertIn("error=access_denied", seen["deny"])
        # The callback got exactly the two redirects: denied, then the code.
        paths = [p for p in Callback.received if p.startswith("/callback")]
        self.assertEqual(len(paths), 2, paths)
        self.assertIn("error=access_denied", paths[0])
        self.assertIn("code=", paths[1])
        # The sign-in page's accessibility tree names its fields.
        tree = seen["sign_in_tree"]
        self.assertIn('heading "Sign in"', tree)
        self.assertIn('textbox "Username or e-mail address"', tree)
        self.assertIn('textbox "Password"', tree)
        self.assertIn('button "Sign in"', tree)


if __name__ == "__main__":
    unittest.main()
