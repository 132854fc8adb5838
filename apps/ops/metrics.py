"""Prometheus metrics (prometheus-client), all named onestop_*.

Two kinds:

* Request counters and latency histograms, counted in the web process that served the request
  (apps.ops.middleware), labelled by method, the resolved route pattern (``api/v1/dossiers/<int:pk>/``,
  never the raw path: bounded cardinality) and status. With several gunicorn workers every worker
  writes them to files in PROMETHEUS_MULTIPROC_DIR (prometheus-client's multiprocess mode, set up by
  config/gunicorn.py) and a scrape, whichever worker answers it, sums them all.
* Gauges of what the operator watches (outbox, statistics compaction, overdue dossiers, Celery queue,
  failed mail and notifications): read from the database and the broker at scrape time by
  `StateCollector` (apps.ops.selectors: cheap, index-served queries), so every worker reports the
  same values and nothing has to be kept in sync between processes.
"""
from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable

from prometheus_client import CONTENT_TYPE_PLAIN_0_0_4, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from apps.portal.selectors import outbox_health

from . import selectors

logger = logging.getLogger(__name__)

UNMATCHED_ROUTE = "<unmatched>"  # requests no URL pattern matched (404s of unknown paths)

REQUESTS = Counter(
    "onestop_http_requests", "HTTP requests answered, by method, route pattern and status",
    ["method", "route", "status"],
)
LATENCY = Histogram(
    "onestop_http_request_duration_seconds", "Time to answer an HTTP request, by method, route pattern and status",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)

# Methods outside this set are counted as "other": a client cannot grow the label set.
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def observe_request(*, method: str, route: str, status: int, seconds: float) -> None:
    labels = (method if method in KNOWN_METHODS else "other", route, str(status))
    REQUESTS.labels(*labels).inc()
    LATENCY.labels(*labels).observe(seconds)


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


def _outbox() -> Iterable[Metric]:
    health = outbox_health()
    yield _gauge("onestop_outbox_pending", "Outbox messages waiting for delivery to the national portal",
                 health.pending)
    yield _gauge("onestop_outbox_dead", "Outbox messages that gave up (they block their dossier until replayed)",
                 health.dead)
    yield _gauge("onestop_outbox_oldest_pending_age_seconds", "Age of the oldest pending outbox message (0: none)",
                 health.oldest_pending_age_seconds or 0.0)


def _stats() -> Iterable[Metric]:
    backlog = selectors.stats_backlog()
    yield _gauge("onestop_stats_uncompacted_deltas",
                 f"Statistics delta rows not yet compacted into the rollup (counted up to {selectors.DELTA_COUNT_CAP})",
                 backlog.uncompacted)
    yield _gauge("onestop_stats_compaction_lag_seconds",
                 "Age of the oldest uncompacted statistics delta (0: all compacted)", backlog.lag_seconds)


def _dossiers() -> Iterable[Metric]:
    yield _gauge("onestop_dossiers_overdue", "Dossiers whose legal deadline has passed, clock still running",
                 selectors.dossiers_overdue())


def _mail() -> Iterable[Metric]:
    yield _gauge("onestop_document_mails_failed", "Official forms whose e-mail to the applicant gave up",
                 selectors.document_mails_failed())
    family = GaugeMetricFamily("onestop_notifications_failed", "Notifications that failed, by channel",
                               labels=["channel"])
    failed = selectors.notifications_failed()
    for channel in ("email", "sms"):
        family.add_metric([channel], failed.get(channel, 0))
    yield family


def _celery() -> Iterable[Metric]:
    lengths = selectors.celery_queue_lengths()
    if lengths is None:
        return
    family = GaugeMetricFamily("onestop_celery_queue_length", "Task messages waiting in a Celery queue",
                               labels=["queue"])
    for queue, length in lengths.items():
        family.add_metric([queue], length)
    yield family


SOURCES: dict[str, Callable[[], Iterable[Metric]]] = {
    "outbox": _outbox, "stats": _stats, "dossiers": _dossiers, "mail": _mail, "celery": _celery,
}


class StateCollector(Collector):
    """The gauges, read at scrape time. A source that fails (database or broker down) is left out
    and `onestop_metrics_source_up{source}` says 0, rather than the whole scrape failing."""

    def collect(self) -> Iterable[Metric]:
        up = GaugeMetricFamily("onestop_metrics_source_up", "1 when this scrape could read the source",
                               labels=["source"])
        for name, source in SOURCES.items():
            try:
                metrics = list(source())
            except Exception:
                logger.exception("metrics: reading %s failed", name)
                up.add_metric([name], 0)
                continue
            up.add_metric([name], 1)
            yield from metrics
        yield up


def render() -> tuple[bytes, str]:
    """The exposition text of one scrape and its content type."""
    registry = CollectorRegistry(auto_describe=False)
    path = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if path:
        MultiProcessCollector(registry, path=path)  # every worker's counters, summed
    else:
        registry.register(_ProcessLocal())
    registry.register(StateCollector())
    return generate_latest(registry), CONTENT_TYPE_PLAIN_0_0_4  # the text format every Prometheus reads


class _ProcessLocal(Collector):
    """This process's request metrics (a single process: `runserver`, tests, one gunicorn worker)."""

    def collect(self) -> Iterable[Metric]:
        yield from REQUESTS.collect()
        yield from LATENCY.collect()
