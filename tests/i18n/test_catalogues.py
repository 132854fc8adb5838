"""Two languages, never mixed (issue 16): every text people read exists in Vietnamese and English."""
from __future__ import annotations

import gettext as python_gettext
import inspect

import pytest
from django.utils import translation
from rest_framework import fields, relations, serializers

from apps.common.problems import CODE_TITLES, TITLES, problem_title
from onestop import labels
from onestop.errors import ErrorCode

from .catalogues import load_po, looks_vietnamese, po_path
from .messages import find_messages


@pytest.mark.parametrize("language", ["vi", "en"])
def test_compiled_catalogue_matches_its_source(language):
    """The committed .mo (what Django reads; nothing is compiled on install) holds exactly the .po."""
    with open(po_path(language).with_suffix(".mo"), "rb") as handle:
        compiled = python_gettext.GNUTranslations(handle)._catalog  # type: ignore[attr-defined]
    compiled = {k if isinstance(k, str) else k[0]: v for k, v in compiled.items() if k}
    source = {k: v for k, v in load_po(language).items() if v}
    assert compiled == source


def test_every_message_in_the_code_has_both_texts():
    vietnamese = load_po("vi")
    formatted = [f"{m.path}:{m.line} {m.text}" for m in find_messages() if m.formatted]
    assert not formatted, "f-strings cannot be translated; use gettext('… %(name)s') % {...}"
    english = load_po("en")
    # Messages are written in English (the vi catalogue translates them) or, on the pages, in Vietnamese
    # (the en catalogue translates those).
    missing = sorted({f"{m.path}:{m.line} {m.text}" for m in find_messages()
                      if not (english if looks_vietnamese(m.text) else vietnamese).get(m.text)})
    assert not missing
    assert len(find_messages()) > 50  # the scan really finds the messages


def test_every_label_has_an_english_text():
    english = load_po("en")
    missing = [label for label in labels.ALL_LABELS if not english.get(label)]
    assert not missing


@pytest.mark.parametrize("code", list(ErrorCode))
def test_every_error_code_has_a_title_in_both_languages(code):
    assert code in CODE_TITLES
    with translation.override("vi"):
        vietnamese = problem_title(422, code)
    with translation.override("en"):
        english = problem_title(422, code)
    assert looks_vietnamese(vietnamese) and not looks_vietnamese(english) and vietnamese != english


@pytest.mark.parametrize("status", sorted(TITLES))
def test_every_status_title_in_both_languages(status):
    with translation.override("vi"):
        vietnamese = problem_title(status, "x")
    with translation.override("en"):
        english = problem_title(status, "x")
    assert looks_vietnamese(vietnamese) and not looks_vietnamese(english)


def _serializer_error_messages() -> list[tuple[str, str, object]]:
    found = []
    for module in (fields, serializers, relations):
        for name, cls in inspect.getmembers(module, inspect.isclass):
            for key, message in getattr(cls, "default_error_messages", {}).items():
                found.append((name, key, message))
    return found


@pytest.mark.parametrize(("field", "key", "message"), _serializer_error_messages(),
                         ids=[f"{n}.{k}" for n, k, _m in _serializer_error_messages()])
def test_every_serializer_error_type_has_both_texts(field, key, message):
    with translation.override("vi"):
        vietnamese = str(message)
    with translation.override("en"):
        english = str(message)
    assert vietnamese != english and looks_vietnamese(vietnamese), f"{field}.{key}: {english}"
    assert not looks_vietnamese(english)
