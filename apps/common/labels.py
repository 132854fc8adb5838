"""Labels next to codes, in the request's language (the Vietnamese terms of onestop/labels.py are the
msgids; locale/en holds their English)."""
from __future__ import annotations

from django.utils.translation import gettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from onestop import labels


def _label(table: dict, code: object) -> str:
    text = table.get(code)
    return gettext(text) if text else ""


def status_label(status: str, *, after_examination: bool = False) -> str:
    if status == "rejected" and after_examination:
        return gettext(labels.REJECTED_AFTER_EXAMINATION)
    return _label(labels.STATUS_LABELS, status)


def action_label(action: str) -> str:
    return _label(labels.ACTION_LABELS, action)


def channel_label(channel: str) -> str:
    return _label(labels.CHANNEL_LABELS, channel)


def timeliness_label(timeliness: str | None) -> str:
    return _label(labels.TIMELINESS_LABELS, timeliness or "")


def tier_label(tier: str) -> str:
    return _label(labels.TIER_LABELS, tier)


def level_label(level: int | None) -> str:
    return _label(labels.LEVEL_LABELS, level)


def service_class_label(service_class: str | None) -> str:
    return _label(labels.SERVICE_CLASS_LABELS, service_class or "")


@extend_schema_field(OpenApiTypes.STR)
class LabelField(serializers.Field):
    """A read-only label next to a code field, in the request's language: `LabelField(status_label,
    source="status")`."""

    def __init__(self, labeller, **kwargs) -> None:
        self.labeller = labeller
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, value) -> str:
        return self.labeller(value)


def dossier_status_label(dossier) -> str:
    """A dossier's status label: a rejection after reception reads "Không giải quyết"."""
    return status_label(dossier.status, after_examination=dossier.received_at is not None)


def event_status_label(event) -> str:
    """The status an event led to: a rejection of a dossier already received reads "Không giải quyết"."""
    return status_label(event.to_status, after_examination=event.from_status not in ("", None, "submitted"))
