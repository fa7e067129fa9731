"""Streaming (issue 4, item 5): the WebSocket at /api/v1/streaming and the
server-sent-event streams, against the real daemon and a throwaway
PostgreSQL.

Events come from the database (migration 0006's triggers NOTIFY
kith_stream; the daemon's own LISTEN connection hands them to the hub), so
every event here is caused the way a user causes it: through the client
API. The WebSocket client is written here with the standard library
(socket, base64, hashlib): the RFC 6455 handshake, masked client frames,
text, ping/pong and close frames.

What it shows: several streams on one socket, each message shaped
{"stream": [name(, tag)], "event": ..., "payload": "<JSON text>"} with the
payload a Status; a post by a followed account reaching two sockets and an
event stream of the follower within a second (the latencies are printed);
a delete's payload being the bare id; notification, filters_changed,
direct and conversation events; a followers-only post never reaching a
non-follower; the Sec-WebSocket-Protocol echo (the token carried there);
a bad token refused with 401 before the upgrade; too many streams refused
(429); a bad client message answered with an error while the socket stays
open; SIGTERM with streams open ending promptly (close code 1001 and the
event stream's last chunk); and, with two kiths (federation.py), a post
arriving by federation reaching the follower's stream.

FIXTURE SETUP (psql), only where another endpoint family does not cause the
row yet: a filter row for filters_changed, a notification row and an
account_conversations row when the API did not write them within a few
seconds (the test says so when it does).
"""

import base64
import hashlib
import json
import os
import select
import signal
import socket
import struct
import sys
import time
import unittest
import urllib.parse

import harness

pg = None
PASSWORD = "correct horse battery staple"
WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
EVENT_TIMEOUT = 5.0   # how long to wait for an event that must come
QUIET_TIME = 1.5      # how long to watch for an event that must not come
LATENCY_LIMIT = 1.0   # an event must reach every stream within this long


def setUpModule():
    global pg
    pg = harness.PgCluster()
    unittest.addModuleCleanup(pg.cleanup)


class HandshakeRefused(Exception):
    def __init__(self, status, headers, body):
        super().__init__(f"handshake answered {status}: {body[:200]!r}")
        self.status = status
        self.headers = headers
        self.body = body


def read_head(sock, buffer=b"", deadline=None):
    """(status, headers, rest) of an HTTP response head read from `sock`."""
    deadline = deadline or time.monotonic() + 10
    while b"\r\n\r\n" not in buffer:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        data = sock.recv(4096)
        if not data:
            raise ConnectionError("closed before the response head")
        buffer += data
    head, rest = buffer.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return status, headers, rest


class WebSocket:
    """A minimal RFC 6455 client: text messages, pings answered, close."""

    def __init__(self, port, path, headers=None, timeout=10):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        lines = [f"GET {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Upgrade: websocket",
                 "Connection: Upgrade", f"Sec-WebSocket-Key: {key}",
                 "Sec-WebSocket-Version: 13"]
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        status, self.headers, rest = read_head(self.sock)
        if status != 101:
            length = int(self.headers.get("content-length", "0"))
            while len(rest) < length:
                data = self.sock.recv(4096)
                if not data:
                    break
                rest += data
            self.sock.close()
            raise HandshakeRefused(status, self.headers, rest)
        expected = base64.b64encode(hashlib.sha1((key + WS_GUID).encode()).digest()).decode()
        assert self.headers.get("sec-websocket-accept") == expected, self.headers
        self.buffer = rest
        self.closed = False
        self.close_code = None

    def _send_frame(self, opcode, payload):
        header = bytes([0x80 | opcode])
        n = len(payload)
        if n < 126:
            header += bytes([0x80 | n])
        elif n < 65536:
            header += bytes([0x80 | 126]) + struct.pack("!H", n)
        else:
            header += bytes([0x80 | 127]) + struct.pack("!Q", n)
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(header + mask + masked)

    def send_text(self, text):
        self._send_frame(0x1, text.encode())

    def send_json(self, value):
        self.send_text(json.dumps(value))

    def _fill(self, n, deadline):
        while len(self.buffer) < n:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            self.sock.settimeout(remaining)
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("connection closed")
            self.buffer += data

    def _take(self, n, deadline):
        self._fill(n, deadline)
        data, self.buffer = self.buffer[:n], self.buffer[n:]
        return data

    def recv_frame(self, timeout):
        """(opcode, payload) of the next data or close frame; pings are
        answered on the way. TimeoutError when nothing came in time."""
        deadline = time.monotonic() + timeout
        while True:
            b0, b1 = self._take(2, deadline)
            opcode, n = b0 & 0x0F, b1 & 0x7F
            assert not (b1 & 0x80), "server frames must not be masked"
            if n == 126:
                n = struct.unpack("!H", self._take(2, deadline))[0]
            elif n == 127:
                n = struct.unpack("!Q", self._take(8, deadline))[0]
            payload = self._take(n, deadline)
            if opcode == 0x9:
                self._send_frame(0xA, payload)
                continue
            if opcode == 0xA:
                continue
            if opcode == 0x8:
                self.close_code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None
                if not self.closed:
                    self.closed = True
                    # Reply, then close the TCP connection as clients do
                    # once the closing handshake is done (RFC 6455 7.1.1).
                    try:
                        self._send_frame(0x8, payload[:2])
                        self.sock.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
            return opcode, payload

    def recv_json(self, timeout=EVENT_TIMEOUT):
        """The next text message, parsed."""
        opcode, payload = self.recv_frame(timeout)
        assert opcode == 0x1, f"expected a text message, got opcode {opcode} {payload!r}"
        return json.loads(payload)

    def expect_nothing(self, seconds=QUIET_TIME):
        try:
            message = self.recv_frame(seconds)
        except TimeoutError:
            return
        raise AssertionError(f"unexpected message {message!r}")

    def close(self):
        if not self.closed:
            try:
                self._send_frame(0x8, struct.pack("!H", 1000))
            except OSError:
                pass
        self.sock.close()


class EventStream:
    """A text/event-stream client on a raw socket (chunked body)."""

    def __init__(self, port, path, token=None, timeout=10):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        lines = [f"GET {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Accept: text/event-stream"]
        if token:
            lines.append(f"Authorization: Bearer {token}")
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        self.status, self.headers, self.raw = read_head(self.sock)
        self.text = ""   # decoded body not yet parsed into events
        self.ended = False

    def _read_chunks(self, deadline):
        """Decodes whatever complete chunks have arrived; reads more."""
        while True:
            line_end = self.raw.find(b"\r\n")
            if line_end >= 0:
                size = int(self.raw[:line_end], 16)
                if size == 0:
                    self.ended = True
                    return
                if len(self.raw) >= line_end + 2 + size + 2:
                    start = line_end + 2
                    self.text += self.raw[start:start + size].decode()
                    self.raw = self.raw[start + size + 2:]
                    return
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            self.sock.settimeout(remaining)
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("event stream closed")
            self.raw += data

    def next_block(self, timeout=EVENT_TIMEOUT):
        """The next block (an event or a comment) as a list of lines."""
        deadline = time.monotonic() + timeout
        while True:
            if "\n\n" in self.text:
                block, self.text = self.text.split("\n\n", 1)
                return block.split("\n")
            # Comments (":)", ":thump") end with one newline.
            if self.text.startswith(":") and "\n" in self.text:
                line, self.text = self.text.split("\n", 1)
                return [line]
            if self.ended:
                raise ConnectionError("event stream ended")
            self._read_chunks(deadline)

    def next_event(self, timeout=EVENT_TIMEOUT):
        """(event, data) of the next event, skipping comments."""
        deadline = time.monotonic() + timeout
        while True:
            block = self.next_block(max(0.01, deadline - time.monotonic()))
            fields = dict(line.split(": ", 1) for line in block if not line.startswith(":"))
            if "event" in fields:
                return fields["event"], fields.get("data")

    def close(self):
        self.sock.close()


class StreamingTest(unittest.TestCase):
    """One daemon; users alice (posts), bob (follows alice), carol (follows
    nobody), dan (for the limits)."""

    @classmethod
    def setUpClass(cls):
        pg.createdb("streaming")
        cls.kith = harness.Kith(database_url=pg.url("streaming"))
        cls.addClassCleanup(cls.kith.cleanup)
        cls.kith.start()
        names = ("alice", "bob", "carol", "dan")
        for name in names:
            created = cls.kith.run("user", "add", name, "--email", f"{name}@example.com",
                                   input=PASSWORD + "\n")
            if created.returncode != 0:
                raise AssertionError(f"kith user add {name}: {created.stderr}")
        app = cls.kith.post("/api/v1/apps", {
            "client_name": "kith streaming test", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob",
            "scopes": "read write follow push"})
        assert app.status == 200, app
        cls.app = app.json()
        cls.tokens = {name: cls.password_token(name) for name in names}
        cls.ids = {name: cls.call(name, "GET", "/api/v1/accounts/verify_credentials")["id"]
                   for name in names}
        cls.call("bob", "POST", f"/api/v1/accounts/{cls.ids['alice']}/follow")

    @classmethod
    def password_token(cls, login, scope="read write follow push"):
        r = cls.kith.post("/oauth/token", {
            "grant_type": "password", "client_id": cls.app["client_id"],
            "client_secret": cls.app["client_secret"], "username": login, "password": PASSWORD,
            "scope": scope})
        assert r.status == 200, (r, r.text())
        return r.json()["access_token"]

    @classmethod
    def call(cls, user, method, path, body=None, expect=200):
        r = cls.kith.request(method, path, body=body,
                             headers={"Authorization": f"Bearer {cls.tokens[user]}"})
        assert r.status == expect, (method, path, r.status, r.text()[:300])
        return r.json() if r.body.strip() else None

    def ws(self, user=None, query="", headers=None):
        params = dict(urllib.parse.parse_qsl(query))
        if user:
            params["access_token"] = self.tokens[user]
        path = "/api/v1/streaming" + ("?" + urllib.parse.urlencode(params) if params else "")
        socket_ = WebSocket(self.kith.port, path, headers=headers)
        self.addCleanup(socket_.close)
        return socket_

    def sse(self, user, path):
        stream = EventStream(self.kith.port, path, token=self.tokens[user])
        self.addCleanup(stream.close)
        return stream

    def subscribe(self, socket_, stream, **params):
        socket_.send_json({"type": "subscribe", "stream": stream, **params})

    def settle(self):
        # Subscriptions are applied as the server reads them; one round
        # trip through the socket (an error answer) proves they were read.
        time.sleep(0.3)

    def check_status_payload(self, message, stream, event="update"):
        self.assertEqual(message["stream"], stream)
        self.assertEqual(message["event"], event)
        self.assertIsInstance(message["payload"], str)
        status = json.loads(message["payload"])
        for field in ("id", "uri", "account", "content", "visibility", "created_at"):
            self.assertIn(field, status)
        return status

    # -- tests --

    def test_01_health(self):
        r = self.kith.get("/api/v1/streaming/health")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.body, b"OK")
        self.assertTrue(r.header("content-type").startswith("text/plain"))

    def test_02_bad_token_is_refused_before_the_upgrade(self):
        for query in ("access_token=not-a-token", ""):
            with self.assertRaises(HandshakeRefused) as refused:
                WebSocket(self.kith.port, "/api/v1/streaming" + ("?" + query if query else ""))
            self.assertEqual(refused.exception.status, 401)
            self.assertIn("error", json.loads(refused.exception.body))
        stream = EventStream(self.kith.port, "/api/v1/streaming/user", token="nope")
        self.assertEqual(stream.status, 401)
        stream.close()
        print("ok: a bad or missing token is 401 before any upgrade", file=sys.stderr)

    def test_03_subprotocol_carries_the_token_and_is_echoed(self):
        socket_ = self.ws(headers={"Sec-WebSocket-Protocol": self.tokens["bob"]})
        self.assertEqual(socket_.headers.get("sec-websocket-protocol"), self.tokens["bob"])
        # The socket is bob's: a bad subscription is answered, the socket stays open.
        self.subscribe(socket_, "nonsense")
        self.assertIn("error", socket_.recv_json())
        print("ok: Sec-WebSocket-Protocol echoed", file=sys.stderr)

    def test_04_a_post_reaches_every_stream_of_a_follower(self):
        first = self.ws("bob", "stream=user")
        second = self.ws("bob")
        for stream, params in (("user", {}), ("public:local", {}), ("hashtag", {"tag": "KithTest"})):
            self.subscribe(second, stream, **params)
        events = self.sse("bob", "/api/v1/streaming/user")
        self.assertEqual(events.status, 200)
        self.assertTrue(events.headers["content-type"].startswith("text/event-stream"))
        self.assertEqual(events.next_block(), [":)"])
        self.settle()

        started = time.monotonic()
        status = self.call("alice", "POST", "/api/v1/statuses",
                           {"status": "hello streams #kithtest", "visibility": "public"})
        got = self.check_status_payload(first.recv_json(), ["user"])
        first_latency = time.monotonic() - started
        self.assertEqual(got["id"], status["id"])
        seen = {}
        for _ in range(3):
            message = second.recv_json()
            seen[tuple(message["stream"])] = self.check_status_payload(message, message["stream"])
        second_latency = time.monotonic() - started
        self.assertEqual(set(seen), {("user",), ("public:local",), ("hashtag", "KithTest")})
        event, data = events.next_event()
        sse_latency = time.monotonic() - started
        self.assertEqual(event, "update")
        self.assertEqual(json.loads(data)["id"], status["id"])
        print(f"ok: post reached socket 1 in {first_latency * 1000:.0f} ms, socket 2 (3 streams) "
              f"in {second_latency * 1000:.0f} ms, the event stream in {sse_latency * 1000:.0f} ms",
              file=sys.stderr)
        self.assertLess(max(first_latency, second_latency, sse_latency), LATENCY_LIMIT)

        # A delete: the payload is the bare id, on each stream.
        self.call("alice", "DELETE", f"/api/v1/statuses/{status['id']}")
        message = first.recv_json()
        self.assertEqual((message["event"], message["payload"]), ("delete", status["id"]))
        for _ in range(3):
            message = second.recv_json()
            self.assertEqual((message["event"], message["payload"]), ("delete", status["id"]))
        self.assertEqual(events.next_event(), ("delete", status["id"]))
        print("ok: delete payload is the bare id", file=sys.stderr)

        # Unsubscribe: the hashtag stream stops.
        second.send_json({"type": "unsubscribe", "stream": "hashtag", "tag": "KithTest"})
        second.send_json({"type": "unsubscribe", "stream": "public:local"})
        self.settle()
        self.call("alice", "POST", "/api/v1/statuses", {"status": "again #kithtest"})
        self.assertEqual(second.recv_json()["stream"], ["user"])
        second.expect_nothing(0.8)

    def test_05_followers_only_never_reaches_a_non_follower(self):
        bob = self.ws("bob", "stream=user")
        carol = self.ws("carol", "stream=user")
        self.subscribe(carol, "public:local")
        self.subscribe(carol, "public")
        self.settle()
        private = self.call("alice", "POST", "/api/v1/statuses",
                            {"status": "followers only", "visibility": "private"})
        self.assertEqual(self.check_status_payload(bob.recv_json(), ["user"])["id"], private["id"])
        public = self.call("alice", "POST", "/api/v1/statuses",
                           {"status": "for everyone", "visibility": "public"})
        # carol's first message is the public post: the private one never came.
        message = carol.recv_json()
        self.assertEqual(json.loads(message["payload"])["id"], public["id"])
        self.assertIn(message["stream"], (["public:local"], ["public"]))
        print("ok: a followers-only post reached the follower only", file=sys.stderr)

    def test_06_notifications(self):
        alice = self.ws("alice", "stream=user:notification")
        self.settle()
        self.call("dan", "POST", f"/api/v1/accounts/{self.ids['alice']}/follow")
        try:
            message = alice.recv_json(timeout=3)
        except TimeoutError:
            # FIXTURE: the follow endpoint does not notify yet; the row as it would.
            print("note: no notification from the follow API; inserting the row", file=sys.stderr)
            pg.psql(f"INSERT INTO notifications (account_id, from_account_id, type)"
                    f" VALUES ({self.ids['alice']}, {self.ids['carol']}, 'follow')",
                    dbname="streaming")
            message = alice.recv_json()
        self.assertEqual(message["stream"], ["user:notification"])
        self.assertEqual(message["event"], "notification")
        notification = json.loads(message["payload"])
        for field in ("id", "type", "created_at", "account"):
            self.assertIn(field, notification)
        print(f"ok: notification event ({notification['type']})", file=sys.stderr)

    def test_07_filters_changed(self):
        alice = self.ws("alice", "stream=user")
        self.settle()
        r = self.kith.post("/api/v2/filters", {"title": "spoilers", "context": ["home"],
                                               "keywords_attributes": [{"keyword": "spoiler"}]},
                           headers={"Authorization": f"Bearer {self.tokens['alice']}"})
        if r.status != 200:
            # FIXTURE: filters v2 not there yet; the row it would write.
            print(f"note: POST /api/v2/filters answered {r.status}; inserting the row",
                  file=sys.stderr)
            pg.psql(f"INSERT INTO filters (account_id, title, context)"
                    f" VALUES ({self.ids['alice']}, 'spoilers', '{{home}}')", dbname="streaming")
        message = alice.recv_json()
        self.assertEqual(message, {"stream": ["user"], "event": "filters_changed"})
        print("ok: filters_changed", file=sys.stderr)

    def test_08_direct_and_conversation(self):
        bob = self.ws("bob", "stream=direct")
        carol = self.ws("carol", "stream=direct")
        self.settle()
        direct = self.call("alice", "POST", "/api/v1/statuses",
                           {"status": "@bob psst", "visibility": "direct"})
        events = {}
        deadline = time.monotonic() + EVENT_TIMEOUT
        while time.monotonic() < deadline and not {"update", "conversation"} <= set(events):
            try:
                message = bob.recv_json(timeout=max(0.01, deadline - time.monotonic()))
            except TimeoutError:
                break
            self.assertEqual(message["stream"], ["direct"])
            events[message["event"]] = json.loads(message["payload"])
        self.assertIn("update", events)
        self.assertEqual(events["update"]["id"], direct["id"])
        if "conversation" not in events:
            # FIXTURE: status creation does not write conversations yet.
            print("note: no account_conversations row from the API; inserting it",
                  file=sys.stderr)
            pg.psql(f"WITH c AS (INSERT INTO conversations DEFAULT VALUES RETURNING id)"
                    f" INSERT INTO account_conversations (account_id, conversation_id,"
                    f" participant_account_ids, last_status_id)"
                    f" SELECT {self.ids['bob']}, c.id, '{{{self.ids['alice']}}}', {direct['id']}"
                    f" FROM c", dbname="streaming")
            message = bob.recv_json()
            self.assertEqual(message["event"], "conversation")
            events["conversation"] = json.loads(message["payload"])
        self.assertIn("accounts", events["conversation"])
        carol.expect_nothing(0.5)
        print("ok: direct update and conversation events", file=sys.stderr)

    def test_09_too_many_streams_and_bad_messages(self):
        sockets = []
        try:
            for _ in range(8):
                sockets.append(WebSocket(self.kith.port,
                                         f"/api/v1/streaming?access_token={self.tokens['dan']}"))
            with self.assertRaises(HandshakeRefused) as refused:
                WebSocket(self.kith.port, f"/api/v1/streaming?access_token={self.tokens['dan']}")
            self.assertEqual(refused.exception.status, 429)
            sse = EventStream(self.kith.port, "/api/v1/streaming/public", token=self.tokens["dan"])
            self.assertEqual(sse.status, 429)
            sse.close()
            print("ok: the 9th stream of one user is 429", file=sys.stderr)
        finally:
            for s in sockets:
                s.close()
        time.sleep(0.3)
        socket_ = self.ws("dan")
        for bad in ("not json", "[1,2]", '{"type":"dance","stream":"user"}',
                    '{"type":"subscribe"}', '{"type":"subscribe","stream":"hashtag"}',
                    '{"type":"subscribe","stream":"list","list":"123"}'):
            socket_.send_text(bad)
            self.assertIn("error", socket_.recv_json(), bad)
        # Too large a message closes the connection (1009).
        socket_.send_text("x" * 5000)
        opcode, payload = socket_.recv_frame(EVENT_TIMEOUT)
        self.assertEqual((opcode, socket_.close_code), (0x8, 1009))
        print("ok: bad messages answered with errors; an oversized one closes with 1009",
              file=sys.stderr)


    def test_10_streams_survive_a_database_restart(self):
        """The LISTEN connection is lost when PostgreSQL restarts; the daemon
        stays up, the open socket too, and events flow again once the
        listener has reconnected (notifications sent while it was away are
        lost, as documented)."""
        bob = self.ws("bob", "stream=user")
        self.settle()
        pg.stop()
        pg.start()
        started = time.monotonic()
        received = None
        while received is None and time.monotonic() - started < 30:
            r = self.kith.request("POST", "/api/v1/statuses", body={"status": "after restart"},
                                  headers={"Authorization": f"Bearer {self.tokens['alice']}"})
            if r.status != 200:
                time.sleep(0.5)
                continue
            try:
                received = bob.recv_json(timeout=2)
            except TimeoutError:
                continue
        self.assertIsNotNone(received, "no event within 30 s of the restart")
        self.assertEqual(received["event"], "update")
        self.assertTrue(self.kith.alive())
        print(f"ok: events flow again {time.monotonic() - started:.1f} s after a PostgreSQL "
              f"restart, on the socket opened before it", file=sys.stderr)


    def test_11_a_revoked_token_gets_nothing_more(self):
        token = self.password_token("bob")
        query = urllib.parse.urlencode({"access_token": token, "stream": "user"})
        socket_ = WebSocket(self.kith.port, "/api/v1/streaming?" + query)
        self.addCleanup(socket_.close)
        self.settle()
        revoked = self.kith.post("/oauth/revoke", {
            "token": token, "client_id": self.app["client_id"],
            "client_secret": self.app["client_secret"]})
        self.assertEqual(revoked.status, 200, revoked.text())
        self.call("alice", "POST", "/api/v1/statuses", {"status": "after the revocation"})
        try:
            opcode, payload = socket_.recv_frame(EVENT_TIMEOUT)
        except (ConnectionError, OSError):
            return  # closed without a close frame
        self.assertEqual(opcode, 0x8, f"a stream of a revoked token got {payload!r}")

    def test_12_a_gone_followers_only_status_is_announced_to_its_audience_only(self):
        # A row removed outright (as an undone followers-only boost from
        # another server is): the hub can no longer look it up, and must
        # not tell its bare id to streams that never could have seen it.
        def next_status_event(socket_):
            while True:  # the mention's notification may come on the way
                message = socket_.recv_json()
                if message["event"] != "notification":
                    return message

        bob = self.ws("bob", "stream=user")
        carol = self.ws("carol", "stream=user")
        self.subscribe(carol, "public")
        self.subscribe(carol, "public:local")
        self.settle()
        hidden = []
        for visibility, text in (("private", "for my followers"), ("direct", "@bob only")):
            status = self.call("alice", "POST", "/api/v1/statuses",
                               {"status": text, "visibility": visibility})
            got = next_status_event(bob)
            self.assertEqual((got["event"], json.loads(got["payload"])["id"]),
                             ("update", status["id"]))
            pg.psql(f"DELETE FROM statuses WHERE id = {int(status['id'])}", dbname="streaming")
            message = next_status_event(bob)
            self.assertEqual((message["stream"], message["event"], message["payload"]),
                             (["user"], "delete", status["id"]))
            hidden.append(status["id"])
        public = self.call("alice", "POST", "/api/v1/statuses",
                           {"status": "everyone may know", "visibility": "public"})
        # carol's first message is the public post: neither delete came.
        message = carol.recv_json()
        self.assertEqual((message["event"], json.loads(message["payload"])["id"]),
                         ("update", public["id"]))
        self.assertEqual(carol.recv_json()["event"], "update")  # on her other public stream
        pg.psql(f"DELETE FROM statuses WHERE id = {int(public['id'])}", dbname="streaming")
        deletes = [carol.recv_json() for _ in range(3)]
        self.assertEqual(sorted(tuple(m["stream"]) for m in deletes),
                         [("public",), ("public:local",), ("user",)])
        self.assertEqual({(m["event"], m["payload"]) for m in deletes}, {("delete", public["id"])})
        carol.expect_nothing(0.5)
        print(f"ok: gone followers-only and direct statuses ({', '.join(hidden)}): delete reached "
              "the follower or the mentioned only; a gone public one reached all of carol's "
              "streams", file=sys.stderr)

    def test_13_a_burst_reaches_a_reading_client_whole(self):
        # 200 posts at once, each on three of dan's streams: the hub renders
        # and sends a few events at a time, so a client that reads is never
        # handed more than its outbox holds in one go and gets all 600.
        import concurrent.futures
        dan = self.ws("dan")
        for stream, params in (("public", {}), ("public:local", {}), ("hashtag", {"tag": "burst"})):
            self.subscribe(dan, stream, **params)
        self.settle()
        text = ("#burst " + "a burst of posts, each a few hundred characters long. " * 8)[:400]
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            posted = list(pool.map(
                lambda i: self.call("alice", "POST", "/api/v1/statuses",
                                    {"status": f"{i} {text}"})["id"], range(200)))
        got = {}
        for _ in range(600):
            message = dan.recv_json()
            self.assertEqual(message["event"], "update")
            got.setdefault(tuple(message["stream"]), set()).add(json.loads(message["payload"])["id"])
        self.assertEqual(got, {s: set(posted) for s in
                               (("public",), ("public:local",), ("hashtag", "burst"))})
        print("ok: 200 posts at once: all 600 updates reached the reading client", file=sys.stderr)


    def test_14_the_user_stream_keeps_the_home_timeline_rules(self):
        # What the home timeline leaves out never reaches the user stream:
        # a status mentioning someone the viewer muted, a status in a
        # language the follow left out, and statuses of the members of an
        # exclusive list (which go to that list's stream instead).
        bob = self.ws("bob", "stream=user")
        self.settle()

        def first_update(socket_):
            while True:
                message = socket_.recv_json()
                if message["event"] == "update":
                    return message

        def shown(status):
            return self.call("alice", "POST", "/api/v1/statuses",
                             {"status": status, "visibility": "public"})["id"]

        self.call("bob", "POST", f"/api/v1/accounts/{self.ids['carol']}/mute")
        try:
            shown("hello @carol")
            visible = shown("no mention")
            self.assertEqual(json.loads(first_update(bob)["payload"])["id"], visible)
        finally:
            self.call("bob", "POST", f"/api/v1/accounts/{self.ids['carol']}/unmute")

        self.call("bob", "POST", f"/api/v1/accounts/{self.ids['alice']}/follow",
                  {"languages[]": ["de"]})
        try:
            self.call("alice", "POST", "/api/v1/statuses", {"status": "in English",
                                                            "language": "en"})
            german = self.call("alice", "POST", "/api/v1/statuses",
                               {"status": "auf Deutsch", "language": "de"})["id"]
            self.assertEqual(json.loads(first_update(bob)["payload"])["id"], german)
        finally:
            self.call("bob", "POST", f"/api/v1/accounts/{self.ids['alice']}/follow",
                      {"languages[]": ["de", "en"]})

        listed = self.call("bob", "POST", "/api/v1/lists", {"title": "alice only",
                                                           "exclusive": "true"})
        self.call("bob", "POST", f"/api/v1/lists/{listed['id']}/accounts",
                  {"account_ids[]": [self.ids["alice"]]})
        try:
            bob.send_json({"type": "subscribe", "stream": "list", "list": listed["id"]})
            self.settle()
            in_list = shown("for my exclusive list")
            message = first_update(bob)
            self.assertEqual((message["stream"], json.loads(message["payload"])["id"]),
                             (["list", listed["id"]], in_list))
            bob.expect_nothing(1.0)  # not on bob's user stream as well
        finally:
            self.call("bob", "DELETE", f"/api/v1/lists/{listed['id']}")
        print("ok: a muted mention, a left-out language and an exclusive list's member kept "
              "off the user stream", file=sys.stderr)


class ShutdownTest(unittest.TestCase):
    """SIGTERM with a WebSocket and an event stream open."""

    def test_sigterm_ends_streams_promptly(self):
        pg.createdb("streaming_stop")
        kith = harness.Kith(database_url=pg.url("streaming_stop"))
        self.addCleanup(kith.cleanup)
        kith.start()
        created = kith.run("user", "add", "erin", "--email", "erin@example.com",
                           input=PASSWORD + "\n")
        self.assertEqual(created.returncode, 0, created.stderr)
        app = kith.post("/api/v1/apps", {"client_name": "t", "redirect_uris":
                                         "urn:ietf:wg:oauth:2.0:oob", "scopes": "read"}).json()
        token = kith.post("/oauth/token", {
            "grant_type": "password", "client_id": app["client_id"],
            "client_secret": app["client_secret"], "username": "erin", "password": PASSWORD,
            "scope": "read"}).json()["access_token"]
        socket_ = WebSocket(kith.port, f"/api/v1/streaming?stream=user&access_token={token}")
        stream = EventStream(kith.port, "/api/v1/streaming/public", token=token)
        self.assertEqual(stream.status, 200)
        time.sleep(0.3)
        started = time.monotonic()
        kith.signal(signal.SIGTERM)
        opcode, _ = socket_.recv_frame(5)
        self.assertEqual((opcode, socket_.close_code), (0x8, 1001))
        with self.assertRaises(ConnectionError):
            while True:
                stream.next_block(5)
        code = kith.wait_exit(10)
        elapsed = time.monotonic() - started
        self.assertEqual(code, 0, kith.stderr_tail())
        print(f"ok: SIGTERM with 2 streams open: exited in {elapsed * 1000:.0f} ms",
              file=sys.stderr)
        self.assertLess(elapsed, 3.0)
        socket_.close()
        stream.close()


class FederatedStreamingTest(unittest.TestCase):
    """Two kiths: a post on one reaches a follower's stream on the other."""

    def test_post_arriving_by_federation_reaches_the_stream(self):
        import federation
        with federation.Federation(("a", "b")) as fed:
            alice = fed["a"].login(fed["a"].add_user("alice"))
            bob = fed["b"].login(fed["b"].add_user("bob"))
            account = bob.resolve_account(alice.acct)
            self.assertIsNotNone(account)
            bob.api("POST", f"/api/v1/accounts/{account['id']}/follow")
            harness.wait_until(lambda: bob.relationship(account["id"])["following"],
                               federation.EFFECT_TIMEOUT, message="bob follows alice@a")
            # bob's stream on b (the daemon's own port; nginx is for TLS).
            socket_ = WebSocket(fed["b"].kith.port,
                                f"/api/v1/streaming?stream=user&access_token={bob.token}")
            self.addCleanup(socket_.close)
            time.sleep(0.3)
            started = time.monotonic()
            status = alice.post("over the wire")
            message = socket_.recv_json(timeout=federation.EFFECT_TIMEOUT)
            latency = time.monotonic() - started
            self.assertEqual(message["stream"], ["user"])
            self.assertEqual(message["event"], "update")
            self.assertEqual(json.loads(message["payload"])["uri"], status["uri"])
            print(f"ok: a post on a reached bob's stream on b in {latency * 1000:.0f} ms "
                  f"(delivery, inbox, NOTIFY, render)", file=sys.stderr)
            self.assertLess(latency, LATENCY_LIMIT)


if __name__ == "__main__":
    unittest.main()
