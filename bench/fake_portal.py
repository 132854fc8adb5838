"""A small stand-in for the national portal's sync endpoint (tests, benchmarks, `make run`).

    .venv/bin/python bench/fake_portal.py [--port 8765] [--key-id onestop] [--secret s3cret]

then run onestop with PORTAL_SYNC_URL=http://127.0.0.1:8765/sync PORTAL_KEY_ID=onestop PORTAL_SECRET=s3cret.

It speaks the batch protocol of apps/portal/transport.py: checks the HMAC signature (when given a
secret), records each message the first time its idempotency key arrives, answers "duplicate" for a
key it already holds, and notes an order violation when a dossier's event arrives (for the first
time) after a later event of the same dossier. It can be told to misbehave:

    mode "ok"       answer 200 with per-message results
    mode "error"    answer `error_status` (default 500) and record nothing
    mode "timeout"  record, then hold the answer for `timeout_seconds` (the sender gives up first)
    mode "drop"     close the connection without answering
    fail_next=N     the next N requests answer `error_status`, then back to the mode
    delay=S         record, then wait S seconds before answering (widens the "received but not yet
                    marked delivered" window for crash tests)
    reject_keys     answer "rejected" for these idempotency keys

In-process: FakePortal(...).start(), .configure(...), .stats(), .stop(). Out of process:
POST /_control {"mode": ..., ...}, GET /_stats, POST /_reset. Standard library only.
"""
from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from apps.portal import signing  # framework-free module

MAX_SKEW = 300


class FakePortal:
    def __init__(self, *, key_id: str | None = None, secret: str | None = None, host: str = "127.0.0.1",
                 port: int = 0) -> None:
        self.key_id = key_id
        self.secret = secret
        self.host = host
        self.port = port
        self.lock = threading.Lock()
        self.server: ThreadingHTTPServer | None = None
        self.thread: threading.Thread | None = None
        self.reset()
        self.mode = "ok"
        self.error_status = 500
        self.fail_next = 0
        self.delay = 0.0
        self.timeout_seconds = 30.0
        self.reject_keys: set[str] = set()

    # --- state ---------------------------------------------------------------------------------

    def reset(self) -> None:
        with getattr(self, "lock", threading.Lock()):
            self.messages: dict[str, dict[str, Any]] = {}  # idempotency key -> first copy
            self.order: list[str] = []  # keys in order of first receipt
            self.last_event: dict[str, int] = {}  # dossier -> highest event id received
            self.order_violations: list[tuple[str, int, int]] = []
            self.duplicates = 0
            self.requests = 0
            self.refused_requests = 0
            self.bad_signatures = 0

    def configure(self, **options: Any) -> None:
        with self.lock:
            for name, value in options.items():
                if name not in {"mode", "error_status", "fail_next", "delay", "timeout_seconds", "reject_keys"}:
                    raise ValueError(f"unknown option {name}")
                setattr(self, name, set(value) if name == "reject_keys" else value)

    def stats(self) -> dict[str, Any]:
        with self.lock:
            return {"received": len(self.messages) + self.duplicates, "unique": len(self.messages),
                    "duplicates": self.duplicates, "requests": self.requests,
                    "refused_requests": self.refused_requests, "bad_signatures": self.bad_signatures,
                    "order_violations": len(self.order_violations), "mode": self.mode}

    def keys_by_dossier(self) -> dict[str, list[int]]:
        """Event ids per dossier in order of first receipt."""
        with self.lock:
            result: dict[str, list[int]] = {}
            for key in self.order:
                message = self.messages[key]
                result.setdefault(message["dossier"], []).append(int(message["event_id"]))
            return result

    def wait_for(self, unique: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.messages) >= unique:
                return True
            time.sleep(0.05)
        return len(self.messages) >= unique

    # --- serving -------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/sync"

    def start(self) -> FakePortal:
        portal = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

            def do_GET(self) -> None:
                if self.path == "/_stats":
                    self._json(200, portal.stats())
                else:
                    self._json(404, {"error": "not found"})

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.path == "/_control":
                    portal.configure(**json.loads(body or b"{}"))
                    self._json(200, portal.stats())
                elif self.path == "/_reset":
                    portal.reset()
                    self._json(200, portal.stats())
                else:
                    portal.handle_sync(self, body)

            def _json(self, status: int, document: Any) -> None:
                raw = json.dumps(document).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

        self.server = ThreadingHTTPServer((self.host, self.port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, name="fake-portal", daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def _signature_ok(self, handler: BaseHTTPRequestHandler, body: bytes) -> bool:
        if not self.secret:
            return True
        headers = handler.headers
        stamp = headers.get(signing.TIMESTAMP_HEADER, "")
        return (
            headers.get(signing.KEY_ID_HEADER) == self.key_id
            and signing.timestamp_fresh(stamp, max_skew=MAX_SKEW)
            and signing.verify(self.secret, "POST", handler.path, stamp, body,
                               headers.get(signing.SIGNATURE_HEADER, ""))
        )

    def _fate(self) -> tuple[str, bool]:
        """Count one request and decide how to misbehave: (mode, failing). Call with the lock held."""
        self.requests += 1
        mode = self.mode
        failing = self.fail_next > 0 or mode == "error"
        if self.fail_next > 0:
            self.fail_next -= 1
        if failing or mode == "drop":
            self.refused_requests += 1
        return mode, failing

    def _misbehaved(self, handler: Any, mode: str, failing: bool, error: dict[str, Any]) -> bool:
        """Drop the connection or answer `error_status` as told; True when the request is done."""
        if mode == "drop" and not failing:
            handler.close_connection = True
            return True
        if failing:
            handler._json(self.error_status, error)
            return True
        return False

    def handle_sync(self, handler: Any, body: bytes) -> None:
        with self.lock:
            mode, failing = self._fate()
            signature_ok = self._signature_ok(handler, body)
            if not signature_ok:
                self.bad_signatures += 1
        if not signature_ok:
            handler._json(401, {"error": "bad signature"})
            return
        if self._misbehaved(handler, mode, failing, {"error": "told to fail"}):
            return
        try:
            messages = json.loads(body)["messages"]
        except (ValueError, KeyError, TypeError):
            handler._json(400, {"error": "not a batch"})
            return
        results = []
        with self.lock:
            for message in messages:
                key = str(message["idempotency_key"])
                if key in self.reject_keys:
                    results.append({"idempotency_key": key, "status": "rejected", "error": "told to reject"})
                elif key in self.messages:
                    self.duplicates += 1
                    results.append({"idempotency_key": key, "status": "duplicate"})
                else:
                    self.messages[key] = message
                    self.order.append(key)
                    dossier, event_id = message["dossier"], int(message["event_id"])
                    last = self.last_event.get(dossier)
                    if last is not None and event_id < last:
                        self.order_violations.append((dossier, last, event_id))
                    self.last_event[dossier] = max(event_id, last or 0)
                    results.append({"idempotency_key": key, "status": "accepted"})
            delay = self.timeout_seconds if mode == "timeout" else self.delay
        if delay:
            time.sleep(delay)
        try:
            handler._json(200, {"results": results})
        except OSError:  # the sender gave up (timeout) or died
            pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--key-id", default=None, help="expected X-Portal-Key-Id (with --secret)")
    parser.add_argument("--secret", default=None, help="check signatures with this secret")
    args = parser.parse_args()
    portal = FakePortal(key_id=args.key_id, secret=args.secret, host=args.host, port=args.port).start()
    print(f"fake portal listening: PORTAL_SYNC_URL={portal.url}", flush=True)
    serve(portal)


def serve(portal: FakePortal) -> None:
    """Run until Ctrl-C, printing the counters every 10 s (the command-line fakes)."""
    try:
        while True:
            time.sleep(10)
            print(json.dumps(portal.stats()), flush=True)
    except KeyboardInterrupt:
        portal.stop()


if __name__ == "__main__":
    main()
