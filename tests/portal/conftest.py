"""Portal test helpers: signed requests, the fake portal, dossiers with several events each."""
from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable, Iterator

import pytest
from rest_framework.test import APIClient

from apps.accounts.models import User
from apps.dossiers import services
from apps.dossiers.models import Dossier
from apps.dossiers.uploads import check_upload
from apps.portal import signing
from apps.portal.models import PortalKey
from bench.fake_portal import FakePortal
from bench.fake_portal_dvcqg import FakeDvcqgPortal
from tests.dossier_fixtures import RECORD, RECORD_DOCS, pdf

KEY_ID = "portal-test"
SECRET = "portal-test-secret-0123456789"
OUT_KEY_ID = "onestop-h29"
OUT_SECRET = "outbound-secret-9876543210"


@pytest.fixture
def portal_key(db) -> PortalKey:
    return PortalKey.objects.create(key_id=KEY_ID, secret=SECRET, name="Cổng DVC quốc gia (test)")


SignedCall = Callable[..., object]


@pytest.fixture
def signed(portal_key) -> SignedCall:
    """`signed("GET", "/api/v1/portal/changes/?limit=5")` or with `body=`; extra knobs to break it."""
    client = APIClient()
    offsets = itertools.count()
    # One fixed base: "now minus the call number" drifts back onto a used second when each call takes
    # about a second (a loaded machine), and a byte-identical request in the same second is a replay.
    base = int(time.time())

    def call(method: str, path: str, body: object = None, *, secret: str = SECRET, key_id: str = KEY_ID,
             timestamp: int | None = None, sign_body: bytes | None = None, headers: dict | None = None):
        raw = b"" if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
        # Each call gets its own second (offsets stay inside the 5-minute window for 250 calls).
        stamp = base - next(offsets) % 250 if timestamp is None else timestamp
        auth = signing.signed_headers(key_id=key_id, secret=secret, method=method, path=path,
                                      body=raw if sign_body is None else sign_body, timestamp=stamp)
        meta = {f"HTTP_{name.upper().replace('-', '_')}": value for name, value in {**auth, **(headers or {})}.items()}
        return client.generic(method, path, data=raw, content_type="application/json", **meta)

    return call


@pytest.fixture
def fake_portal() -> Iterator[FakePortal]:
    portal = FakePortal(key_id=OUT_KEY_ID, secret=OUT_SECRET).start()
    yield portal
    portal.stop()


@pytest.fixture
def portal_settings(settings, fake_portal):
    """The process's own outbound settings pointed at the fake portal (in-process drains)."""
    settings.PORTAL_SYNC_URL = fake_portal.url
    settings.PORTAL_KEY_ID = OUT_KEY_ID
    settings.PORTAL_SECRET = OUT_SECRET
    settings.PORTAL_TIMEOUT = 2.0
    settings.PORTAL_MAX_ATTEMPTS = 3
    settings.PORTAL_RETRY_BASE_SECONDS = 0.0
    settings.PORTAL_BATCH_SIZE = 10
    return settings


@pytest.fixture
def dvcqg_portal() -> Iterator[FakeDvcqgPortal]:
    portal = FakeDvcqgPortal().start()
    yield portal
    portal.stop()


@pytest.fixture
def dvcqg_settings(settings, dvcqg_portal):
    """The process's outbound settings pointed at the fake portal speaking the portal's protocol."""
    for name, value in dvcqg_portal.settings().items():
        setattr(settings, name, value)
    settings.PORTAL_SYNC_URL = ""
    settings.PORTAL_TIMEOUT = 2.0
    settings.PORTAL_MAX_ATTEMPTS = 3
    settings.PORTAL_RETRY_BASE_SECONDS = 0.0
    settings.PORTAL_BATCH_SIZE = 10
    return settings


def adapter_env(kind: str, portal: FakePortal) -> dict[str, str]:
    """The environment a worker process needs to deliver to `portal` with adapter `kind`."""
    if kind == "dvcqg":
        return {**portal.settings(), "PORTAL_SYNC_URL": ""}
    return {"PORTAL_TRANSPORT": "webhook", "PORTAL_SYNC_URL": portal.url, "PORTAL_KEY_ID": OUT_KEY_ID,
            "PORTAL_SECRET": OUT_SECRET}


@pytest.fixture(params=["webhook", "dvcqg"])
def adapter(request, settings) -> Iterator[tuple[str, FakePortal]]:
    """Each adapter with its fake receiver, the process's settings pointed at it: ("webhook" |
    "dvcqg", the fake). Tests using it hold for both transports."""
    portal = (FakePortal(key_id=OUT_KEY_ID, secret=OUT_SECRET) if request.param == "webhook"
              else FakeDvcqgPortal()).start()
    for name, value in adapter_env(request.param, portal).items():
        setattr(settings, name, value)
    settings.PORTAL_TIMEOUT = 2.0
    settings.PORTAL_MAX_ATTEMPTS = 3
    settings.PORTAL_RETRY_BASE_SECONDS = 0.0
    settings.PORTAL_BATCH_SIZE = 10
    yield request.param, portal
    portal.stop()


# --- dossiers with history ---------------------------------------------------------------------

STEPS = ("assign", "request_supplement", "supplement", "resolve", "return")


def register_dossier(index: int) -> Dossier:
    clerk = User.objects.get(username="clerk_tuphap")
    uploads = [check_upload(code, pdf(f"{code}.pdf"), field=code) for code in RECORD_DOCS]
    request = services.IntakeRequest(
        agency_code=RECORD["agency"], procedure_code=RECORD["procedure"],
        applicant=services.ApplicantData(applicant_type="citizen", name=f"Nguyễn Văn {index}",
                                         id_number=f"0010{index:08d}", email=f"dan{index}@example.vn",
                                         phone="0912345678"),
        documents=uploads,
    )
    return services.dossier_register(caller=services.Caller.for_user(clerk), request=request, channel="counter").dossier


def advance(dossier: Dossier, steps: int) -> None:
    """Apply the first `steps` actions of STEPS (each writes one event and one outbox row)."""
    for step in range(steps):
        advance_one(dossier, step)


def make_history(dossiers: int, steps: int = 3, interleave: bool = True) -> list[Dossier]:
    """`dossiers` registered dossiers with 1 + `steps` events each; with `interleave`, the events of
    different dossiers alternate (round by round), as they would in a live office."""
    created = [register_dossier(i) for i in range(dossiers)]
    if interleave:
        for step in range(steps):
            for dossier in created:
                advance_one(dossier, step)
    else:
        for dossier in created:
            advance(dossier, steps)
    return created


def advance_one(dossier: Dossier, step: int) -> None:
    clerk = services.Caller.for_user(User.objects.get(username="clerk_tuphap"))
    specialist = services.Caller.for_user(User.objects.get(username="specialist_tuphap"))
    name = STEPS[step]
    if name == "assign":
        services.dossier_assign(dossier_id=dossier.pk, caller=clerk, assignee_username="specialist_tuphap")
    elif name == "request_supplement":
        services.dossier_request_supplement(dossier_id=dossier.pk, caller=clerk, reason="Thiếu", items=["CCCD"])
    elif name == "supplement":
        services.dossier_supplement(dossier_id=dossier.pk, caller=clerk, note="Đã bổ sung")
    elif name == "resolve":
        services.dossier_resolve(dossier_id=dossier.pk, caller=specialist, result="approved")
    else:
        services.dossier_return(dossier_id=dossier.pk, caller=clerk, method="counter")
