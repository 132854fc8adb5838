import pytest

from apps.agencies.models import Agency
from apps.agencies.selectors import agency_subtree
from apps.agencies.services import agency_save


@pytest.mark.django_db
def test_agency_list_filters(api, demo):
    communes = api.get("/api/v1/agencies/?tier=commune").json()["results"]
    assert {a["code"] for a in communes} == {"000.31.01.H29", "000.32.01.H29"}
    subtree = api.get("/api/v1/agencies/?subtree_of=000.00.31.H29").json()["results"]
    assert [a["code"] for a in subtree] == ["000.00.31.H29", "000.31.01.H29"]
    children = api.get("/api/v1/agencies/?parent=000.00.00.H29").json()["results"]
    assert len(children) == 4
    assert api.get("/api/v1/agencies/?subtree_of=nope").json()["results"] == []
    detail = api.get("/api/v1/agencies/000.31.01.H29/").json()
    assert detail["tier"] == "commune" and detail["parent"] == "000.00.31.H29"


@pytest.mark.django_db
def test_subtree_is_a_prefix_scan_and_moves_with_its_parent(demo):
    district = Agency.objects.get(code="000.00.31.H29")
    other = Agency.objects.get(code="000.00.32.H29")
    assert set(agency_subtree(district).values_list("code", flat=True)) == {"000.00.31.H29", "000.31.01.H29"}

    # Move a district under another: its commune follows.
    agency_save(code=district.code, name=district.name, tier=district.tier, parent=other)
    moved = set(agency_subtree(other).values_list("code", flat=True))
    assert moved == {"000.00.32.H29", "000.32.01.H29", "000.00.31.H29", "000.31.01.H29"}
    assert Agency.objects.get(code="000.31.01.H29").path.startswith(other.path)


@pytest.mark.django_db
def test_agency_cannot_move_under_its_own_subtree(demo):
    from onestop.errors import DomainError

    district = Agency.objects.get(code="000.00.31.H29")
    commune = Agency.objects.get(code="000.31.01.H29")
    with pytest.raises(DomainError):
        agency_save(code=district.code, name=district.name, tier=district.tier, parent=commune)


@pytest.mark.django_db
def test_members_visible_only_within_scope(as_user):
    own = as_user("clerk_tuphap").get("/api/v1/agencies/000.00.17.H29/members/")
    assert own.status_code == 200
    assert {m["username"] for m in own.json()["results"]} == {
        "clerk_tuphap", "specialist_tuphap", "leader_tuphap",
    }
    # A clerk of another agency cannot even learn who works there: 404, not 403.
    other = as_user("clerk_xuanquan").get("/api/v1/agencies/000.00.17.H29/members/")
    assert other.status_code == 404
    assert other["Content-Type"].startswith("application/problem+json")
    # An applicant sees no staff lists at all: 403 (a staff-only endpoint), whatever the agency.
    assert as_user("citizen1").get("/api/v1/agencies/000.00.17.H29/members/").status_code == 403


@pytest.mark.django_db
def test_subtree_scope_reaches_communes_but_not_siblings(as_user):
    statistician = as_user("stats_vangiang")  # district 000.00.31.H29 with its subtree
    assert statistician.get("/api/v1/agencies/000.31.01.H29/members/").status_code == 200
    assert statistician.get("/api/v1/agencies/000.32.01.H29/members/").status_code == 404
    supervisor = as_user("supervisor")  # province-wide
    assert supervisor.get("/api/v1/agencies/000.32.01.H29/members/").status_code == 200


@pytest.mark.django_db
def test_members_requires_authentication(api, demo):
    assert api.get("/api/v1/agencies/000.00.17.H29/members/").status_code == 401
