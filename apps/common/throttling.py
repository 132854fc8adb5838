"""Per-client rate limits, counted in the shared cache (Redis), so every web process sees one count.

Why not DRF's SimpleRateThrottle as is: it reads the request history, appends and writes it back,
so parallel requests (the usual way to guess passwords) all read the same history and all pass.
Here a hit is one atomic `INCR` on a counter that expires with its window (fixed window opened by
the client's first hit), so N parallel requests are counted N times. Over the limit the client gets
429 problem JSON with `Retry-After` (the seconds left in its window).

Rates come from REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] (env THROTTLE_*, see config/settings.py),
read on every request so a test can change them; "off" or an empty value disables a scope.
"""
from __future__ import annotations

import functools
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle

logger = logging.getLogger(__name__)
PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
KEY_PREFIX = "throttle"


@dataclass(frozen=True)
class Rate:
    limit: int
    seconds: int


def parse_rate(text: str | None) -> Rate | None:
    """`"30/min"`, `"20/hour"`, `"5/s"`, `"100/day"`; None, "" or "off": no limit."""
    if text is None or text.strip().lower() in ("", "off", "none"):
        return None
    number, _, period = text.strip().partition("/")
    seconds = PERIODS.get(period.strip()[:1].lower())
    if not number.strip().isdigit() or seconds is None:
        raise ImproperlyConfigured(f"Throttle rate {text!r} is not '<count>/<s|min|hour|day>'.")
    return Rate(int(number), seconds)


def configured_rate(scope: str) -> Rate | None:
    rates = api_settings.DEFAULT_THROTTLE_RATES
    if scope not in rates:
        raise ImproperlyConfigured(f"No throttle rate for scope {scope!r} in DEFAULT_THROTTLE_RATES.")
    return parse_rate(rates[scope])


def hit(scope: str, ident: str, rate: Rate) -> int | None:
    """Count one request of `ident`; None while within the limit, else the seconds to wait.

    With the cache (Redis) unreachable the request passes, logged: a rate limit protects the
    service, and refusing every sign-in and filing because a counter store is down would be the
    outage it is meant to prevent."""
    key = f"{KEY_PREFIX}:{scope}:{ident}"
    try:
        count, seconds_left = _count(key, rate)
    except Exception:  # django-redis raises redis' ConnectionError/TimeoutError or its own wrappers
        logger.exception("rate limit %s not counted: the cache is unreachable", scope)
        return None
    if count <= rate.limit:
        return None
    return max(1, seconds_left) if seconds_left is not None and seconds_left >= 0 else rate.seconds


# One hit, atomically: count, open the window on its first hit, and over the limit say how long the
# window still runs (no second round trip for the 429's Retry-After).
_COUNT_SCRIPT = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
if count > tonumber(ARGV[2]) then return {count, redis.call('TTL', KEYS[1])} end
return {count, -1}
"""


def _count(key: str, rate: Rate) -> tuple[int, int | None]:
    """The window's count after this hit, and past the limit the seconds the window has left (None:
    unknown). On Redis one round trip (every filing and sign-in pays it): a script run by its
    digest (EVALSHA), so the window cannot close between counting and opening it. Other caches
    (local memory under `make run`): the same through the cache API, two calls."""
    redis_client = _redis_client()
    if redis_client is not None:
        count, seconds_left = _count_script(redis_client)(keys=[cache.make_key(key)], args=[rate.seconds, rate.limit])
        return int(count), int(seconds_left)
    cache.add(key, 0, timeout=rate.seconds)  # opens the window; a no-op while it is open
    try:
        return cache.incr(key), None
    except ValueError:  # the window closed between the two calls: this request opens the next one
        cache.add(key, 1, timeout=rate.seconds)
        return 1, None


@functools.lru_cache(maxsize=8)
def _count_script(redis_client):
    """The counting script registered with this client (its digest computed once)."""
    return redis_client.register_script(_COUNT_SCRIPT)


def _redis_client():
    """django-redis' raw client when the cache is Redis, else None."""
    client = getattr(cache, "client", None)
    get_client = getattr(client, "get_client", None)
    return get_client(write=True) if get_client is not None else None


def client_ip(request: HttpRequest) -> str:
    """REMOTE_ADDR, or the address NUM_PROXIES trusted proxies put in X-Forwarded-For (never the
    client's own X-Forwarded-For when NUM_PROXIES is 0: a forged header must not buy a fresh limit)."""
    return BaseThrottle().get_ident(request) or "unknown"


def ip_ident(request: HttpRequest) -> str:
    return f"ip:{client_ip(request)}"


def username_ident(username: object) -> str | None:
    """A fixed-size key for a sign-in name; case-folded so `Admin` and `admin` share one limit."""
    if not isinstance(username, str) or not username.strip():
        return None
    return "name:" + hashlib.sha256(username.strip().casefold().encode()).hexdigest()[:32]


class WindowRateThrottle(BaseThrottle):
    """Base: a subclass names its `scope` and how a client is identified."""

    scope: str = ""

    def __init__(self) -> None:
        self.wait_seconds: int | None = None

    def identity(self, request, view) -> str | None:
        raise NotImplementedError

    def allow_request(self, request, view) -> bool:
        rate = configured_rate(self.scope)
        ident = self.identity(request, view) if rate is not None else None
        if rate is None or ident is None:
            return True
        self.wait_seconds = hit(self.scope, ident, rate)
        return self.wait_seconds is None

    def wait(self) -> int | None:
        return self.wait_seconds


class ClientIpThrottle(WindowRateThrottle):
    def identity(self, request, view) -> str | None:
        return ip_ident(request)


class SignedInUserThrottle(WindowRateThrottle):
    """Per account when signed in (an office NAT must not share one budget), else per address."""

    def identity(self, request, view) -> str | None:
        user = request.user
        if getattr(user, "is_authenticated", False) and getattr(user, "pk", None) is not None:
            return f"user:{user.pk}"
        return ip_ident(request)


class LookupThrottle(ClientIpThrottle):
    scope = "lookup"


class SignupThrottle(ClientIpThrottle):
    """Applicant accounts created (POST auth/register/), per address: slows mass account creation."""

    scope = "signup"


class SubmissionThrottle(SignedInUserThrottle):
    """Applicants filing online (POST /dossiers/)."""

    scope = "submission"


class RegistrationThrottle(SignedInUserThrottle):
    """Clerks registering counter and post dossiers."""

    scope = "registration"


class PortalSubmissionThrottle(WindowRateThrottle):
    """The national portal, per signing key (it runs after the signature was verified)."""

    scope = "portal_submission"

    def identity(self, request, view) -> str | None:
        key_id = getattr(request.user, "key_id", None)
        return f"key:{key_id}" if key_id else None


class LoginIpThrottle(ClientIpThrottle):
    scope = "login_ip"


class LoginUsernameThrottle(WindowRateThrottle):
    """Per sign-in name, whoever tries it from wherever: slows a distributed guess at one account."""

    scope = "login_username"

    def identity(self, request, view) -> str | None:
        data = request.data
        return username_ident(data.get("username") if isinstance(data, dict) else None)


LOGIN_THROTTLES = [LoginIpThrottle, LoginUsernameThrottle]


def login_attempt_wait(request: HttpRequest, username: object) -> int | None:
    """For sign-in forms outside DRF (the admin): counts the attempt against the same two limits
    as the token endpoint, so both doors share one budget. Seconds to wait, or None."""
    waits = []
    for throttle, ident in ((LoginIpThrottle, ip_ident(request)), (LoginUsernameThrottle, username_ident(username))):
        rate = configured_rate(throttle.scope)
        if rate is not None and ident is not None:
            waits.append(hit(throttle.scope, ident, rate))
    return max((w for w in waits if w is not None), default=None)


def throttle_login_form(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Wraps a Django sign-in form view (the admin's, the dashboard's): a POST over either login
    limit is answered 429 with Retry-After before the password is looked at."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.method == "POST":
            wait = login_attempt_wait(request, request.POST.get("username"))
            if wait is not None:
                text = gettext("Too many sign-in attempts. Try again in %(seconds)s seconds.") % {"seconds": wait}
                response = HttpResponse(text + "\n", status=429, content_type="text/plain; charset=utf-8")
                response["Retry-After"] = str(wait)
                return response
        return view(request, *args, **kwargs)

    return wrapped
