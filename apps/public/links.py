"""Addresses of the public pages, for other apps (forms, receipts) without importing the views."""
from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse


def lookup_page_url(code: str) -> str:
    """The citizen's lookup page with the dossier code filled in (what the receipt's QR opens).

    The ID number is never part of it: the receipt is paper that travels, so the QR alone does not
    reveal the dossier and no ID number ends up in URL logs or scanner histories."""
    return settings.PUBLIC_BASE_URL.rstrip("/") + reverse("public-lookup") + "?" + urlencode({"ma": code})
