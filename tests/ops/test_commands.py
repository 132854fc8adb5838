"""manage.py create_staff and manage.py portal_key: what an operator runs instead of a Python shell."""
from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone, translation

from apps.accounts.models import User
from apps.portal.models import PortalKey
from apps.portal.signing import KEY_ID_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, sign

pytestmark = pytest.mark.django_db


def run(*args: str, stdin: str | None = None, language: str = "en") -> str:
    """The command as an operator runs it; its messages read in English here (Vietnamese by default)."""
    out = io.StringIO()
    extra = {"stdin": io.StringIO(stdin)} if stdin is not None else {}
    with translation.override(language):
        call_command(*args, stdout=out, **extra)
    return out.getvalue()


def test_command_messages_are_vietnamese_by_default(demo):
    with pytest.raises(CommandError, match="Hãy nêu ít nhất một vai trò"):
        run("create_staff", "clerk_x", language="vi")


class TestCreateStaff:
    def test_roles_agencies_and_a_generated_password_printed_once(self, demo):
        output = run("create_staff", "clerk_new", "--role", "clerk", "--role", "specialist",
                     "--agency", "000.00.17.H29,000.31.01.H29", "--full-name", "Trần Thị Mới", "--email", "m@x.vn")
        password = re.search(r"password \(shown once\): (\S+)", output).group(1)
        assert len(password) >= 20
        user = User.objects.get(username="clerk_new")
        assert user.role_names == {"clerk", "specialist"}
        assert sorted(user.memberships.values_list("agency__code", flat=True)) == ["000.00.17.H29", "000.31.01.H29"]
        assert user.full_name == "Trần Thị Mới" and user.email == "m@x.vn"
        assert not user.is_staff  # the admin site is for administrators only
        assert authenticate(username="clerk_new", password=password) == user
        assert password not in user.password

    def test_password_from_stdin_is_not_printed(self, demo):
        output = run("create_staff", "leader_new", "--role", "leader", "--agency", "000.00.17.H29", "--subtree",
                     "--password-stdin", stdin="Quite-long-Pass-2026\n")
        assert "Quite-long-Pass-2026" not in output and "shown once" not in output
        user = User.objects.get(username="leader_new")
        assert authenticate(username="leader_new", password="Quite-long-Pass-2026") == user
        assert user.memberships.get().include_subtree

    def test_an_administrator_needs_no_agency(self, demo):
        run("create_staff", "admin2", "--role", "administrator")
        admin = User.objects.get(username="admin2")
        assert admin.is_staff and admin.is_superuser and admin.role_names == {"administrator"}

    @pytest.mark.parametrize(("args", "stdin", "message"), [
        (["clerk_x", "--role", "clerk"], None, "need at least one agency"),
        (["clerk_x", "--role", "cashier", "--agency", "000.00.17.H29"], None, "Unknown staff role"),
        (["clerk_x", "--role", "applicant", "--agency", "000.00.17.H29"], None, "Unknown staff role"),
        (["clerk_x", "--role", "clerk", "--agency", "999.99.99.H99"], None, "No agency with code(s): 999.99.99.H99"),
        (["clerk_x"], None, "at least one role"),
        (["CLERK_TUPHAP", "--role", "clerk", "--agency", "000.00.17.H29"], None, "exists already"),
        (["clerk_x", "--role", "clerk", "--agency", "000.00.17.H29", "--password-stdin"], "12345678\n",
         ""),
        (["clerk_x", "--role", "clerk", "--agency", "000.00.17.H29", "--password-stdin"], "", "no password"),
    ])
    def test_refusals_create_nothing(self, demo, args, stdin, message):
        users = User.objects.count()
        with pytest.raises(CommandError, match=re.escape(message) or None):  # "": the validators' own words
            run("create_staff", *args, stdin=stdin)
        assert User.objects.count() == users


def signed_get(client, path: str, key_id: str, secret: str):
    stamp = str(int(timezone.now().timestamp()))
    headers = {KEY_ID_HEADER: key_id, TIMESTAMP_HEADER: stamp,
               SIGNATURE_HEADER: sign(secret=secret, method="GET", path=path, timestamp=stamp, body=b"")}
    return client.get(path, headers=headers)


def issued(output: str) -> tuple[str, str]:
    key_id = re.search(r"key id: (\S+)", output).group(1)
    secret = re.search(r"secret \(shown once\): (\S+)", output).group(1)
    return key_id, secret


class TestPortalKey:
    path = "/api/v1/portal/catalog/"

    def test_create_prints_a_secret_that_signs(self, client):
        key_id, secret = issued(run("portal_key", "create", "national-portal", "--name", "Cổng DVC quốc gia"))
        assert key_id == "national-portal" and len(secret) >= 43
        assert signed_get(client, self.path, key_id, secret).status_code == 200
        assert signed_get(client, self.path, key_id, secret + "x").status_code == 401
        listing = run("portal_key", "list")
        assert "national-portal\tactive" in listing and secret not in listing

    def test_create_refuses_a_duplicate(self):
        run("portal_key", "create", "k1")
        with pytest.raises(CommandError, match="exists already"):
            run("portal_key", "create", "k1")

    def test_rotate_gives_a_new_key_and_a_grace_period_to_the_old(self, client):
        old_id, old_secret = issued(run("portal_key", "create", "k2"))
        output = run("portal_key", "rotate", "k2", "--grace-hours", "2")
        new_id, new_secret = issued(output)
        assert new_id.startswith("k2.r") and new_secret != old_secret
        old = PortalKey.objects.get(key_id="k2")
        assert timedelta(hours=1.9) < old.valid_until - timezone.now() <= timedelta(hours=2)
        assert signed_get(client, self.path, new_id, new_secret).status_code == 200
        assert signed_get(client, self.path, old_id, old_secret).status_code == 200  # still, during the grace
        PortalKey.objects.filter(key_id="k2").update(valid_until=timezone.now() - timedelta(seconds=1))
        assert signed_get(client, self.path, old_id, old_secret).status_code == 401
        again, _ = issued(run("portal_key", "rotate", new_id, "--grace-hours", "0"))
        assert again.startswith("k2.r") and again.count(".r") == 1 and again != new_id  # not k2.r….r…

    def test_revoke_refuses_at_once(self, client):
        key_id, secret = issued(run("portal_key", "create", "k3"))
        assert signed_get(client, self.path, key_id, secret).status_code == 200
        assert "revoked k3" in run("portal_key", "revoke", "k3")
        assert signed_get(client, self.path, key_id, secret).status_code == 401
        with pytest.raises(CommandError, match="revoked"):
            run("portal_key", "rotate", "k3")

    def test_unknown_key(self):
        with pytest.raises(CommandError, match="No key"):
            run("portal_key", "revoke", "nope")
