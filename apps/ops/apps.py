from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Operations: metrics, health probes, structured logs, request ids across web and worker."""

    name = "apps.ops"
    label = "ops"

    def ready(self) -> None:
        from . import signals, tracing

        signals.connect()
        tracing.setup()  # a no-op unless OTEL_* variables ask for traces
