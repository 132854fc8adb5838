"""OpenTelemetry tracing: off unless the standard OTEL_* environment variables ask for it.

On when OTEL_TRACES_EXPORTER (`otlp`, `console`, or both comma-separated) or an OTLP endpoint
(OTEL_EXPORTER_OTLP_ENDPOINT / OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is set, unless OTEL_SDK_DISABLED=true
or OTEL_TRACES_EXPORTER=none. The SDK then reads the rest of the standard variables itself:
OTEL_SERVICE_NAME (default here "onestop"), OTEL_RESOURCE_ATTRIBUTES, OTEL_TRACES_SAMPLER(_ARG),
OTEL_EXPORTER_OTLP_* (OTLP over HTTP/protobuf), OTEL_BSP_*.

Instrumented: Django (a server span per request), psycopg (a span per query), Celery (publishing
injects the trace context into the message headers, the worker continues it: one submission is one
trace across web and worker) and outgoing HTTP (urllib, which the portal transport uses, and requests).
Off, nothing of OpenTelemetry is even imported.
"""
from __future__ import annotations

import os

_configured = False


def _exporter_names() -> list[str]:
    names = [n.strip().lower() for n in os.environ.get("OTEL_TRACES_EXPORTER", "").split(",") if n.strip()]
    if not names and (os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or
                      os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")):
        names = ["otlp"]
    return [n for n in names if n != "none"]


def enabled() -> bool:
    if os.environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    return bool(_exporter_names())


def setup() -> bool:
    """Configure the SDK and the instrumentations once per process; True when tracing is on."""
    global _configured
    if _configured or not enabled():
        return _configured
    from opentelemetry import trace
    from opentelemetry.instrumentation.celery import CeleryInstrumentor
    from opentelemetry.instrumentation.django import DjangoInstrumentor
    from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor
    from opentelemetry.instrumentation.requests import RequestsInstrumentor
    from opentelemetry.instrumentation.urllib import URLLibInstrumentor
    from opentelemetry.sdk.resources import SERVICE_NAME, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter

    provider = TracerProvider(
        resource=Resource.create({SERVICE_NAME: os.environ.get("OTEL_SERVICE_NAME") or "onestop"})
    )
    for name in _exporter_names():
        if name == "console":
            exporter = ConsoleSpanExporter()
        elif name == "otlp":
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            exporter = OTLPSpanExporter()
        else:
            raise ValueError(f"OTEL_TRACES_EXPORTER: {name!r} is not supported here (otlp, console, none)")
        provider.add_span_processor(BatchSpanProcessor(exporter))  # its thread restarts in forked children
    trace.set_tracer_provider(provider)
    DjangoInstrumentor().instrument()
    PsycopgInstrumentor().instrument()
    CeleryInstrumentor().instrument()
    RequestsInstrumentor().instrument()
    URLLibInstrumentor().instrument()
    _configured = True
    return True


def current_trace_id() -> str | None:
    """The current span's trace id (32 hex digits) when tracing is on and a span is active."""
    import sys

    trace = sys.modules.get("opentelemetry.trace")
    if trace is None:
        return None
    context = trace.get_current_span().get_span_context()
    return f"{context.trace_id:032x}" if context.is_valid else None
