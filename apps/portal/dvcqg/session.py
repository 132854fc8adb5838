"""The portal session, shared by every worker process through the cache (Redis).

- One login at a time: a worker that finds no valid session takes a short lock (``cache.add``,
  i.e. Redis ``SET NX EX``) and logs in; the others wait for the session it stores, so many workers
  starting together make one login, not a storm.
- Renewed before expiry: the session is cached for PORTAL_SESSION_SECONDS minus
  PORTAL_SESSION_RENEW_MARGIN, so it is replaced before the portal would refuse it.
- Renewed on an auth error: `renew(stale)` drops the stale session (only if it is still the cached
  one: another worker may have renewed already) and logs in under the same lock.
- A refused login (the portal answered no) is remembered for a few seconds, so waiting workers
  fail fast with the portal's message instead of each trying the same wrong password; a portal that
  could not be reached is tried again at the next attempt.
- Without a reachable cache, each process logs in on its own (logged): delivery goes on.
"""
from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from .client import LoginFailed

logger = logging.getLogger(__name__)

SESSION_KEY = "portal:dvcqg:session"
LOCK_KEY = "portal:dvcqg:login-lock"
FAILED_KEY = "portal:dvcqg:login-failed"
FAILED_SECONDS = 5
POLL_SECONDS = 0.05

_local_lock = threading.Lock()
_local: dict[str, Any] = {}  # fallback when the cache is unreachable


def _cache_ttl() -> int:
    return max(int(settings.PORTAL_SESSION_SECONDS - settings.PORTAL_SESSION_RENEW_MARGIN), 1)


def cached() -> dict[str, Any] | None:
    """The cached session record ({session, obtained_at}) or None."""
    value = cache.get(SESSION_KEY)
    return value if isinstance(value, dict) and value.get("session") else None


class SessionStore:
    def __init__(self, login: Callable[[], str], *, wait_seconds: float | None = None) -> None:
        self._login = login
        self.wait_seconds = wait_seconds if wait_seconds is not None else settings.PORTAL_TIMEOUT * 2 + 5

    def get(self) -> str:
        try:
            current = cached()
        except Exception:  # cache (Redis) unreachable
            return self._local_session(None)
        if current:
            return current["session"]
        return self._acquire(stale=None)

    def renew(self, stale: str) -> str:
        """A session other than `stale` (which the portal just refused)."""
        try:
            current = cached()
            if current and current["session"] == stale:
                cache.delete(SESSION_KEY)  # a racing renewal may already have replaced it: harmless
            elif current:
                return current["session"]
        except Exception:
            return self._local_session(stale)
        return self._acquire(stale=stale)

    def _acquire(self, *, stale: str | None) -> str:
        deadline = time.monotonic() + self.wait_seconds
        token = uuid.uuid4().hex
        while True:
            try:
                if cache.add(LOCK_KEY, token, timeout=int(self.wait_seconds) + 1):
                    return self._login_holding_lock(token, stale)
                current = cached()
                failed = cache.get(FAILED_KEY)
            except LoginFailed:
                raise
            except Exception:
                return self._local_session(stale)
            if current and current["session"] != stale:
                return current["session"]
            if failed:
                raise LoginFailed(str(failed), refused=True)
            if time.monotonic() > deadline:
                raise LoginFailed("timed out waiting for another worker's portal login")
            time.sleep(POLL_SECONDS)

    def _login_holding_lock(self, token: str, stale: str | None) -> str:
        try:
            current = cached()  # renewed while we waited for the lock?
            if current and current["session"] != stale:
                return current["session"]
            failed = cache.get(FAILED_KEY)  # refused a moment ago: do not try the same password again
            if failed:
                raise LoginFailed(str(failed), refused=True)
            try:
                session = self._login()
            except LoginFailed as exc:
                if exc.refused:  # a wrong password stays wrong; an unreachable portal may be back at once
                    cache.set(FAILED_KEY, str(exc), timeout=FAILED_SECONDS)
                raise
            cache.delete(FAILED_KEY)
            cache.set(SESSION_KEY, {"session": session, "obtained_at": timezone.now().isoformat()},
                      timeout=_cache_ttl())
            logger.info("portal: logged in (session cached for %d s)", _cache_ttl())
            return session
        finally:
            if cache.get(LOCK_KEY) == token:
                cache.delete(LOCK_KEY)

    def _local_session(self, stale: str | None) -> str:
        logger.warning("portal: session cache unreachable; this process logs in on its own")
        with _local_lock:
            value = _local.get("session")
            if value and value != stale and time.monotonic() < _local.get("expires", 0):
                return value
            session = self._login()
            _local.update(session=session, expires=time.monotonic() + _cache_ttl())
            return session


def forget() -> None:
    """Drop the cached session (tests, `portal_check --fresh`)."""
    cache.delete_many([SESSION_KEY, LOCK_KEY, FAILED_KEY])
    _local.clear()
