"""Download links the portal can fetch without an account: signed and expiring.

A link names one stored document (`DossierDocument`) and carries a signature and a timestamp
(`django.core.signing`, keyed by SECRET_KEY, its own salt); it is accepted for
PORTAL_FILE_URL_SECONDS after it was made. Links are made when a record is sent, so a message that
waited in the outbox still carries fresh links.
"""
from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.urls import reverse

SALT = "onestop.portal.document-link"


def document_token(document_id: int) -> str:
    return signing.dumps(document_id, salt=SALT, compress=False)


def document_url(document_id: int) -> str:
    path = reverse("portal-document-download", kwargs={"token": document_token(document_id)})
    return settings.PUBLIC_BASE_URL.rstrip("/") + path


def document_id_from_token(token: str) -> int:
    """The document id; raises signing.SignatureExpired (too old) or signing.BadSignature."""
    value = signing.loads(token, salt=SALT, max_age=settings.PORTAL_FILE_URL_SECONDS)
    if not isinstance(value, int):
        raise signing.BadSignature("not a document link")
    return value
