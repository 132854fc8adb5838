"""Text as stored and searched: Vietnamese arrives in NFC or NFD (macOS, some IMEs), we keep NFC."""
from __future__ import annotations

import unicodedata


def nfc(value: str) -> str:
    """NFC, surrounding whitespace removed: the one form names are stored and searched in."""
    return unicodedata.normalize("NFC", value).strip()
