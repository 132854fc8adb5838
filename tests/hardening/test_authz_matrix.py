"""The authorization matrix (issue 7, part 2): every endpoint × every role × object ownership.

One row per route and method, one column per role, the expected status written in each cell. Object
endpoints are called on objects owned by applicant A and handled by agency X, so the other applicant
and the clerk of agency Y must get 404 (the object is someone else's: its existence is not
confirmed), a role that may never do the thing gets 403, and anonymous callers 401.

Roles (columns):
    anon    no credentials
    appA    applicant A (citizen1), who owns the dossiers
    appB    applicant B (citizen2)
    clkX    clerk of agency X (clerk_tuphap, 000.00.17.H29 Sở Tư pháp, which handles the dossiers)
    clkY    clerk of agency Y (clerk_xuanquan, 000.31.01.H29, a commune)
    spec    specialist of agency X
    lead    leader of agency X
    stat    statistician of the district subtree 000.00.31.H29 (which contains Y, not X)
    sup     province supervisor
    portal  the national portal: every request HMAC-signed with a PortalKey (apps/portal/signing.py)
    admin   administrator (superuser)
People call the API with a bearer JWT, as real clients do (so an endpoint's own authentication
classes are part of what is tested: a JWT is no credential on a portal endpoint, an HMAC signature
none on the others: both are 401 there), and pages outside /api/ with a session cookie.

Fresh state per cell: the module builds the demo data set and one dossier per state it needs once,
inside a transaction rolled back at the end; each cell runs in a savepoint rolled back after it, so
an action taken in one cell is never seen by the next. Action endpoints are called on a dossier in a
state the action is allowed from, with a valid body, so the role check alone decides the outcome.

`test_every_endpoint_is_in_the_matrix` walks Django's URL resolver: a route/method that is not in
the matrix, or a matrix row whose route is gone, fails it.
"""
from __future__ import annotations

import base64
import io
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from apps.accounts.management.commands.load_demo import DEMO_PASSWORD
from apps.accounts.models import User
from apps.accounts.tokens import token_for
from apps.agencies.models import Agency
from apps.catalog.models import Offering, Procedure
from apps.dossiers import services
from apps.dossiers.models import Dossier, DossierEvent
from apps.dossiers.uploads import check_upload
from apps.notifications.models import Notification, NotificationChannel, NotificationKind, NotificationStatus
from apps.payments.models import Payment
from apps.portal import signing
from apps.portal.files import document_token
from apps.portal.models import PortalKey
from apps.ratings.models import Rating, Source
from apps.ratings.services import rating_give
from onestop.lifecycle import TRANSITIONS, Action, Actor
from tests.dossier_fixtures import BIRTH, BIRTH_DOCS, PDF, PNG, RECORD, RECORD_DOCS, pdf

ROLES = ("anon", "appA", "appB", "clkX", "clkY", "spec", "lead", "stat", "sup", "portal", "admin")
ROLE_USERS = {
    "appA": "citizen1", "appB": "citizen2", "clkX": "clerk_tuphap", "clkY": "clerk_xuanquan",
    "spec": "specialist_tuphap", "lead": "leader_tuphap", "stat": "stats_vangiang", "sup": "supervisor",
    "admin": "admin",
}
AGENCY_X = RECORD["agency"]
PORTAL_KEY_ID, PORTAL_SECRET = "matrix-portal", "matrix-portal-secret-0123456789"
V1 = "/api/v1/"

# Routes under /api/v1/ are written without that prefix; others start with "/". "/^api/" is the
# catch-all that answers every unknown /api/ path with a 404 problem.
# fmt: off
MATRIX: dict[tuple[str, str], str] = {
    #                                                           anon appA appB clkX clkY spec lead stat sup portal admin
    ("POST", "auth/token/"):                                     "200 200 200 200 200 200 200 200 200 200 200",
    ("POST", "auth/token/refresh/"):                             "200 200 200 200 200 200 200 200 200 200 200",
    ("POST", "auth/register/"):                                  "201 201 201 201 201 201 201 201 201 201 201",
    ("GET",  "me/"):                                             "401 200 200 200 200 200 200 200 200 401 200",
    # citizens' verified sign-in (OpenID Connect): open to all; not configured here, so 422
    ("GET",  "auth/oidc/start/"):                                "422 422 422 422 422 422 422 422 422 422 422",
    ("GET",  "auth/oidc/callback/"):                             "422 422 422 422 422 422 422 422 422 422 422",
    ("POST", "auth/oidc/callback/"):                             "422 422 422 422 422 422 422 422 422 422 422",
    ("GET",  "agencies/"):                                       "200 200 200 200 200 200 200 200 200 200 200",
    ("GET",  "agencies/<str:code>/"):                            "200 200 200 200 200 200 200 200 200 200 200",
    ("GET",  "agencies/<str:code>/members/"):                    "401 403 403 200 404 200 200 404 200 401 200",
    ("GET",  "fields/"):                                         "200 200 200 200 200 200 200 200 200 200 200",
    ("GET",  "procedures/"):                                     "200 200 200 200 200 200 200 200 200 200 200",
    ("GET",  "procedures/<str:code>/"):                          "200 200 200 200 200 200 200 200 200 200 200",
    ("GET",  "offerings/"):                                      "200 200 200 200 200 200 200 200 200 200 200",
    ("GET",  "calendar/<int:year>/"):                            "200 200 200 200 200 200 200 200 200 200 200",
    ("GET",  "dossiers/"):                                       "401 403 403 200 200 200 200 200 200 401 200",
    ("POST", "dossiers/"):                                       "401 201 201 403 403 403 403 403 403 401 403",
    ("POST", "dossiers/register/"):                              "401 403 403 201 400 403 403 403 403 401 403",
    ("GET",  "dossiers/export.csv"):                             "401 403 403 200 200 200 200 200 200 401 200",
    ("GET",  "dossiers/<int:pk>/"):                              "401 200 404 200 404 200 200 404 200 401 200",
    ("GET",  "dossiers/<int:pk>/history/"):                      "401 200 404 200 404 200 200 404 200 401 200",
    ("GET",  "dossiers/<int:pk>/documents/"):                    "401 200 404 200 404 200 200 404 200 401 200",
    ("GET",  "dossiers/<int:pk>/documents/<int:document_id>/download/"):
                                                                 "401 200 404 200 404 200 200 404 200 401 200",
    ("GET",  "dossiers/<int:pk>/documents/<str:form>.pdf"):      "401 200 404 200 404 200 200 404 200 401 200",
    ("GET",  "dossiers/<int:pk>/receipt/"):                      "401 200 404 200 404 200 200 404 200 401 200",
    ("GET",  "me/dossiers/"):                                    "401 200 200 403 403 403 403 403 403 401 403",
    ("GET",  "lookup/<str:code>/"):                              "200 200 200 200 200 200 200 200 200 200 200",
    # the applicant's in-app notifications
    ("GET",  "me/notifications/"):                               "401 200 200 403 403 403 403 403 403 401 403",
    ("POST", "me/notifications/read-all/"):                      "401 200 200 403 403 403 403 403 403 401 403",
    ("POST", "me/notifications/<int:pk>/read/"):                 "401 200 404 403 403 403 403 403 403 401 403",
    # online payment: the dossier's payment (whoever sees the dossier); the gateway's IPN answers
    # every caller as the gateway expects (here RspCode 99: no gateway configured)
    ("GET",  "dossiers/<int:pk>/payment/"):                      "401 200 404 200 404 200 200 404 200 401 200",
    ("POST", "payments/callback/"):                              "200 200 200 200 200 200 200 200 200 200 200",
    # actions (DESIGN.md section 2; who: onestop/lifecycle.py TRANSITIONS)
    ("POST", "dossiers/<int:pk>/accept/"):                       "401 403 404 200 404 403 403 404 403 401 403",
    ("POST", "dossiers/<int:pk>/reject/"):                       "401 403 404 200 404 403 200 404 403 401 403",
    ("POST", "dossiers/<int:pk>/assign/"):                       "401 403 404 200 404 403 200 404 403 401 403",
    ("POST", "dossiers/<int:pk>/request_supplement/"):           "401 403 404 200 404 200 403 404 403 401 403",
    ("POST", "dossiers/<int:pk>/supplement/"):                   "401 200 404 200 404 403 403 404 403 401 403",
    ("POST", "dossiers/<int:pk>/transfer/"):                     "401 403 404 200 404 403 200 404 403 401 403",
    ("POST", "dossiers/<int:pk>/apologise/"):                    "401 403 404 403 404 403 200 404 403 401 403",
    ("POST", "dossiers/<int:pk>/request_payment/"):              "401 403 404 200 404 403 403 404 403 401 403",
    ("POST", "dossiers/<int:pk>/confirm_payment/"):              "401 403 404 200 404 403 403 404 403 401 403",
    ("POST", "dossiers/<int:pk>/resolve/"):                      "401 403 404 403 404 200 200 404 403 401 403",
    ("POST", "dossiers/<int:pk>/return/"):                       "401 403 404 200 404 403 403 404 403 401 403",
    ("POST", "dossiers/<int:pk>/withdraw/"):                     "401 200 404 403 404 403 403 404 403 401 403",
    # ratings
    ("GET",  "dossiers/<int:pk>/rating/"):                       "401 200 404 200 404 200 200 404 200 401 200",
    ("POST", "dossiers/<int:pk>/rating/"):                       "401 201 404 403 404 403 403 404 403 401 403",
    ("GET",  "ratings/"):                                        "401 403 403 200 200 200 200 200 200 401 200",
    ("POST", "ratings/kiosk/"):                                  "401 403 403 201 404 403 403 403 403 401 403",
    # statistics (each staff member within their own scope)
    ("GET",  "stats/summary/"):                                  "401 403 403 200 200 200 200 200 200 401 200",
    ("GET",  "stats/breakdown/"):                                "401 403 403 200 200 200 200 200 200 401 200",
    ("GET",  "stats/summary.csv"):                               "401 403 403 200 200 200 200 200 200 401 200",
    ("GET",  "stats/summary.xlsx"):                              "401 403 403 200 200 200 200 200 200 401 200",
    # audit log (administrators)
    ("GET",  "audit/"):                                          "401 403 403 403 403 403 403 403 403 401 200",
    # national portal: HMAC only
    ("POST", "portal/dossiers/"):                                "401 401 401 401 401 401 401 401 401 201 401",
    ("GET",  "portal/dossiers/<str:code>/"):                     "401 401 401 401 401 401 401 401 401 200 401",
    ("GET",  "portal/changes/"):                                 "401 401 401 401 401 401 401 401 401 200 401",
    ("GET",  "portal/catalog/"):                                 "401 401 401 401 401 401 401 401 401 200 401",
    ("GET",  "portal/health/"):                                  "200 200 200 200 200 200 200 200 200 200 200",
    # a signed, expiring link is its own credential (the portal fetches documents with it)
    ("GET",  "portal/files/<str:token>/"):                       "200 200 200 200 200 200 200 200 200 200 200",
    # outside /api/v1/
    ("GET",  "/api/schema/"):                                    "200 200 200 200 200 200 200 200 200 200 200",
    ("GET",  "/api/docs/"):                                      "200 200 200 200 200 200 200 200 200 200 200",
    ("GET",  "/^api/"):                                          "404 404 404 404 404 404 404 404 404 404 404",
    ("GET",  "/admin/"):                                         "302 302 302 302 302 302 302 302 302 302 200",
    # server-rendered pages (session): the statistics dashboard and its sign-in
    ("GET",  "/dashboard/"):                                     "302 403 403 403 403 403 200 200 200 302 200",
    ("GET",  "/accounts/login/"):                                "200 200 200 200 200 200 200 200 200 200 200",
    ("POST", "/accounts/login/"):                                "302 302 302 302 302 302 302 302 302 302 302",
    ("PUT",  "/accounts/login/"):                                "200 200 200 200 200 200 200 200 200 200 200",
    ("POST", "/accounts/logout/"):                               "302 302 302 302 302 302 302 302 302 302 302",
    # after sign-in: every one is sent to the page of their daily work (the public pages without a session)
    ("GET",  "/accounts/start/"):                                "302 302 302 302 302 302 302 302 302 302 302",
    # the clerk workbench (session): clerks, specialists and leaders; another agency's dossier is a 404
    ("GET",  "/workbench/"):                                     "302 403 403 200 200 200 200 403 403 302 403",
    ("GET",  "/workbench/register/"):                           "302 403 403 200 200 403 403 403 403 302 403",
    ("GET",  "/workbench/dossiers/<int:pk>/"):                      "302 403 403 200 404 200 200 403 403 302 403",
    ("GET",  "/workbench/dossiers/<int:pk>/actions/<str:action>/"): "405 405 405 405 405 405 405 405 405 405 405",
    ("GET",  "/workbench/dossiers/<int:pk>/documents/<int:document_id>/"):
                                                                 "302 403 403 200 404 200 200 403 403 302 403",
    ("GET",  "/workbench/dossiers/<int:pk>/forms/<str:form>.pdf"): "302 403 403 200 404 200 200 403 403 302 403",
    ("GET",  "/workbench/dossiers/<int:pk>/print/<str:form>/"):       "302 403 403 200 404 200 200 403 403 302 403",
    ("GET",  "/workbench/dossiers/<int:pk>/rating/"):             "302 403 403 200 404 403 403 403 403 302 403",
    # citizens' public pages (no sign-in)
    ("GET",  "/"):                                               "200 200 200 200 200 200 200 200 200 200 200",
    ("GET",  "/tra-cuu/"):                                       "200 200 200 200 200 200 200 200 200 200 200",
    ("GET",  "/favicon.ico"):                                    "200 200 200 200 200 200 200 200 200 200 200",
    # the payment link and the gateway's return page (no gateway configured: nothing to open or verify)
    ("GET",  "/thanh-toan/<str:token>/"):                        "404 404 404 404 404 404 404 404 404 404 404",
    ("GET",  "/thanh-toan/ket-qua/"):                            "400 400 400 400 400 400 400 400 400 400 400",
    # the pages' language switcher: a POST form (a GET changes nothing: 405 for everyone)
    ("GET",  "/i18n/setlang/"):                                  "405 405 405 405 405 405 405 405 405 405 405",
}
# fmt: on


# --- the data every cell starts from ----------------------------------------------------------------


@dataclass
class World:
    dossiers: dict[str, Dossier]  # by the state the cells need: submitted, received, ...
    document_id: int  # an intake document of dossiers["received"]
    refresh_token: str  # applicant A's
    tokens: dict[str, str]  # role → access token
    users: dict[str, User]  # role → user

    def pk(self, state: str) -> int:
        return self.dossiers[state].pk

    def code(self, state: str) -> str:
        return self.dossiers[state].code


def _build_world() -> World:
    call_command("load_demo", "--no-tokens", stdout=io.StringIO())
    # A transfer's target must offer the procedure (issue 15): the finance department offers RECORD's.
    Offering.objects.create(agency=Agency.objects.get(code="000.00.12.H29"),
                            procedure=Procedure.objects.get(code=RECORD["procedure"]), online_level=3)
    PortalKey.objects.create(key_id=PORTAL_KEY_ID, secret=PORTAL_SECRET, name="Cổng DVC quốc gia (ma trận)")
    users = {role: User.objects.get(username=name) for role, name in ROLE_USERS.items()}
    applicant = services.Caller.for_user(users["appA"])
    clerk = services.Caller.for_user(users["clkX"])
    specialist = services.Caller.for_user(users["spec"])

    def person(user: User) -> services.ApplicantData:
        return services.ApplicantData(applicant_type="citizen", name=user.full_name, id_number=user.id_number)

    def intake(person: services.ApplicantData, target: dict[str, str], docs: tuple[str, ...]):
        return services.IntakeRequest(
            agency_code=target["agency"], procedure_code=target["procedure"], applicant=person,
            documents=[check_upload(code, pdf(f"{code}.pdf"), field=code) for code in docs],
        )

    def filed() -> Dossier:
        """Applicant A files online at agency X (the dossier starts `submitted`)."""
        request = intake(person(users["appA"]), RECORD, RECORD_DOCS)
        return services.dossier_submit(caller=applicant, request=request).dossier

    def received() -> Dossier:
        dossier = filed()
        return services.dossier_accept(dossier_id=dossier.pk, caller=clerk)

    dossiers = {"submitted": filed(), "received": received()}
    dossiers["awaiting_supplement"] = services.dossier_request_supplement(
        dossier_id=received().pk, caller=clerk, reason="Thiếu giấy tờ", items=["CCCD"])
    dossiers["awaiting_payment"] = services.dossier_request_payment(
        dossier_id=received().pk, caller=clerk, amount=200000, items=[{"name": "Lệ phí", "amount": "200000"}])
    dossiers["resolved"] = services.dossier_resolve(dossier_id=received().pk, caller=specialist, result="approved")
    rated = services.dossier_resolve(dossier_id=received().pk, caller=specialist, result="approved")
    rating_give(dossier_id=rated.pk, rated_by=users["appA"], source=Source.ONLINE, level="satisfied")
    dossiers["rated"] = rated
    # Other owners, for OWNERSHIP: applicant B's dossier at agency Y, and one without an applicant account.
    of_b = services.dossier_submit(caller=services.Caller.for_user(users["appB"]),
                                   request=intake(person(users["appB"]), BIRTH, BIRTH_DOCS)).dossier
    dossiers["B@Y"] = services.dossier_accept(dossier_id=of_b.pk, caller=services.Caller.for_user(users["clkY"]))
    def counter_request() -> services.IntakeRequest:
        return intake(services.ApplicantData(**NEW_APPLICANT), RECORD, RECORD_DOCS)

    registered = services.dossier_register(caller=clerk, request=counter_request(), channel="counter").dossier
    dossiers["counter@X"] = services.dossier_request_supplement(
        dossier_id=registered.pk, caller=clerk, reason="Thiếu giấy tờ", items=["CCCD"])
    dossiers["A@X"] = dossiers["received"]
    # The kiosk rates counter dossiers (an online one's applicant rates it themselves).
    dossiers["counter_resolved"] = services.dossier_resolve(
        dossier_id=services.dossier_register(caller=clerk, request=counter_request(), channel="counter").dossier.pk,
        caller=specialist, result="approved")
    Notification.objects.create(  # applicant A's in-app notification
        key="matrix:app", kind=NotificationKind.STATUS_CHANGE, channel=NotificationChannel.APP, recipient="appA",
        body="Hồ sơ đã được tiếp nhận", user=users["appA"], dossier=dossiers["received"],
        status=NotificationStatus.SENT)
    payment_event = dossiers["awaiting_payment"].events.get(action=Action.REQUEST_PAYMENT)
    Payment.objects.create(  # an online payment opened for it (no gateway is configured here)
        dossier=dossiers["awaiting_payment"], request_event=payment_event, gateway="vnpay", txn_ref="matrix-1-1",
        token="matrix-token", amount=200000, order_info="matrix", created_at=payment_event.at)
    tokens = {role: str(token_for(user).access_token) for role, user in users.items()}
    return World(
        dossiers=dossiers,
        document_id=dossiers["received"].documents.order_by("id").values_list("id", flat=True).first(),
        refresh_token=str(token_for(users["appA"])),
        tokens=tokens,
        users=users,
    )


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[World]:
    """Built once for the module, inside a transaction that is rolled back at its end."""
    from apps.catalog.selectors import forget_catalog_cache
    from apps.workcalendar.selectors import forget_working_calendar

    # Built before the per-test cache reset runs: drop what earlier modules cached from rows that
    # were rolled back since (catalogue ids that no longer exist would make the world's dossiers
    # point at nothing).
    forget_catalog_cache()
    forget_working_calendar()
    media = str(tmp_path_factory.mktemp("matrix-media"))
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media), transaction.atomic():
        cache.clear()
        yield _build_world()  # each cell's own changes are undone by its test's savepoint
        transaction.set_rollback(True)


# --- requests ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Req:
    method: str
    path: str  # with its query string
    body: bytes = b""
    content_type: str = "application/json"


def _json(method: str, path: str, body: dict[str, Any] | None = None) -> Req:
    return Req(method, path, b"" if body is None else json.dumps(body, ensure_ascii=False).encode())


def _get(path: str) -> Req:
    return Req("GET", path)


def _form(method: str, path: str, fields: dict[str, str]) -> Req:
    return Req(method, path, urlencode(fields).encode(), "application/x-www-form-urlencoded")


def _multipart(path: str, payload: dict[str, Any], documents: tuple[str, ...]) -> Req:
    data: dict[str, Any] = {"payload": json.dumps(payload, ensure_ascii=False)}
    data.update({code: pdf(f"{code}.pdf") for code in documents})
    return Req("POST", path, encode_multipart(BOUNDARY, data), MULTIPART_CONTENT)


def _action(state: str, action: str, body: dict[str, Any]) -> Callable[[World], Req]:
    return lambda w: _json("POST", f"{V1}dossiers/{w.pk(state)}/{action}/", body)


SIGN_IN = {"username": "citizen1", "password": DEMO_PASSWORD}
STATS_PERIOD = "from=2025-01-01&to=2026-01-01"
NEW_APPLICANT = {"applicant_type": "citizen", "name": "Nguyễn Văn Bảy", "id_number": "001088000777"}

# How to call each row: a valid request on the objects of `World` (routes as in MATRIX).
REQUESTS: dict[tuple[str, str], Callable[[World], Req]] = {
    ("POST", "auth/token/"): lambda w: _json("POST", f"{V1}auth/token/", SIGN_IN),
    ("POST", "auth/token/refresh/"): lambda w: _json(
        "POST", f"{V1}auth/token/refresh/", {"refresh": w.refresh_token}),
    ("POST", "auth/register/"): lambda w: _json("POST", f"{V1}auth/register/", {
        "username": "matrix_newcomer", "password": "matrix-Pass-2025", "full_name": "Lò Thị Mới",
        "applicant_type": "citizen", "id_number": "001195000123"}),
    ("GET", "me/"): lambda w: _get(f"{V1}me/"),
    ("GET", "auth/oidc/start/"): lambda w: _get(f"{V1}auth/oidc/start/"),
    ("GET", "auth/oidc/callback/"): lambda w: _get(f"{V1}auth/oidc/callback/?code=abc&state=def"),
    ("POST", "auth/oidc/callback/"): lambda w: _json("POST", f"{V1}auth/oidc/callback/", {"code": "a", "state": "b"}),
    ("GET", "agencies/"): lambda w: _get(f"{V1}agencies/"),
    ("GET", "agencies/<str:code>/"): lambda w: _get(f"{V1}agencies/{AGENCY_X}/"),
    ("GET", "agencies/<str:code>/members/"): lambda w: _get(f"{V1}agencies/{AGENCY_X}/members/"),
    ("GET", "fields/"): lambda w: _get(f"{V1}fields/"),
    ("GET", "procedures/"): lambda w: _get(f"{V1}procedures/"),
    ("GET", "procedures/<str:code>/"): lambda w: _get(f"{V1}procedures/{RECORD['procedure']}/"),
    ("GET", "offerings/"): lambda w: _get(f"{V1}offerings/"),
    ("GET", "calendar/<int:year>/"): lambda w: _get(f"{V1}calendar/2025/"),
    ("GET", "dossiers/"): lambda w: _get(f"{V1}dossiers/"),
    ("POST", "dossiers/"): lambda w: _multipart(f"{V1}dossiers/", dict(RECORD), RECORD_DOCS),
    ("POST", "dossiers/register/"): lambda w: _multipart(
        f"{V1}dossiers/register/", {**RECORD, "channel": "counter", "applicant": NEW_APPLICANT}, RECORD_DOCS),
    ("GET", "dossiers/export.csv"): lambda w: _get(f"{V1}dossiers/export.csv"),
    ("GET", "dossiers/<int:pk>/"): lambda w: _get(f"{V1}dossiers/{w.pk('received')}/"),
    ("GET", "dossiers/<int:pk>/history/"): lambda w: _get(f"{V1}dossiers/{w.pk('received')}/history/"),
    ("GET", "dossiers/<int:pk>/documents/"): lambda w: _get(f"{V1}dossiers/{w.pk('received')}/documents/"),
    ("GET", "dossiers/<int:pk>/documents/<int:document_id>/download/"): lambda w: _get(
        f"{V1}dossiers/{w.pk('received')}/documents/{w.document_id}/download/"),
    ("GET", "dossiers/<int:pk>/documents/<str:form>.pdf"): lambda w: _get(
        f"{V1}dossiers/{w.pk('received')}/documents/receipt.pdf"),
    ("GET", "dossiers/<int:pk>/receipt/"): lambda w: _get(f"{V1}dossiers/{w.pk('received')}/receipt/"),
    ("GET", "me/dossiers/"): lambda w: _get(f"{V1}me/dossiers/"),
    ("GET", "dossiers/<int:pk>/payment/"): lambda w: _get(f"{V1}dossiers/{w.pk('awaiting_payment')}/payment/"),
    ("POST", "payments/callback/"): lambda w: _form("POST", f"{V1}payments/callback/", {
        "vnp_TxnRef": "X-1-1", "vnp_Amount": "100", "vnp_SecureHash": "00"}),
    ("GET", "me/notifications/"): lambda w: _get(f"{V1}me/notifications/?unread=true"),
    ("POST", "me/notifications/read-all/"): lambda w: _json("POST", f"{V1}me/notifications/read-all/"),
    ("POST", "me/notifications/<int:pk>/read/"): lambda w: _json(
        "POST", f"{V1}me/notifications/{Notification.objects.get(user=w.users['appA']).pk}/read/"),
    ("GET", "lookup/<str:code>/"): lambda w: _get(
        f"{V1}lookup/{w.code('received')}/?id_number={w.users['appA'].id_number}"),
    ("POST", "dossiers/<int:pk>/accept/"): _action("submitted", "accept", {}),
    ("POST", "dossiers/<int:pk>/reject/"): _action("received", "reject", {"reason": "Không đúng thẩm quyền"}),
    ("POST", "dossiers/<int:pk>/assign/"): _action("received", "assign", {"assignee": "specialist_tuphap"}),
    ("POST", "dossiers/<int:pk>/request_supplement/"): _action(
        "received", "request_supplement", {"reason": "Thiếu giấy tờ", "items": ["Bản sao CCCD"]}),
    ("POST", "dossiers/<int:pk>/supplement/"): _action("awaiting_supplement", "supplement", {"note": "Đã bổ sung"}),
    ("POST", "dossiers/<int:pk>/transfer/"): _action(
        "received", "transfer", {"agency": "000.00.12.H29", "reason": "Liên thông"}),
    ("POST", "dossiers/<int:pk>/apologise/"): _action(
        "received", "apologise", {"reason": "Chờ ý kiến phối hợp", "new_appointment": "2099-01-05T09:00:00+07:00"}),
    ("POST", "dossiers/<int:pk>/request_payment/"): _action(
        "received", "request_payment", {"amount": "200000", "items": [{"name": "Lệ phí", "amount": "200000"}]}),
    ("POST", "dossiers/<int:pk>/confirm_payment/"): _action(
        "awaiting_payment", "confirm_payment", {"method": "counter", "reference": "BL-0001"}),
    ("POST", "dossiers/<int:pk>/resolve/"): _action("received", "resolve", {"result": "approved"}),
    ("POST", "dossiers/<int:pk>/return/"): _action("resolved", "return", {"method": "counter"}),
    ("POST", "dossiers/<int:pk>/withdraw/"): _action("received", "withdraw", {"reason": ""}),
    ("GET", "dossiers/<int:pk>/rating/"): lambda w: _get(f"{V1}dossiers/{w.pk('rated')}/rating/"),
    ("POST", "dossiers/<int:pk>/rating/"): lambda w: _json(
        "POST", f"{V1}dossiers/{w.pk('resolved')}/rating/", {"level": "very_satisfied"}),
    ("GET", "ratings/"): lambda w: _get(f"{V1}ratings/"),
    ("POST", "ratings/kiosk/"): lambda w: _json("POST", f"{V1}ratings/kiosk/", {
        "code": w.code("counter_resolved"), "id_number": NEW_APPLICANT["id_number"], "level": "satisfied"}),
    ("GET", "stats/summary/"): lambda w: _get(f"{V1}stats/summary/?{STATS_PERIOD}"),
    ("GET", "stats/breakdown/"): lambda w: _get(f"{V1}stats/breakdown/?{STATS_PERIOD}&by=agency"),
    ("GET", "stats/summary.csv"): lambda w: _get(f"{V1}stats/summary.csv?{STATS_PERIOD}"),
    ("GET", "stats/summary.xlsx"): lambda w: _get(f"{V1}stats/summary.xlsx?{STATS_PERIOD}"),
    ("GET", "audit/"): lambda w: _get(f"{V1}audit/"),
    ("POST", "portal/dossiers/"): lambda w: _json("POST", f"{V1}portal/dossiers/", {
        **RECORD, "applicant": NEW_APPLICANT,
        "documents": [
            {"document_type": "TKLLTP", "name": "to-khai.pdf", "content_base64": base64.b64encode(PDF).decode()},
            {"document_type": "CCCD", "name": "cccd.png", "content_base64": base64.b64encode(PNG).decode()},
        ]}),
    ("GET", "portal/dossiers/<str:code>/"): lambda w: _get(f"{V1}portal/dossiers/{w.code('received')}/"),
    ("GET", "portal/changes/"): lambda w: _get(f"{V1}portal/changes/?limit=5"),
    ("GET", "portal/catalog/"): lambda w: _get(f"{V1}portal/catalog/"),
    ("GET", "portal/health/"): lambda w: _get(f"{V1}portal/health/"),
    ("GET", "portal/files/<str:token>/"): lambda w: _get(f"{V1}portal/files/{document_token(w.document_id)}/"),
    ("GET", "/api/schema/"): lambda w: _get("/api/schema/"),
    ("GET", "/api/docs/"): lambda w: _get("/api/docs/"),
    ("GET", "/^api/"): lambda w: _get(f"{V1}no-such-endpoint/"),
    ("GET", "/admin/"): lambda w: _get("/admin/"),
    ("GET", "/dashboard/"): lambda w: _get("/dashboard/"),
    ("GET", "/accounts/login/"): lambda w: _get("/accounts/login/"),
    ("POST", "/accounts/login/"): lambda w: _form("POST", "/accounts/login/", SIGN_IN),
    # Django's form views take PUT like POST, but read no form from a PUT body: the form comes back.
    ("PUT", "/accounts/login/"): lambda w: _form("PUT", "/accounts/login/", SIGN_IN),
    ("POST", "/accounts/logout/"): lambda w: _form("POST", "/accounts/logout/", {}),
    ("GET", "/accounts/start/"): lambda w: _get("/accounts/start/"),
    ("GET", "/workbench/"): lambda w: _get("/workbench/"),
    ("GET", "/workbench/register/"): lambda w: _get("/workbench/register/"),
    ("GET", "/workbench/dossiers/<int:pk>/"): lambda w: _get(f"/workbench/dossiers/{w.pk('received')}/"),
    ("GET", "/workbench/dossiers/<int:pk>/actions/<str:action>/"): lambda w: _get(
        f"/workbench/dossiers/{w.pk('received')}/actions/assign/"),
    ("GET", "/workbench/dossiers/<int:pk>/documents/<int:document_id>/"): lambda w: _get(
        f"/workbench/dossiers/{w.pk('received')}/documents/{w.document_id}/"),
    ("GET", "/workbench/dossiers/<int:pk>/forms/<str:form>.pdf"): lambda w: _get(
        f"/workbench/dossiers/{w.pk('received')}/forms/receipt.pdf"),
    ("GET", "/workbench/dossiers/<int:pk>/print/<str:form>/"): lambda w: _get(
        f"/workbench/dossiers/{w.pk('received')}/print/receipt/"),
    ("GET", "/workbench/dossiers/<int:pk>/rating/"): lambda w: _get(f"/workbench/dossiers/{w.pk('received')}/rating/"),
    ("GET", "/"): lambda w: _get("/"),
    ("GET", "/tra-cuu/"): lambda w: _get(f"/tra-cuu/?ma={w.code('received')}"),
    ("GET", "/favicon.ico"): lambda w: _get("/favicon.ico"),
    ("GET", "/thanh-toan/<str:token>/"): lambda w: _get("/thanh-toan/matrix-token/"),
    ("GET", "/thanh-toan/ket-qua/"): lambda w: _get("/thanh-toan/ket-qua/?vnp_TxnRef=X&vnp_SecureHash=00"),
    ("GET", "/i18n/setlang/"): lambda w: _get("/i18n/setlang/?language=en&next=/"),
}


def _send(world: World, role: str, request: Req):
    client = APIClient()
    headers: dict[str, str] = {}
    if role == "portal":
        headers = signing.signed_headers(key_id=PORTAL_KEY_ID, secret=PORTAL_SECRET, method=request.method,
                                         path=request.path, body=request.body, timestamp=int(time.time()))
    elif role != "anon":
        headers = {"Authorization": f"Bearer {world.tokens[role]}"}
        if not request.path.startswith("/api/"):
            client.force_login(world.users[role])  # Django's own pages (the admin) use the session
    meta = {f"HTTP_{name.upper().replace('-', '_')}": value for name, value in headers.items()}
    return client.generic(request.method, request.path, data=request.body, content_type=request.content_type,
                          **meta)


def _footprint() -> tuple[int, int, int]:
    """What a refused write must leave untouched."""
    return Dossier.objects.count(), DossierEvent.objects.count(), Rating.objects.count()


CELLS = [(key, role) for key in MATRIX for role in ROLES]


def _cell_id(cell: tuple[tuple[str, str], str]) -> str:
    (method, route), role = cell
    return f"{method} {route} [{role}]"


def _check(world: World, role: str, request: Req, expected: int) -> None:
    before = _footprint()

    response = _send(world, role, request)

    detail = response.content[:300] if response.status_code != expected else b""
    where = f"{role} {request.method} {request.path}"
    assert response.status_code == expected, f"{where}: {response.status_code} {detail!r}"
    if expected >= 400 and request.path.startswith("/api/"):
        assert response["Content-Type"].startswith("application/problem+json")
    if request.method != "GET" and expected >= 400:
        assert _footprint() == before, "a refused request changed data"


@pytest.mark.django_db
@pytest.mark.parametrize("cell", CELLS, ids=[_cell_id(c) for c in CELLS])
def test_authorization_cell(world, cell):
    (method, route), role = cell
    request = REQUESTS[method, route](world)
    assert request.method == method
    _check(world, role, request, int(MATRIX[method, route].split()[ROLES.index(role)]))


# The same scope rules seen from the objects' side: dossiers of other owners (applicant B's at agency
# Y, inside the statistician's subtree; a counter dossier at X filed without an applicant account),
# references to another dossier's document or event through a dossier one may see (all 404), and
# query parameters naming another agency's scope. The first rows repeat MATRIX's, for comparison.
# fmt: off
OWNERSHIP: dict[str, str] = {
    #                                                     anon appA appB clkX clkY spec lead stat sup portal admin
    "GET dossier A@X":                                       "401 200 404 200 404 200 200 404 200 401 200",
    "GET dossier B@Y":                                       "401 404 200 404 200 404 404 200 200 401 200",
    "GET dossier counter@X":                                 "401 404 404 200 404 200 200 404 200 401 200",
    "POST reject A@X":                                       "401 403 404 200 404 403 200 404 403 401 403",
    "POST reject B@Y":                                       "401 404 403 404 200 404 404 403 403 401 403",
    "POST reject counter@X":                                 "401 404 404 200 404 403 200 404 403 401 403",
    "GET download: A@X's id, B@Y's document id":             "401 404 404 404 404 404 404 404 404 401 404",
    "GET supplement_request.pdf: its own event":             "401 200 404 200 404 200 200 404 200 401 200",
    "GET supplement_request.pdf: counter@X's event":         "401 404 404 404 404 404 404 404 404 401 404",
    "GET stats/summary/?scope=X":                            "401 403 403 200 404 200 200 404 200 401 200",
    "GET /dashboard/?scope=X":                               "302 403 403 403 403 403 200 404 200 302 200",
}
# fmt: on


def _supplement_form(w: World, event_of: str) -> Req:
    event = w.dossiers[event_of].events.filter(action=Action.REQUEST_SUPPLEMENT).get()
    return _get(f"{V1}dossiers/{w.pk('awaiting_supplement')}/documents/supplement_request.pdf?event={event.pk}")


OWNERSHIP_REQUESTS: dict[str, Callable[[World], Req]] = {
    "GET dossier A@X": lambda w: _get(f"{V1}dossiers/{w.pk('A@X')}/"),
    "GET dossier B@Y": lambda w: _get(f"{V1}dossiers/{w.pk('B@Y')}/"),
    "GET dossier counter@X": lambda w: _get(f"{V1}dossiers/{w.pk('counter@X')}/"),
    "POST reject A@X": _action("A@X", "reject", {"reason": "Không đúng thẩm quyền"}),
    "POST reject B@Y": _action("B@Y", "reject", {"reason": "Không đúng thẩm quyền"}),
    "POST reject counter@X": _action("counter@X", "reject", {"reason": "Không đúng thẩm quyền"}),
    "GET download: A@X's id, B@Y's document id": lambda w: _get(
        f"{V1}dossiers/{w.pk('A@X')}/documents/{w.dossiers['B@Y'].documents.values_list('pk', flat=True)[0]}"
        "/download/"),
    "GET supplement_request.pdf: its own event": lambda w: _supplement_form(w, "awaiting_supplement"),
    "GET supplement_request.pdf: counter@X's event": lambda w: _supplement_form(w, "counter@X"),
    "GET stats/summary/?scope=X": lambda w: _get(f"{V1}stats/summary/?{STATS_PERIOD}&scope={AGENCY_X}"),
    "GET /dashboard/?scope=X": lambda w: _get(f"/dashboard/?scope={AGENCY_X}"),
}
OWNERSHIP_CELLS = [(key, role) for key in OWNERSHIP for role in ROLES]


@pytest.mark.django_db
@pytest.mark.parametrize("cell", OWNERSHIP_CELLS, ids=[f"{key} [{role}]" for key, role in OWNERSHIP_CELLS])
def test_ownership_cell(world, cell):
    key, role = cell
    _check(world, role, OWNERSHIP_REQUESTS[key](world), int(OWNERSHIP[key].split()[ROLES.index(role)]))


# A list never leaks: which of the world's dossiers each role finds in each list. Letters: a = A@X,
# b = B@Y, c = counter@X (the rating list: r = A's rated dossier at X); "-" none; "." the list is
# refused to the role (MATRIX).
# fmt: off
LISTED: dict[str, str] = {
    #                                    anon appA appB clkX clkY spec lead stat sup portal admin
    "dossiers/?include_closed=true":       ".   .    .    ac   b    ac   ac   b   abc  .    abc",
    "dossiers/export.csv":                 ".   .    .    ac   b    ac   ac   b   abc  .    abc",
    "me/dossiers/":                        ".   a    b    .    .    .    .    .   .    .    .",
    "ratings/":                            ".   .    .    r    -    r    r    -   r    .    r",
}
# fmt: on
MARKERS = {"a": "A@X", "b": "B@Y", "c": "counter@X", "r": "rated"}
LISTED_CELLS = [(path, role) for path in LISTED for role in ROLES if LISTED[path].split()[ROLES.index(role)] != "."]


@pytest.mark.django_db
@pytest.mark.parametrize("cell", LISTED_CELLS, ids=[f"{path} [{role}]" for path, role in LISTED_CELLS])
def test_list_shows_only_what_is_in_scope(world, cell):
    path, role = cell
    expected = LISTED[path].split()[ROLES.index(role)]
    response = _send(world, role, _get(V1 + path))
    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content
    markers = {letter for cells in LISTED[path].split() for letter in cells if letter in MARKERS}
    shown = {letter for letter in markers if world.code(MARKERS[letter]).encode() in body}
    assert shown == set(expected) - {"-"}


# --- the matrix covers every endpoint, and agrees with the lifecycle table --------------------------

HANDLERS = ("get", "post", "put", "patch", "delete")


def _walk(patterns, prefix: str = "/") -> Iterator[tuple[str, Any]]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern.callback


def _methods(callback) -> list[str]:
    view_class = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
    if view_class is None:
        return ["GET"]  # a function view (the admin index, the /api/ catch-all) is called with GET
    allowed = set(getattr(view_class, "http_method_names", HANDLERS))
    return [m.upper() for m in HANDLERS if m in allowed and hasattr(view_class, m)]


def enumerate_endpoints() -> set[tuple[str, str]]:
    """Every (method, route) Django serves, routes written as MATRIX writes them. The admin's own
    pages are all behind admin_view (staff only): its index stands for them."""
    found = set()
    for route, callback in _walk(get_resolver().url_patterns):
        if route.startswith("/admin/") and route != "/admin/":
            continue
        key = route.removeprefix(V1) if route.startswith(V1) else route
        found.update((method, key) for method in _methods(callback))
    return found


def test_every_endpoint_is_in_the_matrix():
    served = enumerate_endpoints()
    missing, gone = sorted(served - MATRIX.keys()), sorted(MATRIX.keys() - served)
    assert not missing, f"endpoints missing from the authorization matrix (add a row and a request): {missing}"
    assert not gone, f"matrix rows for endpoints that no longer exist: {gone}"
    assert MATRIX.keys() == REQUESTS.keys()
    assert all(len(cells.split()) == len(ROLES) for cells in MATRIX.values())


ACTOR_COLUMNS = {Actor.APPLICANT: "appA", Actor.CLERK: "clkX", Actor.SPECIALIST: "spec", Actor.LEADER: "lead"}


@pytest.mark.parametrize("action", [a for a in TRANSITIONS if TRANSITIONS[a].sources], ids=str)
def test_action_rows_agree_with_the_lifecycle(action: Action):
    """The 2xx cells of an action row are exactly the actors onestop/lifecycle.py allows."""
    cells = dict(zip(ROLES, MATRIX["POST", f"dossiers/<int:pk>/{action}/"].split(), strict=True))
    permitted = {role for role, status in cells.items() if status.startswith("2")}
    assert permitted == {ACTOR_COLUMNS[a] for a in TRANSITIONS[action].actors if a in ACTOR_COLUMNS}
