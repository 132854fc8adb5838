"""Verified sign-in against a real OpenID provider on loopback (tests/identity/provider.py, built
with Authlib's server components): discovery, code flow with PKCE, RS256 ID tokens from the JWKS;
a wrong state, nonce, audience, issuer or signature refused. And what verification unlocks: one
account per ID number, counter/post dossiers in "my dossiers" for the verified account only."""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.core.cache import cache
from django.db import IntegrityError, transaction
from joserfc.jwk import RSAKey
from rest_framework.test import APIClient

from apps.accounts.models import User
from apps.dossiers.models import Dossier
from apps.dossiers.selectors import applicant_account_ids
from apps.identity.models import CitizenIdentity
from apps.identity.oidc import STATE_PREFIX

from .provider import OpenIdProvider

CLIENT_ID, CLIENT_SECRET = "onestop-test", "client-secret-0123456789"
REDIRECT = "http://testserver/api/v1/auth/oidc/callback/"
ID_NUMBER = "001088000777"  # the `register` fixture's counter applicant, and the provider's citizen
START, CALLBACK = "/api/v1/auth/oidc/start/", "/api/v1/auth/oidc/callback/"


@pytest.fixture
def provider(settings):
    op = OpenIdProvider(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, redirect_uri=REDIRECT).start()
    settings.OIDC_ISSUER, settings.OIDC_CLIENT_ID, settings.OIDC_CLIENT_SECRET = op.issuer, CLIENT_ID, CLIENT_SECRET
    settings.OIDC_REDIRECT_URI = REDIRECT
    yield op
    op.stop()


def at_provider(client: APIClient) -> dict[str, str]:
    """Start the sign-in and follow the browser to the provider; returns the redirect's query."""
    started = client.get(START)
    assert started.status_code == 200, started.content
    url = started.json()["authorization_url"]
    answer = requests.get(url, allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text
    location = answer.headers["Location"]
    assert location.startswith(REDIRECT)
    query = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
    assert query["state"] == started.json()["state"]
    return query


def sign_in(client: APIClient | None = None):
    client = client or APIClient()
    return APIClient().get(CALLBACK, at_provider(client))


def bearer(access: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client


@pytest.mark.django_db
def test_the_code_flow_with_pkce_issues_the_apis_tokens(demo, provider):
    started = APIClient().get(START).json()
    query = parse_qs(urlsplit(started["authorization_url"]).query)
    assert urlsplit(started["authorization_url"]).netloc == urlsplit(provider.issuer).netloc  # from discovery
    assert query["response_type"] == ["code"] and query["client_id"] == [CLIENT_ID]
    assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) == 43
    assert query["nonce"] and query["state"] == [started["state"]] and "openid" in query["scope"][0]

    response = sign_in()
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["created"] is True and body["verified"] is True and provider.token_requests == 1
    me = bearer(body["access"]).get("/api/v1/me/").json()
    assert me["roles"] == ["applicant"] and me["id_number"] == ID_NUMBER and me["full_name"] == "Nguyễn Văn Bảy"
    assert me["id_verified"] is True
    identity = CitizenIdentity.objects.get(user_id=me["id"])
    assert (identity.verified, identity.id_key, identity.subject) == (True, "CCCD:001088000777", "vneid-sub-0001")
    # The refresh token works like a password sign-in's.
    assert APIClient().post("/api/v1/auth/token/refresh/", {"refresh": body["refresh"]},
                            format="json").status_code == 200
    # Signing in again lands on the same account.
    again = sign_in().json()
    assert again["created"] is False
    assert bearer(again["access"]).get("/api/v1/me/").json()["id"] == me["id"]
    assert User.objects.filter(id_number=ID_NUMBER).count() == 1


@pytest.mark.django_db
def test_a_wrong_or_replayed_state_is_refused(demo, provider):
    query = at_provider(APIClient())
    forged = APIClient().get(CALLBACK, {**query, "state": "not-the-state"})
    assert forged.status_code == 400 and forged["Content-Type"].startswith("application/problem+json")
    assert forged.json()["errors"][0]["field"] == "state"
    assert APIClient().get(CALLBACK, query).status_code == 200
    replay = APIClient().post(CALLBACK, query, format="json")  # the same code and state again
    assert replay.status_code == 400 and replay.json()["errors"][0]["field"] == "state"


@pytest.mark.parametrize("misbehaviour", ["nonce", "audience", "issuer", "signature", "pkce", "expired"])
@pytest.mark.django_db
def test_an_id_token_not_made_for_this_sign_in_is_refused(demo, provider, misbehaviour):
    if misbehaviour == "nonce":
        provider.override_claims = {"nonce": "another-sign-in"}
    elif misbehaviour == "audience":
        provider.override_claims = {"aud": ["another-client"]}
    elif misbehaviour == "issuer":
        provider.override_claims = {"iss": "http://127.0.0.1:1"}
    elif misbehaviour == "signature":
        provider.rogue_key = RSAKey.generate_key(2048, parameters={"kid": "test-key-1"}, private=True)
    elif misbehaviour == "expired":
        provider.override_claims = {"exp": 1_000_000_000}
    query = at_provider(APIClient())
    if misbehaviour == "pkce":  # our stored verifier no longer matches the challenge the provider holds
        record = cache.get(STATE_PREFIX + query["state"])
        cache.set(STATE_PREFIX + query["state"], {**record, "verifier": "x" * 64}, 60)
    response = APIClient().get(CALLBACK, query)
    assert response.status_code == 401, response.json()
    assert response["Content-Type"].startswith("application/problem+json")
    assert not CitizenIdentity.objects.filter(verified=True).exists()
    assert not User.objects.filter(username__startswith="vneid-").exists()


@pytest.mark.django_db
def test_provider_errors_and_bad_input_are_problems(demo, provider, settings):
    cancelled = APIClient().get(CALLBACK, {"error": "access_denied", "state": "x"})
    assert cancelled.status_code == 401 and cancelled["Content-Type"].startswith("application/problem+json")
    missing = APIClient().post(CALLBACK, {"state": "x"}, format="json")
    assert missing.status_code == 400 and missing.json()["errors"][0]["field"] == "code"
    provider.citizen = {"sub": "no-number", "name": "Ai Đó"}  # no ID number claim
    assert sign_in().status_code == 401
    settings.OIDC_ISSUER = ""
    off = APIClient().get(START)
    assert off.status_code == 422 and off["Content-Type"].startswith("application/problem+json")


@pytest.mark.django_db
def test_one_account_per_id_number_in_the_database(demo, api):
    first = api.post("/api/v1/auth/register/", {
        "username": "typer1", "password": "typer-Pass-2025", "full_name": "Người Gõ", "applicant_type": "citizen",
        "id_number": "001 088 000 777"}, format="json")
    assert first.status_code == 201 and first.json()["id_number"] == ID_NUMBER  # normalised
    for written in ("001088000777", "001.088.000.777"):
        second = api.post("/api/v1/auth/register/", {
            "username": f"typer-{written}", "password": "typer-Pass-2025", "full_name": "Người Khác",
            "applicant_type": "citizen", "id_number": written}, format="json")
        assert second.status_code == 400 and second.json()["errors"][0]["field"] == "id_number"
    bad = api.post("/api/v1/auth/register/", {
        "username": "typer3", "password": "typer-Pass-2025", "full_name": "X", "applicant_type": "citizen",
        "id_number": "12345678"}, format="json")
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "id_number"
    passport = api.post("/api/v1/auth/register/", {
        "username": "traveller", "password": "typer-Pass-2025", "full_name": "Lữ Khách", "applicant_type": "citizen",
        "id_number": "VN:B1234567"}, format="json")
    assert passport.status_code == 201 and passport.json()["id_number"] == "VNM:B1234567"
    # The database itself refuses a second claim (not only the serializer).
    other = User.objects.create_user(username="direct", password=None)
    with pytest.raises(IntegrityError), transaction.atomic():
        CitizenIdentity.objects.create(user=other, id_key="CCCD:001088000777")


@pytest.mark.django_db
def test_only_a_verified_account_sees_counter_dossiers_under_its_number(demo, provider, register, media_root, api):
    counter = Dossier.objects.get(pk=register().json()["id"])  # registered at the counter for 001088000777
    # Someone types that number into a password sign-up: they never see the counter dossier.
    assert api.post("/api/v1/auth/register/", {
        "username": "impostor", "password": "typer-Pass-2025", "full_name": "Kẻ Mạo Danh",
        "applicant_type": "citizen", "id_number": ID_NUMBER}, format="json").status_code == 201
    impostor = APIClient()
    impostor.force_authenticate(User.objects.get(username="impostor"))
    assert impostor.get("/api/v1/me/").json()["id_verified"] is False
    assert impostor.get("/api/v1/me/dossiers/").json()["results"] == []
    assert impostor.get(f"/api/v1/dossiers/{counter.pk}/").status_code == 404
    assert applicant_account_ids(counter) == []

    # The citizen signs in with the identity provider: verified, the number is theirs.
    body = sign_in().json()
    assert body["created"] is True  # not the impostor's account
    citizen = bearer(body["access"])
    assert [d["code"] for d in citizen.get("/api/v1/me/dossiers/").json()["results"]] == [counter.code]
    assert citizen.get(f"/api/v1/dossiers/{counter.pk}/").status_code == 200
    assert applicant_account_ids(counter) == [citizen.get("/api/v1/me/").json()["id"]]
    # ... and the impostor's account lost its claim, and still sees nothing.
    assert CitizenIdentity.objects.get(user__username="impostor").id_key is None
    assert impostor.get("/api/v1/me/dossiers/").json()["results"] == []
    # Another citizen's verified account does not see it either.
    other = APIClient()
    other.force_authenticate(User.objects.get(username="citizen1"))
    assert counter.code not in str(other.get("/api/v1/me/dossiers/").json())


@pytest.mark.django_db
def test_a_password_account_verifies_itself_by_starting_the_sign_in(demo, provider, register, media_root, api):
    counter = Dossier.objects.get(pk=register().json()["id"])
    assert api.post("/api/v1/auth/register/", {
        "username": "bay", "password": "bay-Pass-2025", "full_name": "Nguyễn Văn Bảy", "applicant_type": "citizen",
        "id_number": ID_NUMBER}, format="json").status_code == 201
    token = APIClient().post("/api/v1/auth/token/", {"username": "bay", "password": "bay-Pass-2025"},
                             format="json").json()["access"]
    own = bearer(token)
    assert own.get("/api/v1/me/dossiers/").json()["results"] == []  # not verified yet
    body = sign_in(own).json()  # started while signed in: the same account, now verified
    assert body["created"] is False
    assert bearer(body["access"]).get("/api/v1/me/").json()["username"] == "bay"
    assert [d["code"] for d in own.get("/api/v1/me/dossiers/").json()["results"]] == [counter.code]
