import io
import json
from pathlib import Path

import pytest
from django.core.cache import cache
from django.utils import translation
from rest_framework.test import APIClient

from apps.accounts.models import User

pytest_plugins = ["tests.dossier_fixtures", "tests.raw_uri"]  # raw_uri: requests carry RAW_URI, as under gunicorn

DEMO_CATALOG = Path(__file__).resolve().parents[1] / "apps" / "catalog" / "fixtures" / "demo_catalog.json"


def forget_process_caches() -> None:
    from apps.catalog.selectors import forget_catalog_cache
    from apps.workcalendar.selectors import forget_working_calendar

    cache.clear()
    forget_catalog_cache()  # catalogue rows of an earlier test were rolled back
    forget_working_calendar()  # exceptions written by an earlier test were rolled back


@pytest.fixture(autouse=True)
def _clear_cache():
    forget_process_caches()
    yield


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the default language: LocaleMiddleware leaves a request's language active in
    the thread, and formats read outside a request (the forms' dates and money) follow it."""
    translation.deactivate()
    yield


@pytest.fixture
def demo_catalog_data() -> dict:
    return json.loads(DEMO_CATALOG.read_text(encoding="utf-8"))


@pytest.fixture
def demo(db):
    """The `make run` demo data set: agencies on three tiers, procedures, a user for every role."""
    from django.core.management import call_command

    call_command("load_demo", "--no-tokens", stdout=io.StringIO())


@pytest.fixture
def rates(settings):
    """`rates(submission="2/min")`: throttle rates for this test (the others keep their values)."""

    def set_rates(**scopes: str) -> None:
        framework = settings.REST_FRAMEWORK
        settings.REST_FRAMEWORK = {
            **framework, "DEFAULT_THROTTLE_RATES": {**framework["DEFAULT_THROTTLE_RATES"], **scopes},
        }

    return set_rates


@pytest.fixture
def api() -> APIClient:
    return APIClient()


@pytest.fixture
def as_user(demo):
    """`as_user("clerk_tuphap")` returns an API client authenticated as that demo user."""

    def make(username: str) -> APIClient:
        client = APIClient()
        client.force_authenticate(User.objects.get(username=username))
        return client

    return make
