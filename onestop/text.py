"""Text as stored and searched: Vietnamese arrives in NFC or NFD (macOS, some IMEs), we keep NFC."""
from __future__ import annotations

import functools
import re
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


# Vietnamese dictionary order: ă, â, đ, ê, ô, ơ, ư are letters of their own; tones sort after the
# letters (none, huyền, hỏi, ngã, sắc, nặng); lower case before upper case. The same order as
# PostgreSQL's ICU collation "vi-VN-x-icu", for lists sorted in Python.
_ALPHABET = "a ă â b c d đ e ê f g h i j k l m n o ô ơ p q r s t u ư v w x y z".split()
_LETTER_RANK = {letter: rank for rank, letter in enumerate(_ALPHABET)}
_LETTER_MARKS = {"\u0306": "\u0306", "\u0302": "\u0302", "\u031b": "\u031b"}  # breve, circumflex, horn
_TONE_RANK = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}


@functools.lru_cache(maxsize=8192)
def vietnamese_sort_key(value: str) -> tuple[tuple, tuple, tuple]:
    """Sort key: letters first (primary), then tones (secondary), then case (tertiary).

    Cached: the same names (agencies, procedures) are sorted on every statistics page, and building
    a key costs ~40 µs (the dashboard's ranking sorts 376 of them twice)."""
    primary: list[tuple[int, int]] = []
    tones: list[int] = []
    cases: list[int] = []
    for cluster in _clusters(unicodedata.normalize("NFD", value)):
        base, marks = cluster[0], cluster[1:]
        lower = base.lower()
        letter = unicodedata.normalize("NFC", lower + "".join(m for m in marks if m in _LETTER_MARKS))
        rank = _LETTER_RANK.get(letter)
        primary.append((1, rank) if rank is not None else (0, ord(lower)))
        tones.append(max((_TONE_RANK.get(m, 0) for m in marks), default=0))
        cases.append(1 if base.isupper() else 0)
    return tuple(primary), tuple(tones), tuple(cases)


def _clusters(decomposed: str) -> list[str]:
    clusters: list[str] = []
    for ch in decomposed:
        if clusters and unicodedata.combining(ch):
            clusters[-1] += ch
        else:
            clusters.append(ch)
    return clusters


# --- characters no text field holds --------------------------------------------------------------
# Control characters (C0 but TAB, LF and CR; DEL; C1), lone surrogates and noncharacters (U+FDD0-U+FDEF
# and the last two code points of every plane: U+FFFE, U+FFFF, U+1FFFE, ...). XML 1.0, which the PDF
# forms are laid out in, forbids most of them; none belongs in a name, a code or a reason.
_NONCHARACTERS = "".join(f"{chr(plane * 0x10000 + 0xFFFE)}-{chr(plane * 0x10000 + 0xFFFF)}" for plane in range(17))
_CLASS = f"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef{_NONCHARACTERS}"
_FORBIDDEN = re.compile(f"[{_CLASS}]")
_FORBIDDEN_ON_ONE_LINE = re.compile(f"[\t\n\r{_CLASS}]")


def forbidden_character(value: str, *, multiline: bool = False) -> str | None:
    """The first character of `value` that no text may hold, or None. TAB, LF and CR count as
    forbidden unless `multiline` (reasons, notes, comments, addresses)."""
    match = (_FORBIDDEN if multiline else _FORBIDDEN_ON_ONE_LINE).search(value)
    return match.group(0) if match else None


def code_point(char: str) -> str:
    """'U+0007': how an error message names a character it cannot show."""
    return f"U+{ord(char):04X}"


def without_forbidden(value: str) -> str:
    """`value` with every forbidden character removed (TAB, LF and CR kept): what the PDF forms and
    e-mails render, so that text stored before it was refused at the edge still renders."""
    return _FORBIDDEN.sub("", value)
