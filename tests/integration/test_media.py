"""Media uploads in the client API against the real daemon and a throwaway
PostgreSQL: v1 (processed at once, 200) and v2 (a large image answers 202
with url null, GET /api/v1/media/:id answers 206 until it is processed and
200 after), the four formats, the type read from the bytes (a PNG sent as
photo.jpg with Content-Type image/jpeg is served as image/png), GPS gone
from the served file, the served headers (nosniff, sandboxing CSP), too
large (413), not an image (422), another account's media (404), description
and focus, delete, media_ids on a new status and the attachment in the
Status entity, and an avatar through update_credentials.

One daemon for the class with media.max_image_bytes = 2MiB; the fixture
images are tests/unit/fixtures/media (made with cjpeg, cwebp and exiftool).
"""

import concurrent.futures
import json
import os
import struct
import time
import unittest
import uuid
import zlib

import harness

PASSWORD = "correct horse battery staple"
USERS = ("alice", "bob")
FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "unit", "fixtures",
                        "media")
MAX_IMAGE_BYTES = 2 * 1024 * 1024


def fixture(name):
    with open(os.path.join(FIXTURES, name), "rb") as f:
        return f.read()


def multipart(fields=(), files=()):
    """(body, content type) of a multipart/form-data body; files are
    (name, filename, content_type, bytes)."""
    boundary = "kith" + uuid.uuid4().hex
    parts = []
    for name, value in fields:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                     .encode() + value.encode() + b"\r\n")
    for name, filename, content_type, data in files:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                     f'filename="{filename}"\r\nContent-Type: {content_type}\r\n\r\n'.encode()
                     + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def big_png(width, height):
    """A PNG of width x height pixels that compresses to a few kilobytes
    (every row the same gradient): many pixels to decode, few bytes to send."""
    row = b"\x00" + bytes((x * 7) % 256 for x in range(width * 3))
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(row * height, 6)) + chunk(b"IEND", b""))


class MediaTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.pg = harness.PgCluster()
        cls.addClassCleanup(cls.pg.cleanup)
        cls.pg.createdb("media")
        cls.kith = harness.Kith(database_url=cls.pg.url("media"),
                                config={"media": {"max_image_bytes": "2MiB"}},
                                env={"KITH_API_RATE_LIMIT_AUTHENTICATED": "0"})
        cls.addClassCleanup(cls.kith.cleanup)
        cls.kith.start()
        for name in USERS:
            created = cls.kith.run("user", "add", name, "--email", f"{name}@example.com",
                                   input=PASSWORD + "\n")
            if created.returncode != 0:
                raise AssertionError(f"kith user add {name}: {created.stderr}")
        app = cls.kith.post("/api/v1/apps", {
            "client_name": "media test", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob",
            "scopes": "read write"})
        assert app.status == 200, app
        cls.tokens = {}
        for name in USERS:
            r = cls.kith.post("/oauth/token", {
                "grant_type": "password", "client_id": app.json()["client_id"],
                "client_secret": app.json()["client_secret"], "username": name,
                "password": PASSWORD, "scope": "read write"})
            assert r.status == 200, (r, r.text())
            cls.tokens[name] = r.json()["access_token"]

    def request(self, user, method, path, body=None, headers=None):
        headers = dict(headers or {})
        if user:
            headers["Authorization"] = f"Bearer {self.tokens[user]}"
        return self.kith.request(method, path, body=body, headers=headers)

    def upload(self, user, data, filename="image", content_type="application/octet-stream",
               version=1, fields=(), expect=200):
        body, type_ = multipart(fields, [("file", filename, content_type, data)])
        r = self.request(user, "POST", f"/api/v{version}/media", body,
                         {"Content-Type": type_})
        self.assertEqual(r.status, expect, r.text())
        self.assertTrue(r.header("content-type", "").startswith("application/json"))
        return r.json()

    def served(self, url):
        prefix = f"https://{self.kith.config['host']}"
        self.assertTrue(url.startswith(prefix + "/system/media/"), url)
        r = self.kith.get(url[len(prefix):])
        self.assertEqual(r.status, 200, url)
        return r

    def check_attachment(self, media, width, height):
        self.assertIsInstance(media["id"], str)
        self.assertEqual(media["type"], "image")
        self.assertEqual(media["url"], media["preview_url"])
        self.assertIsNone(media["remote_url"])
        self.assertEqual(media["meta"]["original"]["width"], width)
        self.assertEqual(media["meta"]["original"]["height"], height)
        self.assertEqual(media["meta"]["original"]["size"], f"{width}x{height}")
        self.assertAlmostEqual(media["meta"]["original"]["aspect"], width / height)
        self.assertIn("small", media["meta"])
        self.assertEqual(media["meta"]["focus"], {"x": 0.0, "y": 0.0})
        self.assertRegex(media["blurhash"], r"^L[0-9A-Za-z#$%*+,\-.:;=?@\[\]^_{|}~]{27}$")

    def test_each_format_is_served_with_its_type_and_safe_headers(self):
        for name, type_, width, height in [("gps.jpg", "image/jpeg", 64, 48),
                                           ("gps.png", "image/png", 40, 30),
                                           ("comment.gif", "image/gif", 20, 10),
                                           ("gps.webp", "image/webp", 64, 48)]:
            with self.subTest(name=name):
                media = self.upload("alice", fixture(name), name)
                self.check_attachment(media, width, height)
                r = self.served(media["url"])
                self.assertEqual(r.header("content-type"), type_)
                self.assertEqual(r.header("x-content-type-options"), "nosniff")
                self.assertEqual(r.header("content-security-policy"),
                                 "default-src 'none'; sandbox")
                self.assertIn("immutable", r.header("cache-control"))
                self.assertIn("public", r.header("cache-control"))
                self.assertNotIn(b"Exif\x00\x00", r.body)
                self.assertNotIn(b"\x88\x25", r.body)  # the GPS IFD pointer
                # The stored name is kith's, not the client's.
                self.assertNotIn(name.split(".")[0], media["url"].rsplit("/", 1)[1])

    def test_type_comes_from_the_bytes(self):
        media = self.upload("alice", fixture("gps.png"), "photo.jpg", "image/jpeg")
        self.assertTrue(media["url"].endswith(".png"), media["url"])
        self.assertEqual(self.served(media["url"]).header("content-type"), "image/png")

    def test_location_is_gone_from_the_served_file(self):
        original = fixture("gps.jpg")
        self.assertIn(b"Exif\x00\x00", original)
        self.assertIn(b"\x88\x25", original)  # EXIF's GPS IFD pointer (tag 0x8825)
        media = self.upload("alice", original, "holiday.jpg", "image/jpeg",
                            fields=[("description", "A gradient")])
        self.assertEqual(media["description"], "A gradient")
        body = self.served(media["url"]).body
        self.assertTrue(body.startswith(b"\xff\xd8\xff"))
        for secret in (b"Exif\x00\x00", b"\x88\x25", b"secret", b"KithCam",
                       b"http://ns.adobe.com/xap"):
            self.assertNotIn(secret, body)
        # The scan data (the pixels) is unchanged.
        self.assertTrue(body.endswith(original[original.index(b"\xff\xda"):]))

    def test_refusals(self):
        self.upload("alice", b"definitely not an image", "a.png", "image/png", expect=422)
        self.upload("alice", b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>",
                    "a.svg", "image/svg+xml", expect=422)
        truncated = fixture("gps.png")[:500]
        self.upload("alice", truncated, "a.png", "image/png", expect=422)
        # Over media.max_image_bytes but within the route's limit: the handler's 413.
        too_big = fixture("gps.png") + b"\x00" * (MAX_IMAGE_BYTES + 1)
        self.upload("alice", too_big, "a.png", "image/png", expect=413)
        # Far over: refused from the declared length, before the body is sent.
        with self.kith.raw() as conn:
            r = conn.request("POST", "/api/v1/media", {
                "Authorization": f"Bearer {self.tokens['alice']}",
                "Content-Type": "multipart/form-data; boundary=x",
                "Content-Length": str(3 * MAX_IMAGE_BYTES)})
        self.assertEqual(r.status, 413)
        # No file at all.
        body, type_ = multipart([("description", "nothing")])
        r = self.request("alice", "POST", "/api/v1/media", body, {"Content-Type": type_})
        self.assertEqual(r.status, 422, r.text())
        # Not signed in.
        r = self.kith.request("POST", "/api/v1/media", body, {"Content-Type": type_})
        self.assertEqual(r.status, 401)
        # A decompression bomb: a PNG header claiming 20000 x 20000 pixels.
        bomb = big_png(1, 1).replace(struct.pack(">II", 1, 1), struct.pack(">II", 20000, 20000), 1)
        self.upload("alice", bomb, "bomb.png", "image/png", expect=422)

    def test_v2_answers_202_then_206_until_processed_then_200(self):
        # Three large images in a row: the media thread processes them one
        # after the other, so the last one is still pending when asked.
        uploads = [self.upload("alice", big_png(3000, 3000), f"big{i}.png", "image/png",
                               version=2, expect=202) for i in range(3)]
        last = uploads[-1]
        self.assertIsNone(last["url"])
        self.assertIsNone(last["preview_url"])
        r = self.request("alice", "GET", f"/api/v1/media/{last['id']}")
        self.assertEqual(r.status, 206, r.text())
        self.assertIsNone(r.json()["url"])
        # Until it is ready: 206, never anything else; then 200 with a url.
        deadline = time.monotonic() + 30
        while True:
            r = self.request("alice", "GET", f"/api/v1/media/{last['id']}")
            if r.status == 200:
                break
            self.assertEqual(r.status, 206, r.text())
            self.assertLess(time.monotonic(), deadline, "still processing after 30 s")
            time.sleep(0.05)
        self.check_attachment(r.json(), 3000, 3000)
        self.assertEqual(self.served(r.json()["url"]).header("content-type"), "image/png")
        # A small image is processed at once, as Mastodon does: 200.
        small = self.upload("alice", fixture("gps.webp"), "a.webp", version=2, expect=200)
        self.assertIsNotNone(small["url"])

    def test_v2_background_uploads_are_bounded(self):
        # Twelve large images at once: at most kMaxBackgroundUploads (8) wait
        # in the background at once; beyond that an upload is processed
        # before the answer (200). Every one ends processed.
        body, type_ = multipart([], [("file", "many.png", "image/png", big_png(3000, 3000))])

        def post(_):
            return self.request("bob", "POST", "/api/v2/media", body, {"Content-Type": type_})

        with concurrent.futures.ThreadPoolExecutor(12) as pool:
            responses = list(pool.map(post, range(12)))
        for r in responses:
            self.assertIn(r.status, (200, 202), r.text())
        answers = [r.json() for r in responses]
        pending = [a for a in answers if a["url"] is None]
        self.assertLessEqual(len(pending), 8)
        deadline = time.monotonic() + 60
        for media in answers:
            while True:
                r = self.request("bob", "GET", f"/api/v1/media/{media['id']}")
                if r.status == 200:
                    break
                self.assertEqual(r.status, 206, r.text())
                self.assertLess(time.monotonic(), deadline, "still processing after 60 s")
                time.sleep(0.05)
            self.check_attachment(r.json(), 3000, 3000)

    def test_only_ones_own_media(self):
        media = self.upload("alice", fixture("gps.png"), "a.png")
        for method, body in (("GET", None), ("PUT", {"description": "mine now"}),
                             ("DELETE", None)):
            r = self.request("bob", method, f"/api/v1/media/{media['id']}", body)
            self.assertEqual(r.status, 404, f"{method}: {r.text()}")
            self.assertIn("error", r.json())
        self.assertEqual(self.request("alice", "GET", f"/api/v1/media/{media['id']}").status, 200)

    def test_description_and_focus(self):
        media = self.upload("alice", fixture("gps.jpg"), "a.jpg", fields=[("focus", "0.5,-0.25")])
        self.assertEqual(media["meta"]["focus"], {"x": 0.5, "y": -0.25})
        r = self.request("alice", "PUT", f"/api/v1/media/{media['id']}",
                         {"description": "A colourful gradient", "focus": "-1,1"})
        self.assertEqual(r.status, 200, r.text())
        self.assertEqual(r.json()["description"], "A colourful gradient")
        self.assertEqual(r.json()["meta"]["focus"], {"x": -1.0, "y": 1.0})
        self.assertEqual(r.json()["meta"]["original"]["width"], 64)
        for bad in ({"description": "x" * 1501}, {"focus": "2,0"}, {"focus": "a,b"},
                    {"focus": "0.5"}):
            r = self.request("alice", "PUT", f"/api/v1/media/{media['id']}", bad)
            self.assertEqual(r.status, 422, f"{bad}: {r.text()}")
        r = self.request("alice", "GET", f"/api/v1/media/{media['id']}")
        self.assertEqual(r.json()["description"], "A colourful gradient")

    def test_attach_to_a_status(self):
        first = self.upload("alice", fixture("gps.jpg"), "a.jpg",
                            fields=[("description", "first")])
        second = self.upload("alice", fixture("gps.png"), "b.png",
                             fields=[("description", "second")])
        r = self.request("alice", "POST", "/api/v1/statuses",
                         {"status": "", "media_ids": [second["id"], first["id"]]})
        self.assertEqual(r.status, 200, r.text())
        status = r.json()
        attachments = status["media_attachments"]
        self.assertEqual([m["id"] for m in attachments], [second["id"], first["id"]])
        self.assertEqual([m["description"] for m in attachments], ["second", "first"])
        self.assertEqual(attachments[0]["url"], second["url"])
        self.check_attachment(attachments[1], 64, 48)
        # Read back, as the timeline shows it.
        again = self.request("alice", "GET", f"/api/v1/statuses/{status['id']}").json()
        self.assertEqual(again["media_attachments"], attachments)
        # Attached media cannot be attached again, deleted or updated.
        r = self.request("alice", "POST", "/api/v1/statuses",
                         {"status": "again", "media_ids": [first["id"]]})
        self.assertEqual(r.status, 422, r.text())
        r = self.request("alice", "DELETE", f"/api/v1/media/{first['id']}")
        self.assertEqual(r.status, 422, r.text())
        # Someone else's media, too many, or not an id: 422, nothing posted.
        bobs = self.upload("bob", fixture("gps.png"), "b.png")
        r = self.request("alice", "POST", "/api/v1/statuses",
                         {"status": "theirs", "media_ids": [bobs["id"]]})
        self.assertEqual(r.status, 422, r.text())
        five = [self.upload("alice", fixture("comment.gif"), "c.gif")["id"] for _ in range(5)]
        r = self.request("alice", "POST", "/api/v1/statuses",
                         {"status": "five", "media_ids": five})
        self.assertEqual(r.status, 422, r.text())
        r = self.request("alice", "POST", "/api/v1/statuses",
                         {"status": "", "media_ids": []})
        self.assertEqual(r.status, 422, r.text())  # no text and no media
        # Form encoding, media_ids[]: four of them, in order.
        form = "&".join(f"media_ids[]={i}" for i in five[:4]) + "&status=four"
        r = self.request("alice", "POST", "/api/v1/statuses", form.encode(),
                         {"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual(r.status, 200, r.text())
        self.assertEqual([m["id"] for m in r.json()["media_attachments"]], five[:4])

    def test_delete_unattached(self):
        media = self.upload("alice", fixture("gps.png"), "a.png")
        path = media["url"].split(self.kith.config["host"], 1)[1]
        r = self.request("alice", "DELETE", f"/api/v1/media/{media['id']}")
        self.assertEqual(r.status, 200, r.text())
        self.assertEqual(self.request("alice", "GET", f"/api/v1/media/{media['id']}").status, 404)
        self.assertEqual(self.kith.get(path).status, 404)

    def test_served_paths_never_leave_the_directory(self):
        for path in ("/system/media/", "/system/media/..%2F..%2Fkith.toml",
                     "/system/media/%2e%2e", "/system/media/kith.toml",
                     "/system/media/abcdefghijklmnopqrstuvwx.png",
                     "/system/media/abcdefghijklmnopqrstuvwx.svg"):
            r = self.kith.get(path)
            self.assertIn(r.status, (404, 400), path)
            self.assertNotIn(b"host", r.body)

    def test_avatar_and_header(self):
        body, type_ = multipart([("display_name", "Alice")],
                                [("avatar", "me.jpg", "image/jpeg", fixture("gps.jpg")),
                                 ("header", "bg.png", "image/png", fixture("gps.png"))])
        r = self.request("alice", "PATCH", "/api/v1/accounts/update_credentials", body,
                         {"Content-Type": type_})
        self.assertEqual(r.status, 200, r.text())
        account = r.json()
        self.assertTrue(account["avatar"].endswith(".jpg"), account["avatar"])
        self.assertTrue(account["header"].endswith(".png"), account["header"])
        served = self.served(account["avatar"])
        self.assertEqual(served.header("content-type"), "image/jpeg")
        self.assertNotIn(b"Exif\x00\x00", served.body)
        body, type_ = multipart([], [("avatar", "x.png", "image/png", b"not an image")])
        r = self.request("alice", "PATCH", "/api/v1/accounts/update_credentials", body,
                         {"Content-Type": type_})
        self.assertEqual(r.status, 422, r.text())


if __name__ == "__main__":
    unittest.main()
