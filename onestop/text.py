"""Text as stored and searched: Vietnamese arrives in NFC or NFD (macOS, some IMEs), we keep NFC."""
from __future__ import annotations

import unicodedata


def nfc(value: str) -> str:
    """NFC, surrounding whitespace removed: the one form names are stored and searched in."""
    return unicodedata.normalize("NFC", value).strip()


# Letters NFD does not take apart: đ/Đ carry a stroke, not a combining mark.
_STROKED = str.maketrans({"đ": "d", "Đ": "D"})


def fold(value: str) -> str:
    """The form people search in: no diacritics, no case, single spaces ("Đường  Lý" -> "duong ly").

    PostgreSQL's `onestop_fold()` (lower + unaccent, apps/common/migrations) gives the same result for
    Vietnamese text; tests/test_search_fold.py holds the two together.
    """
    decomposed = unicodedata.normalize("NFD", value.translate(_STROKED))
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(unicodedata.normalize("NFC", bare).lower().split())


def fold_terms(value: str) -> list[str]:
    """A search as folded words: every word must occur (in any order) for a row to match."""
    return fold(value).split()
