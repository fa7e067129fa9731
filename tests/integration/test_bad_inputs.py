"""The bad-input corpus (issue 3, item 9c): hostile requests to kith's
inboxes, one case per file in tests/integration/bad_inputs/, each with the
outcome it must have.

A case file is JSON:

  description  what the attack is, and why kith must refuse it
  actors       extra remote actors for this case (see below); every case also
               has `mallory` and `eve`, two ordinary remote actors
  documents    other documents the remote servers serve for this case:
               [{"server": "remote"|"foreign", "path", "status",
                 "content_type", "body" | "location"}]
  request      method (POST); path (/users/alice/inbox, /inbox);
               content_type (null: none); host (another Host than kith's,
                 signed as such);
               body (JSON with {{templates}}) or body_text, then optionally
                 nest {"marker", "depth"} (the JSON string "marker" becomes
                 `depth` nested arrays), fill {"marker", "values"} (an array
                 of that many zeros), pad {"marker", "bytes"}, raw_bytes
                 [{"marker", "hex"}] (bytes JSON cannot spell: bad UTF-8);
               sign: null (unsigned) or {"as": the actor whose key id is
                 used, "key": whose private key signs, or "unpublished"
                 (default: the `as` actor's), "key_id" (overrides it),
                 "headers" (covered; default (request-target) host date
                 digest), "algorithm" (default rsa-sha256), "date_offset"
                 (seconds), "created_offset" / "expires_offset" (seconds: the
                 created= / expires= parameters and (created) / (expires)),
                 "digest": "body" (default) | "wrong" | "none"}, or
                 {"scheme": "rfc9421", ...} (see Case.sign_rfc9421);
               after_signing: {"body" | "body_text", "recompute_digest",
                 "set_headers", "remove_headers"}: tampering in transit;
               headers: headers added or replaced after signing;
               send: "full" (default), "headers_only" (declare the length,
                 send no body), "chunked"; repeat: send the same bytes N times;
               paths: send the same body, signed for each, to each of these
  expect       status (a code or a list of acceptable ones);
               inbox_jobs: how many inbox jobs the case may add (a number or
                 a list; default 0);
               absent / present: [{"table", "uri", "count"}]: rows, by their
                 ActivityPub id, that must not / must exist once the case's
                 jobs have been applied;
               fetched: [URLs] on the remote servers that kith must have
                 asked for (it looked, and refused what it got);
               no_connection: true when kith must open no connection other
                 than to the test's own remote servers

Templates: {{remote}} and {{foreign}} (https origins of two remote servers,
both allowlisted), {{local}} (kith's own origin), {{alice}} (the local
user's actor id), {{uuid}} (fresh per case), {{ssrf_port}} (a loopback port
that is listening but NOT allowlisted), {{actor:NAME}} and {{key:NAME}} (a
case actor's id and key id).

A case actor: {"key": "mallory"|"eve"|"unpublished" (whose key pair;
default mallory's), "id": the id its document claims (default: its URL),
"owner": its key's owner (default: the id it claims), "content_type": how
its document is served (default application/activity+json)}; its key id is
always <its URL>#main-key. Actors live at {{remote}}/users/<name><case
number>, so no case sees another's.

Adding a case needs only a new file. Each case runs against the same
daemon; after each, /healthz must still answer 200 and kith's stderr must
hold no new sanitizer report (in the ASan/UBSan build). The proof that no
connection was made: the listeners on the SSRF port (127.0.0.1 and ::1)
accepted nothing, and kith's outgoing client's connection counter
(kith_http_client_connection_attempts in /metrics) grew by no more than
the connections the test's own remote servers accepted.

Signing is draft-cavage-12 (rsa-sha256 or hs2019 with RSA PKCS #1 v1.5)
through signing.py (RSA by the `openssl` command). Runs in about 10 s and
prints one line per case.
"""

import base64
import contextlib
import email.utils
import glob
import hashlib
import http.server
import json
import os
import re
import shutil
import socket
import ssl
import sys
import threading
import time
import unittest
import urllib.parse
import uuid

import harness
import signing

try:
    from federation import Certificates
except ImportError:  # the federation machinery is not there: the delivery test's CA
    from test_delivery import Certificates

CASES_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "bad_inputs")
DEFAULT_SIGNED_HEADERS = ["(request-target)", "host", "date", "digest"]
AS_TYPE = "application/activity+json"
APPLY_TIMEOUT = 20.0  # for the inbox worker to apply a case's jobs
HEADERS_ONLY_TIMEOUT = 10.0
CHUNK = 64 * 1024
# What ASan and UBSan write when they find something (the sanitizer build).
SANITIZER_REPORTS = ("ERROR: AddressSanitizer", "runtime error:", "ERROR: LeakSanitizer")
# The outgoing client's count of connections it tried to open (src/app/serve.cpp).
CLIENT_CONNECTIONS_METRIC = "kith_http_client_connection_attempts"

env = None  # the running set-up, made once for the module


# ---------------------------------------------------------------------------
# Signatures (keys, Digest and signing strings from signing.py)

def signature_header(key, key_id, covered, values, algorithm="rsa-sha256", extra_params=None):
    """signing.signature_header, plus the created= and expires= parameters
    (`extra_params`, unquoted) that (created) and (expires) need."""
    signature = base64.b64encode(key.sign(signing.signing_string(covered, values))).decode()
    params = "".join(f",{k}={v}" for k, v in (extra_params or {}).items())
    return (f'keyId="{key_id}",algorithm="{algorithm}"{params},headers="{" ".join(covered)}",'
            f'signature="{signature}"')


# ---------------------------------------------------------------------------
# Remote servers

class RemoteServer:
    """An HTTPS server on 127.0.0.1 standing for another fediverse server:
    actors (with WebFinger) and documents that the running case declares,
    202 to any POST. Counts the connections it accepts."""

    def __init__(self, certs):
        self.lock = threading.Lock()
        self.documents = {}  # path -> (status, content type, body bytes, extra headers)
        self.webfinger = {}  # acct: resource -> actor URL
        self.requests = []   # (method, path)
        self.connections = 0
        remote = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                remote.serve(self)

            def do_POST(self):
                length = int(self.headers.get("Content-Length", "0") or 0)
                self.rfile.read(min(length, 1 << 20))
                with remote.lock:
                    remote.requests.append(("POST", self.path))
                self.send_response(202)
                self.send_header("Content-Length", "0")
                self.send_header("Connection", "close")
                self.end_headers()

        class Server(http.server.ThreadingHTTPServer):
            daemon_threads = True

            def get_request(self):
                request = super().get_request()
                with remote.lock:
                    remote.connections += 1
                return request

        self.server = Server(("127.0.0.1", 0), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(certs.cert, certs.key)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.origin = f"https://localhost:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def serve(self, request):
        parts = urllib.parse.urlsplit(request.path)
        with self.lock:
            self.requests.append(("GET", request.path))
            if parts.path == "/.well-known/webfinger":
                resource = urllib.parse.parse_qs(parts.query).get("resource", [""])[0]
                actor = self.webfinger.get(resource)
                if actor is None:
                    found = (404, "application/json", b'{"error":"not found"}', {})
                else:
                    found = (200, "application/jrd+json", json.dumps({
                        "subject": resource,
                        "links": [{"rel": "self", "type": AS_TYPE, "href": actor}]}).encode(), {})
            else:
                found = self.documents.get(parts.path,
                                           (404, "application/json", b'{"error":"not found"}', {}))
        status, content_type, body, headers = found
        try:
            request.send_response(status)
            request.send_header("Content-Type", content_type)
            for name, value in headers.items():
                request.send_header(name, value)
            request.send_header("Content-Length", str(len(body)))
            request.send_header("Connection", "close")
            request.end_headers()
            request.wfile.write(body)
        except OSError:
            pass

    def add_document(self, path, status=200, content_type=AS_TYPE, body=b"", headers=None):
        with self.lock:
            self.documents[path] = (status, content_type, body, headers or {})

    def add_actor(self, name, url, document):
        path = urllib.parse.urlsplit(url).path
        self.add_document(path, document.pop("__status", 200),
                          document.pop("__content_type", AS_TYPE),
                          json.dumps(document).encode())
        with self.lock:
            self.webfinger[f"acct:{name}@localhost:{self.port}"] = url

    def counts(self):
        with self.lock:
            return self.connections, len(self.requests)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class Listener:
    """A TCP port that accepts and counts connections, on 127.0.0.1 and (if
    the host has IPv6) ::1: kith must never connect to it."""

    def __init__(self):
        self.lock = threading.Lock()
        self.accepted = []  # (family, peer address)
        self.sockets = []
        self.stopping = False
        v4 = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        v4.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        v4.bind(("127.0.0.1", 0))
        self.port = v4.getsockname()[1]
        self.sockets.append(v4)
        with contextlib.suppress(OSError):
            v6 = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
            v6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            v6.bind(("::1", self.port))
            self.sockets.append(v6)
        for s in self.sockets:
            s.listen(16)
            s.settimeout(0.2)
            threading.Thread(target=self._accept, args=(s,), daemon=True).start()

    def _accept(self, s):
        while not self.stopping:
            try:
                conn, peer = s.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            with self.lock:
                self.accepted.append((s.family, peer))
            with contextlib.suppress(OSError):
                conn.close()

    def count(self):
        with self.lock:
            return len(self.accepted)

    def close(self):
        self.stopping = True
        for s in self.sockets:
            with contextlib.suppress(OSError):
                s.close()


# ---------------------------------------------------------------------------
# The set-up shared by every case

class Environment:
    def __init__(self):
        self.cleanups = []
        try:
            self._start()
        except BaseException:
            self.cleanup()
            raise

    def _start(self):
        self.dir = harness.make_temp_dir("kbad-")
        self.cleanups.append(lambda: shutil.rmtree(self.dir, ignore_errors=True))
        self.certs = Certificates()
        self.cleanups.append(self.certs.cleanup)
        self.pg = harness.PgCluster()
        self.cleanups.append(self.pg.cleanup)
        self.remote = RemoteServer(self.certs)
        self.cleanups.append(self.remote.close)
        self.foreign = RemoteServer(self.certs)
        self.cleanups.append(self.foreign.close)
        self.listener = Listener()
        self.cleanups.append(self.listener.close)
        # Three key pairs: mallory's, eve's, and one never published.
        self.keys = {name: signing.RsaKey(self.dir, name)
                     for name in ("mallory", "eve", "unpublished")}
        allowed = [f"127.0.0.1:{s.port}" for s in (self.remote, self.foreign)]
        self.kith = harness.Kith(database_url=self.pg.url(), env={
            "KITH_FEDERATION_EXTRA_CA_FILE": self.certs.ca,
            "KITH_FEDERATION_ALLOWED_PRIVATE_ADDRESSES": ",".join(allowed),
        })
        self.cleanups.append(self.kith.cleanup)
        self.kith.start()
        created = self.kith.run("user", "add", "alice", input="correct horse battery staple\n")
        if created.returncode != 0:
            raise AssertionError(f"kith user add failed: {created.stderr}")
        self.local = f"https://localhost:{self.kith.port}"
        self.host = f"localhost:{self.kith.port}"
        self.case_number = 0
        self.log_offset = 0  # of kith's stderr already searched for sanitizer reports

    def cleanup(self):
        for fn in reversed(self.cleanups):
            with contextlib.suppress(Exception):
                fn()
        self.cleanups = []

    def psql(self, sql):
        return self.pg.psql(sql)

    def client_connections(self):
        """The outgoing client's connection counter from /metrics, or None
        when kith does not export one."""
        with contextlib.suppress(Exception):
            _, samples = self.kith.metrics()
            return harness.metric_value(samples, CLIENT_CONNECTIONS_METRIC)
        return None


def sql_text(value):
    assert "$q$" not in value
    return f"$q${value}$q$"


# ---------------------------------------------------------------------------
# One case

TEMPLATE = re.compile(r"\{\{([a-z_]+)(?::([A-Za-z0-9_-]+))?\}\}")


class Case:
    def __init__(self, path):
        self.path = path
        self.name = os.path.splitext(os.path.basename(path))[0]
        with open(path) as f:
            self.spec = json.load(f)
        for key in ("description", "request", "expect"):
            if key not in self.spec:
                raise ValueError(f"{path}: no {key!r}")

    # -- templates --

    def prepare(self, env):
        env.case_number += 1
        self.env = env
        self.vars = {
            "remote": env.remote.origin, "foreign": env.foreign.origin, "local": env.local,
            "alice": f"{env.local}/users/alice", "uuid": str(uuid.uuid4()),
            "ssrf_port": str(env.listener.port),
        }
        actors = {"mallory": {"key": "mallory"}, "eve": {"key": "eve"}}
        actors.update(self.spec.get("actors", {}))
        self.actor_urls = {name: f"{env.remote.origin}/users/{name}{env.case_number}"
                           for name in actors}
        self.actor_keys = {name: spec.get("key", "mallory") for name, spec in actors.items()}
        for name, spec in actors.items():
            url = self.actor_urls[name]
            claimed_id = self.render(spec.get("id", url))
            owner = self.render(spec.get("owner", claimed_id))
            document = {
                "@context": ["https://www.w3.org/ns/activitystreams",
                             "https://w3id.org/security/v1"],
                "id": claimed_id, "type": "Person",
                "preferredUsername": f"{name}{env.case_number}",
                "inbox": f"{url}/inbox", "outbox": f"{url}/outbox",
                "followers": f"{url}/followers", "following": f"{url}/following",
                "endpoints": {"sharedInbox": f"{env.remote.origin}/inbox"},
                "publicKey": {"id": f"{url}#main-key", "owner": owner,
                              "publicKeyPem": env.keys[self.actor_keys[name]].public_pem},
                "__content_type": spec.get("content_type", AS_TYPE),
            }
            env.remote.add_actor(f"{name}{env.case_number}", url, document)
        for doc in self.spec.get("documents", []):
            server = env.foreign if doc.get("server") == "foreign" else env.remote
            headers = {}
            if "location" in doc:
                headers["Location"] = self.render(doc["location"])
            body = doc.get("body", "")
            body = json.dumps(self.render(body)) if not isinstance(body, str) else \
                self.render(body)
            server.add_document(self.render(doc["path"]), doc.get("status", 200),
                                doc.get("content_type", AS_TYPE), body.encode(), headers)

    def render(self, value):
        if isinstance(value, str):
            def replace(m):
                kind, arg = m.group(1), m.group(2)
                if kind == "actor":
                    return self.actor_urls[arg]
                if kind == "key":
                    return self.actor_urls[arg] + "#main-key"
                return self.vars[kind]
            return TEMPLATE.sub(replace, value)
        if isinstance(value, list):
            return [self.render(v) for v in value]
        if isinstance(value, dict):
            return {k: self.render(v) for k, v in value.items()}
        return value

    # -- the request --

    def body_bytes(self, spec):
        if "body_text" in spec:
            body = self.render(spec["body_text"])
        else:
            document = self.render(spec.get("body", {}))
            if isinstance(document, dict) and isinstance(document.get("id"), str):
                self.activity_id = document["id"]
            body = json.dumps(document, separators=(",", ":"))
        nest = spec.get("nest")
        if nest:
            depth = int(nest["depth"])
            body = body.replace(json.dumps(nest["marker"]), "[" * depth + "]" * depth, 1)
        fill = spec.get("fill")
        if fill:
            values = int(fill["values"])
            body = body.replace(json.dumps(fill["marker"]), "[" + ",".join("0" * values) + "]", 1)
        pad = spec.get("pad")
        if pad:
            body = body.replace(pad["marker"], "x" * int(pad["bytes"]), 1)
        body = body.encode()
        for raw in spec.get("raw_bytes", []):
            body = body.replace(raw["marker"].encode(), bytes.fromhex(raw["hex"]), 1)
        return body

    def build(self, path=None):
        """(method, path, headers dict, body bytes) of the request, to
        `path` (default: the case's)."""
        spec = self.spec["request"]
        self.activity_id = None  # the id of the body as sent (see body_bytes)
        method = spec.get("method", "POST")
        path = self.render(path or spec.get("path", "/users/alice/inbox"))
        body = self.body_bytes(spec)
        headers = {}
        content_type = spec.get("content_type", AS_TYPE)
        if content_type:
            headers["Content-Type"] = content_type
        sign = spec.get("sign")
        date = email.utils.formatdate(time.time() + (sign or {}).get("date_offset", 0),
                                      usegmt=True)
        headers["Date"] = date
        if sign is not None and sign.get("scheme") == "rfc9421":
            self.sign_rfc9421(sign, method, path, headers, body)
        elif sign is not None:
            digest_mode = sign.get("digest", "body")
            if digest_mode == "body":
                headers["Digest"] = signing.digest_header(body)
            elif digest_mode == "wrong":
                headers["Digest"] = signing.digest_header(body + b"tampered")
            as_actor = sign.get("as", "mallory")
            key_name = sign.get("key", self.actor_keys.get(as_actor, as_actor))
            key_id = self.render(sign.get("key_id", f"{{{{key:{as_actor}}}}}"))
            covered = sign.get("headers", DEFAULT_SIGNED_HEADERS)
            values = {"(request-target)": f"{method.lower()} {path}",
                      "host": self.render(spec.get("host", self.env.host)),
                      **{k.lower(): v for k, v in headers.items()}}
            extra_params = {}
            for name in ("created", "expires"):
                if f"{name}_offset" in sign:
                    extra_params[name] = str(int(time.time()) + int(sign[f"{name}_offset"]))
                    values[f"({name})"] = extra_params[name]
            headers["Signature"] = signature_header(self.env.keys[key_name], key_id, covered,
                                                    values, sign.get("algorithm", "rsa-sha256"),
                                                    extra_params)
        after = spec.get("after_signing")
        if after:
            if "body" in after or "body_text" in after:
                body = self.body_bytes(after)
            if after.get("recompute_digest"):
                headers["Digest"] = signing.digest_header(body)
            for name in after.get("remove_headers", []):
                headers.pop(name, None)
            headers.update(self.render(after.get("set_headers", {})))
        headers.update(self.render(spec.get("headers", {})))
        return method, path, headers, body

    def sign_rfc9421(self, sign, method, path, headers, body):
        """RFC 9421 (HTTP Message Signatures) with rsa-v1_5-sha256, as newer
        servers sign: Content-Digest (RFC 9530), Signature-Input and
        Signature under the label sig1. `sign`: "as", "key", "key_id" as
        for cavage; "components" (default "@method" "@target-uri"
        "content-digest"); "created_offset"; "content_digest": "body"
        (default) | "wrong" | "none"."""
        mode = sign.get("content_digest", "body")
        if mode != "none":
            hashed = hashlib.sha256(body + (b"tampered" if mode == "wrong" else b"")).digest()
            headers["Content-Digest"] = f"sha-256=:{base64.b64encode(hashed).decode()}:"
        as_actor = sign.get("as", "mallory")
        key = self.env.keys[sign.get("key", self.actor_keys.get(as_actor, as_actor))]
        key_id = self.render(sign.get("key_id", f"{{{{key:{as_actor}}}}}"))
        components = sign.get("components", ["@method", "@target-uri", "content-digest"])
        created = int(time.time()) + int(sign.get("created_offset", 0))
        params = (f"({' '.join(json.dumps(c) for c in components)});created={created};"
                  f'keyid="{key_id}";alg="rsa-v1_5-sha256"')
        host = self.render(self.spec["request"].get("host", self.env.host))
        values = {"@method": method.upper(), "@target-uri": f"https://{host}{path}",
                  "@authority": host, "@path": path,
                  **{k.lower(): v for k, v in headers.items()}}
        base = "\n".join([f'"{c}": {values[c]}' for c in components] +
                          [f'"@signature-params": {params}'])
        headers["Signature-Input"] = f"sig1={params}"
        headers["Signature"] = f"sig1=:{base64.b64encode(key.sign(base)).decode()}:"

    def send(self, method, path, headers, body):
        mode = self.spec["request"].get("send", "full")
        host = self.spec["request"].get("host")
        with self.env.kith.raw() as conn:
            if host:
                # Another Host than kith's own (signed as such).
                head = [f"{method} {path} HTTP/1.1", f"Host: {self.render(host)}",
                        f"Content-Length: {len(body)}"] + [f"{k}: {v}" for k, v in headers.items()]
                conn.send(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)
                return conn.read_response()
            if mode == "full":
                return conn.request(method, path, headers, body)
            if mode == "headers_only":
                # Declare the length, send none of the body: a 413 must come
                # back unread.
                headers = {**headers, "Content-Length": str(len(body))}
                conn.send(conn.request_bytes(method, path, headers, b""))
                return conn.read_response(timeout=HEADERS_ONLY_TIMEOUT)
            if mode == "chunked":
                headers = {**headers, "Transfer-Encoding": "chunked"}
                conn.send(conn.request_bytes(method, path, headers, b""))
                for i in range(0, len(body), CHUNK):
                    piece = body[i:i + CHUNK]
                    if not conn.try_send(b"%x\r\n" % len(piece) + piece + b"\r\n"):
                        break
                else:
                    conn.try_send(b"0\r\n\r\n")
                return conn.read_response()
            raise ValueError(f"{self.path}: unknown send mode {mode!r}")

    # -- the checks --

    def inbox_jobs(self):
        return int(self.env.psql("SELECT count(*) FROM jobs WHERE queue = 'inbox'"))

    def job_states(self):
        if not self.activity_id:
            return []
        key = "inbox:" + hashlib.sha256(self.activity_id.encode()).hexdigest()
        out = self.env.psql(f"SELECT state FROM jobs WHERE dedupe_key = {sql_text(key)}")
        return [line for line in out.splitlines() if line]

    def rows(self, table, uri):
        if not re.fullmatch(r"[a-z_]+", table):
            raise ValueError(f"{self.path}: bad table name {table!r}")
        return int(self.env.psql(f"SELECT count(*) FROM {table} WHERE uri = {sql_text(uri)}"))

    def run(self):
        """Returns (passed, one-line summary, details on failure)."""
        env = self.env
        expect = self.spec["expect"]
        wanted = expect["status"] if isinstance(expect["status"], list) else [expect["status"]]
        jobs_before = self.inbox_jobs()
        listener_before = env.listener.count()
        servers_before = env.remote.counts()[0] + env.foreign.counts()[0]
        client_before = env.client_connections()
        failures = []
        statuses = []
        reason = ""
        # A repeat sends the very same bytes again (a replay); "paths" sends
        # the same body, signed for each, to several inboxes.
        for target in self.spec["request"].get("paths", [None]):
            method, path, headers, body = self.build(target)
            for _ in range(int(self.spec["request"].get("repeat", 1))):
                try:
                    response = self.send(method, path, headers, body)
                    statuses.append(response.status)
                    with contextlib.suppress(ValueError, AttributeError, TypeError):
                        reason = str(response.json().get("error", ""))[:120]
                except (harness.ConnectionClosed, socket.timeout, OSError) as e:
                    statuses.append(f"no answer ({e})")
        for status in statuses:
            if status not in wanted:
                failures.append(f"answered {status}, expected {wanted}")
        added = self.inbox_jobs() - jobs_before
        allowed_jobs = expect.get("inbox_jobs", 0)
        allowed_jobs = allowed_jobs if isinstance(allowed_jobs, list) else [allowed_jobs]
        if added not in allowed_jobs:
            failures.append(f"{added} inbox job(s) stored, expected {allowed_jobs}")
        # Rows are judged once the case's jobs are applied (or failed).
        if added and (expect.get("absent") or expect.get("present")):
            try:
                harness.wait_until(lambda: self.job_states() and all(
                    s in ("done", "failed") for s in self.job_states()), APPLY_TIMEOUT,
                    interval=0.2, message="the case's inbox job to be applied")
            except AssertionError:
                failures.append(f"its inbox job was not applied within {APPLY_TIMEOUT:.0f}s "
                                f"(states {self.job_states()}): is the inbox worker running?")
        for row in expect.get("absent", []):
            n = self.rows(row["table"], self.render(row["uri"]))
            if n:
                failures.append(f"{n} {row['table']} row(s) with uri {self.render(row['uri'])}")
        for row in expect.get("present", []):
            n = self.rows(row["table"], self.render(row["uri"]))
            if n != row.get("count", 1):
                failures.append(f"{n} {row['table']} row(s) with uri {self.render(row['uri'])},"
                                f" expected {row.get('count', 1)}")
        for url in expect.get("fetched", []):
            url = self.render(url)
            parts = urllib.parse.urlsplit(url)
            server = env.foreign if parts.port == env.foreign.port else env.remote
            with server.lock:
                asked = [p for m, p in server.requests if m == "GET"
                         and urllib.parse.urlsplit(p).path == parts.path]
            if not asked:
                failures.append(f"kith never fetched {url}: refused without looking?")
        proof = ""
        if expect.get("no_connection"):
            time.sleep(0.3)  # anything kith started would have connected by now
            reached = env.listener.count() - listener_before
            if reached:
                failures.append(f"kith connected {reached} time(s) to the refused port")
            client_after = env.client_connections()
            servers = env.remote.counts()[0] + env.foreign.counts()[0] - servers_before
            if client_before is not None and client_after is not None:
                extra = (client_after - client_before) - servers
                if extra > 0:
                    failures.append(f"kith's client made {extra:.0f} connection(s) beyond the "
                                    "test's remote servers")
                proof = (f"; connections: {client_after - client_before:.0f} by kith's client,"
                         f" all to the test's servers; 0 to the refused port")
            else:
                failures.append(f"no {CLIENT_CONNECTIONS_METRIC} in /metrics: no proof that "
                                "kith made no connection to non-loopback targets")
        health = env.kith.get("/healthz").status if env.kith.alive() else "daemon exited"
        if health != 200:
            failures.append(f"/healthz answered {health} after the case")
        log = env.kith.stderr()
        reports = [m for m in SANITIZER_REPORTS if m in log[env.log_offset:]]
        env.log_offset = len(log)
        if reports:
            failures.append(f"the sanitizers reported {', '.join(reports)} (see kith's stderr)")
        summary = (f"{self.name}: {', '.join(str(s) for s in statuses)}"
                   f"{f' ({reason})' if reason else ''}; {added} inbox job(s){proof}")
        return not failures, summary, failures


# ---------------------------------------------------------------------------

def setUpModule():
    global env
    env = Environment()
    unittest.addModuleCleanup(env.cleanup)


class BadInputsTest(unittest.TestCase):
    """One test per case file, made below; each prints one line."""

    def check_case(self, path):
        case = Case(path)
        case.prepare(env)
        passed, summary, failures = case.run()
        print(f"{'PASS' if passed else 'FAIL'} {summary}", file=sys.stderr)
        if not passed:
            self.fail(f"{case.name} ({case.spec['description']}):\n  " + "\n  ".join(failures)
                      + f"\nkith stderr (tail):\n{env.kith.stderr_tail(15)}")


class CleanShutdownTest(unittest.TestCase):
    """After the whole corpus (unittest runs this class after BadInputsTest):
    SIGTERM, exit 0, and no sanitizer report, leaks included."""

    def test_daemon_exits_cleanly_after_the_corpus(self):
        code = env.kith.sigterm()
        log = env.kith.stderr()
        reports = [m for m in SANITIZER_REPORTS if m in log[env.log_offset:]]
        self.assertEqual(reports, [], env.kith.stderr_tail(60))
        self.assertEqual(code, 0, env.kith.stderr_tail(30))


def _add_case_tests():
    paths = sorted(glob.glob(os.path.join(CASES_DIR, "*.json")))
    for path in paths:
        name = os.path.splitext(os.path.basename(path))[0]

        def test(self, path=path):
            self.check_case(path)
        test.__name__ = f"test_{name}"
        test.__doc__ = None
        setattr(BadInputsTest, test.__name__, test)


_add_case_tests()


if __name__ == "__main__":
    unittest.main()
