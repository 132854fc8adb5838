"""Inbound HMAC authentication: good, wrong key, body changed, old timestamp, replay (issue 6)."""
import time

import pytest

from apps.portal.models import PortalKey

from .conftest import KEY_ID

pytestmark = pytest.mark.django_db

FEED = "/api/v1/portal/changes/?limit=5"


def code_of(response) -> str:
    assert response["Content-Type"] == "application/problem+json", response.content
    return response.json()["code"]


def test_a_good_signature_is_accepted(signed):
    response = signed("GET", FEED)
    assert response.status_code == 200, response.content
    assert response.json() == {"results": [], "next_cursor": None, "has_more": False}


def test_no_credentials_is_401_with_a_challenge(api, portal_key):
    response = api.get(FEED)
    assert response.status_code == 401
    assert code_of(response) == "not_authenticated"
    assert response["WWW-Authenticate"].startswith("HMAC-SHA256")


def test_some_headers_missing(api, portal_key):
    response = api.get(FEED, HTTP_X_PORTAL_KEY_ID=KEY_ID)
    assert response.status_code == 401
    assert code_of(response) == "signature_missing"


def test_wrong_secret(signed):
    response = signed("GET", FEED, secret="not-the-secret")
    assert response.status_code == 401
    assert code_of(response) == "signature_invalid"


def test_unknown_key_id(signed):
    response = signed("GET", FEED, key_id="someone-else")
    assert (response.status_code, code_of(response)) == (401, "signature_invalid")


def test_inactive_or_expired_key(signed, portal_key):
    from django.utils import timezone

    portal_key.valid_until = timezone.now()
    portal_key.save()
    assert code_of(signed("GET", FEED)) == "signature_invalid"
    PortalKey.objects.filter(pk=portal_key.pk).update(valid_until=None, is_active=False)
    assert code_of(signed("GET", FEED)) == "signature_invalid"


def test_body_changed_after_signing(signed, demo):
    body = {"agency": "000.00.17.H29", "procedure": "2.000488"}
    response = signed("POST", "/api/v1/portal/dossiers/", body, sign_body=b'{"agency": "other"}')
    assert (response.status_code, code_of(response)) == (401, "signature_invalid")


def test_query_changed_after_signing(signed):
    # The signature covers the query string: another page of the feed needs its own signature.
    from apps.portal import signing
    from tests.portal.conftest import SECRET

    stamp = str(int(time.time()))
    headers = signing.signed_headers(key_id=KEY_ID, secret=SECRET, method="GET", path=FEED, body=b"",
                                     timestamp=int(stamp))
    from rest_framework.test import APIClient

    meta = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
    response = APIClient().get("/api/v1/portal/changes/?limit=6", **meta)
    assert (response.status_code, code_of(response)) == (401, "signature_invalid")


@pytest.mark.parametrize("skew", [-301, 301, -3600])
def test_old_or_future_timestamp(signed, skew):
    response = signed("GET", FEED, timestamp=int(time.time()) + skew)
    assert (response.status_code, code_of(response)) == (401, "signature_expired")


def test_timestamp_inside_the_window(signed):
    assert signed("GET", FEED, timestamp=int(time.time()) - 290).status_code == 200


def test_malformed_timestamp(signed):
    response = signed("GET", FEED, headers={"X-Portal-Timestamp": "2025-01-01T00:00:00Z"})
    assert (response.status_code, code_of(response)) == (401, "signature_invalid")


def test_replayed_request_is_refused(signed):
    stamp = int(time.time())
    first = signed("GET", FEED, timestamp=stamp)
    assert first.status_code == 200
    again = signed("GET", FEED, timestamp=stamp)  # byte-for-byte the same request
    assert (again.status_code, code_of(again)) == (401, "signature_replayed")
    # A new request (new timestamp) passes.
    assert signed("GET", FEED, timestamp=stamp + 1).status_code == 200


def test_portal_endpoints_refuse_user_tokens(demo, api):
    from apps.accounts.models import User
    from apps.accounts.tokens import token_for

    token = token_for(User.objects.get(username="supervisor")).access_token
    response = api.get(FEED, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert (response.status_code, code_of(response)) == (401, "not_authenticated")
