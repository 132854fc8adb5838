"""Per-client rate limits (apps/common/throttling.py): each limit answers 429 problem JSON with
Retry-After once exceeded, leaves other clients alone, and counts in Redis (shared by processes)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from django_redis import get_redis_connection
from rest_framework.test import APIClient

from apps.common.throttling import Rate, hit, parse_rate
from apps.portal import signing
from apps.portal.models import PortalKey

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "demo-Pass-2025"
pytestmark = pytest.mark.django_db


def assert_throttled(response, window: int = 60) -> None:
    assert response.status_code == 429, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    body = response.json()
    assert (body["status"], body["code"]) == (429, "throttled")
    wait = int(response["Retry-After"])
    assert 1 <= wait <= window
    assert body["retry_after"] == wait


def token(client: APIClient, username: str, password: str, ip: str = "10.0.0.1", **extra):
    return client.post("/api/v1/auth/token/", {"username": username, "password": password}, format="json",
                       REMOTE_ADDR=ip, **extra)


# --- submissions ---------------------------------------------------------------------------------


def test_online_filing_is_limited_per_applicant(as_user, rates):
    rates(submission="2/min")
    citizen = as_user("citizen1")
    # The limit is counted before the body is judged: invalid filings count too.
    statuses = [citizen.post("/api/v1/dossiers/", {}, format="json").status_code for _ in range(2)]
    assert statuses == [400, 400]
    assert_throttled(citizen.post("/api/v1/dossiers/", {}, format="json"))
    # Another applicant, and the staff queue (GET on the same URL), are not affected.
    assert as_user("citizen2").post("/api/v1/dossiers/", {}, format="json").status_code == 400
    clerk = as_user("clerk_tuphap")
    assert [clerk.get("/api/v1/dossiers/").status_code for _ in range(3)] == [200, 200, 200]


def test_counter_registration_is_limited_per_clerk(as_user, rates):
    rates(registration="2/min")
    clerk = as_user("clerk_tuphap")
    assert [clerk.post("/api/v1/dossiers/register/", {}, format="json").status_code for _ in range(2)] == [400, 400]
    assert_throttled(clerk.post("/api/v1/dossiers/register/", {}, format="json"))
    assert as_user("clerk_xuanquan").post("/api/v1/dossiers/register/", {}, format="json").status_code == 400


def _portal_post(key: PortalKey, stamp_offset: int):
    import time

    path, body = "/api/v1/portal/dossiers/", b"{}"
    headers = signing.signed_headers(key_id=key.key_id, secret=key.secret, method="POST", path=path, body=body,
                                     timestamp=int(time.time()) - stamp_offset)
    meta = {f"HTTP_{name.upper().replace('-', '_')}": value for name, value in headers.items()}
    return APIClient().generic("POST", path, data=body, content_type="application/json", **meta)


def test_portal_submission_is_limited_per_key(db, rates):
    rates(portal_submission="2/min")
    first = PortalKey.objects.create(key_id="portal-a", secret="secret-a-0123456789", name="A")
    second = PortalKey.objects.create(key_id="portal-b", secret="secret-b-0123456789", name="B")
    assert [_portal_post(first, offset).status_code for offset in range(2)] == [400, 400]
    assert_throttled(_portal_post(first, 2))
    assert _portal_post(second, 0).status_code == 400


# --- sign-in -------------------------------------------------------------------------------------


def test_token_endpoint_locks_a_username_out_whoever_guesses(demo, rates):
    rates(login_username="3/min", login_ip="100/min")
    api = APIClient()
    # Three wrong guesses from three addresses: each is a plain 401.
    assert [token(api, "citizen1", "wrong", ip=f"10.0.1.{i}").status_code for i in range(3)] == [401] * 3
    # Locked out: even the right password is refused unchecked, and the case of the name is no way round.
    assert_throttled(token(api, "citizen1", PASSWORD, ip="10.0.1.9"))
    assert_throttled(token(api, "CITIZEN1", PASSWORD, ip="10.0.1.9"))
    # Another account from the same address signs in.
    assert token(api, "citizen2", PASSWORD, ip="10.0.1.9").status_code == 200


def test_token_endpoint_limits_one_address(demo, rates):
    rates(login_ip="3/min", login_username="100/min")
    api = APIClient()
    assert [token(api, f"nobody{i}", "wrong").status_code for i in range(3)] == [401] * 3
    assert_throttled(token(api, "citizen1", PASSWORD))
    # A forged X-Forwarded-For buys no fresh limit (NUM_PROXIES is 0: the peer address counts).
    assert_throttled(token(api, "citizen1", PASSWORD, HTTP_X_FORWARDED_FOR="192.0.2.77"))
    assert token(api, "citizen1", PASSWORD, ip="10.0.0.2").status_code == 200


@pytest.mark.parametrize("login_url", ["/admin/login/", "/accounts/login/"], ids=["admin", "dashboard"])
def test_session_sign_in_forms_share_the_login_limits(demo, rates, login_url):
    rates(login_username="3/min", login_ip="100/min")
    browser = Client(REMOTE_ADDR="10.0.2.1")
    attempts = [browser.post(login_url, {"username": "clerk_tuphap", "password": "wrong"}).status_code
                for _ in range(3)]
    assert attempts == [200] * 3  # the form again, with its error
    locked = browser.post(login_url, {"username": "clerk_tuphap", "password": PASSWORD})
    assert locked.status_code == 429
    assert 1 <= int(locked["Retry-After"]) <= 60
    # The same budget as the API's token endpoint: that door is closed for this name too.
    assert_throttled(token(APIClient(), "clerk_tuphap", PASSWORD, ip="10.0.2.2"))
    # Someone else signs in from elsewhere.
    other = Client(REMOTE_ADDR="10.0.2.3").post(login_url, {"username": "admin", "password": PASSWORD})
    assert other.status_code == 302


def test_public_lookup_limit_is_per_address(demo, rates):
    rates(lookup="2/min")
    api = APIClient()
    assert [api.get("/api/v1/lookup/X/", {"id_number": "1"}, REMOTE_ADDR="10.0.3.1").status_code
            for _ in range(2)] == [404, 404]
    assert_throttled(api.get("/api/v1/lookup/X/", {"id_number": "1"}, REMOTE_ADDR="10.0.3.1"))
    assert api.get("/api/v1/lookup/X/", {"id_number": "1"}, REMOTE_ADDR="10.0.3.2").status_code == 404


def test_applicant_sign_up_is_limited_per_address(db, rates):
    rates(signup="2/hour")
    api = APIClient()

    def sign_up(n: int, ip: str):
        return api.post("/api/v1/auth/register/", {"username": f"new{n}", "password": "x"}, format="json",
                        REMOTE_ADDR=ip)

    assert [sign_up(n, "10.0.4.1").status_code for n in range(2)] == [400, 400]  # attempts count, valid or not
    assert_throttled(sign_up(3, "10.0.4.1"), window=3600)
    assert sign_up(4, "10.0.4.2").status_code == 400


def test_with_redis_unreachable_requests_pass_and_the_miss_is_logged(db, settings, caplog):
    settings.CACHES = {"default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": "redis://127.0.0.1:1/0",
                                   "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.2, "SOCKET_TIMEOUT": 0.2}}}
    assert [hit("login_ip", "ip:10.0.5.1", Rate(1, 60)) for _ in range(3)] == [None, None, None]
    assert "the cache is unreachable" in caplog.text


# --- where and how the counting happens --------------------------------------------------------------


SHARED_COUNT = """
import django
django.setup()
from apps.common.throttling import Rate, hit
print([hit("login_ip", "ip:10.9.9.9", Rate(3, 60)) for _ in range(3)])
"""


def test_counters_live_in_redis_and_are_shared_by_processes(demo, rates):
    rates(login_ip="3/min", login_username="100/min")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings_test"}
    done = subprocess.run([sys.executable, "-c", SHARED_COUNT], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[None, None, None]"  # another process used this address's three attempts
    assert_throttled(token(APIClient(), "citizen1", PASSWORD, ip="10.9.9.9"))
    keys = get_redis_connection("default").keys("*throttle:login_ip:ip:10.9.9.9")
    assert len(keys) == 1
    assert 1 <= get_redis_connection("default").ttl(keys[0]) <= 60


def test_parallel_hits_are_each_counted(db):
    """The point of not using DRF's read-modify-write history: 16 simultaneous guesses, 5 allowed."""
    barrier, results = threading.Barrier(16), []

    def guess() -> None:
        barrier.wait()
        results.append(hit("login_username", "name:parallel", Rate(5, 60)))

    threads = [threading.Thread(target=guess) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(1 for wait in results if wait is None) == 5


@pytest.mark.parametrize(("text", "expected"), [
    ("30/min", Rate(30, 60)), ("20/hour", Rate(20, 3600)), ("5/s", Rate(5, 1)), ("100/day", Rate(100, 86400)),
    ("off", None), ("", None),
])
def test_rates_are_read_from_settings_text(text, expected):
    assert parse_rate(text) == expected


@pytest.mark.parametrize("text", ["thirty/min", "30/fortnight", "30"])
def test_a_malformed_rate_is_a_configuration_error(text):
    with pytest.raises(ImproperlyConfigured):
        parse_rate(text)


def test_rates_come_from_the_environment():
    code = "import config.settings as s, json; print(json.dumps(s.REST_FRAMEWORK['DEFAULT_THROTTLE_RATES']))"
    env = {"PATH": os.environ.get("PATH", ""), "SECRET_KEY": "x" * 60, "THROTTLE_SUBMISSION": "7/hour",
           "THROTTLE_LOGIN_USERNAME": "off"}
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    configured = json.loads(done.stdout)
    assert configured["submission"] == "7/hour" and configured["login_username"] == "off"
    assert configured["login_ip"] == "100/min"  # the default


def test_a_hit_is_one_round_trip_to_redis(db, monkeypatch):
    """Issue 19: every filing and sign-in pays the limit's cost: counting and opening the window
    are one script (EVALSHA), and a refused hit learns the window's time left in the same round trip."""
    from redis.connection import Connection

    sent = []
    original = Connection.send_packed_command

    def counting(self, command, check_health=True):
        sent.append(command if isinstance(command, bytes) else b"".join(command))
        return original(self, command, check_health)

    hit("login_ip", "ip:10.7.7.7", Rate(2, 60))  # warm: the connection exists, the script is loaded
    monkeypatch.setattr(Connection, "send_packed_command", counting)
    assert hit("login_ip", "ip:10.7.7.7", Rate(2, 60)) is None
    assert len(sent) == 1 and b"EVALSHA" in sent[0]
    wait = hit("login_ip", "ip:10.7.7.7", Rate(2, 60))
    assert wait is not None and 1 <= wait <= 60  # the third in the window is refused, with the time left
    assert len(sent) == 2


def test_a_window_opens_with_its_first_hit_and_closes_after_its_seconds(db):
    """The counter expires with its window: after it, the client starts a new one."""
    from django.core.cache import cache

    rate = Rate(1, 1)
    assert hit("login_ip", "ip:10.6.6.6", rate) is None
    key = cache.make_key("throttle:login_ip:ip:10.6.6.6")
    assert get_redis_connection("default").ttl(key) == 1
    assert hit("login_ip", "ip:10.6.6.6", rate) == 1  # refused: the window's last second
    time.sleep(1.2)
    assert hit("login_ip", "ip:10.6.6.6", rate) is None


def test_the_window_counts_on_a_local_memory_cache_too(settings):
    """`make run` has no Redis: the same counting through the cache API."""
    from django.core.cache import caches

    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "LOCATION": "throttle-locmem-test"}}
    caches["default"].clear()
    assert [hit("login_ip", "ip:10.8.8.8", Rate(2, 60)) for _ in range(3)][:2] == [None, None]
    assert hit("login_ip", "ip:10.8.8.8", Rate(2, 60)) == 60
