"""HMAC authentication of the national portal (DESIGN.md section 7; scheme in signing.py).

Refusals are 401 problems with a stable code: `signature_missing` (some headers absent),
`signature_invalid` (unknown, inactive or expired key, malformed timestamp, wrong signature — the
body or path changed, or another secret), `signature_expired` (timestamp more than
PORTAL_SIGNATURE_MAX_SKEW seconds away from our clock), `signature_replayed` (this exact signature
was already accepted; remembered in PostgreSQL (`PortalSignature`, unique) for twice the skew
window, so it is refused for as long as its timestamp could still pass, whatever happens to Redis).

The signed path is the request target exactly as the client sent it (`request_target`): the raw
path and query string, not Django's decoded and re-escaped `get_full_path()`.
"""
from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone
from django.utils.encoding import escape_uri_path
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import BasePermission

from . import signing
from .models import PortalKey
from .services import portal_signature_claim


def _wsgi_text(value: str) -> str:
    """WSGI hands request text over as latin-1 ("bytes as str"); back to the UTF-8 text a client signs."""
    return value.encode("latin-1", "replace").decode("utf-8", "replace")


def request_target(request: HttpRequest) -> str:
    """The path and query string exactly as the client sent them: what a portal signs (signing.py).

    gunicorn keeps the raw request target in ``RAW_URI``, uWSGI and mod_wsgi in ``REQUEST_URI``;
    nginx passes it on unchanged (deploy/nginx). Django's own `get_full_path()` is no substitute: it
    decodes the path (``%2F`` becomes ``/``, ``%7E`` ``~``, ``%c3%a1`` ``á``) and escapes it again in
    its own way, so a portal that signed what it sent would be refused.

    Servers that keep no raw target (Django's runserver and test client, wsgiref) only give the
    decoded ``PATH_INFO``; then the path is taken in its canonical form (UTF-8, percent-encoded with
    upper-case hex, unreserved characters left as they are), which is what such a portal must sign.
    The query string is never decoded by a WSGI server, so it is the raw one in both cases."""
    raw = request.META.get("RAW_URI") or request.META.get("REQUEST_URI")
    if raw:
        if not raw.startswith("/"):  # absolute form ("http://host/path?q"), as sent to a proxy
            parts = urlsplit(raw)
            raw = parts.path + (f"?{parts.query}" if parts.query else "")
        return _wsgi_text(raw)
    query = request.META.get("QUERY_STRING", "")
    return escape_uri_path(request.path) + (f"?{_wsgi_text(query)}" if query else "")


def keep_raw_target_in_dev_server() -> None:
    """Give Django's development server (runserver, and the live server of tests) the ``RAW_URI``
    gunicorn sets: its WSGI handler knows the raw request target (``self.path``) but, like wsgiref,
    passes only the decoded PATH_INFO on. Production servers are not touched by this."""
    from django.core.servers import basehttp

    handler = basehttp.WSGIRequestHandler
    if getattr(handler.get_environ, "keeps_raw_uri", False):
        return
    original = handler.get_environ

    def get_environ(self) -> dict:
        environ = original(self)
        environ.setdefault("RAW_URI", self.path)  # latin-1 text, as WSGI passes request text
        return environ

    get_environ.keeps_raw_uri = True  # type: ignore[attr-defined]
    handler.get_environ = get_environ  # type: ignore[method-assign]


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
        if not signing.verify(key.secret, raw.method, request_target(raw), stamp, body, signature):
            raise AuthenticationFailed("The signature does not match the request.", code="signature_invalid")
        if not portal_signature_claim(key_id=key.key_id, signature=signature.strip().lower(), timestamp=int(stamp)):
            raise AuthenticationFailed("This signed request was already used.", code="signature_replayed")
        return PortalPrincipal(key.key_id), key

    def authenticate_header(self, request) -> str:
        return self.www_authenticate


class IsPortal(BasePermission):
    def has_permission(self, request, view) -> bool:
        return isinstance(request.user, PortalPrincipal)
