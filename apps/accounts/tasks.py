"""Background jobs of accounts (thin wrappers around tokens.py)."""
from celery import shared_task

from .tokens import purge_expired_families


@shared_task(name="accounts.purge_refresh_families", ignore_result=True)
def purge_refresh_families() -> int:
    """Forget refresh-token families that can no longer be refreshed (idempotent)."""
    return purge_expired_families()
