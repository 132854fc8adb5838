"""Request fields that refuse what they cannot keep faithfully: control characters in text,
ambiguous or out-of-range times."""
from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext as _
from rest_framework import serializers
from rest_framework.fields import empty

from onestop.text import code_point, forbidden_character, nfc

# The years the working calendar computes deadlines for (onestop/calendar.py); dates and instants a
# client sends outside them are mistakes (year 1, year 9999), and overflow once shifted by a zone.
FIRST_YEAR, LAST_YEAR = 2000, 2100
FIRST_DAY, LAST_DAY = date(FIRST_YEAR, 1, 1), date(LAST_YEAR, 12, 31)


class AwareDateTimeField(serializers.DateTimeField):
    """ISO 8601 with a UTC offset (or `Z`), within FIRST_YEAR..LAST_YEAR. A time without an offset
    is refused: read as server-local it might be right, or seven hours off."""

    default_error_messages = {
        "offset_required": "Give the UTC offset (e.g. 2025-01-06T08:00:00+07:00): a time without one is ambiguous.",
        "out_of_range": f"Must fall within the years {FIRST_YEAR}-{LAST_YEAR}.",
    }

    def to_internal_value(self, value):
        if isinstance(value, str):
            try:
                parsed = parse_datetime(value.strip())
            except ValueError:
                parsed = None  # well-formed but impossible (month 13): DRF's own message below
            if parsed is not None and timezone.is_naive(parsed):
                self.fail("offset_required")
        instant = super().to_internal_value(value)
        if not FIRST_YEAR <= instant.year <= LAST_YEAR:
            self.fail("out_of_range")
        return instant


# --- text ------------------------------------------------------------------------------------------

CONTROL_CHARACTER = "control_character"


def control_character_message(char: str) -> str:
    if char in "\t\n\r":
        return _("Contains %(char)s: this field takes one line of text, without tabs or line breaks.") % {
            "char": code_point(char)
        }
    return _("Contains %(char)s, a control character or non-character, which no text may hold.") % {
        "char": code_point(char)
    }


@deconstructible
class ControlCharacterValidator:
    """Refuses the characters of onestop.text.forbidden_character; TAB, LF and CR only in
    multi-line text. For DRF fields and Django form fields alike."""

    code = CONTROL_CHARACTER

    def __init__(self, multiline: bool = False) -> None:
        self.multiline = multiline

    def __call__(self, value: object) -> None:
        if isinstance(value, str) and (char := forbidden_character(value, multiline=self.multiline)):
            raise DjangoValidationError(control_character_message(char), code=self.code)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ControlCharacterValidator) and other.multiline == self.multiline


class CharField(serializers.CharField):
    """The project's text field (every text field of a request uses it or a subclass): DRF's, but
    control characters and non-characters are refused, and TAB, LF and CR too unless `multiline`
    (reasons, notes, comments, addresses). They would break the XML the PDF forms are laid out in,
    the e-mails and the exports, and are never part of a name or a code."""

    def __init__(self, *, multiline: bool = False, **kwargs) -> None:
        self.multiline = multiline
        super().__init__(**kwargs)
        self.validators.append(ControlCharacterValidator(multiline))

    def run_validation(self, data=empty):
        # Before trimming: str.strip() would silently drop U+000B, U+001F or U+0085 at either end.
        if isinstance(data, str) and (char := forbidden_character(data, multiline=True)):
            raise serializers.ValidationError(control_character_message(char), code=CONTROL_CHARACTER)
        return super().run_validation(data)


class NFCCharField(CharField):
    """Vietnamese text arrives in NFC or NFD; we store NFC so search finds both."""

    def to_internal_value(self, data):
        return nfc(super().to_internal_value(data))


class RegexField(CharField, serializers.RegexField):
    """DRF's RegexField with the project's text rules (and the same schema)."""

    def __init__(self, regex, **kwargs) -> None:
        super().__init__(regex=regex, **kwargs)


class EmailField(CharField, serializers.EmailField):
    """DRF's EmailField with the project's text rules (and the same schema)."""
