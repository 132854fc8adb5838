"""Reading and writing event payloads: the typed form (onestop/events.py) of a stored event."""
from __future__ import annotations

from dataclasses import fields, replace
from datetime import datetime
from typing import Any

from django.utils import timezone

from onestop import events as ev

from .models import DossierEvent


def event_payload(event: DossierEvent) -> ev.Payload:
    """The typed payload of a stored event (raises onestop.events.UnknownAction for an unknown action)."""
    return ev.payload_from_json(event.action, event.payload)


def payload_json(payload: ev.Payload) -> dict[str, Any]:
    """The JSON form, instants in local time with their offset (RFC 3339), as every API answer gives them."""
    local = {
        f.name: timezone.localtime(value)
        for f in fields(payload)
        if isinstance(value := getattr(payload, f.name), datetime)
    }
    return ev.payload_to_json(replace(payload, **local))
