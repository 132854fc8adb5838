import pytest

P = {"from": "2025-01-01", "to": "2025-02-01"}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("username", "scope", "status"),
    [
        ("supervisor", "000.00.00.H29", 200),
        ("stats_vangiang", "000.00.31.H29", 200),
        ("stats_vangiang", "000.31.01.H29", 200),
        ("stats_vangiang", "000.00.32.H29", 404),  # another district
        ("stats_vangiang", "000.00.00.H29", 404),  # above its subtree
        ("clerk_tuphap", "000.00.17.H29", 200),
        ("clerk_tuphap", "000.00.12.H29", 404),
        ("citizen1", "000.00.17.H29", 403),
    ],
)
def test_scope_rules(as_user, username, scope, status):
    response = as_user(username).get("/api/v1/stats/summary/", {**P, "scope": scope})
    assert response.status_code == status, response.json()


@pytest.mark.django_db
def test_anonymous_is_401(api, demo):
    assert api.get("/api/v1/stats/summary/", P).status_code == 401


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("params", "field"),
    [
        # Errors name the parameters the client sent (`from`, `to`), not internal field names.
        ({"from": "2025-02-01", "to": "2025-01-01"}, "to"),
        ({"from": "2025-01-01"}, "to"),
        ({"to": "2025-01-01"}, "from"),
        ({"from": "1 Jan", "to": "2025-01-01"}, "from"),
        ({"from": "1990-01-01", "to": "1990-02-01"}, "to"),
        ({**P, "level": "7"}, "level"),
        ({**P, "tier": "planet"}, "tier"),
        ({**P, "procedure": "9.999"}, "procedure"),
        ({**P, "by": "colour"}, "by"),
    ],
)
def test_bad_queries_are_400(as_user, params, field):
    url = "/api/v1/stats/breakdown/" if "by" in params else "/api/v1/stats/summary/"
    response = as_user("supervisor").get(url, params)
    assert response.status_code == 400, response.json()
    fields = {e["field"] for e in response.json()["errors"]}
    assert field in fields and not fields & {"date_from", "date_to"}


@pytest.mark.django_db
def test_too_many_day_buckets_is_400(as_user):
    response = as_user("supervisor").get("/api/v1/stats/breakdown/",
                                         {"from": "2020-01-01", "to": "2025-01-01", "by": "day"})
    assert response.status_code == 400


@pytest.mark.django_db
def test_provision_rates_from_the_catalogue(as_user):
    body = as_user("supervisor").get("/api/v1/stats/summary/", P).json()
    # Demo: 6 procedures offered; highest levels: 4 (1.001193, 2.000488, 2.001610), 3 (1.000894, 1.009994), 2.
    assert body["procedures_offered"] == 6
    assert (body["procedures_offered_level_3"], body["procedures_offered_level_4"]) == (2, 3)
    assert body["level_3_4_provision_rate"] == {"numerator": 5, "denominator": 6, "value": 5 / 6}
    commune = as_user("supervisor").get("/api/v1/stats/summary/", {**P, "scope": "000.32.01.H29"}).json()
    assert (commune["procedures_offered"], commune["procedures_offered_level_3"]) == (3, 2)
    assert commune["procedures_with_online_dossiers_rate"] == {"numerator": 0, "denominator": 2, "value": 0.0}
