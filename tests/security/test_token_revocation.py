"""Issue 14, items 1 and 2: a removed role, scope, password or account stops working at once.

Every test signs in over the API (a real token pair), changes the user one way, and then tries the
old tokens: the access token on GET me/, the refresh token on POST auth/token/refresh/.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.test import Client
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from apps.accounts import services
from apps.accounts.models import AgencyMembership, RefreshTokenFamily, User
from apps.accounts.roles import Role
from apps.accounts.tokens import purge_expired_families, token_for
from apps.agencies.models import Agency

pytestmark = pytest.mark.django_db

PASSWORD = "demo-Pass-2025"
TUPHAP, VANGIANG = "000.00.17.H29", "000.00.31.H29"


def sign_in(username: str, password: str = PASSWORD) -> dict[str, str]:
    response = APIClient().post("/api/v1/auth/token/", {"username": username, "password": password}, format="json")
    assert response.status_code == 200, response.json()
    return response.json()


def me(access: str):
    return APIClient().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {access}")


def refresh(token: str):
    return APIClient().post("/api/v1/auth/token/refresh/", {"refresh": token}, format="json")


def assert_revoked(pair: dict[str, str]) -> None:
    old_access = me(pair["access"])
    assert old_access.status_code == 401, old_access.json()
    assert old_access["Content-Type"].startswith("application/problem+json")
    old_refresh = refresh(pair["refresh"])
    assert old_refresh.status_code == 401, old_refresh.json()
    assert old_refresh.json()["code"] == "token_not_valid"


def assert_alive(pair: dict[str, str]) -> None:
    assert me(pair["access"]).status_code == 200
    assert refresh(pair["refresh"]).status_code == 200


def user(username: str) -> User:
    return User.objects.get(username=username)


# --- rotation and reuse --------------------------------------------------------------------------


def test_refresh_rotates_and_a_reused_refresh_token_ends_its_whole_family(demo):
    first = sign_in("citizen1")
    other_device = sign_in("citizen1")
    second = refresh(first["refresh"])
    assert second.status_code == 200
    second = second.json()
    assert set(second) == {"access", "refresh"} and second["refresh"] != first["refresh"]
    assert me(second["access"]).json()["username"] == "citizen1"

    replay = refresh(first["refresh"])  # spent: someone kept a copy
    assert replay.status_code == 401 and replay.json()["code"] == "token_not_valid"
    assert "already used" in replay.json()["detail"]
    assert refresh(second["refresh"]).status_code == 401  # the whole family ended, the newest token too
    assert RefreshTokenFamily.objects.filter(revoked_at__isnull=False).count() == 1
    assert_alive(other_device)  # another sign-in of the same user is untouched


def test_each_refresh_token_is_good_once_in_a_chain(demo):
    pair = sign_in("clerk_tuphap")
    for _ in range(3):
        response = refresh(pair["refresh"])
        assert response.status_code == 200
        pair = response.json()
    assert RefreshTokenFamily.objects.get().generation == 3


def test_refresh_reads_roles_from_the_database_not_from_the_old_token(demo):
    pair = sign_in("clerk_tuphap")
    # A role written behind the ORM's back (no signal, no revocation): only a re-read can see it.
    User.groups.through.objects.bulk_create(
        [User.groups.through(user=user("clerk_tuphap"), group=Group.objects.get(name=Role.SUPERVISOR))])
    new = refresh(pair["refresh"]).json()
    assert AccessToken(new["access"])["roles"] == ["clerk", "supervisor"]
    assert me(new["access"]).json()["roles"] == ["clerk", "supervisor"]


def test_tokens_minted_before_versions_and_families_are_refused(demo):
    legacy = RefreshToken.for_user(user("clerk_tuphap"))  # what the previous release issued
    legacy["roles"] = ["clerk"]
    assert me(str(legacy.access_token)).status_code == 401
    assert refresh(str(legacy)).status_code == 401


def test_a_forged_family_or_user_claim_is_refused(demo):
    token = token_for(user("citizen1"))
    token["user_id"] = str(user("citizen2").pk)  # re-signed by us, for the test: the family is citizen1's
    assert refresh(str(token)).status_code == 401
    token = token_for(user("citizen1"))
    token["fam"] = "not-a-uuid"
    assert refresh(str(token)).status_code == 401


def test_access_tokens_live_at_most_15_minutes(demo):
    assert settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"] <= timedelta(minutes=15)
    access = AccessToken(sign_in("citizen1")["access"])
    assert access["exp"] - access["iat"] <= 15 * 60


def test_a_longer_access_token_life_is_refused_at_start_up():
    import os
    import subprocess
    import sys

    env = {**os.environ, "JWT_ACCESS_MINUTES": "43200", "DJANGO_SETTINGS_MODULE": "config.settings_test"}
    result = subprocess.run([sys.executable, "-c", "import django; django.setup()"], env=env,
                            capture_output=True, text=True, cwd=settings.BASE_DIR, timeout=60)
    assert result.returncode != 0 and "JWT_ACCESS_MINUTES must be 1 to 15" in result.stderr


def test_expired_families_are_purged_nightly(demo):
    from apps.accounts.tasks import purge_refresh_families

    sign_in("citizen1")
    family = RefreshTokenFamily.objects.get()
    assert purge_expired_families(now=family.expires_at - timedelta(seconds=1)) == 0
    assert purge_expired_families(now=family.expires_at + timedelta(seconds=1)) == 1
    assert not RefreshTokenFamily.objects.exists()
    RefreshTokenFamily.objects.create(user=user("citizen1"), expires_at=family.expires_at - timedelta(days=30))
    assert purge_refresh_families() == 1
    assert settings.CELERY_BEAT_SCHEDULE["accounts-purge-refresh-families"]["task"] == "accounts.purge_refresh_families"


# --- item 1: every change of roles or scope, whichever way it is made ----------------------------


def _group(role: str) -> Group:
    return Group.objects.get(name=role)


def _agency(code: str) -> Agency:
    return Agency.objects.get(code=code)


ROLE_AND_SCOPE_CHANGES: dict[str, tuple[str, Callable[[], object]]] = {
    # name: (who, the change)
    "service: roles set": ("supervisor", lambda: services.user_set_roles(user=user("supervisor"), roles=["clerk"])),
    "service: scope granted": ("clerk_tuphap", lambda: services.membership_set(
        user=user("clerk_tuphap"), agency=_agency(VANGIANG))),
    "service: scope widened": ("clerk_tuphap", lambda: services.membership_set(
        user=user("clerk_tuphap"), agency=_agency(TUPHAP), include_subtree=True)),
    "service: scope removed": ("clerk_tuphap", lambda: services.membership_remove(
        user=user("clerk_tuphap"), agency=_agency(TUPHAP))),
    "user.groups.remove": ("supervisor", lambda: user("supervisor").groups.remove(_group(Role.SUPERVISOR))),
    "user.groups.add": ("clerk_tuphap", lambda: user("clerk_tuphap").groups.add(_group(Role.SUPERVISOR))),
    "user.groups.clear": ("supervisor", lambda: user("supervisor").groups.clear()),
    "user.groups.set": ("supervisor", lambda: user("supervisor").groups.set([_group(Role.CLERK)])),
    "group.user_set.remove": ("supervisor", lambda: _group(Role.SUPERVISOR).user_set.remove(user("supervisor"))),
    "group.user_set.add": ("clerk_tuphap", lambda: _group(Role.SUPERVISOR).user_set.add(user("clerk_tuphap"))),
    "group.user_set.clear": ("supervisor", lambda: _group(Role.SUPERVISOR).user_set.clear()),
    "group deleted": ("supervisor", lambda: _group(Role.SUPERVISOR).delete()),
    "group renamed": ("supervisor", lambda: _rename_group(Role.SUPERVISOR, "supervisor-old")),
    "membership saved": ("clerk_tuphap", lambda: _save_membership("clerk_tuphap", title="Trưởng bộ phận")),
    "membership deleted": ("clerk_tuphap", lambda: AgencyMembership.objects.get(user__username="clerk_tuphap")
                           .delete()),
    "memberships bulk updated": ("stats_vangiang", lambda: AgencyMembership.objects.filter(
        user__username="stats_vangiang").update(include_subtree=False)),
    "memberships bulk created": ("clerk_tuphap", lambda: AgencyMembership.objects.bulk_create(
        [AgencyMembership(user=user("clerk_tuphap"), agency=_agency(VANGIANG))])),
    "memberships bulk deleted": ("stats_vangiang", lambda: AgencyMembership.objects.filter(
        user__username="stats_vangiang").delete()),
    "superuser flag dropped": ("admin", lambda: _save_user("admin", is_superuser=False)),
    "staff flag dropped": ("admin", lambda: _save_user("admin", is_staff=False)),
}


def _rename_group(name: str, new_name: str) -> None:
    group = Group.objects.get(name=name)
    group.name = new_name
    group.save()


def _save_membership(username: str, **changes) -> None:
    membership = AgencyMembership.objects.get(user__username=username)
    for name, value in changes.items():
        setattr(membership, name, value)
    membership.save()


def _save_user(username: str, **changes) -> None:
    target = user(username)
    for name, value in changes.items():
        setattr(target, name, value)
    target.save()


@pytest.mark.parametrize("change", list(ROLE_AND_SCOPE_CHANGES))
def test_a_change_of_roles_or_scope_revokes_every_token_of_the_user(demo, change):
    who, do = ROLE_AND_SCOPE_CHANGES[change]
    pairs = [sign_in(who), sign_in(who)]  # two devices
    bystander = sign_in("citizen2")
    do()
    for pair in pairs:
        assert_revoked(pair)
    assert_alive(bystander)
    fresh = sign_in(who)  # signing in again gives tokens with what the user has now
    assert me(fresh["access"]).json()["roles"] == sorted(user(who).role_names)


def test_a_removed_supervisor_loses_province_wide_reads_at_once(demo):
    """The finding: supervisor powers came from the token's claim alone, for up to 7 days."""
    pair = sign_in("supervisor")
    client = APIClient(HTTP_AUTHORIZATION=f"Bearer {pair['access']}")
    assert client.get("/api/v1/stats/summary/", {"from": "2026-11-01", "to": "2026-12-01"}).status_code == 200
    services.user_set_roles(user=user("supervisor"), roles=[])
    assert client.get("/api/v1/stats/summary/", {"from": "2026-11-01", "to": "2026-12-01"}).status_code == 401
    assert refresh(pair["refresh"]).status_code == 401
    again = APIClient(HTTP_AUTHORIZATION=f"Bearer {sign_in('supervisor')['access']}")
    assert again.get("/api/v1/stats/summary/", {"from": "2026-11-01", "to": "2026-12-01"}).status_code == 403


def test_deactivation_revokes_one_by_one_and_in_bulk(demo):
    pair = sign_in("citizen1")
    _save_user("citizen1", is_active=False)
    assert_revoked(pair)
    _save_user("citizen1", is_active=True)
    assert_revoked(pair)  # reactivation revives nothing
    pair = sign_in("citizen1")
    User.objects.filter(username="citizen1").update(is_active=False)
    User.objects.filter(username="citizen1").update(is_active=True)
    assert_revoked(pair)


def test_an_unrelated_change_revokes_nothing_and_a_stale_copy_revives_nothing(demo):
    stale = user("clerk_tuphap")  # read before the change below
    pair = sign_in("clerk_tuphap")
    fresh = user("clerk_tuphap")
    fresh.full_name = "Lê Thị Hồng Nhung"
    fresh.save()
    assert_alive(pair)  # refresh spent pair["refresh"]: sign in again for the next steps
    pair = sign_in("clerk_tuphap")
    services.user_set_roles(user=user("clerk_tuphap"), roles=[Role.CLERK, Role.LEADER])
    stale.phone = "0912345678"
    stale.save()  # its token_version is older than the row's: it must not be written back
    assert_revoked(pair)
    assert user("clerk_tuphap").phone == "0912345678"


def test_tokens_issued_right_after_a_grant_work(demo):
    """token_for reads the committed version: a service that grants a role and signs in at once."""
    staff = services.staff_create(username="new_clerk", password=PASSWORD, full_name="Mới", roles=[Role.CLERK],
                                  agencies=[_agency(TUPHAP)])
    refresh_token = token_for(staff)  # the in-memory copy predates the revocations of the grants
    assert me(str(refresh_token.access_token)).json()["roles"] == ["clerk"]
    assert refresh(str(refresh_token)).status_code == 200


def test_tokens_carry_the_roles_as_committed_not_a_cached_copy(demo):
    supervisor = user("supervisor")
    assert supervisor.role_names == {"supervisor"}  # cached on this copy
    services.user_set_roles(user=user("supervisor"), roles=[Role.STATISTICIAN])  # through another copy
    access = token_for(supervisor).access_token
    assert access["roles"] == ["statistician"]
    assert me(str(access)).json()["roles"] == ["statistician"]


# --- item 1: through the admin -------------------------------------------------------------------


@pytest.fixture
def admin_browser(demo) -> Client:
    browser = Client()
    browser.force_login(user("admin"))
    return browser


def _user_form(target: User, **overrides) -> dict:
    memberships = list(AgencyMembership.objects.filter(user=target).order_by("pk"))
    data = {
        "username": target.username, "first_name": "", "last_name": "", "email": target.email,
        "is_active": "on" if target.is_active else "", "is_staff": "on" if target.is_staff else "",
        "is_superuser": "on" if target.is_superuser else "",
        "groups": [str(g.pk) for g in target.groups.all()], "user_permissions": [],
        "last_login_0": "", "last_login_1": "",
        "date_joined_0": target.date_joined.strftime("%Y-%m-%d"), "date_joined_1": "08:00:00",
        "full_name": target.full_name, "phone": target.phone, "applicant_type": target.applicant_type,
        "id_number": target.id_number,
        "memberships-TOTAL_FORMS": str(len(memberships)), "memberships-INITIAL_FORMS": str(len(memberships)),
        "memberships-MIN_NUM_FORMS": "0", "memberships-MAX_NUM_FORMS": "1000",
    }
    for index, membership in enumerate(memberships):
        data.update({
            f"memberships-{index}-id": str(membership.pk), f"memberships-{index}-user": str(target.pk),
            f"memberships-{index}-agency": str(membership.agency_id),
            f"memberships-{index}-include_subtree": "on" if membership.include_subtree else "",
            f"memberships-{index}-title": membership.title,
        })
    data = {k: v for k, v in data.items() if v != ""}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def _admin_change(browser: Client, username: str, **overrides) -> None:
    target = user(username)
    response = browser.post(f"/admin/accounts/user/{target.pk}/change/", _user_form(target, **overrides))
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response


ADMIN_CHANGES: dict[str, tuple[str, dict]] = {
    "role removed": ("supervisor", {"groups": []}),
    "role added": ("clerk_tuphap", {"groups": lambda: [str(_group(Role.CLERK).pk), str(_group(Role.LEADER).pk)]}),
    "deactivated": ("clerk_tuphap", {"is_active": None}),
    "membership deleted (inline)": ("clerk_tuphap", {"memberships-0-DELETE": "on"}),
    "membership widened (inline)": ("clerk_tuphap", {"memberships-0-include_subtree": "on"}),
    "membership added (inline)": ("clerk_tuphap", {
        "memberships-TOTAL_FORMS": "2", "memberships-1-agency": lambda: str(_agency(VANGIANG).pk)}),
}


@pytest.mark.parametrize("change", list(ADMIN_CHANGES))
def test_admin_changes_revoke_tokens(admin_browser, change):
    who, overrides = ADMIN_CHANGES[change]
    pair = sign_in(who)
    _admin_change(admin_browser, who, **{k: v() if callable(v) else v for k, v in overrides.items()})
    assert_revoked(pair)


def test_admin_saving_nothing_new_revokes_nothing(admin_browser):
    pair = sign_in("clerk_tuphap")
    _admin_change(admin_browser, "clerk_tuphap", full_name="Lê Thị Hồng (Tư pháp)")
    assert user("clerk_tuphap").full_name == "Lê Thị Hồng (Tư pháp)"
    assert_alive(pair)


def test_admin_group_rename_and_delete_revoke_members_tokens(admin_browser):
    pair = sign_in("leader_tuphap")
    group = _group(Role.LEADER)
    assert admin_browser.post(f"/admin/auth/group/{group.pk}/change/", {"name": "lãnh đạo"}).status_code == 302
    assert_revoked(pair)
    pair = sign_in("leader_tuphap")
    assert admin_browser.post(f"/admin/auth/group/{group.pk}/delete/", {"post": "yes"}).status_code == 302
    assert_revoked(pair)


# --- item 2: a password change ends tokens and sessions ------------------------------------------


def test_password_change_revokes_access_and_refresh_tokens_and_sessions(demo):
    pair = sign_in("citizen1")
    browser = Client()
    assert browser.login(username="citizen1", password=PASSWORD)
    assert browser.get("/api/v1/me/").status_code == 200  # the session works before

    citizen = user("citizen1")
    citizen.set_password("Mat-khau-moi-2026!")
    citizen.save()

    assert me(pair["access"]).status_code == 401
    assert refresh(pair["refresh"]).status_code == 401
    assert browser.get("/api/v1/me/").status_code in (401, 403)  # the session ended too
    assert APIClient().post("/api/v1/auth/token/", {"username": "citizen1", "password": PASSWORD},
                            format="json").status_code == 401
    assert_alive(sign_in("citizen1", "Mat-khau-moi-2026!"))


def test_password_change_with_update_fields_revokes_too(demo):
    pair = sign_in("citizen1")
    citizen = user("citizen1")
    citizen.set_password("Mat-khau-moi-2026!")
    citizen.save(update_fields=["password"])
    assert_revoked(pair)


def test_password_change_in_the_admin_revokes_tokens(admin_browser):
    pair = sign_in("clerk_tuphap")
    target = user("clerk_tuphap")
    response = admin_browser.post(f"/admin/accounts/user/{target.pk}/password/", {
        "password1": "Mat-khau-moi-2026!", "password2": "Mat-khau-moi-2026!", "usable_password": "true"})
    assert response.status_code == 302
    assert_revoked(pair)
