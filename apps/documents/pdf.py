"""Render a form to PDF: a Django template writes the page in a small layout vocabulary, ReportLab
lays it out on A4 with an embedded Vietnamese font.

Why ReportLab: pure-Python wheels, so nothing to install from the system at run time (`make run`
works without root on a fresh machine); it embeds and subsets TrueType fonts, so every glyph of
Vietnamese is in the file; and a one-page form renders in milliseconds. The font is Liberation
Serif (metric-compatible with Times New Roman, the face Decree 30/2020/NĐ-CP prescribes for
official documents), shipped in ``fonts/`` with its licence (SIL OFL 1.1) and never fetched.

Templates are data a province can change without touching code: ``documents/pdf/<form>.xml``
(Django templates, so autoescaping keeps values inert); a project-level
``templates/documents/pdf/<form>.xml`` overrides the app's copy. The vocabulary:

``<document title="…">``
    the root; ``title`` becomes the PDF's title.
``<p align="left|center|right|justify" size="13" style="body|title|heading|small|note"
space-before="0" space-after="3" indent="0" first-indent="0">``
    a paragraph; inside it ReportLab's inline markup: ``<b> <i> <u> <br/> <font size="…">``.
``<columns widths="40,60">`` with ``<column>`` children
    side by side (widths in % of the text width); each column holds any of these elements.
``<list kind="number|dash" size="13">`` with ``<item>`` children
    a numbered or dashed list.
``<table widths="8,30,…" size="10.5" header="1">`` with ``<tr>`` / ``<td align="…">``
    a grid table (widths in %); ``header`` rows repeat on every page and are bold.
``<signatures>`` with ``<sign title="…" note="…" name="…"/>`` children
    signature blocks side by side, with room to sign.
``<qr size="28">URL</qr>``
    a QR code (segno; size in mm), error correction M.
``<spacer height="4"/>`` (mm), ``<hr width="40" align="center"/>`` (mm), ``<keep>…</keep>``
    (keeps its children on one page), ``<pagebreak/>``.
"""
from __future__ import annotations

import io
import itertools
import threading
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import segno
from django.template.loader import render_to_string
from django.utils.translation import pgettext
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import (
    Flowable,
    HRFlowable,
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from onestop.text import without_forbidden

from .forms import CONTEXT
from .templatetags.documents_pdf import in_vietnamese

FONT_DIR = Path(__file__).resolve().parent / "fonts"
FONT = "OnestopSerif"
FACES = {
    FONT: "LiberationSerif-Regular.ttf",
    f"{FONT}-Bold": "LiberationSerif-Bold.ttf",
    f"{FONT}-Italic": "LiberationSerif-Italic.ttf",
}
# A4; left and right margins of Decree 30/2020 (30 mm binding side, 15 mm), top and bottom a little
# narrower than its 20 mm so that a form with long names still fits on one sheet.
PAGE = A4
MARGINS = {"leftMargin": 30 * mm, "rightMargin": 15 * mm, "topMargin": 15 * mm, "bottomMargin": 16 * mm}
FRAME_PADDING = 6  # points, each side: ReportLab's default frame padding
TEXT_WIDTH = PAGE[0] - MARGINS["leftMargin"] - MARGINS["rightMargin"] - 2 * FRAME_PADDING
BODY_SIZE = 13.0
ALIGN = {"left": TA_LEFT, "center": TA_CENTER, "right": TA_RIGHT, "justify": TA_JUSTIFY}

_fonts_lock = threading.Lock()
_fonts_ready = False


class TemplateError(ValueError):
    """A layout template uses an element or attribute the renderer does not know."""


def register_fonts() -> None:
    """Load the bundled faces once per process (parsing a TTF costs ~10 ms; subsetting is per PDF)."""
    global _fonts_ready
    if _fonts_ready:
        return
    with _fonts_lock:
        if _fonts_ready:
            return
        for name, file in FACES.items():
            pdfmetrics.registerFont(TTFont(name, str(FONT_DIR / file)))
        # No bold-italic face is shipped: bold stands in for it.
        pdfmetrics.registerFontFamily(
            FONT, normal=FONT, bold=f"{FONT}-Bold", italic=f"{FONT}-Italic", boldItalic=f"{FONT}-Bold"
        )
        _fonts_ready = True


def _style(name: str, size: float, align: str = "left", **extra: Any) -> ParagraphStyle:
    return ParagraphStyle(
        name, fontName=FONT, bulletFontName=FONT, fontSize=size, leading=round(size * 1.25, 2),
        alignment=ALIGN[align], **extra,
    )


STYLES: dict[str, dict[str, Any]] = {
    # name: defaults (size, align, spacing); attributes on <p> override them.
    "body": {"size": BODY_SIZE, "align": "left", "space_after": 2},
    "title": {"size": 14, "align": "center", "space_before": 6, "space_after": 2, "bold": True},
    "heading": {"size": BODY_SIZE, "align": "left", "space_before": 4, "space_after": 2, "bold": True},
    "small": {"size": 11, "align": "left", "space_after": 1},
    "note": {"size": 10, "align": "left", "space_after": 0, "italic": True},
}


def _mm(value: str | None, default: float) -> float:
    return float(value) * mm if value not in (None, "") else default


def _points(value: str | None, default: float) -> float:
    return float(value) if value not in (None, "") else default


def _inner_markup(element: ET.Element) -> str:
    """The element's content as ReportLab inline markup (children re-serialised, text escaped)."""
    parts = [escape(element.text or "")]
    parts.extend(ET.tostring(child, encoding="unicode") for child in element)
    return "".join(parts).strip()


def _paragraph(element: ET.Element, default_size: float | None = None) -> Paragraph:
    kind = element.get("style", "body")
    if kind not in STYLES:
        raise TemplateError(f"unknown paragraph style {kind!r}")
    base = STYLES[kind]
    size = _points(element.get("size"), default_size or base["size"])
    align = element.get("align", base["align"])
    if align not in ALIGN:
        raise TemplateError(f"unknown alignment {align!r}")
    style = _style(
        f"p-{kind}", size, align,
        spaceBefore=_points(element.get("space-before"), base.get("space_before", 0)),
        spaceAfter=_points(element.get("space-after"), base.get("space_after", 0)),
        leftIndent=_mm(element.get("indent"), 0),
        firstLineIndent=_mm(element.get("first-indent"), 0),
    )
    markup = _inner_markup(element)
    if base.get("bold"):
        markup = f"<b>{markup}</b>"
    if base.get("italic"):
        markup = f"<i>{markup}</i>"
    return Paragraph(markup, style)


def _widths(spec: str | None, count: int) -> list[float]:
    if not spec:
        return [TEXT_WIDTH / count] * count
    values = [float(v) for v in spec.split(",")]
    if len(values) != count:
        raise TemplateError(f"widths {spec!r} do not match {count} columns")
    total = sum(values)
    return [TEXT_WIDTH * v / total for v in values]


def _columns(element: ET.Element) -> Table:
    columns = [c for c in element if c.tag == "column"]
    cells = [_flowables(column) for column in columns]
    table = Table([cells], colWidths=_widths(element.get("widths"), len(columns)))
    aligns = []
    for index, column in enumerate(columns):  # places rules and QR codes; paragraphs align themselves
        align = column.get("align", "center")
        if align not in ALIGN:
            raise TemplateError(f"unknown alignment {align!r}")
        aligns.append(("ALIGN", (index, 0), (index, 0), align.upper()))
    table.setStyle(TableStyle([
        ("FONTNAME", (0, 0), (-1, -1), FONT),  # else the table names Helvetica in the page
        *aligns,
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 0),
        ("RIGHTPADDING", (0, 0), (-1, -1), 2),
        ("TOPPADDING", (0, 0), (-1, -1), 0),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 0),
    ]))
    return table


def _list(element: ET.Element) -> list[Flowable]:
    size = _points(element.get("size"), BODY_SIZE)
    kind = element.get("kind", "number")
    start = int(element.get("start", "1"))
    out: list[Flowable] = []
    for index, item in enumerate(c for c in element if c.tag == "item"):
        bullet = f"{start + index}." if kind == "number" else "-"
        indent = _mm(element.get("indent"), 8 * mm)
        style = _style("list", size, "left", leftIndent=indent, bulletIndent=max(indent - 5 * mm, 0), spaceAfter=1)
        out.append(Paragraph(_inner_markup(item), style, bulletText=bullet))
    return out


def _table(element: ET.Element) -> Table:
    size = _points(element.get("size"), 10.5)
    header = int(element.get("header", "0"))
    rows: list[list[Any]] = []
    aligns: list[tuple[int, int, str]] = []
    for r, tr in enumerate(c for c in element if c.tag == "tr"):
        row = []
        for c, td in enumerate(x for x in tr if x.tag == "td"):
            align = td.get("align", "center" if r < header else "left")
            if align not in ALIGN:
                raise TemplateError(f"unknown alignment {align!r}")
            markup = _inner_markup(td)
            if r < header:
                markup = f"<b>{markup}</b>"
            row.append(Paragraph(markup, _style("td", size, align)))
            aligns.append((r, c, align))
        rows.append(row)
    if not rows:
        raise TemplateError("a table needs at least one row")
    table = Table(rows, colWidths=_widths(element.get("widths"), len(rows[0])), repeatRows=header)
    table.setStyle(TableStyle([
        ("FONTNAME", (0, 0), (-1, -1), FONT),
        ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]))
    return table


def _signatures(element: ET.Element) -> Table:
    signs = [c for c in element if c.tag == "sign"]
    cells = []
    for sign in signs:
        cell: list[Flowable] = [
            Paragraph(f"<b>{escape(sign.get('title', ''))}</b>", _style("sign-title", BODY_SIZE, "center")),
            Paragraph(f"<i>{escape(sign.get('note', ''))}</i>", _style("sign-note", 11, "center")),
            Spacer(1, _mm(element.get("room"), 20 * mm)),
            Paragraph(f"<b>{escape(sign.get('name', ''))}</b>", _style("sign-name", BODY_SIZE, "center")),
        ]
        cells.append(cell)
    table = Table([cells], colWidths=_widths(element.get("widths"), len(signs)))
    table.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), FONT), ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return KeepTogether([Spacer(1, _mm(element.get("space-before"), 3 * mm)), table])


class QrFlowable(Flowable):
    """A QR code (segno) drawn straight on the page as filled runs of dark modules: vector, no
    image, nothing that names a font; a 4-module quiet zone around it."""

    QUIET = 4

    def __init__(self, value: str, size: float) -> None:
        super().__init__()
        self.matrix = segno.make_qr(value, error="m", boost_error=False).matrix
        self.width = self.height = size

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        return self.width, self.height

    def draw(self) -> None:
        count = len(self.matrix) + 2 * self.QUIET
        module = self.width / count
        canvas = self.canv
        canvas.setFillColor(colors.black)
        for r, row in enumerate(self.matrix):
            y = self.height - (r + self.QUIET + 1) * module
            c = 0
            for dark, run in itertools.groupby(row):
                length = sum(1 for _ in run)
                if dark:
                    # A hair taller than a module so that adjacent rows leave no seam when rasterised.
                    canvas.rect((c + self.QUIET) * module, y, length * module, module * 1.04, stroke=0, fill=1)
                c += length


def _qr(element: ET.Element) -> QrFlowable:
    value = (element.text or "").strip()
    if not value:
        raise TemplateError("<qr> needs a value")
    code = QrFlowable(value, _mm(element.get("size"), 28 * mm))
    code.hAlign = element.get("align", "center").upper()
    return code


def _flowables(parent: ET.Element) -> list[Flowable]:
    out: list[Flowable] = []
    for element in parent:
        tag = element.tag
        if tag == "p":
            out.append(_paragraph(element))
        elif tag == "columns":
            out.append(_columns(element))
        elif tag == "list":
            out.extend(_list(element))
        elif tag == "table":
            out.append(_table(element))
        elif tag == "signatures":
            out.append(_signatures(element))
        elif tag == "qr":
            out.append(_qr(element))
        elif tag == "spacer":
            out.append(Spacer(1, _mm(element.get("height"), 4 * mm)))
        elif tag == "hr":
            out.append(HRFlowable(
                width=_mm(element.get("width"), TEXT_WIDTH), thickness=0.6, color=colors.black,
                hAlign=element.get("align", "center").upper(), spaceBefore=2, spaceAfter=3,
            ))
        elif tag == "keep":
            out.append(KeepTogether(_flowables(element)))
        elif tag == "pagebreak":
            out.append(PageBreak())
        else:
            raise TemplateError(f"unknown layout element <{tag}>")
    return out


def _footer(code: str):
    # Read once, in the language the form is being written in (the page callbacks run later).
    text = pgettext(CONTEXT, "Mã hồ sơ: %(code)s – Trang %(page)s")

    def draw(canvas, document) -> None:
        canvas.saveState()
        canvas.setFont(FONT, 9)
        canvas.drawRightString(
            PAGE[0] - MARGINS["rightMargin"], 10 * mm, text % {"code": code, "page": document.page}
        )
        canvas.restoreState()

    return draw


def render_layout(layout: str, *, code: str = "") -> bytes:
    """Lay out an XML layout (the rendered template) on A4 and return the PDF bytes (the footer and the
    PDF's language tag in the active language)."""
    register_fonts()
    try:
        root = ET.fromstring(layout)
    except ET.ParseError as exc:
        raise TemplateError(f"the layout is not well-formed XML: {exc}") from exc
    if root.tag != "document":
        raise TemplateError("the layout's root must be <document>")
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer, pagesize=PAGE, title=root.get("title", ""), author=root.get("author", ""),
        subject=code, creator="onestop", lang="vi-VN" if in_vietnamese() else "en",
        initialFontName=FONT, initialFontSize=BODY_SIZE,
        **MARGINS,
    )
    footer = _footer(code)
    document.build(_flowables(root), onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()


def render_form(form: str, context: dict[str, Any]) -> bytes:
    """Render `documents/pdf/<form>.xml` with `context` in the active language and lay it out as PDF.

    Vietnamese is the form itself; any other language is a translation, and the letterhead says so
    (`is_translation`).

    Control characters and non-characters are dropped from the rendered layout: XML forbids most of
    them (and HTML escaping leaves them in), so one stored in a name or a reason before the API
    refused them would otherwise make the form fail to render for good."""
    context = {**context, "is_translation": not in_vietnamese()}
    layout = without_forbidden(render_to_string(f"documents/pdf/{form}.xml", context))
    return render_layout(layout, code=context.get("code", ""))
