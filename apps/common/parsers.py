"""Request body parsing that turns every malformed body into a 400, however it is malformed.

Every string of a JSON body (and of the JSON `payload` part of a multipart body), keys included, is
checked once here for control characters and non-characters (onestop.text.forbidden_character): a
400 naming the field, whatever serializer or view reads the body next (a DictField, a third-party
serializer). TAB, LF and CR pass here; single-line fields refuse them (apps.common.fields.CharField).
"""
from __future__ import annotations

import json
from typing import Any

from rest_framework import parsers
from rest_framework.exceptions import ErrorDetail, ParseError, ValidationError

from onestop.text import forbidden_character

from .fields import CONTROL_CHARACTER, control_character_message

TOO_DEEP = "JSON parse error - nested too deeply."


def _child_path(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def refuse_control_characters(data: Any) -> None:
    """Raise a ValidationError naming the first field (dotted path, `[i]` for list items) whose text,
    or whose name, holds a control character or non-character. Iterative: the data may be nested as
    deep as the JSON decoder allows."""
    stack: list[tuple[Any, str]] = [(data, "")]
    while stack:
        value, path = stack.pop()
        if isinstance(value, dict):
            for key, item in value.items():
                child = _child_path(path, str(key))
                if isinstance(key, str) and (char := forbidden_character(key, multiline=True)):
                    _refuse(child, char)
                stack.append((item, child))
        elif isinstance(value, list):
            stack.extend((item, _child_path(path, index)) for index, item in enumerate(value))
        elif isinstance(value, str) and (char := forbidden_character(value, multiline=True)):
            _refuse(path, char)


def _refuse(path: str, char: str) -> None:
    detail = ErrorDetail(control_character_message(char), code=CONTROL_CHARACTER)
    raise ValidationError({path or "non_field_errors": [detail]})


class JSONParser(parsers.JSONParser):
    """DRF's parser, except that JSON nested deeper than the interpreter's recursion limit (a few
    hundred bytes of `[[[[...`) is a 400 rather than a RecursionError and a 500, and that control
    characters in any string are a 400 naming the field."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise ParseError(TOO_DEEP) from exc
        refuse_control_characters(data)
        return data


def loads_json(text: str) -> Any:
    """`json.loads` for JSON text found inside a request (e.g. a multipart part): ValueError on any
    malformed input, including nesting too deep to decode; a ValidationError naming the field for
    control characters, as JSONParser."""
    try:
        data = json.loads(text)
    except RecursionError as exc:
        raise ValueError(TOO_DEEP) from exc
    refuse_control_characters(data)
    return data
