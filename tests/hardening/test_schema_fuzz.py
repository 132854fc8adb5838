"""Schema fuzzing: schemathesis drives the app in-process (WSGI) from the committed openapi.yaml.

Every generated request (valid and invalid, from the examples, coverage and fuzzing phases) is sent
once per role — anonymous, an applicant, a clerk, a statistician, a supervisor, an administrator and,
on the portal operations, the HMAC-signed national portal — against the demo data plus a few
dossiers. Each response must be: no 5xx; a status the operation documents; a content type and body
that conform to the schema; and every 4xx an `application/problem+json` whose `status` and `type`
agree with the response.

Bounded for `make test` (fixed seed, derandomized, FUZZ_EXAMPLES examples per operation); `make fuzz`
runs the same test with a much larger budget. The demo data is loaded once for the module inside a
transaction that is rolled back at the end; each operation runs in a savepoint of its own.
"""
from __future__ import annotations

import io
import os
import zlib
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.core.handlers.wsgi import WSGIRequest
from django.core.management import call_command
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from django.test import override_settings
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from apps.portal import signing
from apps.portal.auth import request_target

OPENAPI = Path(__file__).resolve().parents[2] / "openapi.yaml"
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "3"))
EVERY_ROLE = os.environ.get("FUZZ_EVERY_ROLE") == "1"
SEED = int(os.environ.get("FUZZ_SEED", "20251123"))
PROBLEM = "application/problem+json"
PORTAL_KEY_ID, PORTAL_SECRET = "fuzz-portal", "fuzz-portal-secret-0123456789"
SIGN_HEADER = "X-Fuzz-Sign-As-Portal"  # asks the WSGI wrapper below to sign the request as it will be sent
STAFF_AND_APPLICANTS = ("citizen1", "clerk_tuphap", "stats_vangiang", "supervisor", "admin")

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


# Requests sent through the app, reported at the end of the module (`make fuzz` prints the figure).
REQUESTS_SENT = [0]


class PortalSigningApp:
    """Signs requests marked with SIGN_HEADER the way the portal does (apps/portal/signing.py): over the
    exact method, path, query string and body bytes the app will see, which only exist once
    schemathesis has serialized the case."""

    def __init__(self, app: Callable) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Any:
        REQUESTS_SENT[0] += 1
        if environ.pop("HTTP_" + SIGN_HEADER.upper().replace("-", "_"), None):
            body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
            environ["wsgi.input"] = io.BytesIO(body)
            # Sign the request target as sent (werkzeug's environ carries it raw, like gunicorn's).
            path = request_target(WSGIRequest({**environ, "wsgi.input": io.BytesIO(body)}))
            headers = signing.signed_headers(
                key_id=PORTAL_KEY_ID, secret=PORTAL_SECRET, method=environ["REQUEST_METHOD"], path=path, body=body
            )
            environ.update({"HTTP_" + name.upper().replace("-", "_"): value for name, value in headers.items()})
        return self.app(environ, start_response)


config = schemathesis.Config.from_dict({
    "seed": SEED,
    "generation": {"max-examples": EXAMPLES, "deterministic": True, "mode": "all"},
    "phases": {"stateful": {"enabled": False}},
})
schema = schemathesis.openapi.from_path(OPENAPI, config=config)
schema.app = PortalSigningApp(get_wsgi_application())

# Real identifiers of the fuzz world (filled by the `world` fixture), mixed into generated path
# parameters so requests reach real objects and not only 404s.
KNOWN: dict[str, list[Any]] = {}


@schema.hook
def flatmap_path_parameters(context, path_parameters: dict[str, Any]):
    """Half the time, swap each path parameter for a real value of its kind (when one is known)."""
    if not path_parameters:
        return st.just(path_parameters)
    label = context.operation.path
    choices = {}
    for name, value in path_parameters.items():
        kind = _parameter_kind(label, name)
        known = KNOWN.get(kind or "", [])
        choices[name] = st.sampled_from([value, *known]) if known else st.just(value)
    return st.fixed_dictionaries(choices)


def _parameter_kind(path: str, name: str) -> str | None:
    if name in ("id", "document_id"):
        return "dossier" if name == "id" else "document"
    if name == "code":
        for prefix, kind in (("/agencies/", "agency"), ("/procedures/", "procedure"), ("/lookup/", "dossier_code"),
                             ("/portal/dossiers/", "dossier_code")):
            if prefix in path:
                return kind
    return None


def _make_dossiers() -> None:
    from apps.accounts.models import User
    from apps.dossiers import services
    from apps.dossiers.uploads import check_upload
    from tests.dossier_fixtures import RECORD, RECORD_DOCS, pdf

    clerk = services.Caller.for_user(User.objects.get(username="clerk_tuphap"))
    citizen = services.Caller.for_user(User.objects.get(username="citizen1"))
    made = []
    for index in range(3):
        uploads = [check_upload(code, pdf(f"{code}.pdf"), field=code) for code in RECORD_DOCS]
        request = services.IntakeRequest(
            agency_code=RECORD["agency"], procedure_code=RECORD["procedure"],
            applicant=services.ApplicantData(applicant_type="citizen", name=f"Nguyễn Văn Fuzz {index}",
                                             id_number=f"00108800{index:04d}"),
            documents=uploads,
        )
        if index == 0:  # online, still waiting for the clerk
            made.append(services.dossier_submit(caller=citizen, request=request).dossier)
        else:
            made.append(services.dossier_register(caller=clerk, request=request, channel="counter").dossier)
    services.dossier_assign(dossier_id=made[2].pk, caller=clerk, assignee_username="specialist_tuphap")

    from apps.agencies.models import Agency
    from apps.catalog.models import Procedure
    from apps.dossiers.models import Dossier, DossierDocument

    KNOWN["dossier"] = sorted(Dossier.objects.values_list("pk", flat=True))
    KNOWN["dossier_code"] = sorted(Dossier.objects.values_list("code", flat=True))
    KNOWN["document"] = sorted(DossierDocument.objects.values_list("pk", flat=True))
    KNOWN["agency"] = sorted(Agency.objects.values_list("code", flat=True))[:5]
    KNOWN["procedure"] = sorted(Procedure.objects.values_list("code", flat=True))[:5]


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[dict[str, str]]:
    """Demo data, three dossiers and a portal key, once for the module; rolled back at the end.
    Returns a bearer token per demo user."""
    # Like Django's test client: the handler must not close the connection holding our transaction.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    media = tmp_path_factory.mktemp("fuzz-media")
    try:
        with override_settings(MEDIA_ROOT=str(media)), django_db_blocker.unblock(), transaction.atomic():
            from apps.accounts.models import User
            from apps.accounts.tokens import token_for
            from apps.portal.models import PortalKey
            from tests.conftest import forget_process_caches

            # Module-scoped: it runs before the per-test cache clearing, and the test before it
            # (another module) may have left catalogue rows of its rolled-back transaction cached.
            forget_process_caches()
            call_command("load_demo", "--no-tokens", stdout=io.StringIO())
            PortalKey.objects.create(key_id=PORTAL_KEY_ID, secret=PORTAL_SECRET, name="fuzz")
            _make_dossiers()
            tokens = {name: token_for(User.objects.get(username=name)).access_token for name in STAFF_AND_APPLICANTS}
            for token in tokens.values():  # `make fuzz` outlives one access token's 15 minutes
                token.set_exp(lifetime=timedelta(hours=6))
            yield {name: str(token) for name, token in tokens.items()}
            transaction.set_rollback(True)
    finally:
        KNOWN.clear()
        print(f"\nschema fuzzing: {REQUESTS_SENT[0]} requests, seed {SEED}, {EXAMPLES} examples per operation")
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def principals(case, tokens: dict[str, str]) -> list[tuple[str, dict[str, str]]]:
    """Who sends the case: everyone with FUZZ_EVERY_ROLE=1 (`make fuzz`); otherwise one principal picked
    from the case's content, so the many cases of an operation spread over all roles, and a case
    Hypothesis replays (or shrinks) keeps its sender."""
    everyone = [("anonymous", {})]
    everyone += [(name, {"Authorization": f"Bearer {token}"}) for name, token in tokens.items()]
    if case.operation.path.startswith("/api/v1/portal/"):
        everyone.append(("portal", {SIGN_HEADER: "1"}))
    if EVERY_ROLE:
        return everyone
    content = repr((case.path_parameters, case.query, case.headers, case.body)).encode()
    return [everyone[zlib.crc32(content) % len(everyone)]]


def assert_problem(response, who: str) -> None:
    """Beyond the schema: a 4xx says what it is, the same way every time."""
    if not 400 <= response.status_code < 500:
        return
    context = f"{who}: {response.status_code} {response.request.method} {response.request.url}"
    assert response.headers.get("content-type", [""])[0].startswith(PROBLEM), context
    body = response.json()
    assert body["status"] == response.status_code, context
    assert body["type"] == f"urn:onestop:problem:{body['code']}", context


@schema.parametrize()
@settings(suppress_health_check=list(HealthCheck), deadline=None)
def test_every_operation_as_every_role(case, world, db):
    for who, headers in principals(case, world):
        response = case.call(headers=headers)
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except Exception as exc:
            exc.add_note(f"as {who}")
            raise
        assert_problem(response, who)
