from django.apps import AppConfig


class CommonConfig(AppConfig):
    name = "apps.common"
    label = "common"

    def ready(self) -> None:
        from . import search  # noqa: F401  (registers onestop_fold on every new SQLite connection)
        from .verbose_names import apply_verbose_names

        apply_verbose_names()
