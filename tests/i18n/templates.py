"""The texts of the server-rendered pages' templates: what {% translate %} / {% blocktranslate %} give
the catalogue (msgids), and any text people read that bypasses them.

Used by tests/i18n/test_pages.py and, run as a script, to list the msgids the English catalogue
still lacks and the untranslated texts: `python -m tests.i18n.templates`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
#: The pages' templates (apps/documents' PDF forms are laid out elsewhere, in their own languages).
PAGE_APPS = ("common", "dashboard", "payments", "public", "workbench")


def entry_key(msgid: str, context: str = "") -> str:
    """How tests/i18n/catalogues.load_po keys an entry: "context\x04msgid" with a context."""
    return f"{context}\x04{msgid}" if context else msgid


@dataclass(frozen=True)
class TemplateText:
    text: str  # a msgid with a context is "context\x04msgid", as the catalogues key it
    path: str
    translated: bool  # a msgid (inside a translate tag), or text outside any


def page_templates() -> list[Path]:
    return sorted(p for app in PAGE_APPS for p in (ROOT / "apps" / app / "templates").rglob("*.html"))


def _context(node) -> str:
    """A translate tag's `context "…"` (a literal), or ""."""
    if node.message_context is None:
        return ""
    literal = node.message_context.var  # a string constant: the string itself, else a Variable
    return str(getattr(literal, "literal", literal))


def template_texts() -> list[TemplateText]:
    """Every msgid of the pages' templates, and every text node outside the translate tags."""
    from django.template import Engine
    from django.template.base import TextNode
    from django.templatetags.i18n import BlockTranslateNode, TranslateNode

    engine = Engine.get_default()
    found: list[TemplateText] = []
    for path in page_templates():
        name = str(path.relative_to(ROOT))
        nodelist = engine.from_string(path.read_text(encoding="utf-8")).nodelist
        for node in nodelist.get_nodes_by_type(TranslateNode):
            found.append(TemplateText(entry_key(str(node.filter_expression.var.literal), _context(node)), name, True))
        for node in nodelist.get_nodes_by_type(BlockTranslateNode):
            found.append(TemplateText(entry_key(node.render_token_list(node.singular)[0], _context(node)), name, True))
        for node in nodelist.get_nodes_by_type(TextNode):
            if node.s.strip():
                found.append(TemplateText(node.s, name, False))
    return found


if __name__ == "__main__":
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings_test")
    django.setup()
    from tests.i18n.catalogues import load_po, looks_vietnamese

    english = load_po("en")
    seen = set()
    for item in template_texts():
        if item.translated and not english.get(item.text) and item.text not in seen:
            seen.add(item.text)
            print(f"en {item.path}: {item.text!r}")
        elif not item.translated and looks_vietnamese(item.text):
            print(f"untranslated {item.path}: {item.text.strip()!r}")
