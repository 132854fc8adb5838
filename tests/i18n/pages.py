"""What a person reads on a server-rendered page, and checks that it is in one language (issue 16).

The visible text is the text nodes and the attributes read out or shown (title, alt, aria-label,
placeholder), without scripts and styles, and without elements marked in another language than the
page (`lang`): the switcher names each language in itself ("Tiếng Việt" on an English page).
Data stays as recorded (agency, procedure and people's names, reasons typed by a clerk): an English
page is checked with the database's texts taken out.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from .catalogues import load_po, looks_vietnamese

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
READ_ATTRIBUTES = ("title", "alt", "aria-label", "placeholder")


class _Visible(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page_language = ""
        self.stack: list[tuple[str, bool]] = []  # (tag, hidden: script/style or another language)
        self.texts: list[str] = []

    def _hidden(self) -> bool:
        return bool(self.stack) and self.stack[-1][1]

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "html":
            self.page_language = attributes.get("lang") or ""
        language = attributes.get("lang")
        hidden = (
            self._hidden()
            or tag in ("script", "style")
            or bool(language and self.page_language and language != self.page_language)
        )
        if not hidden:
            self.texts += [attributes[a] for a in READ_ATTRIBUTES if attributes.get(a)]
        if tag not in VOID:
            self.stack.append((tag, hidden))

    def handle_startendtag(self, tag, attrs):
        if not self._hidden():
            self.texts += [v for k, v in attrs if k in READ_ATTRIBUTES and v]

    def handle_endtag(self, tag):
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data):
        if data.strip() and not self._hidden():
            self.texts.append(" ".join(data.split()))


def read(html: str) -> tuple[str, list[str]]:
    """(the page's <html lang>, the texts a person reads on it)."""
    parser = _Visible()
    parser.feed(html)
    return parser.page_language, parser.texts


def data_texts() -> list[str]:
    """Texts of the database that pages show as recorded, longest first (so a name is removed
    before a shorter name inside it)."""
    from apps.accounts.models import User
    from apps.agencies.models import Agency
    from apps.catalog.models import DocumentType, Procedure
    from apps.dossiers.models import Dossier, DossierEvent, DossierPause
    from apps.ratings.models import Rating
    from onestop.labels import masked_name

    texts: set[str] = set()
    for model, fields in (
        (Agency, ("name", "address")),
        (Procedure, ("name",)),
        (DocumentType, ("name",)),
        (User, ("full_name",)),
        (Dossier, ("applicant_name", "applicant_address", "result_note")),
        (DossierPause, ("reason",)),
    ):
        for row in model.objects.values_list(*fields):
            texts.update(value for value in row if value)
    texts.update(masked_name(name) for name in Dossier.objects.values_list("applicant_name", flat=True))
    for items in DossierPause.objects.values_list("requested_items", flat=True):
        texts.update(str(item) for item in items or [])
    for payload in DossierEvent.objects.values_list("payload", flat=True):  # what clerks typed
        for key in ("reason", "note", "reference", "items"):
            value = (payload or {}).get(key)
            texts.update(map(str, value) if isinstance(value, list) else [str(value)] if value else [])
    texts.update(c for c in Rating.objects.values_list("comment", flat=True) if c)
    return sorted(texts, key=len, reverse=True)


def without(text: str, data: list[str]) -> str:
    for value in data:
        text = text.replace(value, " ")
    return text


def english_leaks(texts: list[str]) -> list[str]:
    """English texts of the catalogue (two words or more) found in these texts."""
    english = {
        v for k, v in load_po("en").items() if v and looks_vietnamese(k.split("\x04")[-1]) and len(v.split()) >= 2
    }
    joined = "\n".join(texts)
    return sorted(e for e in english if re.search(rf"(?<![\w-]){re.escape(e)}(?![\w-])", joined))


def assert_vietnamese(html: str) -> list[str]:
    """The page says it is Vietnamese, reads Vietnamese, and holds no English text of the catalogue."""
    language, texts = read(html)
    assert language == "vi", language
    assert looks_vietnamese(" ".join(texts))
    assert english_leaks(texts) == []
    return texts


def assert_english(html: str, data: list[str] | None = None) -> list[str]:
    """The page says it is English and, the database's texts taken out, holds no Vietnamese."""
    language, texts = read(html)
    assert language == "en", language
    data = data_texts() if data is None else data
    vietnamese = [t for t in texts if looks_vietnamese(without(t, data))]
    assert vietnamese == [], vietnamese
    return texts
