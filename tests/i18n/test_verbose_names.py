"""The admin and forms name every app, model and field in Vietnamese, and in English on request."""
from __future__ import annotations

import pytest
from django.apps import apps
from django.utils import translation

from apps.common.verbose_names import APP_NAMES, MODEL_NAMES, field_name_vi, our_models

from .catalogues import load_po, looks_vietnamese


def test_every_app_model_and_field_of_ours_has_a_vietnamese_name():
    missing = [c.label for c in apps.get_app_configs() if c.name.startswith("apps.") and c.label not in APP_NAMES]
    for model in our_models():
        key = f"{model._meta.app_label}.{model.__name__}"
        if key not in MODEL_NAMES:
            missing.append(key)
        missing += [f"{key}.{f.name}" for f in model._meta.get_fields()
                    if f.concrete and not f.auto_created and not field_name_vi(key, f.name)]
    assert not missing


def test_every_vietnamese_name_has_an_english_text():
    english = load_po("en")
    names = set(APP_NAMES.values()) | {n for pair in MODEL_NAMES.values() for n in pair}
    for model in our_models():
        key = f"{model._meta.app_label}.{model.__name__}"
        names |= {field_name_vi(key, f.name) for f in model._meta.get_fields() if f.concrete and not f.auto_created}
    missing = sorted(n for n in names if n and not english.get(n))
    assert not missing


def test_names_follow_the_active_language():
    from apps.dossiers.models import Dossier

    with translation.override("vi"):
        assert str(Dossier._meta.verbose_name) == "hồ sơ"
        assert str(Dossier._meta.get_field("appointment_at").verbose_name) == "ngày hẹn trả"
        assert str(apps.get_app_config("portal").verbose_name) == "Đồng bộ Cổng Dịch vụ công quốc gia"
    with translation.override("en"):
        assert str(Dossier._meta.verbose_name) == "Dossier"
        assert str(Dossier._meta.get_field("appointment_at").verbose_name) == "Appointment"
        assert not looks_vietnamese(str(apps.get_app_config("portal").verbose_name))


@pytest.mark.django_db
@pytest.mark.parametrize(("language", "expected", "absent"), [
    ("vi", ["Đồng bộ Cổng Dịch vụ công quốc gia", "Thủ tục hành chính", "Cơ quan, đơn vị"],
     ["National public-service portal sync", "Procedures"]),
    ("en", ["National public-service portal sync", "Procedure catalogue"], ["Đồng bộ Cổng"]),
])
def test_admin_index_speaks_one_language(client, django_user_model, language, expected, absent):
    # A page for people: the user's own language, whatever the browser asks (Accept-Language is the API's).
    admin = django_user_model.objects.create_superuser("root-i18n", "root@example.org", "Str0ng-Pass-2025",
                                                       language=language)
    client.force_login(admin)
    other = "en" if language == "vi" else "vi"
    page = client.get("/admin/", HTTP_ACCEPT_LANGUAGE=other).content.decode()
    for text in expected:
        assert text in page, text
    for text in absent:
        assert text not in page, text
