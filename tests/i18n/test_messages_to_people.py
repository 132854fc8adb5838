"""E-mails and SMS in the recipient's language (issue 16): Vietnamese unless they chose English."""
from __future__ import annotations

import pytest
from django.core import mail

from apps.accounts.models import User
from apps.notifications.services import due_soon_reminders, notifications_send_pending
from tests.dossier_fixtures import vn
from tests.notifications.test_jobs import memory_sms, staff_emails  # noqa: F401  (fixtures)
from tests.portal.conftest import advance, register_dossier

from .catalogues import looks_vietnamese


@pytest.mark.django_db
@pytest.mark.parametrize(("language", "subject_words"), [("vi", "sắp đến hạn"), ("en", "is due soon")])
def test_due_soon_reminder_in_the_handlers_language(staff_emails, media_root, clock, language, subject_words):  # noqa: F811
    User.objects.filter(username="specialist_tuphap").update(language=language)
    clock.set(2025, 3, 3, 9, 0)
    dossier = register_dossier(1)
    advance(dossier, 1)  # assigned to specialist_tuphap; due Wed 12 March 09:00
    assert due_soon_reminders(now=vn(2025, 3, 11, 10, 0)) == 1
    notifications_send_pending()
    (message,) = mail.outbox
    assert subject_words in message.subject
    assert dossier.code in message.body
    if language == "en":
        assert not looks_vietnamese(message.subject)
        assert "is due at" in message.body


@pytest.mark.django_db
def test_sign_up_takes_a_language_and_me_shows_it(api):
    created = api.post("/api/v1/auth/register/", {
        "username": "en-citizen", "password": "Mat-khau-2025!", "full_name": "Jane Doe",
        "applicant_type": "citizen", "id_number": "001099012399", "language": "en",
    }, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["language"] == "en" and User.objects.get(username="en-citizen").language == "en"
    refused = api.post("/api/v1/auth/register/", {
        "username": "xx-citizen", "password": "Mat-khau-2025!", "full_name": "X",
        "applicant_type": "citizen", "id_number": "001099012398", "language": "fr",
    }, format="json")
    assert refused.status_code == 400 and refused.json()["errors"][0]["field"] == "language"


def test_every_announcement_has_both_texts():
    from django.utils import translation

    from apps.notifications import texts

    with translation.override("vi"):
        vietnamese = [texts.status_subject("X"), *texts.overdue_text("X", "P", vn(2025, 1, 2, 9, 0)),
                      *texts.due_soon_text("X", "P", vn(2025, 1, 2, 9, 0))]
    with translation.override("en"):
        english = [texts.status_subject("X"), *texts.overdue_text("X", "P", vn(2025, 1, 2, 9, 0)),
                   *texts.due_soon_text("X", "P", vn(2025, 1, 2, 9, 0))]
    assert all(looks_vietnamese(text) for text in vietnamese)
    assert not any(looks_vietnamese(text) for text in english)
