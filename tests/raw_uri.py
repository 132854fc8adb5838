"""The test client hands requests to Django the way gunicorn does: with the raw request target.

gunicorn puts the request target exactly as the client sent it in ``RAW_URI`` (uWSGI in
``REQUEST_URI``); Django's test client only builds the decoded ``PATH_INFO``, so code that must see
what the client sent (the portal's signature check, apps/portal/auth.py) would be tested against a
request no production server produces. This plugin of tests/conftest.py adds ``RAW_URI``: the path
as the test passed it (its percent-encoding untouched) and the query string the request carries.
A test that wants a server without it passes ``RAW_URI=""``.
"""
from __future__ import annotations

from urllib.parse import urlencode, urlsplit

from django.test.client import RequestFactory

_generic = RequestFactory.generic


def _latin1(text: str) -> str:
    return text.encode().decode("iso-8859-1")  # WSGI passes request text as latin-1 "bytes as str"


def generic(self, method, path, data="", content_type="application/octet-stream", secure=False, *, headers=None,
            query_params=None, **extra):
    if "RAW_URI" not in extra:
        parsed = urlsplit(str(path))
        # The query string the request ends up with (RequestFactory.generic's own order of precedence).
        query = (urlencode(query_params, doseq=True) if query_params else extra.get("QUERY_STRING")) or _latin1(
            parsed.query)
        if parsed.path:
            extra["RAW_URI"] = _latin1(parsed.path) + (f"?{query}" if query else "")
    return _generic(self, method, path, data, content_type, secure, headers=headers, query_params=query_params,
                    **extra)


RequestFactory.generic = generic  # APIClient (DRF) builds its requests through it too
