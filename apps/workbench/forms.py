"""HTML form posts -> the input the API's serializers take, so a page and the API validate alike.

The action forms post plain fields; the action registry's serializer of each action judges them.
Only the shapes differ: several values of one name (checkboxes, one item per line of a text area)
become a list, and a `datetime-local` value (no offset) is read as local time, which is what the
person typing it meant.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import QueryDict
from django.utils import timezone
from rest_framework import serializers

from apps.dossiers.uploads import CheckedUpload, check_upload


def _local_instant(value: str) -> str:
    """'2026-12-03T09:00' (a browser's datetime-local) -> ISO 8601 with the local offset."""
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return value  # the serializer says what is wrong with it
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed.isoformat()


def _lines(values: list[str]) -> list[str]:
    return [line.strip() for value in values for line in value.splitlines() if line.strip()]


def payload_from_post(serializer_class: type[serializers.Serializer], post: QueryDict) -> dict[str, Any]:
    """The serializer's fields read from a form post (fields the form does not send are left out, so
    their defaults apply)."""
    data: dict[str, Any] = {}
    for name, field in serializer_class().fields.items():
        if isinstance(field, serializers.ListSerializer | serializers.DictField):
            continue  # structured input (fee items, form data): the API's, not a page's
        if isinstance(field, serializers.ListField):
            values = _lines(post.getlist(name))
            if values or name in post:
                data[name] = values
        elif name in post:
            value = post.get(name, "")
            data[name] = _local_instant(value) if isinstance(field, serializers.DateTimeField) and value else value
    return data


def uploads_from_files(files, document_types: list[str]) -> list[CheckedUpload]:
    """One file input per document type, named by its code (as the API's multipart body): checked
    the same way (size, type sniffed from the content, checksum)."""
    return [
        check_upload(code, upload, field=f"documents.{code}")
        for code in document_types
        for upload in files.getlist(code)
    ]
