"""Shared machinery for kith's integration tests.

The tests drive the real `kith` binary (path in $KITH_BIN) over real HTTP on
loopback, against a real PostgreSQL. Everything a test starts lives in its
own temporary directory under /tmp, listens on its own free port, and is
stopped and removed afterwards even when the test fails: tests run in
parallel (ctest -j2) and under sanitizer builds, so nothing may be shared
and every wait is bounded but generous.

Two kinds of database:

* `PgCluster` is a throwaway cluster the test makes itself (initdb into a
  temporary folder, unix socket only, fsync off). Tests that need to stop
  and restart PostgreSQL, or to look at it with psql, use one and hand kith
  its `url()` as database_url.
* Leaving database_url empty makes kith run its own embedded cluster under
  data_dir; `Kith.cleanup` still makes sure no PostgreSQL of that data dir
  outlives the test.

PostgreSQL refuses to run as root, and CI runs as root: then the cluster's
programs run as the `postgres` system user, and every directory it must
reach is created with mode 0755 under /tmp (short paths: a unix socket path
is limited to about 107 bytes).

Python 3 standard library only; run with Debian's /usr/bin/python3.
"""

import contextlib
import glob
import http.client
import json
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time

# Generous: sanitizer builds start and answer several times slower.
READY_TIMEOUT = 60.0
EMBEDDED_READY_TIMEOUT = 120.0  # initdb on first start, then the daemon
REQUEST_TIMEOUT = 15.0
STOP_TIMEOUT = 30.0


def kith_bin():
    """Path of the kith binary under test ($KITH_BIN, else the release build)."""
    path = os.environ.get("KITH_BIN")
    if not path:
        here = os.path.dirname(os.path.abspath(__file__))
        path = os.path.normpath(os.path.join(here, "..", "..", "build", "release", "kith"))
    if not os.access(path, os.X_OK):
        raise RuntimeError(f"kith binary not found or not executable: {path} (set KITH_BIN)")
    return path


def running_as_root():
    return os.geteuid() == 0


def make_temp_dir(prefix="kith-"):
    """A fresh directory under /tmp, mode 0755 so that the `postgres` user can
    traverse it when we are root. Short path on purpose (unix sockets)."""
    path = tempfile.mkdtemp(prefix=prefix, dir="/tmp")
    os.chmod(path, 0o755)
    return path


def free_port():
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def clean_env(extra=None):
    """The environment for child processes: ours minus anything that could
    silently reconfigure kith or libpq (KITH_* overrides, PG* variables)."""
    env = {k: v for k, v in os.environ.items()
           if not (k.startswith("KITH_") or k.startswith("PG"))}
    env.setdefault("LC_ALL", "C.UTF-8")
    if extra:
        env.update(extra)
    return env


def wait_until(predicate, timeout, interval=0.1, message="condition"):
    """Polls `predicate` until it returns a true value (returned) or `timeout`
    seconds pass (raises AssertionError naming `message`). Other exceptions
    from `predicate` count as "not yet", except AssertionError, which a
    predicate raises to give up at once (e.g. the daemon has exited)."""
    deadline = time.monotonic() + timeout
    last_error = None
    while True:
        try:
            value = predicate()
            if value:
                return value
        except AssertionError:
            raise
        except Exception as e:  # noqa: BLE001 - reported if we time out
            last_error = e
        if time.monotonic() >= deadline:
            detail = f" (last error: {last_error!r})" if last_error else ""
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {message}{detail}")
        time.sleep(interval)


def _set_parent_death_signal():
    """preexec_fn: the child gets SIGKILL if the test runner dies, so a
    killed ctest run leaves no daemon behind."""
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        PR_SET_PDEATHSIG = 1
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except Exception:  # noqa: BLE001 - best effort only
        pass


# ---------------------------------------------------------------------------
# Processes

def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie is dead for our purposes.
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def processes_in_dir(directory):
    """PIDs of live processes whose working directory is `directory` or below.
    Every PostgreSQL process chdirs into its data directory, so this finds a
    cluster's postmaster and all its children."""
    directory = os.path.realpath(directory)
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            cwd = os.readlink(f"/proc/{entry}/cwd")
        except OSError:
            continue
        if (cwd == directory or cwd.startswith(directory + os.sep)) and pid_alive(int(entry)):
            found.append(int(entry))
    return sorted(found)


def kill_processes_in_dir(directory):
    """SIGQUIT (PostgreSQL's immediate shutdown), then SIGKILL, everything
    running inside `directory`. Bounded: gives up after a few seconds."""
    pids = processes_in_dir(directory)
    for sig in (signal.SIGQUIT, signal.SIGKILL):
        for pid in pids:
            with contextlib.suppress(OSError):
                os.kill(pid, sig)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            pids = processes_in_dir(directory)
            if not pids:
                return
            time.sleep(0.1)


def become_subreaper():
    """Makes this process the parent of its orphaned descendants (Linux
    PR_SET_CHILD_SUBREAPER). A postmaster started by `pg_ctl start` is
    orphaned at once; as our child, once killed it can be reaped by
    reap_exited_orphans() instead of lingering as a zombie whose PID still
    "exists" (some container init processes never reap)."""
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    PR_SET_CHILD_SUBREAPER = 36
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER)")


def reap_exited_orphans():
    """Reaps our children that are zombies. Only adopted orphans can be:
    callers wait for the processes they started themselves before this."""
    me = os.getpid()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] == "Z" and int(fields[1]) == me:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(int(entry), os.WNOHANG)


def read_proc_status(pid):
    """Fields of /proc/PID/status as a dict of strings."""
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            fields[key] = value.strip()
    return fields


# ---------------------------------------------------------------------------
# PostgreSQL

def pg_bindir():
    """Directory holding initdb, pg_ctl, psql: `pg_config --bindir` if that
    has initdb (Debian's pg_config may not), else the highest
    /usr/lib/postgresql/*/bin."""
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True,
                             timeout=10, check=True).stdout.strip()
        if out and os.access(os.path.join(out, "initdb"), os.X_OK):
            return out

    def version(path):
        try:
            return float(path.split("/")[-2])
        except ValueError:
            return 0.0
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=version)
    candidates = [c for c in candidates if os.access(os.path.join(c, "initdb"), os.X_OK)]
    if not candidates:
        raise RuntimeError("no PostgreSQL binaries found (pg_config --bindir, /usr/lib/postgresql/*/bin)")
    return candidates[-1]


class PgCluster:
    """A throwaway PostgreSQL cluster on a unix socket in a temporary folder.

    Superuser `kith`, trust authentication, fsync off. Use as a context
    manager or call cleanup(); cleanup is idempotent and never raises.
    """

    def __init__(self):
        self.bindir = pg_bindir()
        self.base = make_temp_dir("kpg-")
        self.data = os.path.join(self.base, "data")
        self.sockdir = os.path.join(self.base, "s")
        self.logfile = os.path.join(self.base, "postgres.log")
        self.port = free_port()
        self._as_postgres = running_as_root()
        try:
            os.mkdir(self.data, 0o700)
            os.mkdir(self.sockdir, 0o755)
            open(self.logfile, "w").close()
            if self._as_postgres:
                pw = pwd.getpwnam("postgres")
                for path in (self.data, self.sockdir, self.logfile):
                    os.chown(path, pw.pw_uid, pw.pw_gid)
            self._run_as_owner([self._bin("initdb"), "-D", self.data, "--username=kith",
                                "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync"])
            self.start()
            self.createdb("kith")
        except BaseException:
            self.cleanup()
            raise

    def _bin(self, name):
        return os.path.join(self.bindir, name)

    def _run_as_owner(self, args, timeout=120):
        """Runs a PostgreSQL server program as the cluster's owner."""
        kwargs = {}
        if self._as_postgres:
            pw = pwd.getpwnam("postgres")
            kwargs = {"user": pw.pw_uid, "group": pw.pw_gid, "extra_groups": []}
        result = subprocess.run(args, cwd=self.base, env=clean_env(), capture_output=True,
                                text=True, timeout=timeout, stdin=subprocess.DEVNULL, **kwargs)
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} failed ({result.returncode}):\n"
                               f"{result.stdout}{result.stderr}\n{self.log_tail()}")
        return result

    def log_tail(self, lines=30):
        with contextlib.suppress(OSError):
            with open(self.logfile, errors="replace") as f:
                return "postgres log:\n" + "".join(f.readlines()[-lines:])
        return ""

    def start(self):
        options = (f"-k {self.sockdir} -p {self.port} -c listen_addresses='' "
                   "-c fsync=off -c shared_buffers=16MB")
        self._run_as_owner([self._bin("pg_ctl"), "-D", self.data, "-l", self.logfile,
                            "-w", "-t", "60", "-o", options, "start"])

    def stop(self, mode="fast"):
        self._run_as_owner([self._bin("pg_ctl"), "-D", self.data, "-m", mode, "-w",
                            "-t", "60", "stop"])

    def is_running(self):
        return os.path.exists(os.path.join(self.data, "postmaster.pid"))

    def url(self, dbname="kith"):
        """database_url for kith (libpq keyword/value form)."""
        return f"host={self.sockdir} port={self.port} dbname={dbname} user=kith"

    def createdb(self, name):
        self.psql(f'CREATE DATABASE "{name}"', dbname="postgres")

    def psql(self, sql, dbname="kith"):
        """Runs `sql` with psql; returns unaligned, tuples-only output."""
        result = subprocess.run(
            [self._bin("psql"), "-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1",
             "-h", self.sockdir, "-p", str(self.port), "-U", "kith", "-d", dbname, "-c", sql],
            cwd=self.base, env=clean_env(), capture_output=True, text=True, timeout=60,
            stdin=subprocess.DEVNULL)
        if result.returncode != 0:
            raise RuntimeError(f"psql failed: {sql}\n{result.stderr}")
        return result.stdout.strip()

    def pg_dump(self, dbname="kith"):
        result = subprocess.run(
            [self._bin("pg_dump"), "-h", self.sockdir, "-p", str(self.port), "-U", "kith",
             dbname], cwd=self.base, env=clean_env(), capture_output=True, text=True,
            timeout=60, stdin=subprocess.DEVNULL)
        if result.returncode != 0:
            raise RuntimeError(f"pg_dump failed:\n{result.stderr}")
        return result.stdout

    def cleanup(self):
        if os.path.exists(os.path.join(self.data, "postmaster.pid")):
            with contextlib.suppress(Exception):
                self.stop(mode="immediate")
        kill_processes_in_dir(self.data)
        shutil.rmtree(self.base, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.cleanup()


# ---------------------------------------------------------------------------
# Configuration

def _toml_value(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a valid TOML basic string here
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"unsupported TOML value: {value!r}")


def to_toml(config):
    """Renders {key: value, table: {key: value}} as TOML. `None` values are
    left out, so a test can remove a default by overriding it with None."""
    lines = [f"{k} = {_toml_value(v)}" for k, v in config.items()
             if v is not None and not isinstance(v, dict)]
    for table, entries in config.items():
        if isinstance(entries, dict):
            lines.append(f"\n[{table}]")
            lines += [f"{k} = {_toml_value(v)}" for k, v in entries.items() if v is not None]
    return "\n".join(lines) + "\n"


def _merge(base, overrides):
    merged = dict(base)
    for k, v in (overrides or {}).items():
        if isinstance(v, dict) and isinstance(merged.get(k), dict):
            merged[k] = _merge(merged[k], v)
        else:
            merged[k] = v
    return merged


# ---------------------------------------------------------------------------
# HTTP helpers

class Response:
    """A parsed HTTP response: status, headers (lower-cased names), body bytes."""

    def __init__(self, status, reason, headers, body):
        self.status = status
        self.reason = reason
        self.headers = headers
        self.body = body

    def header(self, name, default=None):
        return self.headers.get(name.lower(), default)

    def json(self):
        return json.loads(self.body.decode("utf-8"))

    def text(self):
        return self.body.decode("utf-8", errors="replace")

    def __repr__(self):
        body = self.body[:300]
        return f"<Response {self.status} {self.reason} {self.headers} {body!r}>"


class ConnectionClosed(Exception):
    """The server closed (or reset) the connection before a full response."""


class RawConnection:
    """One TCP connection on which the test writes exactly the bytes it wants
    and reads responses itself: for keep-alive, limits and slow clients."""

    def __init__(self, port, timeout=REQUEST_TIMEOUT):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = b""
        self.port = port

    def send(self, data):
        if isinstance(data, str):
            data = data.encode("latin-1")
        self.sock.sendall(data)

    def try_send(self, data):
        """Sends; returns False instead of raising if the server has already
        closed or reset the connection."""
        try:
            self.send(data)
            return True
        except (BrokenPipeError, ConnectionResetError):
            return False

    def request_bytes(self, method, path, headers=None, body=b""):
        head = [f"{method} {path} HTTP/1.1", f"Host: localhost:{self.port}"]
        headers = dict(headers or {})
        if body and not any(k.lower() in ("content-length", "transfer-encoding") for k in headers):
            headers["Content-Length"] = str(len(body))
        head += [f"{k}: {v}" for k, v in headers.items()]
        return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body

    def request(self, method, path, headers=None, body=b"", timeout=REQUEST_TIMEOUT):
        self.send(self.request_bytes(method, path, headers, body))
        return self.read_response(timeout=timeout)

    def _fill(self, deadline):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise socket.timeout("timed out reading response")
        self.sock.settimeout(remaining)
        try:
            chunk = self.sock.recv(65536)
        except ConnectionResetError as e:
            raise ConnectionClosed("connection reset by server") from e
        if not chunk:
            raise ConnectionClosed("connection closed by server")
        self.buffer += chunk

    def _read_until(self, marker, deadline):
        while marker not in self.buffer:
            self._fill(deadline)
        index = self.buffer.index(marker) + len(marker)
        data, self.buffer = self.buffer[:index], self.buffer[index:]
        return data

    def _read_exactly(self, n, deadline):
        while len(self.buffer) < n:
            self._fill(deadline)
        data, self.buffer = self.buffer[:n], self.buffer[n:]
        return data

    def read_response(self, timeout=REQUEST_TIMEOUT, head_request=False):
        """Reads one response (skipping 1xx). Raises ConnectionClosed if the
        server closes before a complete response, socket.timeout if none
        arrives within `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            head = self._read_until(b"\r\n\r\n", deadline).decode("latin-1")
            lines = head.split("\r\n")
            parts = lines[0].split(" ", 2)
            status = int(parts[1])
            reason = parts[2] if len(parts) > 2 else ""
            headers = {}
            for line in lines[1:]:
                if line:
                    name, _, value = line.partition(":")
                    headers[name.strip().lower()] = value.strip()
            if 100 <= status < 200:
                continue
            break
        if head_request or status in (204, 304):
            body = b""
        elif "chunked" in headers.get("transfer-encoding", "").lower():
            body = b""
            while True:
                size_line = self._read_until(b"\r\n", deadline)
                size = int(size_line.split(b";")[0].strip(), 16)
                if size == 0:
                    self._read_until(b"\r\n", deadline)  # no trailers expected
                    break
                body += self._read_exactly(size, deadline)
                self._read_exactly(2, deadline)
        elif "content-length" in headers:
            body = self._read_exactly(int(headers["content-length"]), deadline)
        else:
            body = self.buffer
            self.buffer = b""
            with contextlib.suppress(ConnectionClosed):
                while True:
                    self._fill(deadline)
            body += self.buffer
            self.buffer = b""
        return Response(status, reason, headers, body)

    def wait_closed(self, timeout):
        """Reads until the server closes (EOF or reset); returns the bytes it
        sent before closing, or None if it is still open after `timeout`."""
        deadline = time.monotonic() + timeout
        data = self.buffer
        self.buffer = b""
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            self.sock.settimeout(remaining)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                return None
            except ConnectionResetError:
                return data
            if not chunk:
                return data
            data += chunk

    def local_port(self):
        return self.sock.getsockname()[1]

    def close(self):
        with contextlib.suppress(OSError):
            self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def parse_metrics(text):
    """Prometheus text format -> list of (name, {label: value}, float)."""
    samples = []
    pattern = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+\d+)?$')
    label_pattern = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = pattern.match(line)
        if not m:
            raise ValueError(f"malformed metrics line: {line!r}")
        labels = {k: v.replace('\\"', '"').replace("\\n", "\n").replace("\\\\", "\\")
                  for k, v in label_pattern.findall(m.group(3) or "")}
        samples.append((m.group(1), labels, float(m.group(4))))
    return samples


# ---------------------------------------------------------------------------
# The daemon

class Kith:
    """One `kith serve` process with its own config file, data dir and port.

    `config` overrides are merged into a minimal default configuration
    (nested dicts for TOML tables). database_url=None (the default) means
    the embedded PostgreSQL under data_dir. Call start(), then use the
    request helpers; cleanup() (registered by the tests with addCleanup)
    always kills the daemon and its embedded PostgreSQL and removes the
    temporary directory.
    """

    def __init__(self, database_url=None, config=None, env=None):
        self.bin = kith_bin()
        self.base = make_temp_dir("kith-")
        self.data_dir = os.path.join(self.base, "d")
        os.mkdir(self.data_dir)
        os.chmod(self.data_dir, 0o755)
        self.config_path = os.path.join(self.base, "kith.toml")
        self.stderr_path = os.path.join(self.base, "stderr.log")
        self.stdout_path = os.path.join(self.base, "stdout.log")
        self.database_url = database_url
        self.overrides = config or {}
        self.extra_env = env or {}
        self.process = None
        self.port = None
        self.write_config(free_port())

    # -- configuration and commands --

    def write_config(self, port):
        self.port = port
        base = {
            "host": f"localhost:{port}",
            "listen": f"127.0.0.1:{port}",
            "data_dir": self.data_dir,
            "database_url": self.database_url or "",
            "log_level": "info",
            # Tests make many API calls from 127.0.0.1 in little time; the
            # limits themselves are tested with small values
            # (test_api_conventions.py).
            "api": {"rate_limit.authenticated": 100000, "rate_limit.anonymous": 100000},
        }
        self.config = _merge(base, self.overrides)
        with open(self.config_path, "w") as f:
            f.write(to_toml(self.config))

    def env(self):
        return clean_env(self.extra_env)

    def run(self, *args, input=None, timeout=120):
        """Runs a kith CLI command against this daemon's config; returns the
        CompletedProcess (text mode). stdin is empty unless `input` is given."""
        return subprocess.run([self.bin, "--config", self.config_path, *args],
                              input=input if input is not None else "",
                              capture_output=True, text=True, timeout=timeout,
                              env=self.env(), cwd=self.base)

    # -- lifecycle --

    def start(self, ready_timeout=None, wait=True):
        """Starts `kith serve` and (unless wait=False) waits until /readyz
        answers 200. Retries with another port if the chosen one was taken
        in the meantime by a parallel test."""
        if ready_timeout is None:
            ready_timeout = EMBEDDED_READY_TIMEOUT if not self.database_url else READY_TIMEOUT
        for attempt in range(3):
            self._spawn()
            if not wait:
                return self
            try:
                self.wait_ready(ready_timeout)
                return self
            except AssertionError:
                if self.process.poll() is not None and "in use" in self.stderr().lower() \
                        and attempt < 2:
                    self.write_config(free_port())
                    continue
                raise
        return self

    def _spawn(self):
        stderr = open(self.stderr_path, "ab")
        stdout = open(self.stdout_path, "ab")
        try:
            self.process = subprocess.Popen(
                [self.bin, "--config", self.config_path, "serve"],
                stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr, env=self.env(),
                cwd=self.base, preexec_fn=_set_parent_death_signal)
        finally:
            stderr.close()
            stdout.close()

    def wait_ready(self, timeout):
        def ready():
            if self.process.poll() is not None:
                raise AssertionError(f"kith exited with {self.process.returncode} before "
                                     f"becoming ready; stderr:\n{self.stderr_tail()}")
            try:
                return self.get("/readyz", timeout=5).status == 200
            except (OSError, http.client.HTTPException):
                return False
        try:
            wait_until(ready, timeout, interval=0.2, message="/readyz to answer 200")
        except AssertionError as e:
            if self.process.poll() is not None:
                raise AssertionError(f"kith exited with {self.process.returncode} before "
                                     f"becoming ready; stderr:\n{self.stderr_tail()}") from None
            raise AssertionError(f"{e}; stderr:\n{self.stderr_tail()}") from None

    def alive(self):
        return self.process is not None and self.process.poll() is None

    def signal(self, sig):
        self.process.send_signal(sig)

    def wait_exit(self, timeout=STOP_TIMEOUT):
        """Waits for the daemon to exit; returns its exit code, or None if it
        is still running after `timeout` seconds."""
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def sigterm(self, timeout=STOP_TIMEOUT):
        """Sends SIGTERM and returns the exit code (None if still running)."""
        self.signal(signal.SIGTERM)
        return self.wait_exit(timeout)

    def cleanup(self):
        """Kills the daemon and any PostgreSQL under its data dir, removes
        the temporary directory. Idempotent; never raises."""
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(OSError):
                self.process.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=10)
        with contextlib.suppress(Exception):
            kill_processes_in_dir(self.data_dir)
        if os.environ.get("KITH_KEEP_TEST_DIRS"):
            print(f"kept {self.base}")
            return
        shutil.rmtree(self.base, ignore_errors=True)

    # -- logs --

    def stderr(self):
        with open(self.stderr_path, "rb") as f:
            return f.read().decode("utf-8", errors="replace")

    def stdout(self):
        with open(self.stdout_path, "rb") as f:
            return f.read().decode("utf-8", errors="replace")

    def stderr_tail(self, lines=40):
        with contextlib.suppress(OSError):
            return "\n".join(self.stderr().splitlines()[-lines:])
        return "(no stderr)"

    # -- HTTP --

    def request(self, method, path, body=None, headers=None, timeout=REQUEST_TIMEOUT):
        """One request on a fresh http.client connection; returns Response."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            if isinstance(body, (dict, list)):
                body = json.dumps(body).encode()
                headers = {"Content-Type": "application/json", **(headers or {})}
            conn.request(method, path, body=body, headers=headers or {})
            r = conn.getresponse()
            data = r.read()
            return Response(r.status, r.reason,
                            {k.lower(): v for k, v in r.getheaders()}, data)
        finally:
            conn.close()

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path, body=None, **kwargs):
        return self.request("POST", path, body=body, **kwargs)

    def raw(self, timeout=REQUEST_TIMEOUT):
        """A RawConnection to the daemon."""
        return RawConnection(self.port, timeout=timeout)

    def metrics(self):
        """(Response, parsed samples) of GET /metrics."""
        r = self.get("/metrics")
        return r, parse_metrics(r.text())

    def memory(self):
        """VmRSS and VmHWM of the daemon in bytes."""
        status = read_proc_status(self.process.pid)
        return (int(status["VmRSS"].split()[0]) * 1024, int(status["VmHWM"].split()[0]) * 1024)


def metric_value(samples, name, **labels):
    """Sum of the samples named `name` whose labels include `labels`, or
    None if there is none."""
    values = [v for n, l, v in samples if n == name
              and all(l.get(k) == str(val) for k, val in labels.items())]
    return sum(values) if values else None
