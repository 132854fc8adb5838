"""Issue 14, item 9: slow clients must not take the service down.

The production web stack runs on loopback as docker-compose.yml runs it (gunicorn with its command
line, production settings, behind nginx with deploy/nginx/onestop.conf.template). 64 clients trickle
request bodies at one byte per second and 64 more trickle request headers, while normal requests
must be answered in under a second. The same clients against gunicorn alone (what the outside test
found) leave normal requests unanswered: that is what the test would see without nginx.
"""
from __future__ import annotations

import http.client
import socket

import pytest

from bench.web_stack import probe, run_slow_clients
from tests.stack import web_stack

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

SLOW = 64
LIMIT = 2 * 1024 * 1024  # UPLOAD_MAX_REQUEST_BYTES of this stack, for nginx and the app alike


@pytest.fixture(scope="module")
def stack(django_db_setup, tmp_path_factory):
    """One stack for the module: nginx on `stack.nginx_port`, gunicorn alone on `stack.gunicorn_port`."""
    with web_stack(tmp_path_factory.mktemp("stack"), max_body=LIMIT) as running:
        yield running


def test_normal_requests_stay_fast_behind_nginx_while_slow_clients_trickle(stack, demo):
    run = run_slow_clients(stack.nginx_port, body_clients=SLOW, header_clients=SLOW, seconds=8.0)
    result = run.result
    assert run.connected == 2 * SLOW  # the slow clients really were there
    assert result.sent >= 20
    assert result.failures == []
    assert result.statuses == {200: result.sent}
    assert max(result.latencies_ms) < 1000, sorted(result.latencies_ms)[-5:]


def test_without_nginx_the_same_slow_clients_starve_gunicorn(stack, db):
    # The control: the load above is real. gunicorn alone (4 sync workers, as in docker-compose.yml)
    # leaves normal requests unanswered while the slow clients hold its workers.
    run = run_slow_clients(stack.gunicorn_port, body_clients=SLOW, header_clients=SLOW, seconds=3.0, timeout=2.5)
    assert run.result.failures, run.result
    # Once they are gone, gunicorn serves again (the slow connections end in EOF).
    assert probe(stack.gunicorn_port, seconds=0.1, timeout=30).statuses == {200: 1}


def _post_head(port: int, length: int) -> tuple[int, bytes]:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(f"POST /api/v1/dossiers/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; "
                     f"boundary=x\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n".encode())
        response = http.client.HTTPResponse(sock)
        response.begin()
        return response.status, response.read()


def test_nginx_and_the_app_share_one_upload_limit(stack, db):
    # nginx refuses from the header alone, before a byte of the body (problem JSON, like the app).
    status, body = _post_head(stack.nginx_port, LIMIT + 1)
    assert status == 413 and b'"code": "payload_too_large"' in body
    # gunicorn alone, same variable: the app refuses the same length the same way.
    status, body = _post_head(stack.gunicorn_port, LIMIT + 1)
    assert status == 413 and b'"code":"payload_too_large"' in body.replace(b" ", b"")
    # At the limit, nginx lets the request through to the app, which reads it all (here: 400, not JSON).
    # (An endpoint that answered before reading the body would have gunicorn close on nginx mid-send.)
    conn = http.client.HTTPConnection("127.0.0.1", stack.nginx_port, timeout=30)
    conn.request("POST", "/api/v1/auth/token/", body=b"x" * LIMIT, headers={"Content-Type": "application/json"})
    response = conn.getresponse()
    assert (response.status, response.getheader("Content-Type")) == (400, "application/problem+json")
