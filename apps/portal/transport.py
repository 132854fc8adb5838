"""How outbox messages reach the portal: an adapter with one method, `send(messages)`.

The default adapter is a signed webhook: one POST per batch to ``PORTAL_SYNC_URL`` (batch protocol
below). The portal's own session-login JSON service calls (DESIGN.md section 7) are the second
adapter with the same `send`: apps/portal/dvcqg/ (``PORTAL_TRANSPORT=dvcqg``).

Batch protocol (what the fake portal in bench/fake_portal.py implements)::

    POST <PORTAL_SYNC_URL>            signed as in apps/portal/signing.py
    {"messages": [{"idempotency_key": "<event id>", "event_id": 123, "kind": "DongBoHoSoMC",
                   "dossier": "<MaHoSo>", "data": {...DongBoHoSoMC...}}, ...]}

    2xx  {"results": [{"idempotency_key": "...", "status": "accepted" | "duplicate" | "rejected",
                       "error": "..."}]}      (no "results": every message accepted)
    other status, timeout, connection error: no message of the batch counts as delivered.

Assumptions: the receiver processes a batch's messages in array order, drops a message whose
idempotency key (per sending key id) it has already accepted and answers "duplicate" for it; a
batch never holds two messages of one dossier (the drain guarantees it), so a rejected message
never overtakes another of its own dossier.
"""
from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from typing import Any, Protocol

from . import signing

DELIVERED_STATES = {"accepted", "duplicate"}


@dataclass(frozen=True)
class OutgoingMessage:
    key: str
    event_id: int
    dossier_code: str
    kind: str
    payload: dict[str, Any]

    def as_json(self) -> dict[str, Any]:
        return {"idempotency_key": self.key, "event_id": self.event_id, "kind": self.kind,
                "dossier": self.dossier_code, "data": self.payload}


@dataclass
class SendOutcome:
    delivered: set[str] = field(default_factory=set)  # idempotency keys the portal now holds
    errors: dict[str, str] = field(default_factory=dict)  # key -> why it was not delivered


class Transport(Protocol):
    def send(self, messages: list[OutgoingMessage]) -> SendOutcome: ...


class WebhookTransport:
    """Signed JSON POST of a batch; never raises for a portal or network failure."""

    def __init__(self, *, url: str, key_id: str, secret: str, timeout: float) -> None:
        self.url = url
        self.key_id = key_id
        self.secret = secret
        self.timeout = timeout
        parts = urllib.parse.urlsplit(url)
        self.path = parts.path or "/"
        if parts.query:
            self.path += "?" + parts.query

    def send(self, messages: list[OutgoingMessage]) -> SendOutcome:
        if not messages:
            return SendOutcome()
        body = json.dumps({"messages": [m.as_json() for m in messages]}, ensure_ascii=False,
                          separators=(",", ":")).encode()
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        headers.update(signing.signed_headers(key_id=self.key_id, secret=self.secret, method="POST",
                                              path=self.path, body=body))
        request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
        keys = [m.key for m in messages]
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                answer = response.read()
        except urllib.error.HTTPError as exc:
            return _all_failed(keys, f"HTTP {exc.code}: {_snippet(exc.read())}")
        except (OSError, http.client.HTTPException) as exc:  # refused, reset, timeout, DNS, TLS
            return _all_failed(keys, f"{type(exc).__name__}: {exc}")
        return _read_results(keys, answer)


def _snippet(raw: bytes) -> str:
    return raw[:300].decode("utf-8", "replace")


def _all_failed(keys: list[str], error: str) -> SendOutcome:
    return SendOutcome(errors=dict.fromkeys(keys, error))


def _read_results(keys: list[str], answer: bytes) -> SendOutcome:
    if not answer.strip():
        return SendOutcome(delivered=set(keys))
    try:
        document = json.loads(answer)
    except ValueError:
        return _all_failed(keys, f"2xx with a body that is not JSON: {_snippet(answer)}")
    results = document.get("results") if isinstance(document, dict) else None
    if results is None:
        return SendOutcome(delivered=set(keys))
    outcome = SendOutcome()
    by_key = {str(r.get("idempotency_key")): r for r in results if isinstance(r, dict)}
    for key in keys:
        result = by_key.get(key)
        if result is None:
            outcome.errors[key] = "missing from the portal's results"
        elif result.get("status") in DELIVERED_STATES:
            outcome.delivered.add(key)
        else:
            outcome.errors[key] = f"{result.get('status')}: {result.get('error', '')}"[:2000]
    return outcome
