"""Read a gettext .po catalogue of locale/ (msgid -> msgstr) without extra dependencies."""
from __future__ import annotations

import ast
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def po_path(language: str) -> Path:
    return ROOT / "locale" / language / "LC_MESSAGES" / "django.po"


CONTEXT_SEPARATOR = "\x04"  # a msgctxt entry's key: "context\x04msgid", as gettext's compiled catalogues


def entry_key(msgid: str, context: str = "") -> str:
    return f"{context}{CONTEXT_SEPARATOR}{msgid}" if context else msgid


def load_po(language: str) -> dict[str, str]:
    entries: dict[str, str] = {}
    current: dict[str, str] = {}
    key = ""
    for raw in [*po_path(language).read_text(encoding="utf-8").splitlines(), ""]:
        line = raw.strip()
        if line.startswith("msgctxt "):
            if "msgid" in current:
                entries[_key(current)] = current.get("msgstr", "")
            current, key = {"msgctxt": ast.literal_eval(line[8:])}, "msgctxt"
        elif line.startswith("msgid "):
            if "msgid" in current:
                entries[_key(current)] = current.get("msgstr", "")
                current = {}
            current, key = {**current, "msgid": ast.literal_eval(line[6:])}, "msgid"
        elif line.startswith(("msgstr ", "msgstr[0] ")):  # a plural's first form stands for it
            current["msgstr"], key = ast.literal_eval(line.split(" ", 1)[1]), "msgstr"
        elif line.startswith(("msgid_plural ", "msgstr[")):
            key = ""
        elif line.startswith('"') and key:
            current[key] += ast.literal_eval(line)
        elif not line and "msgid" in current:
            entries[_key(current)] = current.get("msgstr", "")
            current, key = {}, ""
    entries.pop("", None)
    return entries


def _key(entry: dict[str, str]) -> str:
    return entry_key(entry["msgid"], entry.get("msgctxt", ""))


VIETNAMESE_ONLY = set("ăâđêôơưĂÂĐÊÔƠƯ")
TONE_MARKS = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}


def looks_vietnamese(text: str) -> bool:
    """Letters or tone marks English never has."""
    decomposed = unicodedata.normalize("NFD", text)
    return any(ch in VIETNAMESE_ONLY for ch in text) or any(ch in TONE_MARKS for ch in decomposed)
