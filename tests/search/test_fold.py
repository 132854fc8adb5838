"""Search folds diacritics and case (issue 16): "ly lich" finds "Lý lịch tư pháp", "bich" finds "Bích"."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from onestop.text import fold

from .cases import AGENCY_SEARCHES, CATALOG_SEARCHES, NAMES, QUEUE_SEARCHES, run_searches, seed_names

ROOT = Path(__file__).resolve().parents[2]

# Every Vietnamese letter with a diacritic, lower and upper case, and the base letter it folds to.
VIETNAMESE = {
    "a": "àáảãạăằắẳẵặâầấẩẫậ", "e": "èéẻẽẹêềếểễệ", "i": "ìíỉĩị", "o": "òóỏõọôồốổỗộơờớởỡợ",
    "u": "ùúủũụưừứửữự", "y": "ỳýỷỹỵ", "d": "đ",
}


def test_fold_examples():
    assert fold("Lý lịch tư pháp") == "ly lich tu phap"
    assert fold("NGUYỄN  VĂN AN ") == "nguyen van an"
    assert fold("Đường") == fold("đường") == "duong"
    assert fold("Nguye\u0302\u0303n") == "nguyen"  # typed decomposed (NFD)


@pytest.mark.parametrize("base", sorted(VIETNAMESE))
def test_every_vietnamese_letter_folds_to_its_base(base):
    letters = VIETNAMESE[base]
    assert fold(letters) == base * len(letters)
    assert fold(letters.upper()) == base * len(letters)


@pytest.mark.django_db
def test_postgres_fold_function_equals_the_python_rule():
    samples = [*NAMES, "Ủy ban nhân dân xã Đông Tảo", "  Lý   lịch\ttư pháp ", "ÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬ"]
    samples += ["".join(VIETNAMESE.values()), "".join(VIETNAMESE.values()).upper()]
    with connection.cursor() as cursor:
        for text in samples:
            cursor.execute("SELECT onestop_fold(%s)", [text])
            assert cursor.fetchone()[0] == fold(text), text


@pytest.fixture
def named(demo):
    seed_names()


def _found(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {row["applicant_name"] for row in response.json()["results"]}


@pytest.mark.django_db
@pytest.mark.parametrize("text", sorted(QUEUE_SEARCHES))
def test_queue_search_folds_diacritics_and_case(named, as_user, text):
    response = as_user("clerk_tuphap").get("/api/v1/dossiers/", {"q": text})
    assert _found(response) == QUEUE_SEARCHES[text]


@pytest.mark.django_db
def test_queue_search_by_code_and_id_number_in_any_case(named, as_user):
    clerk = as_user("clerk_tuphap")
    row = clerk.get("/api/v1/dossiers/", {"q": "bich"}).json()["results"][0]
    assert _found(clerk.get("/api/v1/dossiers/", {"q": row["code"].lower()})) == {"Trần Thị Bích"}
    assert _found(clerk.get("/api/v1/dossiers/", {"q": " 001099000001 "})) == {"Trần Thị Bích"}


@pytest.mark.django_db
def test_queue_search_stays_inside_the_clerks_agencies(named, as_user):
    assert _found(as_user("clerk_xuanquan").get("/api/v1/dossiers/", {"q": "bich"})) == set()


@pytest.mark.django_db
@pytest.mark.parametrize("text", sorted(CATALOG_SEARCHES))
def test_catalogue_search_folds(demo, api, text):
    response = api.get("/api/v1/procedures/", {"q": text})
    assert response.status_code == 200
    assert CATALOG_SEARCHES[text] in {row["code"] for row in response.json()["results"]}


@pytest.mark.django_db
def test_catalogue_search_finds_procedures_by_field_name(demo, api):
    codes = {row["code"] for row in api.get("/api/v1/procedures/", {"q": "ho tich"}).json()["results"]}
    assert "1.001193" in codes  # Đăng ký khai sinh, field "Hộ tịch"
    fields = api.get("/api/v1/fields/", {"q": "HO TICH"}).json()["results"]
    assert [row["name"] for row in fields] == ["Hộ tịch"]


@pytest.mark.django_db
@pytest.mark.parametrize("text", sorted(AGENCY_SEARCHES))
def test_agency_search_folds(demo, api, text):
    names = {row["name"] for row in api.get("/api/v1/agencies/", {"q": text}).json()["results"]}
    assert names == {AGENCY_SEARCHES[text]}


@pytest.mark.django_db
def test_rating_clerk_filter_folds_the_clerks_name(demo, as_user):
    from apps.accounts.models import User

    User.objects.filter(username="clerk_tuphap").update(full_name="Trần Thị Bích")
    supervisor = as_user("supervisor")
    assert supervisor.get("/api/v1/ratings/", {"clerk": "bich"}).status_code == 200
    from apps.ratings.models import Rating
    from apps.ratings.selectors import ratings_by_clerk

    query = str(ratings_by_clerk(Rating.objects.all(), "tran bich").query)
    assert "onestop_fold" in query


@pytest.mark.django_db
def test_audit_actor_filter_folds(demo, as_user):
    from apps.audit.models import AuditEntry
    from apps.audit.selectors import audit_entries_by_actor

    AuditEntry.objects.create(actor_username="Clerk_TuPhap", action="dossier.read", object_type="dossiers.dossier")
    AuditEntry.objects.create(actor_username="someone_else", action="dossier.read", object_type="dossiers.dossier")
    found = audit_entries_by_actor(AuditEntry.objects.all(), "clerk_tuphap")
    assert [entry.actor_username for entry in found] == ["Clerk_TuPhap"]


@pytest.mark.django_db(transaction=True)
def test_sqlite_gives_the_same_results_as_postgresql(named, tmp_path):
    """`make run` uses SQLite: the same searches find the same rows there (a subprocess on a fresh file)."""
    on_postgres = run_searches(QUEUE_SEARCHES)
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'probe.sqlite3'}", "CACHE_URL": "locmem://",
           "MEDIA_ROOT": str(tmp_path / "media")}
    result = subprocess.run([sys.executable, str(ROOT / "tests/search/sqlite_probe.py")], env=env, cwd=ROOT,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    on_sqlite = json.loads(result.stdout.strip().splitlines()[-1])
    assert on_sqlite == on_postgres
    for text, names in QUEUE_SEARCHES.items():
        assert set(on_sqlite[text]["queue"]) == names, text
