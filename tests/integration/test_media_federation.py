"""Attachments federate: an image uploaded on node a (with a description
and a focus) and attached to a public post reaches node b, where the
Status entity shows it with a's URL as remote_url, the description and the
BlurHash; the Note that a serves carries the attachment as Mastodon writes
it (Document, mediaType, url, name, blurhash, width, height, focalPoint).

Two nodes behind nginx with TLS (federation.py); bob on b follows alice on a.
"""

import os
import sys
import time
import unittest

import federation
from test_media import fixture, multipart

fed = None


def setUpModule():
    global fed
    fed = federation.Federation(("a", "b"))
    unittest.addModuleCleanup(fed.cleanup)
    fed["a"].add_user("alice")
    fed["b"].add_user("bob")


class MediaFederationTest(unittest.TestCase):

    def test_an_upload_on_a_appears_on_b(self):
        alice = fed["a"].users["alice"]
        bob = fed["b"].users["bob"]
        fed["a"].login(alice)
        fed["b"].login(bob)
        account = bob.resolve_account(alice.acct)
        self.assertIsNotNone(account)
        bob.api("POST", f"/api/v1/accounts/{account['id']}/follow")
        federation.eventually(lambda: bob.relationship(account["id"]).get("following"),
                              "bob to follow alice", federation=fed)

        body, content_type = multipart(
            [("description", "A gradient, blue on the left"), ("focus", "0.25,-0.5")],
            [("file", "holiday.jpg", "image/jpeg", fixture("gps.jpg"))])
        r = fed["a"].request("POST", "/api/v1/media", body=body, headers={
            "Authorization": f"Bearer {alice.token}", "Content-Type": content_type})
        self.assertEqual(r.status, 200, r.body[:300])
        media = r.json()
        status = alice.post("with a picture", media_ids=[media["id"]])
        self.assertEqual(len(status["media_attachments"]), 1)

        # The Note a serves.
        note = fed["a"].request("GET", status["uri"].split(fed["a"].host, 1)[1],
                                headers={"Accept": "application/activity+json"})
        self.assertEqual(note.status, 200, note.body[:300])
        attachment = note.json()["attachment"]
        self.assertEqual(len(attachment), 1)
        self.assertEqual(attachment[0]["type"], "Document")
        self.assertEqual(attachment[0]["mediaType"], "image/jpeg")
        self.assertEqual(attachment[0]["url"], media["url"])
        self.assertEqual(attachment[0]["name"], "A gradient, blue on the left")
        self.assertEqual(attachment[0]["blurhash"], media["blurhash"])
        self.assertEqual((attachment[0]["width"], attachment[0]["height"]), (64, 48))
        self.assertEqual(attachment[0]["focalPoint"], [0.25, -0.5])

        # On b, through delivery to the follower.
        def arrived():
            local_id = fed["b"].local_status_id(status["uri"])
            if not local_id:
                return None
            seen = bob.api("GET", f"/api/v1/statuses/{local_id}")
            return seen if seen["media_attachments"] else None
        seen = federation.eventually(arrived, "the post with its picture on b", federation=fed)
        remote = seen["media_attachments"][0]
        self.assertEqual(remote["remote_url"], media["url"])
        self.assertEqual(remote["description"], "A gradient, blue on the left")
        self.assertEqual(remote["blurhash"], media["blurhash"])
        self.assertEqual(remote["type"], "image")
        print(f"\n  ok: {media['url']} on b with its description and blurhash",
              file=sys.stderr)


if __name__ == "__main__":
    unittest.main()
