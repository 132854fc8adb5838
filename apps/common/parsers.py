"""Request body parsing that turns every malformed body into a 400, however it is malformed."""
from __future__ import annotations

import json
from typing import Any

from rest_framework import parsers
from rest_framework.exceptions import ParseError

TOO_DEEP = "JSON parse error - nested too deeply."


class JSONParser(parsers.JSONParser):
    """DRF's parser, except that JSON nested deeper than the interpreter's recursion limit (a few
    hundred bytes of `[[[[...`) is a 400 rather than a RecursionError and a 500."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise ParseError(TOO_DEEP) from exc


def loads_json(text: str) -> Any:
    """`json.loads` for JSON text found inside a request (e.g. a multipart part): ValueError on any
    malformed input, including nesting too deep to decode."""
    try:
        return json.loads(text)
    except RecursionError as exc:
        raise ValueError(TOO_DEEP) from exc
