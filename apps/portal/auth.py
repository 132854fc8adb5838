"""HMAC authentication of the national portal (DESIGN.md section 7; scheme in signing.py).

Refusals are 401 problems with a stable code: `signature_missing` (some headers absent),
`signature_invalid` (unknown, inactive or expired key, malformed timestamp, wrong signature — the
body or path changed, or another secret), `signature_expired` (timestamp more than
PORTAL_SIGNATURE_MAX_SKEW seconds away from our clock), `signature_replayed` (this exact signature
was already accepted; remembered in the shared cache for twice the skew window, so it is refused
for as long as its timestamp could still pass).
"""
from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import BasePermission

from . import signing
from .models import PortalKey


class PortalPrincipal:
    """`request.user` for a portal request: a machine client, not a row in the users table."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False
    pk = None
    id = None

    def __init__(self, key_id: str) -> None:
        self.key_id = key_id
        self.username = f"portal:{key_id}"

    def has_role(self, *roles: str) -> bool:
        return False

    def __str__(self) -> str:
        return self.username


class PortalSignatureAuthentication(BaseAuthentication):
    www_authenticate = 'HMAC-SHA256 realm="portal"'

    def authenticate(self, request):
        headers = request.headers
        key_id = headers.get(signing.KEY_ID_HEADER, "")
        stamp = headers.get(signing.TIMESTAMP_HEADER, "")
        signature = headers.get(signing.SIGNATURE_HEADER, "")
        if not (key_id or stamp or signature):
            return None  # no credentials at all: DRF answers 401 not_authenticated
        if not (key_id and stamp and signature):
            raise AuthenticationFailed("X-Portal-Key-Id, X-Portal-Timestamp and X-Portal-Signature are all "
                                       "required.", code="signature_missing")
        key = PortalKey.objects.filter(key_id=key_id, is_active=True).first()
        if key is None or (key.valid_until is not None and key.valid_until <= timezone.now()):
            raise AuthenticationFailed("Unknown, inactive or expired key.", code="signature_invalid")
        if not stamp.isdigit():
            raise AuthenticationFailed("X-Portal-Timestamp must be unix seconds.", code="signature_invalid")
        if not signing.timestamp_fresh(stamp, max_skew=settings.PORTAL_SIGNATURE_MAX_SKEW):
            raise AuthenticationFailed("The request is too old (or from the future).", code="signature_expired")
        raw = request._request
        body = raw.body  # read once; the parser then reads the same bytes
        if not signing.verify(key.secret, raw.method, raw.get_full_path(), stamp, body, signature):
            raise AuthenticationFailed("The signature does not match the request.", code="signature_invalid")
        nonce = f"portal:sig:{key.key_id}:{signature.strip().lower()}"
        if not cache.add(nonce, 1, timeout=2 * settings.PORTAL_SIGNATURE_MAX_SKEW):
            raise AuthenticationFailed("This signed request was already used.", code="signature_replayed")
        return PortalPrincipal(key.key_id), key

    def authenticate_header(self, request) -> str:
        return self.www_authenticate


class IsPortal(BasePermission):
    def has_permission(self, request, view) -> bool:
        return isinstance(request.user, PortalPrincipal)
