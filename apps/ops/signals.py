"""Celery: the request id travels in the headers of every task queued while it is set, and each
task run writes one log line (task, id, state, duration, request id).

Connected once (OpsConfig.ready), in the web process (publishing) and the worker (running); with
CELERY_TASK_ALWAYS_EAGER the task runs in the request's own context and keeps its request id.
"""
from __future__ import annotations

import logging
import time
from typing import Any

from celery import signals

from .context import REQUEST_ID_TASK_HEADER, request_id_var

logger = logging.getLogger("onestop.task")

_RUNNING: dict[str, tuple[float, Any]] = {}  # task id -> (start, context token), in the process running it


def _add_request_id(headers: dict | None = None, **_: Any) -> None:
    rid = request_id_var.get()
    if rid and headers is not None and REQUEST_ID_TASK_HEADER not in headers:
        headers[REQUEST_ID_TASK_HEADER] = rid


def _task_request_id(task: Any) -> str | None:
    request = getattr(task, "request", None)
    value = getattr(request, REQUEST_ID_TASK_HEADER, None)
    if value is None:
        value = (getattr(request, "headers", None) or {}).get(REQUEST_ID_TASK_HEADER)
    return value


def _started(task_id: str | None = None, task: Any = None, **_: Any) -> None:
    if task_id is None:
        return
    rid = _task_request_id(task) or request_id_var.get()  # eager: the caller's own context
    _RUNNING[task_id] = (time.perf_counter(), request_id_var.set(rid))


def _finished(task_id: str | None = None, task: Any = None, state: str | None = None, **_: Any) -> None:
    started, token = _RUNNING.pop(task_id, (None, None))
    seconds = time.perf_counter() - started if started is not None else None
    name = getattr(task, "name", None)
    try:
        logger.log(
            logging.ERROR if state == "FAILURE" else logging.INFO,
            "task %s %s %s", name, task_id, state,
            extra={
                "task": name,
                "task_id": task_id,
                "state": state,
                "duration_ms": round(seconds * 1000, 2) if seconds is not None else None,
                "retries": getattr(getattr(task, "request", None), "retries", None),
            },
        )
    finally:
        if token is not None:
            try:
                request_id_var.reset(token)
            except ValueError:  # set in another context (a pool that hops threads): nothing to undo here
                pass


def connect() -> None:
    signals.before_task_publish.connect(_add_request_id, weak=False, dispatch_uid="ops-request-id")
    signals.task_prerun.connect(_started, weak=False, dispatch_uid="ops-task-start")
    signals.task_postrun.connect(_finished, weak=False, dispatch_uid="ops-task-end")
