from django.apps import AppConfig


class StatsConfig(AppConfig):
    name = "apps.stats"
    label = "stats"
    verbose_name = "Statistics"

    def ready(self) -> None:
        from apps.dossiers.sinks import register_sink

        from .services import stats_sink

        register_sink("stats.deltas", stats_sink, position=20)
