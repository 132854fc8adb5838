"""OpenID Connect sign-in with the national identity provider (VNeID through the national portal's
single sign-on): the authorization code flow with PKCE (S256), a confidential client.

Authlib does the protocol (the authorization URL with PKCE, the code exchange at the token
endpoint with the client's secret); joserfc (Authlib's JOSE library) verifies the ID token: an
RS256 signature by a key of the provider's JWKS, the issuer, the audience (our client id; `azp`
when there are several), the expiry and the nonce we sent. State, nonce and code verifier are kept
server-side for OIDC_STATE_SECONDS, keyed by the state, and used once.
"""
from __future__ import annotations

import logging
import secrets
import time
from dataclasses import dataclass
from typing import Any

import requests
from authlib.common.security import generate_token
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc6749.errors import OAuth2Error
from django.conf import settings
from django.core.cache import cache
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

logger = logging.getLogger(__name__)
STATE_PREFIX = "oidc:state:"
ALGORITHMS = ["RS256"]
LEEWAY = 60  # seconds of clock skew allowed on exp / iat


class OidcNotConfigured(Exception):
    pass


class OidcRefused(Exception):
    """The sign-in did not prove who the citizen is; `field` names what was wrong."""

    def __init__(self, message: str, field: str = "code") -> None:
        super().__init__(message)
        self.field = field


def configured() -> bool:
    return bool(settings.OIDC_ISSUER and settings.OIDC_CLIENT_ID and settings.OIDC_CLIENT_SECRET)


def _issuer() -> str:
    return settings.OIDC_ISSUER.rstrip("/")


def _get_json(url: str) -> dict[str, Any]:
    response = requests.get(url, timeout=settings.OIDC_TIMEOUT, headers={"Accept": "application/json"})
    response.raise_for_status()
    document = response.json()
    if not isinstance(document, dict):
        raise ValueError(f"{url} did not answer a JSON object")
    return document


def discovery(*, refresh: bool = False) -> dict[str, Any]:
    """The provider's metadata (/.well-known/openid-configuration), cached for an hour."""
    cache_key = f"oidc:discovery:{_issuer()}"
    document = None if refresh else cache.get(cache_key)
    if document is None:
        try:
            document = _get_json(_issuer() + "/.well-known/openid-configuration")
        except (requests.RequestException, ValueError) as exc:
            raise OidcRefused(f"The identity provider cannot be reached: {exc}", field="provider") from exc
        if document.get("issuer", "").rstrip("/") != _issuer():
            raise OidcRefused("The provider's metadata names another issuer.", field="provider")
        cache.set(cache_key, document, 3600)
    return document


def _keys(*, refresh: bool = False) -> KeySet:
    uri = discovery()["jwks_uri"]
    cache_key = f"oidc:jwks:{uri}"
    data = None if refresh else cache.get(cache_key)
    if data is None:
        try:
            data = _get_json(uri)
        except (requests.RequestException, ValueError) as exc:
            raise OidcRefused(f"The provider's keys cannot be read: {exc}", field="provider") from exc
        cache.set(cache_key, data, 3600)
    return KeySet.import_key_set(data)


def _session(**kwargs) -> OAuth2Session:
    return OAuth2Session(
        client_id=settings.OIDC_CLIENT_ID, client_secret=settings.OIDC_CLIENT_SECRET,
        scope=settings.OIDC_SCOPES, redirect_uri=settings.OIDC_REDIRECT_URI, code_challenge_method="S256", **kwargs,
    )


@dataclass(frozen=True)
class Start:
    authorization_url: str
    state: str


def start(*, link_user_id: int | None = None) -> Start:
    """A new sign-in: the URL to send the citizen's browser to."""
    if not configured():
        raise OidcNotConfigured("OpenID Connect sign-in is not configured (OIDC_ISSUER, OIDC_CLIENT_ID, ...).")
    metadata = discovery()
    state, nonce, verifier = secrets.token_urlsafe(32), secrets.token_urlsafe(32), generate_token(64)
    url, _ = _session().create_authorization_url(
        metadata["authorization_endpoint"], state=state, nonce=nonce, code_verifier=verifier,
    )
    cache.set(STATE_PREFIX + state, {"nonce": nonce, "verifier": verifier, "link_user_id": link_user_id},
              settings.OIDC_STATE_SECONDS)
    return Start(authorization_url=url, state=state)


def _take_state(state: str) -> dict[str, Any]:
    key = STATE_PREFIX + state
    record = cache.get(key) if state else None
    if not isinstance(record, dict) or not cache.delete(key):  # used once, even by two racing callbacks
        raise OidcRefused("Unknown or expired sign-in (state).", field="state")
    return record


def verify_id_token(id_token: str, *, nonce: str) -> dict[str, Any]:
    """The ID token's claims, if the provider signed them for us and for this sign-in."""
    try:
        token = jwt.decode(id_token, _keys(), algorithms=ALGORITHMS)
    except (JoseError, ValueError) as first:
        try:  # the provider may have rotated its keys since we cached them
            token = jwt.decode(id_token, _keys(refresh=True), algorithms=ALGORITHMS)
        except (JoseError, ValueError) as exc:
            raise OidcRefused(f"The ID token's signature is not valid ({exc or first}).", field="id_token") from exc
    claims = token.claims
    now = int(time.time())
    audiences = claims.get("aud")
    audiences = [audiences] if isinstance(audiences, str) else audiences if isinstance(audiences, list) else []
    if str(claims.get("iss", "")).rstrip("/") != _issuer():
        raise OidcRefused("The ID token was issued by another provider.", field="id_token")
    client_id = settings.OIDC_CLIENT_ID
    if client_id not in audiences or (len(audiences) > 1 and claims.get("azp") != client_id):
        raise OidcRefused("The ID token is meant for another client (audience).", field="id_token")
    if not isinstance(claims.get("exp"), int) or claims["exp"] + LEEWAY < now:
        raise OidcRefused("The ID token has expired.", field="id_token")
    if isinstance(claims.get("iat"), int) and claims["iat"] - LEEWAY > now:
        raise OidcRefused("The ID token was issued in the future.", field="id_token")
    if not nonce or not secrets.compare_digest(str(claims.get("nonce", "")), nonce):
        raise OidcRefused("The ID token does not belong to this sign-in (nonce).", field="id_token")
    if not claims.get("sub"):
        raise OidcRefused("The ID token names no subject.", field="id_token")
    return claims


def finish(*, code: str, state: str) -> dict[str, Any]:
    """Exchange the code (with the PKCE verifier) and return the verified ID token's claims."""
    if not configured():
        raise OidcNotConfigured("OpenID Connect sign-in is not configured.")
    record = _take_state(state)
    if not code:
        raise OidcRefused("No authorization code.", field="code")
    try:
        token = _session(state=state).fetch_token(
            discovery()["token_endpoint"], grant_type="authorization_code", code=code,
            code_verifier=record["verifier"],
        )
    except (OAuthError, OAuth2Error, requests.RequestException, ValueError) as exc:
        logger.warning("OIDC code exchange refused: %s", exc)
        raise OidcRefused(f"The identity provider refused the code: {exc}", field="code") from exc
    id_token = token.get("id_token")
    if not isinstance(id_token, str):
        raise OidcRefused("The identity provider sent no ID token.", field="id_token")
    claims = verify_id_token(id_token, nonce=record["nonce"])
    claims["_link_user_id"] = record.get("link_user_id")
    return claims
