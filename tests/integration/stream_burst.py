"""The streaming hub's memory under a burst (a measurement, not a ctest).

Scenario: one daemon; 10 users follow `poster`, each opens 5 WebSockets
subscribed to user, public, public:local and hashtag (50 streams, 200
subscriptions); one of the 50 never reads. `poster` then posts N statuses
(default 500, 4 clients at once, 400 characters each with the hashtag).
Printed: the daemon's resident memory (VmRSS) before, its peak (VmHWM)
after, how many messages the reading streams got, and whether the silent
stream was cut off.

Run: KITH_BIN=build/<dir>/kith /usr/bin/python3 tests/integration/stream_burst.py [N]

The readers read raw bytes and never answer the server's pings (sent after
30 s without a word from the client), so keep a run under 30 s (N up to
about 500 on 2 cores): beyond, the server rightly drops them as dead.
"""

import concurrent.futures
import os
import select
import socket
import sys
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from test_streaming import WebSocket  # noqa: E402

PASSWORD = "correct horse battery staple"
USERS = 10
STREAMS_PER_USER = 5


def memory(pid):
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            fields[key] = value.strip()
    return fields["VmRSS"], fields["VmHWM"]


def main():
    posts = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    pg = harness.PgCluster()
    kith = None
    try:
        pg.createdb("burst")
        kith = harness.Kith(database_url=pg.url("burst"))
        kith.start()
        names = ["poster"] + [f"u{i}" for i in range(USERS)]
        for name in names:
            created = kith.run("user", "add", name, "--email", f"{name}@example.com",
                               input=PASSWORD + "\n")
            assert created.returncode == 0, created.stderr
        app = kith.post("/api/v1/apps", {"client_name": "burst", "redirect_uris":
                                         "urn:ietf:wg:oauth:2.0:oob",
                                         "scopes": "read write follow"}).json()

        def token(name):
            return kith.post("/oauth/token", {
                "grant_type": "password", "client_id": app["client_id"],
                "client_secret": app["client_secret"], "username": name,
                "password": PASSWORD, "scope": "read write follow"}).json()["access_token"]

        tokens = {name: token(name) for name in names}

        def call(name, method, path, body=None):
            r = kith.request(method, path, body=body,
                             headers={"Authorization": f"Bearer {tokens[name]}"})
            assert r.status == 200, (path, r.status, r.text()[:200])
            return r.json()

        poster_id = call("poster", "GET", "/api/v1/accounts/verify_credentials")["id"]
        for name in names[1:]:
            call(name, "POST", f"/api/v1/accounts/{poster_id}/follow")
        sockets = []
        for name in names[1:]:
            for _ in range(STREAMS_PER_USER):
                query = urllib.parse.urlencode({"access_token": tokens[name], "stream": "user"})
                ws = WebSocket(kith.port, "/api/v1/streaming?" + query)
                for stream, extra in (("public", {}), ("public:local", {}),
                                      ("hashtag", {"tag": "burst"})):
                    ws.send_json({"type": "subscribe", "stream": stream, **extra})
                sockets.append(ws)
        silent = sockets[0]
        silent.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        readers = sockets[1:]
        received = [0]
        stop = threading.Event()

        def drain():
            by_fd = {ws.sock.fileno(): ws for ws in readers}
            while not stop.is_set():
                ready, _, _ = select.select(list(by_fd), [], [], 0.2)
                for fd in ready:
                    try:
                        data = by_fd[fd].sock.recv(1 << 16)
                    except OSError:
                        data = b""
                    if not data:
                        del by_fd[fd]
                        continue
                    received[0] += data.count(b'"event":')

        reader = threading.Thread(target=drain, daemon=True)
        reader.start()
        time.sleep(1.0)
        pid = kith.process.pid
        rss_before, hwm_before = memory(pid)
        text = ("burst #burst " + "lorem ipsum dolor sit amet " * 36)[:400]
        started = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            list(pool.map(lambda i: call("poster", "POST", "/api/v1/statuses",
                                         {"status": f"{i} {text}"}), range(posts)))
        posted = time.monotonic() - started
        # Let the hub catch up: until the readers get nothing new for 3 s.
        last, quiet_since = -1, time.monotonic()
        while time.monotonic() - quiet_since < 3.0:
            time.sleep(0.5)
            if received[0] != last:
                last, quiet_since = received[0], time.monotonic()
        rss_after, hwm_after = memory(pid)
        stop.set()
        reader.join()
        log = kith.stderr()
        cut_off = log.count("the client does not read fast enough")
        over_budget = log.count("bytes for it in one dispatch")
        dropped = log.count("events waiting; dropping the oldest")
        print(f"binary {kith.bin}")
        print(f"{posts} posts in {posted:.1f} s; {len(sockets)} streams x 4 subscriptions, "
              f"1 never reading")
        print(f"daemon VmRSS before {rss_before} (peak so far {hwm_before}); "
              f"after: VmRSS {rss_after}, peak VmHWM {hwm_after}")
        print(f"messages received by the {len(readers)} reading streams: {received[0]} "
              f"(expected {posts * 4 * len(readers)})")
        print(f"daemon log: {cut_off} stream(s) cut off as too slow, {over_budget} closed for "
              f"more than their outbox in one job, {dropped} pending-queue overflow(s)")
        for ws in sockets:
            ws.close()
    finally:
        if kith:
            kith.cleanup()
        pg.cleanup()


if __name__ == "__main__":
    main()
