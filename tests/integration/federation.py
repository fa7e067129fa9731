"""Federation test machinery: several kith daemons on loopback, each behind
its own TLS-terminating nginx, trusting a CA that the test makes.

kith speaks plain HTTP on 127.0.0.1 and leaves TLS to a reverse proxy
(docs/OPERATING.md, section 7), so a federation test runs what an operator
runs: for each daemon ("node") one Debian nginx on its own port with a
certificate for `localhost` (IP SANs 127.0.0.1 and ::1) from the test's CA,
proxying to the daemon. Each node's public authority is
`localhost:<nginx port>`, so actor ids look like
https://localhost:40123/users/alice and handles like alice@localhost:40123.
Each daemon trusts the CA (federation.extra_ca_file) and may connect to
exactly the other nodes' TLS endpoints (federation.allowed_private_addresses:
127.0.0.1:<port> and [::1]:<port>); every other loopback port stays refused.

The one idea: nothing is simulated. Users come from `kith user add`, tokens
from the client API (POST /api/v1/apps, POST /oauth/token with the password
grant), actions from the client API, and the tests watch the other node's
client API (or, where there is no API yet, its database through psql).
Requests from the test go through nginx over TLS, like a client's.

nginx runs in the foreground (`daemon off;`) as a child of the test, as one
process (`master_process off;`: no worker that could outlive it), with
every path it writes (pid, logs, temp files) inside its own folder and its
working directory there, so that cleanup also finds it by that directory.
It runs as whoever runs the test (root in CI) and binds only unprivileged
loopback ports.

One PostgreSQL cluster holds one database per node. `Federation.cleanup`
stops every nginx, daemon and the cluster, and removes every folder, even
when start-up failed half way; it never raises.

Signed fetches: `Signer` signs a GET the way a remote server does
(draft-cavage HTTP Signatures, rsa-sha256 over (request-target) host date)
with a node user's own key, read from that node's database, using the
`openssl` command (Python's standard library has no RSA). The signer's key
id is the user's real one, so the node serving the object fetches the key
from the signer's node over TLS like any other.

Python 3 standard library only, plus the `openssl` and `nginx` commands.
"""

import base64
import contextlib
import email.utils
import http.client
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import urllib.parse

import harness

# How long to wait for an effect on another node (a delivery, then the
# receiver's inbox worker). Generous for sanitizer builds on 2 shared cores.
EFFECT_TIMEOUT = 30.0
POLL_INTERVAL = 0.2
# What ASan and UBSan write when they find something (the sanitizer build).
SANITIZER_REPORTS = ("ERROR: AddressSanitizer", "runtime error:", "ERROR: LeakSanitizer")
NGINX_READY_TIMEOUT = 15.0
NGINX_STOP_TIMEOUT = 5.0

AS_TYPE = "application/activity+json"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
OOB_REDIRECT = "urn:ietf:wg:oauth:2.0:oob"

OPENSSL_CONFIG = """[req]
distinguished_name = dn
prompt = no
[dn]
CN = kith test
[ca_ext]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[leaf_ext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost,IP:127.0.0.1,IP:::1
"""


def openssl(directory, *args, input=None):
    """Runs the openssl command in `directory`; returns its stdout bytes."""
    result = subprocess.run(["openssl", *args], cwd=directory, capture_output=True,
                            input=input, timeout=60)
    if result.returncode != 0:
        raise RuntimeError(f"openssl {' '.join(args)} failed:\n"
                           f"{result.stderr.decode(errors='replace')}")
    return result.stdout


class Certificates:
    """A throwaway test CA and one server certificate signed by it, for
    `localhost`, 127.0.0.1 and ::1 (P-256 keys: quick to make). Attributes:
    ca, cert, key (paths). cleanup() removes them."""

    def __init__(self):
        self.dir = harness.make_temp_dir("kca-")
        try:
            with open(os.path.join(self.dir, "openssl.cnf"), "w") as f:
                f.write(OPENSSL_CONFIG)
            openssl(self.dir, "req", "-x509", "-new", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-days", "2", "-config", "openssl.cnf",
                    "-extensions", "ca_ext", "-keyout", "ca.key", "-out", "ca.pem")
            openssl(self.dir, "req", "-new", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-config", "openssl.cnf",
                    "-keyout", "server.key", "-out", "server.csr")
            openssl(self.dir, "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey",
                    "ca.key", "-set_serial", "1001", "-days", "2", "-extfile", "openssl.cnf",
                    "-extensions", "leaf_ext", "-out", "server.pem")
        except BaseException:
            self.cleanup()
            raise
        self.ca = os.path.join(self.dir, "ca.pem")
        self.cert = os.path.join(self.dir, "server.pem")
        self.key = os.path.join(self.dir, "server.key")

    def client_context(self):
        """An ssl context that trusts only the test CA and checks names."""
        return ssl.create_default_context(cafile=self.ca)

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)


def ipv6_loopback():
    """Whether ::1 can be bound here (some containers have no IPv6)."""
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


# ---------------------------------------------------------------------------
# nginx

NGINX_CONFIG = """# A test node's TLS front, modelled on docs/OPERATING.md section 7.
daemon off;
# One process, no workers: the parent-death signal that ends nginx with the
# test then ends all of it. (A worker outlives a SIGKILLed master and goes on
# serving the port.)
master_process off;
working_directory {dir};
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;

events {{
    worker_connections 256;
}}

http {{
    access_log {dir}/access.log;
    client_body_temp_path {dir}/tmp/body;
    proxy_temp_path {dir}/tmp/proxy;
    fastcgi_temp_path {dir}/tmp/fastcgi;
    uwsgi_temp_path {dir}/tmp/uwsgi;
    scgi_temp_path {dir}/tmp/scgi;

    upstream kith {{
        server 127.0.0.1:{upstream};
        keepalive 16;
        keepalive_timeout 50s;          # below kith's http.idle_timeout (60s)
    }}

    server {{
{listen}
        server_name localhost;

        ssl_certificate     {cert};
        ssl_certificate_key {key};
        ssl_protocols       TLSv1.2 TLSv1.3;

        client_max_body_size 40m;       # kith enforces each route's own limit

        proxy_http_version 1.1;
        # $http_host, not OPERATING.md's $host: $host drops the port, and
        # here the port is part of the authority that signatures cover and
        # that kith's own URLs use (localhost:<port>). On 443 the two agree.
        proxy_set_header Host              $http_host;
        proxy_set_header X-Forwarded-For   $remote_addr;
        proxy_set_header X-Forwarded-Proto $scheme;
        proxy_set_header Connection        "";
        proxy_connect_timeout 5s;
        proxy_send_timeout    60s;
        proxy_read_timeout    60s;

        location / {{
            proxy_pass http://kith;
        }}
    }}
}}
"""


class PortInUse(Exception):
    pass


class Nginx:
    """One nginx in the foreground: TLS on `port` (127.0.0.1, and ::1 when
    the host has IPv6) proxying to 127.0.0.1:`upstream`."""

    def __init__(self, directory, port, upstream, certs, ca_context):
        self.dir = directory
        self.port = port
        self.upstream = upstream
        self.certs = certs
        self.ca_context = ca_context
        self.process = None
        self.conf = os.path.join(self.dir, "nginx.conf")
        self.error_log = os.path.join(self.dir, "error.log")
        os.makedirs(os.path.join(self.dir, "tmp"), exist_ok=True)

    def write_config(self):
        listen = [f"        listen 127.0.0.1:{self.port} ssl;"]
        if ipv6_loopback():
            listen.append(f"        listen [::1]:{self.port} ssl;")
        with open(self.conf, "w") as f:
            f.write(NGINX_CONFIG.format(
                dir=self.dir,
                upstream=self.upstream, listen="\n".join(listen),
                cert=self.certs.cert, key=self.certs.key))

    def start(self):
        """Starts nginx and waits until it accepts TLS on its port. Raises
        PortInUse if the port was taken in the meantime."""
        self.write_config()
        with open(self.error_log, "a"):
            pass
        self.process = subprocess.Popen(
            ["nginx", "-p", self.dir, "-c", self.conf, "-e", self.error_log],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            cwd=self.dir, env=harness.clean_env(),
            preexec_fn=harness._set_parent_death_signal)  # noqa: SLF001 - shared helper

        def listening():
            if self.process.poll() is not None:
                log = self.log_tail()
                if "in use" in log:
                    raise PortInUse(log)
                raise AssertionError(f"nginx exited with {self.process.returncode}:\n{log}")
            with socket.create_connection(("127.0.0.1", self.port), timeout=2) as raw:
                with self.ca_context.wrap_socket(raw, server_hostname="localhost"):
                    return True
        try:
            harness.wait_until(listening, NGINX_READY_TIMEOUT, interval=0.05,
                               message=f"nginx to accept TLS on {self.port}")
        except PortInUse:
            self.stop()
            raise

    def retarget(self, upstream):
        """Points the proxy at another kith port (kith moved after a port
        clash): a restart with the new configuration (a single-process
        nginx does not reload reliably)."""
        if upstream == self.upstream:
            return
        self.upstream = upstream
        self.stop()
        self.start()

    def log_tail(self, lines=20):
        with contextlib.suppress(OSError):
            with open(self.error_log, errors="replace") as f:
                return "".join(f.readlines()[-lines:])
        return ""

    def stop(self):
        """SIGQUIT (graceful), then SIGKILL; then anything still running in
        its folder (a worker whose master died). Never raises."""
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(OSError):
                self.process.send_signal(signal.SIGQUIT)
            try:
                self.process.wait(timeout=NGINX_STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(OSError):
                    self.process.kill()
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self.process.wait(timeout=NGINX_STOP_TIMEOUT)
        with contextlib.suppress(Exception):
            harness.kill_processes_in_dir(self.dir)


# ---------------------------------------------------------------------------
# HTTP over TLS, as a client or a remote server would

class ApiError(AssertionError):
    """A client API call answered something other than what was expected."""


def https_request(port, context, method, path, body=None, headers=None,
                  timeout=harness.REQUEST_TIMEOUT):
    """One request to https://localhost:<port><path> on a fresh connection;
    returns harness.Response. `body` may be bytes, or a dict/list (sent as
    JSON)."""
    headers = dict(headers or {})
    if isinstance(body, (dict, list)):
        body = json.dumps(body).encode()
        headers.setdefault("Content-Type", "application/json")
    conn = http.client.HTTPSConnection("localhost", port, timeout=timeout, context=context)
    try:
        conn.request(method, path, body=body, headers=headers)
        r = conn.getresponse()
        data = r.read()
        return harness.Response(r.status, r.reason, {k.lower(): v for k, v in r.getheaders()},
                                data)
    finally:
        conn.close()


def query(params):
    """A query string from a dict whose values may be lists (`key[]=`)."""
    pairs = []
    for k, v in params.items():
        if isinstance(v, (list, tuple)):
            pairs += [(f"{k}[]", str(x)) for x in v]
        elif v is not None:
            pairs.append((k, "true" if v is True else "false" if v is False else str(v)))
    return urllib.parse.urlencode(pairs)


class User:
    """A local user of one node, with a client-API token once logged in."""

    def __init__(self, node, name, password):
        self.node = node
        self.name = name
        self.password = password
        self.token = None
        self.account_id = None  # this node's id of the user's own account

    @property
    def acct(self):
        """The handle other nodes use: name@localhost:<port>."""
        return f"{self.name}@{self.node.host}"

    @property
    def uri(self):
        return f"{self.node.base_url}/users/{self.name}"

    def api(self, method, path, body=None, expect=(200,), params=None):
        """A client API call with this user's token. Returns the parsed JSON
        (or None for an empty body); raises ApiError naming the call if the
        status is not in `expect`."""
        if params:
            path = f"{path}?{query(params)}"
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        r = self.node.request(method, path, body=body, headers=headers)
        if r.status not in expect:
            raise ApiError(f"{self.name}@{self.node.name}: {method} {path} answered {r.status} "
                           f"(expected {expect}): {r.body[:400]!r}")
        return r.json() if r.body.strip() else None

    def try_api(self, method, path, body=None, params=None):
        """(status, JSON or None) of a client API call, whatever the status."""
        if params:
            path = f"{path}?{query(params)}"
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        r = self.node.request(method, path, body=body, headers=headers)
        try:
            return r.status, (r.json() if r.body.strip() else None)
        except ValueError:
            return r.status, None

    # -- the client API calls the tests use (Mastodon's spelling) --

    def resolve_account(self, acct):
        """The other node's account `acct`, found through
        GET /api/v2/search?resolve=true (WebFinger and the actor, over TLS).
        Returns the Account entity, or None if the search found none."""
        found = self.api("GET", "/api/v2/search",
                         params={"q": acct, "resolve": True, "type": "accounts"})
        wanted = acct.lstrip("@").lower()
        for account in (found or {}).get("accounts", []):
            if account.get("acct", "").lower() == wanted:
                return account
        return None

    def resolve_status(self, url):
        """A status by URL through GET /api/v2/search?resolve=true (this
        node fetches it, signed by its instance actor, unless it has it);
        None if not found."""
        status, found = self.try_api("GET", "/api/v2/search",
                                     params={"q": url, "resolve": True, "type": "statuses"})
        if status != 200 or not found:
            return None
        for s in found.get("statuses", []):
            if s.get("uri") == url or s.get("url") == url:
                return s
        return None

    def relationship(self, account_id):
        rels = self.api("GET", "/api/v1/accounts/relationships", params={"id": [account_id]})
        for rel in rels or []:
            if str(rel.get("id")) == str(account_id):
                return rel
        raise ApiError(f"no relationship with {account_id} in {rels!r}")

    def post(self, text, **fields):
        return self.api("POST", "/api/v1/statuses", body={"status": text, **fields})

    def home(self, limit=40):
        return self.api("GET", "/api/v1/timelines/home", params={"limit": limit}) or []


class Node:
    """One kith daemon behind its nginx, with its own database."""

    def __init__(self, federation, name, tls_port):
        self.federation = federation
        self.name = name
        self.tls_port = tls_port
        self.dbname = f"node_{name}"
        self.kith = None
        self.proxy = None
        self.users = {}
        self._app = None

    @property
    def host(self):
        return f"localhost:{self.tls_port}"

    @property
    def base_url(self):
        return f"https://{self.host}"

    def endpoints(self):
        """The entries of allowed_private_addresses that reach this node."""
        entries = [f"127.0.0.1:{self.tls_port}"]
        if ipv6_loopback():
            entries.append(f"[::1]:{self.tls_port}")
        return entries

    def request(self, method, path, body=None, headers=None, timeout=harness.REQUEST_TIMEOUT):
        """A request to this node through its nginx, over TLS."""
        return https_request(self.tls_port, self.federation.client_context, method, path,
                             body=body, headers=headers, timeout=timeout)

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def psql(self, sql):
        return self.federation.pg.psql(sql, dbname=self.dbname)

    # -- users --

    def add_user(self, name, password=None):
        """`kith user add NAME` with a password on stdin. Log in (login)
        before using the client API as the user."""
        password = password or f"{name}-secret-passphrase"
        r = self.kith.run("user", "add", name, input=password + "\n")
        if r.returncode != 0:
            raise AssertionError(f"kith user add {name} on {self.name} failed: {r.stderr}")
        user = User(self, name, password)
        self.users[name] = user
        return user

    def app(self):
        """client_id and client_secret of one app per node (POST /api/v1/apps)."""
        if self._app is None:
            r = self.request("POST", "/api/v1/apps", body={
                "client_name": "kith federation test", "redirect_uris": OOB_REDIRECT,
                "scopes": "read write follow push"})
            if r.status != 200:
                raise ApiError(f"POST /api/v1/apps on {self.name}: {r.status} {r.body[:300]!r}")
            app = r.json()
            self._app = (app["client_id"], app["client_secret"])
        return self._app

    def login(self, user):
        """A token for `user` through POST /oauth/token, grant_type=password
        (Mastodon's spelling: username is the e-mail; kith's default e-mail
        is NAME@HOST). Sets user.token and user.account_id."""
        client_id, client_secret = self.app()
        r = self.request("POST", "/oauth/token", body={
            "grant_type": "password", "username": f"{user.name}@{self.host}",
            "password": user.password, "client_id": client_id,
            "client_secret": client_secret, "scope": "read write follow push"})
        if r.status != 200:
            raise ApiError(f"POST /oauth/token for {user.name}@{self.name}: {r.status} "
                           f"{r.body[:300]!r}")
        user.token = r.json()["access_token"]
        me = user.api("GET", "/api/v1/accounts/verify_credentials")
        user.account_id = me["id"]
        return user

    # -- what this node's database says, for checks with no client API --

    def local_status_id(self, uri):
        """This node's id of the status whose ActivityPub id is `uri`, or
        None (not here, or deleted)."""
        out = self.psql("SELECT id FROM statuses WHERE uri = " + sql_text(uri) +
                        " AND deleted_at IS NULL")
        return out or None

    def account_id_of(self, uri):
        out = self.psql("SELECT id FROM accounts WHERE uri = " + sql_text(uri))
        return out or None

    def delivery_inboxes(self, activity_like):
        """Inbox URLs of this node's delivery jobs whose activity id contains
        `activity_like` (e.g. a status URI): who this node sent it to."""
        out = self.psql("SELECT DISTINCT payload->>'inbox' FROM jobs WHERE queue = 'delivery'"
                        " AND position(" + sql_text(activity_like) +
                        " IN payload->>'activity_id') > 0")
        return sorted(line for line in out.splitlines() if line)

    def private_key(self, username):
        """The user's private key (PEM) and key id, for Signer."""
        out = self.psql("SELECT a.public_key_id || E'\\x1f' || u.private_key_pem FROM users u"
                        " JOIN accounts a ON a.id = u.account_id"
                        f" WHERE a.username = '{username}' AND a.domain IS NULL")
        key_id, pem = out.split("\x1f", 1)
        return key_id, pem + "\n"

    def logs(self):
        return (f"--- {self.name}: kith stderr (tail)\n{self.kith.stderr_tail(60)}\n"
                f"--- {self.name}: nginx error log (tail)\n{self.proxy.log_tail()}")


def sql_text(value):
    """A PostgreSQL dollar-quoted literal."""
    assert "$q$" not in value
    return f"$q${value}$q$"


class Federation:
    """N nodes named by `names` (e.g. "a", "b"), started and federating.

    `config`: kith configuration overrides for every node (nested dicts).
    Use as a context manager or call cleanup()."""

    def __init__(self, names=("a", "b"), config=None):
        if shutil.which("nginx") is None:
            raise RuntimeError("nginx not found: the federation tests need Debian's nginx-light "
                               "(scripts/setup installs it)")
        self.nodes = {}
        self.pg = None
        self.certs = None
        self.watchdog = None
        self.base = harness.make_temp_dir("kfed-")
        self.manifest = os.path.join(self.base, "cleanup.json")
        try:
            self._start_watchdog()
            self.certs = Certificates()
            self.client_context = self.certs.client_context()
            self.pg = harness.PgCluster()
            self._write_manifest()
            for name in names:
                self.nodes[name] = Node(self, name, harness.free_port())
                self.pg.createdb(self.nodes[name].dbname)
            self._start(config or {})
        except BaseException:
            self.cleanup()
            raise

    # -- the watchdog: cleanup even when this process is killed --

    def _start_watchdog(self):
        """A small process, in a session of its own (so that a kill of this
        process group spares it), that waits for this test process to end
        -- the write end of a pipe that only this process holds closes
        then, however it ends -- and then stops and removes whatever the
        manifest lists. After cleanup() the manifest is gone and it simply
        exits. This is what stops PostgreSQL (which pg_ctl detaches from
        us) when ctest kills a test at its time-out."""
        read_end, self._watch_pipe = os.pipe()  # neither end inherited by other children
        here = os.path.dirname(os.path.abspath(__file__))
        self.watchdog = subprocess.Popen(
            [sys.executable, "-c", f"import sys; sys.path.insert(0, {here!r}); import federation;"
             f" federation._watch({read_end}, {self.manifest!r})"],
            pass_fds=(read_end,), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, start_new_session=True, env=harness.clean_env())
        os.close(read_end)

    def _write_manifest(self):
        """What the watchdog must stop (processes running in these folders)
        and remove, in order: proxies, daemons, PostgreSQL, folders."""
        process_dirs = [n.proxy.dir for n in self.nodes.values() if n.proxy]
        process_dirs += [n.kith.base for n in self.nodes.values() if n.kith]
        if self.pg is not None:
            process_dirs.append(self.pg.data)
        remove = process_dirs[:-1] if self.pg is not None else list(process_dirs)
        remove += [d for d in (self.pg.base if self.pg else None,
                               self.certs.dir if self.certs else None, self.base) if d]
        tmp = self.manifest + ".tmp"
        with open(tmp, "w") as f:
            json.dump({"processes": process_dirs, "remove": remove}, f)
        os.replace(tmp, self.manifest)

    def _stop_watchdog(self):
        if self.watchdog is None:
            return
        with contextlib.suppress(OSError):
            os.close(self._watch_pipe)  # EOF: it reads the (removed) manifest and exits
        try:
            self.watchdog.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(OSError):
                self.watchdog.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.watchdog.wait(timeout=5)
        self.watchdog = None

    def __getitem__(self, name):
        return self.nodes[name]

    def _kith_config(self, node, overrides):
        others = [e for n in self.nodes.values() if n is not node for e in n.endpoints()]
        config = {
            "host": node.host,
            "http": {"trust_proxy": True},
            "federation": {"extra_ca_file": self.certs.ca,
                           "allowed_private_addresses": others},
        }
        return harness._merge(config, overrides)  # noqa: SLF001 - shared helper

    def _start(self, overrides):
        # Each nginx first, on its chosen port (another one if that was taken
        # meanwhile), then the daemons, whose configuration names every
        # node's final port.
        for node in self.nodes.values():
            node.kith = harness.Kith(database_url=self.pg.url(node.dbname))
            directory = os.path.join(self.base, f"nginx-{node.name}")
            os.makedirs(directory, exist_ok=True)
            for attempt in range(5):
                node.proxy = Nginx(directory, node.tls_port, node.kith.port, self.certs,
                                   self.client_context)
                self._write_manifest()
                try:
                    node.proxy.start()
                    break
                except PortInUse:
                    if attempt == 4:
                        raise
                    node.tls_port = harness.free_port()
        for node in self.nodes.values():
            node.kith.overrides = self._kith_config(node, overrides)
            node.kith.write_config(node.kith.port)
            node.kith.start()
            node.proxy.retarget(node.kith.port)
        for node in self.nodes.values():
            r = node.get("/readyz")
            if r.status != 200:
                raise AssertionError(f"{node.name}: /readyz through nginx answered {r!r}\n"
                                     f"{node.logs()}")

    def logs(self):
        return "\n".join(node.logs() for node in self.nodes.values() if node.kith)

    def stop_daemons(self):
        """SIGTERM to every daemon, as at the end of a service's life: each
        must exit 0 within harness.STOP_TIMEOUT with no sanitizer report in
        its log (the sanitizer build reports leaks at exit). Returns the
        problems found, [] if none."""
        problems = []
        for node in self.nodes.values():
            code = node.kith.sigterm()
            if code != 0:
                problems.append(f"{node.name}: kith exited with {code} after SIGTERM")
            log = node.kith.stderr()
            problems += [f"{node.name}: '{m}' in kith's log" for m in SANITIZER_REPORTS
                         if m in log]
        if problems:
            problems.append(self.logs())
        return problems

    def cleanup(self):
        """Stops every nginx and daemon and the cluster, removes every
        folder, then lets the watchdog go. Idempotent; never raises."""
        for node in self.nodes.values():
            if node.proxy is not None:
                node.proxy.stop()
            if node.kith is not None:
                with contextlib.suppress(Exception):
                    node.kith.cleanup()
        if self.pg is not None:
            with contextlib.suppress(Exception):
                self.pg.cleanup()
        if self.certs is not None:
            self.certs.cleanup()
        if os.environ.get("KITH_KEEP_TEST_DIRS"):
            print(f"kept {self.base}")
            with contextlib.suppress(OSError):
                os.remove(self.manifest)
        else:
            shutil.rmtree(self.base, ignore_errors=True)
        self._stop_watchdog()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.cleanup()


# ---------------------------------------------------------------------------
# Signed fetches, as another server makes them

class Signer:
    """Signs GET requests with a node user's key (draft-cavage-12,
    rsa-sha256 over "(request-target) host date", as Mastodon signs its
    fetches), the signature made by `openssl dgst -sha256 -sign`."""

    def __init__(self, node, username):
        self.key_id, pem = node.private_key(username)
        self.actor = self.key_id.split("#")[0]
        self.dir = tempfile.mkdtemp(prefix="ksign-", dir="/tmp")
        self.key_path = os.path.join(self.dir, "key.pem")
        with open(os.open(self.key_path, os.O_WRONLY | os.O_CREAT, 0o600), "w") as f:
            f.write(pem)

    def headers(self, host, path, accept=AS_TYPE):
        date = email.utils.formatdate(usegmt=True)
        signing_string = f"(request-target): get {path}\nhost: {host}\ndate: {date}"
        signature = openssl(self.dir, "dgst", "-sha256", "-sign", self.key_path,
                            input=signing_string.encode())
        value = (f'keyId="{self.key_id}",algorithm="rsa-sha256",'
                 f'headers="(request-target) host date",'
                 f'signature="{base64.b64encode(signature).decode()}"')
        return {"Host": host, "Date": date, "Accept": accept, "Signature": value}

    def get(self, node, path, accept=AS_TYPE):
        """GET `path` on `node` (through its nginx), signed."""
        return node.get(path, headers=self.headers(node.host, path, accept))

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)


def _watch(read_fd, manifest):
    """The watchdog's body (see Federation._start_watchdog): blocks until
    the test process is gone, then cleans up what `manifest` lists, if it
    still exists."""
    with contextlib.suppress(OSError):
        while os.read(read_fd, 64):
            pass
    try:
        with open(manifest) as f:
            todo = json.load(f)
    except (OSError, ValueError):
        return  # cleaned up normally
    for directory in todo.get("processes", []):
        with contextlib.suppress(Exception):
            harness.kill_processes_in_dir(directory)
    for directory in todo.get("remove", []):
        shutil.rmtree(directory, ignore_errors=True)


def unsigned_get(node, path, accept=AS_TYPE):
    return node.get(path, headers={"Accept": accept})


def path_of(url):
    parts = urllib.parse.urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def eventually(predicate, message, timeout=EFFECT_TIMEOUT, federation=None):
    """harness.wait_until with the federation's timeout; on time-out the
    assertion carries every node's log tail."""
    try:
        return harness.wait_until(predicate, timeout, interval=POLL_INTERVAL, message=message)
    except AssertionError as e:
        if federation is not None:
            raise AssertionError(f"{e}\n{federation.logs()}") from None
        raise
