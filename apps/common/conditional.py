"""Conditional reads (RFC 9110 section 13.1.2): `If-None-Match` against a read's ETag -> 304."""
from __future__ import annotations

from rest_framework.response import Response

#: More than this many entity tags in one header is not a cache talking to us.
MAX_TAGS = 32


def _opaque(tag: str) -> str:
    tag = tag.strip()
    return tag[2:] if tag.startswith("W/") else tag  # If-None-Match compares weakly


def none_match(header: str | None, etag: str) -> bool:
    """True when `If-None-Match` names `etag` (or is `*`): the client's copy is current."""
    if not header:
        return False
    if header.strip() == "*":
        return True
    tags = header.split(",", MAX_TAGS)[:MAX_TAGS]
    return any(_opaque(tag) == _opaque(etag) for tag in tags)


def conditional(request, etag: str, respond) -> Response:
    """304 with the ETag when the client's copy is current, else `respond()` with the ETag."""
    if request.method in ("GET", "HEAD") and none_match(request.headers.get("If-None-Match"), etag):
        response = Response(status=304)
    else:
        response = respond()
    response["ETag"] = etag
    return response
