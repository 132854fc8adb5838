"""Issue 14, item 12: the signed path is the request target exactly as the portal sent it.

A portal signs the path and query string it puts on the request line (apps/portal/signing.py). The
server used to verify Django's decoded and re-escaped `get_full_path()` instead, so a portal that
percent-encoded differently (lower-case hex, an encoded unreserved character, a raw `|` in the query)
got 401. Now the raw target is verified: gunicorn's ``RAW_URI`` (the test client's requests carry it
too, as gunicorn's environ would: tests/raw_uri.py), uWSGI's ``REQUEST_URI``, Django's dev server
(patched to keep it), and for real through gunicorn and through nginx in front of it.
"""
from __future__ import annotations

import http.client
import json
import time
from urllib.parse import quote

import pytest
from rest_framework.test import APIClient

from apps.portal import signing

from .conftest import KEY_ID, SECRET, register_dossier

pytestmark = pytest.mark.django_db


def lower_hex(text: str) -> str:
    """Every byte percent-encoded with lower-case hex (valid, and not how Django re-escapes)."""
    return "".join(f"%{byte:02x}" for byte in text.encode())


class Portal:
    """Signs `target` as given and sends it as given; `environ` says how the server exposes the raw target."""

    def __init__(self, environ: str | None = "RAW_URI") -> None:
        self.environ = environ
        self.stamp = int(time.time())

    def headers(self, method: str, target: str, body: bytes = b"") -> dict[str, str]:
        self.stamp -= 1  # one request per timestamp: the same request twice would be a replay
        return signing.signed_headers(key_id=KEY_ID, secret=SECRET, method=method, path=target, body=body,
                                      timestamp=self.stamp)

    def get(self, target: str, *, signed_as: str | None = None, raw: str | None = None):
        meta = {f"HTTP_{k.upper().replace('-', '_')}": v
                for k, v in self.headers("GET", signed_as or target).items()}
        meta["RAW_URI"] = ""  # the server keeps no raw target, unless `environ` names where it does
        if self.environ:
            meta[self.environ] = raw or target
        return APIClient().generic("GET", target, **meta)


def code_of(response) -> str:
    return response.json()["code"]


def test_the_test_client_passes_the_raw_target_like_gunicorn(signed, portal_key, demo, media_root):
    # tests/raw_uri.py: the plain test client (and the `signed` fixture) behave like gunicorn.
    code = register_dossier(4).code
    response = signed("GET", f"/api/v1/portal/dossiers/{lower_hex(code)}/")
    assert (response.status_code, response.json()["code"]) == (200, code)
    query = signed("GET", "/api/v1/portal/changes/?after=H%e1%bb%93|x&limit=5")
    assert (query.status_code, query.json()["errors"][0]["field"]) == (400, "after")


def test_a_dossier_code_percent_encoded_any_valid_way_is_accepted(portal_key, demo, media_root):
    code = register_dossier(1).code
    portal = Portal()
    for segment in (lower_hex(code), code.replace(".", "%2e").replace("-", "%2D"), quote(code)):
        response = portal.get(f"/api/v1/portal/dossiers/{segment}/")
        assert response.status_code == 200, (segment, response.content)
        assert response.json()["code"] == code


@pytest.mark.parametrize("segment", [
    "H%E1%BB%93%20s%C6%A1%20m%E1%BB%99t%20c%E1%BB%ADa",  # "Hồ sơ một cửa", upper-case hex
    "H%e1%bb%93%20s%c6%a1%20m%e1%bb%99t%20c%e1%bb%ada",  # the same, lower-case hex
    "A%7E1",  # an encoded unreserved character ("~")
])
def test_percent_encoded_codes_pass_the_signature_check(portal_key, segment):
    response = Portal().get(f"/api/v1/portal/dossiers/{segment}/")
    assert (response.status_code, code_of(response)) == (404, "not_found")  # authenticated, no such dossier


@pytest.mark.parametrize("query", [
    "after=a%2Fb%20c",  # %2F and %20
    "after=a%2fb%20c",
    "after=H%E1%BB%93%20s%C6%A1",  # Vietnamese, UTF-8 percent-encoded
    "after=H%e1%bb%93+s%c6%a1",
    "after=a|b^c",  # characters Django's re-escaping would encode
    "after=x&after=y",  # a repeated parameter
])
def test_percent_encoded_queries_pass_the_signature_check(portal_key, query):
    response = Portal().get(f"/api/v1/portal/changes/?{query}")
    assert response.status_code == 400, response.content  # past authentication: the cursor is refused
    assert response.json()["errors"][0]["field"] == "after"


def test_repeated_query_parameters_are_signed_in_their_order(portal_key, demo):
    portal = Portal()
    response = portal.get("/api/v1/portal/catalog/?page_size=1&page_size=2")
    assert response.status_code == 200, response.content
    assert len(response.json()["results"]) == 2  # the last value counts
    swapped = portal.get("/api/v1/portal/catalog/?page_size=2&page_size=1",
                         signed_as="/api/v1/portal/catalog/?page_size=1&page_size=2")
    assert (swapped.status_code, code_of(swapped)) == (401, "signature_invalid")


def test_what_is_verified_is_what_was_sent(portal_key):
    portal = Portal()
    # "%35" decodes to "5": the same page for Django, but not the request the portal signed.
    other = portal.get("/api/v1/portal/changes/?limit=%35", signed_as="/api/v1/portal/changes/?limit=5")
    assert (other.status_code, code_of(other)) == (401, "signature_invalid")
    path = portal.get("/api/v1/portal/dossiers/A%7E1/", signed_as="/api/v1/portal/dossiers/A~1/")
    assert (path.status_code, code_of(path)) == (401, "signature_invalid")


def test_uwsgi_request_uri_and_the_absolute_form(portal_key):
    target = "/api/v1/portal/dossiers/H%e1%bb%93/"
    portal = Portal("REQUEST_URI")
    assert code_of(portal.get(target)) == "not_found"
    absolute = portal.get(target, raw="http://testserver" + target)
    assert code_of(absolute) == "not_found"


def test_without_a_raw_target_the_canonical_form_is_verified(portal_key):
    # Servers that keep no raw target (wsgiref): the path in Django's canonical escaping, the query raw.
    portal = Portal(environ=None)
    assert code_of(portal.get("/api/v1/portal/dossiers/H%E1%BB%93%20s%C6%A1/")) == "not_found"
    assert code_of(portal.get("/api/v1/portal/changes/?after=a|b")) == "validation_error"


def test_a_post_with_an_encoded_query_is_verified_as_sent(portal_key, demo, media_root):
    from .test_api import SUBMIT, body

    target = SUBMIT + "?src=c%e1%bb%95ng%20DVC"
    payload = json.dumps(body()).encode()
    meta = {f"HTTP_{k.upper().replace('-', '_')}": v
            for k, v in Portal().headers("POST", target, payload).items()}
    response = APIClient().generic("POST", target, data=payload, content_type="application/json", RAW_URI=target,
                                   **meta)
    assert response.status_code == 201, response.content


# --- real servers ----------------------------------------------------------------------------------


def _http_get(port: int, target: str, portal: Portal) -> tuple[int, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.putrequest("GET", target, skip_accept_encoding=True)  # the target goes on the wire as given
    for name, value in portal.headers("GET", target).items():
        conn.putheader(name, value)
    conn.endheaders()
    response = conn.getresponse()
    status, data = response.status, json.loads(response.read() or b"{}")
    conn.close()
    return status, data


@pytest.mark.django_db(transaction=True)
def test_django_dev_server_verifies_the_raw_target(live_server, portal_key, demo, media_root):
    code = register_dossier(2).code
    port = int(live_server.url.rsplit(":", 1)[1])
    status, data = _http_get(port, f"/api/v1/portal/dossiers/{lower_hex(code)}/", Portal(environ=None))
    assert (status, data.get("code")) == (200, code)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_gunicorn_and_nginx_in_front_verify_the_raw_target(tmp_path, portal_key, demo, media_root):
    from tests.stack import web_stack

    code = register_dossier(3).code
    portal = Portal(environ=None)
    with web_stack(tmp_path) as stack:
        for port in (stack.gunicorn_port, stack.nginx_port):
            status, data = _http_get(port, f"/api/v1/portal/dossiers/{lower_hex(code)}/", portal)
            assert (status, data.get("code")) == (200, code)
            status, data = _http_get(port, "/api/v1/portal/dossiers/H%e1%bb%93%20s%c6%a1/", portal)
            assert (status, data.get("code")) == (404, "not_found")
            status, data = _http_get(port, "/api/v1/portal/changes/?after=a%2fb%20c&after=H%E1%BB%93|x", portal)
            assert (status, data["errors"][0]["field"]) == (400, "after")
            status, data = _http_get(port, "/api/v1/portal/catalog/?page_size=1&page_size=2", portal)
            assert (status, len(data["results"])) == (200, 2)
