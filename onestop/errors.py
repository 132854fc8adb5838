"""Typed domain errors with stable machine codes.

The HTTP layer maps each code to a status once (apps/common/problems.py); tests assert the code,
never the message.
"""
from __future__ import annotations

from enum import StrEnum
from typing import Any


class ErrorCode(StrEnum):
    VALIDATION = "validation_error"
    NOT_FOUND = "not_found"
    PERMISSION_DENIED = "permission_denied"
    INVALID_TRANSITION = "invalid_transition"
    STALE_STATE = "stale_state"
    PRECONDITION_FAILED = "precondition_failed"
    PRECONDITION_REQUIRED = "precondition_required"
    IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"
    IDEMPOTENCY_IN_PROGRESS = "idempotency_in_progress"
    PROCEDURE_NOT_OFFERED = "procedure_not_offered"
    UNPROCESSABLE = "unprocessable"
    CONFLICT = "conflict"
    KIOSK_RATING_NOT_ALLOWED = "kiosk_rating_not_allowed"


class DomainError(Exception):
    """A rule of the domain was broken; carries a machine code and optional field errors."""

    code: ErrorCode = ErrorCode.UNPROCESSABLE

    def __init__(
        self,
        detail: str,
        *,
        code: ErrorCode | None = None,
        field: str | None = None,
        extra: dict[str, Any] | None = None,
        params: dict[str, Any] | None = None,
    ) -> None:
        # With `params`, `detail` is a "%(name)s" template: the web layer looks the template up in the
        # request's language before filling it in (the pure core knows no languages).
        self.template = detail
        self.params = params or {}
        detail = detail % self.params if params else detail
        super().__init__(detail)
        self.detail = detail
        if code is not None:
            self.code = code
        self.field = field
        self.extra = extra or {}
