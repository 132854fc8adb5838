"""HMAC-SHA256 request signatures shared by both directions of the portal link (no Django import,
so the fake portal in bench/ and any client script can use it as is).

    string to sign = METHOD "\\n" PATH "\\n" TIMESTAMP "\\n" hex(sha256(body))
    X-Portal-Key-Id:    the key id
    X-Portal-Timestamp: unix seconds (integer)
    X-Portal-Signature: hex(HMAC-SHA256(secret, string to sign)), lower case

PATH is the request target exactly as sent on the request line: the path, percent-encoded however
the client chose (``%2F``, ``%c3%a1``, ``%20``), and the query string when there is one, parameters
in their order, repeated ones included (``/api/v1/portal/changes/?after=x&limit=5``). A signed GET
cannot be pointed at another page of the feed, and the server verifies the raw target it received
(apps/portal/auth.py, `request_target`), not a decoded and re-encoded form of it.
"""
from __future__ import annotations

import hashlib
import hmac
import time

KEY_ID_HEADER = "X-Portal-Key-Id"
TIMESTAMP_HEADER = "X-Portal-Timestamp"
SIGNATURE_HEADER = "X-Portal-Signature"


def body_digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def string_to_sign(method: str, path: str, timestamp: str, body: bytes) -> bytes:
    return f"{method.upper()}\n{path}\n{timestamp}\n{body_digest(body)}".encode()


def sign(secret: str, method: str, path: str, timestamp: str, body: bytes) -> str:
    return hmac.new(secret.encode(), string_to_sign(method, path, timestamp, body), hashlib.sha256).hexdigest()


def verify(secret: str, method: str, path: str, timestamp: str, body: bytes, signature: str) -> bool:
    return hmac.compare_digest(sign(secret, method, path, timestamp, body), signature.strip().lower())


def signed_headers(
    *, key_id: str, secret: str, method: str, path: str, body: bytes, timestamp: int | None = None
) -> dict[str, str]:
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    return {
        KEY_ID_HEADER: key_id,
        TIMESTAMP_HEADER: stamp,
        SIGNATURE_HEADER: sign(secret, method, path, stamp, body),
    }


def timestamp_fresh(timestamp: str, *, max_skew: int, now: float | None = None) -> bool:
    """True when `timestamp` (unix seconds) is within `max_skew` seconds of now, either way."""
    try:
        value = int(timestamp)
    except (TypeError, ValueError):
        return False
    return abs((time.time() if now is None else now) - value) <= max_skew
