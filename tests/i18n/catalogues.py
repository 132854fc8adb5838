"""Read a gettext .po catalogue of locale/ (msgid -> msgstr) without extra dependencies."""
from __future__ import annotations

import ast
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def po_path(language: str) -> Path:
    return ROOT / "locale" / language / "LC_MESSAGES" / "django.po"


def load_po(language: str) -> dict[str, str]:
    """msgid -> msgstr; an entry with a context (msgctxt) is keyed "context\x04msgid", as gettext keys it."""
    entries: dict[str, str] = {}
    current: dict[str, str] = {}
    key = ""

    def flush() -> None:
        if "msgid" in current:
            context = current.get("msgctxt")
            msgid = current["msgid"] if context is None else f"{context}\x04{current['msgid']}"
            entries[msgid] = current.get("msgstr", "")
        current.clear()

    for raw in [*po_path(language).read_text(encoding="utf-8").splitlines(), ""]:
        line = raw.strip()
        if line.startswith("msgctxt "):
            flush()
            current["msgctxt"], key = ast.literal_eval(line[8:]), "msgctxt"
        elif line.startswith("msgid "):
            if "msgid" in current:
                flush()
            current["msgid"], key = ast.literal_eval(line[6:]), "msgid"
        elif line.startswith(("msgstr ", "msgstr[0] ")):  # a plural's first form stands for it
            current["msgstr"], key = ast.literal_eval(line.split(" ", 1)[1]), "msgstr"
        elif line.startswith(("msgid_plural ", "msgstr[")):
            key = ""
        elif line.startswith('"') and key:
            current[key] += ast.literal_eval(line)
        elif not line:
            flush()
            key = ""
    entries.pop("", None)
    return entries


VIETNAMESE_ONLY = set("ăâđêôơưĂÂĐÊÔƠƯ")
TONE_MARKS = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}


def looks_vietnamese(text: str) -> bool:
    """Letters or tone marks English never has."""
    decomposed = unicodedata.normalize("NFD", text)
    return any(ch in VIETNAMESE_ONLY for ch in text) or any(ch in TONE_MARKS for ch in decomposed)
