"""The edge's rules for text and numbers (issue 14, items 3 and 8), beyond the request-by-request
cases of tests/hardening/test_hostile_input.py: every request serializer's text fields follow the
rule, multi-line text keeps its line breaks, the dashboard's forms and numbers follow it too."""
from __future__ import annotations

import pytest
from django.test import Client
from drf_spectacular.generators import SchemaGenerator
from rest_framework import serializers

from apps.accounts.models import User
from apps.common.numbers import BIGINT_MAX, bounded_int
from apps.dossiers.models import Dossier, DossierEvent
from onestop.text import forbidden_character, without_forbidden

# simplejwt's own serializer: its fields are DRF's, the JSON parser refuses control characters in
# them (tests/hardening: sign-in-username-control).
THIRD_PARTY = {"RolesTokenObtainPairRequest"}


def _text_fields(serializer, prefix=""):
    for name, field in serializer.fields.items():
        path = f"{prefix}{name}"
        if isinstance(field, serializers.ListSerializer):
            yield from _text_fields(field.child, path + "[].")
        elif isinstance(field, serializers.Serializer):
            yield from _text_fields(field, path + ".")
        elif isinstance(field, (serializers.ListField, serializers.DictField)):
            if isinstance(field.child, serializers.CharField):
                yield path + "[]", field.child
        elif isinstance(field, serializers.CharField) and not field.read_only:
            yield path, field


def request_text_fields():
    generator = SchemaGenerator()
    generator.get_schema(request=None, public=True)
    for (name, _), component in sorted(generator.registry._components.items()):
        if not name.endswith("Request") or name in THIRD_PARTY:
            continue
        serializer = component.object() if isinstance(component.object, type) else component.object
        for path, field in _text_fields(serializer):
            yield f"{name}.{path}", field


def test_every_text_field_of_every_request_refuses_control_characters(db):
    fields = dict(request_text_fields())
    assert {"RegisterRequest.applicant.name", "ReasonRequest.reason", "ApplicantRegisterRequest.full_name",
            "PortalIntakeRequest.applicant.name", "KioskRatingRequest.comment"} <= set(fields)
    for field in fields.values():
        for char in ("\u0007", "\u000b", "\u001b", "\ufffe", "\uffff", "\u0085"):
            with pytest.raises(serializers.ValidationError):
                field.run_validation(f"Ab{char}cd")
        if not getattr(field, "multiline", False):
            for char in "\t\n\r":
                with pytest.raises(serializers.ValidationError) as refused:
                    field.run_validation(f"Ab{char}cd")
                assert "control_character" in refused.value.get_codes()  # the code, not the message's language
    multiline = sorted(path for path, field in fields.items() if getattr(field, "multiline", False))
    assert all(path.rsplit(".", 1)[-1] in ("reason", "note", "comment", "address") for path in multiline), multiline


@pytest.mark.django_db
def test_multi_line_text_keeps_tabs_and_line_breaks(register, as_user, media_root):
    address = "Số 18, ngõ 215\nphường Hiến Nam"
    response = register(applicant={"name": "Nguyễn Văn Bảy", "id_number": "001088000777",
                                   "applicant_type": "citizen", "address": address})
    assert response.status_code == 201, response.content
    dossier_id = response.json()["id"]
    assert Dossier.objects.get(pk=dossier_id).applicant_address == address
    reason = "Thiếu:\n\t- tờ khai\r\n\t- CCCD"
    rejected = as_user("clerk_tuphap").post(f"/api/v1/dossiers/{dossier_id}/reject/", {"reason": reason},
                                            format="json")
    assert rejected.status_code == 200, rejected.content
    assert DossierEvent.objects.get(dossier_id=dossier_id, action="reject").payload["reason"] == reason


def test_the_rule_itself():
    assert forbidden_character("Nguyễn Văn Bảy") is None
    assert forbidden_character("a\tb") == "\t" and forbidden_character("a\tb", multiline=True) is None
    assert forbidden_character("a\U0010fffe", multiline=True) == "\U0010fffe"  # a non-character of plane 16
    assert forbidden_character("a\u2028b") is None  # a line separator is text, not a control character
    assert without_forbidden("A\u0007B\u000b\u001bC\ufffe\uffff\u0085\n\tD") == "ABC\n\tD"


@pytest.mark.parametrize(("raw", "expected"), [
    ("0", 0), ("42", 42), ("007", 7), (str(BIGINT_MAX), BIGINT_MAX), ("0" * 5000 + "1", 1),
    (str(BIGINT_MAX + 1), None), ("9" * 4301, None), ("9" * 100_000, None), ("-1", None), ("+5", None),
    ("١٢٣", None), ("²", None), (" 5", None), ("5 ", None), ("5\n", None), ("1_000", None), ("1.0", None),
    ("", None), (None, None), (5, None),
])
def test_bounded_int(raw, expected):
    assert bounded_int(raw) == expected


def test_bounded_int_honours_the_bounds():
    assert bounded_int("1", low=1, high=200) == 1
    assert bounded_int("0", low=1, high=200) is None
    assert bounded_int("201", low=1, high=200) is None
    assert bounded_int("1000", low=1, high=200) is None


# --- the dashboard: its sign-in form and its numbers ---------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("username", ["supervisor\u0007", "super\u001bvisor", "supervisor\uffff", "super\tvisor"])
def test_the_dashboard_sign_in_refuses_control_characters(demo, username):
    client = Client()
    response = client.post("/accounts/login/", {"username": username, "password": "demo-Pass-2025"})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "U+" in " ".join(errors["username"]), errors  # the field's error names the character
    assert "_auth_user_id" not in client.session
    assert client.post("/accounts/login/", {"username": "supervisor", "password": "demo-Pass-2025"}).status_code == 302


NUMBERS = {"huge": "9" * 30, "4301-digits": "9" * 4301, "negative": "-1", "leading-plus": "+5",
           "arabic-indic-digits": "١٢٣", "whitespace": " 5"}


@pytest.mark.django_db
@pytest.mark.parametrize("param", ["year", "month", "quarter"])
@pytest.mark.parametrize("value", list(NUMBERS.values()), ids=list(NUMBERS))
def test_dashboard_numbers_are_bounded(demo, param, value):
    client = Client()
    client.force_login(User.objects.get(username="supervisor"))
    period = {"month": "month", "quarter": "quarter"}.get(param, "year")
    response = client.get("/dashboard/", {"period": period, param: value})
    assert response.status_code == 400
    assert "Phải là số nguyên" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("scope", ["000.00.17\u0007.H29", "000.00\n.17.H29", "\u001b[31m"])
def test_dashboard_text_parameters_refuse_control_characters(demo, scope):
    client = Client()
    client.force_login(User.objects.get(username="supervisor"))
    response = client.get("/dashboard/", {"scope": scope})
    assert response.status_code == 400
    assert "U+" in response.content.decode()
