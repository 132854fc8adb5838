"""Background jobs of the statistics engine (thin wrappers around services)."""
from celery import shared_task

from .services import stats_compact


@shared_task(name="stats.compact", ignore_result=True)
def compact_stats(batch: int = 200_000, rounds: int = 50) -> int:
    """Fold delta rows into the rollup and the coarse tables; bounded per run, safe to run
    concurrently (compactions take turns on an advisory lock)."""
    moved = 0
    for _ in range(rounds):
        step = stats_compact(batch=batch)
        moved += step
        if step < batch:
            break
    return moved
