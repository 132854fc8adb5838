from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "apps.portal"
    label = "portal"
    verbose_name = "National public-service portal sync"

    def ready(self) -> None:
        from apps.dossiers.sinks import register_sink

        from . import schema  # noqa: F401  (registers the OpenAPI authentication extension)
        from .auth import keep_raw_target_in_dev_server
        from .services import outbox_sink

        register_sink("portal.outbox", outbox_sink, position=10)
        keep_raw_target_in_dev_server()  # runserver verifies signed paths as sent, like gunicorn
