"""SMS behind a one-method interface; the default backend only logs (no SMS gateway is assumed).

Set SMS_BACKEND to the dotted path of a class with `send(to=..., text=...)` to use a real gateway;
it should raise on failure so the notification is retried.
"""
from __future__ import annotations

import logging
from functools import cache
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


class SmsBackend(Protocol):
    def send(self, *, to: str, text: str) -> None: ...


class LoggingSmsBackend:
    def send(self, *, to: str, text: str) -> None:
        logger.info("sms to %s: %s", to, text)


class MemorySmsBackend:
    """For tests: keeps what would have been sent in `outbox` (like Django's locmem e-mail)."""

    outbox: list[tuple[str, str]] = []

    def send(self, *, to: str, text: str) -> None:
        MemorySmsBackend.outbox.append((to, text))


@cache
def _backend_class(path: str) -> type:
    return import_string(path)


def get_sms_backend() -> SmsBackend:
    return _backend_class(settings.SMS_BACKEND)()
