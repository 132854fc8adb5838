"""Which language a person reads what the system sends them (e-mail, SMS) in."""
from __future__ import annotations

from django.conf import settings
from django.utils import translation


def language_of(user) -> str:
    """The person's own choice (User.language), else Vietnamese; no account (a counter applicant): Vietnamese."""
    language = getattr(user, "language", "") or settings.LANGUAGE_CODE
    return language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def in_language_of(user):
    """`with in_language_of(user): …` — texts built inside are in that person's language."""
    return translation.override(language_of(user))
