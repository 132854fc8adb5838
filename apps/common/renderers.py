"""JSON rendering with one form for instants: local time with its offset (RFC 3339), e.g.
`2025-05-06T09:00:00+07:00`, whether a serializer field, a plain dict or a problem body holds it."""
from __future__ import annotations

from datetime import datetime

from django.utils import timezone
from rest_framework import renderers
from rest_framework.utils import encoders


class LocalTimeEncoder(encoders.JSONEncoder):
    def default(self, obj):
        if isinstance(obj, datetime) and timezone.is_aware(obj):
            return timezone.localtime(obj).isoformat()
        return super().default(obj)


class JSONRenderer(renderers.JSONRenderer):
    encoder_class = LocalTimeEncoder
