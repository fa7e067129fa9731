"""HTTP Signatures as other fediverse servers make them, for tests that play
another server against kith: RSA keys made by `openssl`, the SHA-256
`Digest` header, and draft-cavage-12 `Signature` headers (rsa-sha256, what
Mastodon sends). Any part can be made wrong on purpose: sign one body and
send another, date the request in the past, cover fewer headers, sign with
another key.

Python 3 standard library plus the `openssl` command; no key ever leaves the
test's temporary directory.
"""

import base64
import email.utils
import hashlib
import os
import subprocess
import time

AS_TYPE = "application/activity+json"
# What Mastodon covers: a POST binds its body through the digest.
POST_HEADERS = ("(request-target)", "host", "date", "digest")
GET_HEADERS = ("(request-target)", "host", "date")


def openssl(directory, *args, input=None):
    """Runs `openssl args...` in `directory`; returns stdout bytes."""
    result = subprocess.run(["openssl", *args], cwd=directory, capture_output=True,
                            input=input, timeout=60)
    if result.returncode != 0:
        raise RuntimeError(f"openssl {' '.join(args)} failed:\n"
                           f"{result.stderr.decode(errors='replace')}")
    return result.stdout


class RsaKey:
    """An RSA key pair (2048 bits unless said) in `directory`. public_pem is
    the SubjectPublicKeyInfo PEM an actor publishes; sign() is RSASSA-PKCS1-
    v1_5 with SHA-256 (`openssl dgst -sha256 -sign`)."""

    def __init__(self, directory, name, bits=2048):
        self.dir = directory
        self.path = os.path.join(directory, f"{name}.pem")
        openssl(directory, "genpkey", "-algorithm", "RSA", "-pkeyopt", f"rsa_keygen_bits:{bits}",
                "-out", self.path)
        self.public_pem = openssl(directory, "pkey", "-in", self.path, "-pubout").decode()

    def sign(self, data):
        if isinstance(data, str):
            data = data.encode()
        return openssl(self.dir, "dgst", "-sha256", "-sign", self.path, input=data)


def digest_header(body):
    """The Digest header value for `body` (bytes): SHA-256=<base64>."""
    return "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode()


def http_date(when=None):
    """An IMF-fixdate for `when` (Unix seconds; now by default)."""
    return email.utils.formatdate(time.time() if when is None else when, usegmt=True)


def signing_string(covered, values):
    """draft-cavage-12 2.3: one "name: value" line per covered header, in
    order, joined by newlines. `values` maps lower-case names (and
    "(request-target)") to values."""
    return "\n".join(f"{name}: {values[name]}" for name in covered)


def signature_header(key, key_id, covered, values, algorithm="rsa-sha256"):
    """The Signature header value over `covered` with `key`."""
    signature = base64.b64encode(key.sign(signing_string(covered, values))).decode()
    return (f'keyId="{key_id}",algorithm="{algorithm}",headers="{" ".join(covered)}",'
            f'signature="{signature}"')


def signed_headers(key, key_id, method, path, host, body=None, date=None,
                   covered=None, signed_body=None, digest=None):
    """Headers for a request signed the way Mastodon signs: Host, Date,
    (for a body) Digest, and Signature.

    method, path: the request line ("POST", "/inbox"); host: the Host header
    (the server's host[:port]); body: bytes sent, or None for a GET;
    date: the Date value (now by default); covered: the signed header names
    (POST_HEADERS or GET_HEADERS by default). To build a bad request:
    signed_body signs the digest of other bytes than those sent, digest
    sends this Digest value instead of the right one (and signs it)."""
    if covered is None:
        covered = GET_HEADERS if body is None else POST_HEADERS
    headers = {"Host": host, "Date": date or http_date()}
    if body is not None:
        headers["Digest"] = digest or digest_header(body if signed_body is None else signed_body)
    values = {"(request-target)": f"{method.lower()} {path}"}
    for name, value in headers.items():
        values[name.lower()] = value
    headers["Signature"] = signature_header(key, key_id, covered, values)
    return headers
