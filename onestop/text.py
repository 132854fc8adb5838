"""Text as stored and searched: Vietnamese arrives in NFC or NFD (macOS, some IMEs), we keep NFC."""
from __future__ import annotations

import re
import unicodedata


def nfc(value: str) -> str:
    """NFC, surrounding whitespace removed: the one form names are stored and searched in."""
    return unicodedata.normalize("NFC", value).strip()


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
