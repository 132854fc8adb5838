"""What the log lines of one unit of work share: the request id (and, in a task, its name and id).

The web side sets it in `apps.ops.middleware` from the request id apps.audit assigns (the proxy's
X-Request-ID when it looks like one, else a fresh one); Celery carries it in the message headers
of every task queued while it is set (apps.ops.signals), and the worker sets it again around the task.
"""
from __future__ import annotations

from contextvars import ContextVar
from typing import Any

request_id_var: ContextVar[str | None] = ContextVar("onestop_request_id", default=None)

#: The Celery message header that carries the request id into the tasks a request queues.
REQUEST_ID_TASK_HEADER = "onestop_request_id"

_DOSSIER_CODE_ATTR = "ops_dossier_code"


def note_dossier(request: Any, code: str) -> None:
    """Name the dossier this request is about, for its log line (a DRF request or Django's)."""
    raw = getattr(request, "_request", request)
    setattr(raw, _DOSSIER_CODE_ATTR, code)


def noted_dossier(request: Any) -> str | None:
    return getattr(request, _DOSSIER_CODE_ATTR, None)
