"""Beat-scheduled notification jobs (thin wrappers); each records idempotently, then sends."""
from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(name="notifications.status_changes", ignore_result=True)
def status_changes() -> dict:
    read = services.notify_status_changes()
    sent = services.notifications_send_pending()
    return {"events": read, "sent": sent.sent, "failed": sent.failed}


@shared_task(name="notifications.overdue_sweep", ignore_result=True)
def overdue_sweep() -> dict:
    marked = services.overdue_sweep()
    sent = services.notifications_send_pending()
    return {"marked": marked, "sent": sent.sent, "failed": sent.failed}


@shared_task(name="notifications.due_soon_reminders", ignore_result=True)
def due_soon_reminders() -> dict:
    recorded = services.due_soon_reminders()
    sent = services.notifications_send_pending()
    return {"reminders": recorded, "sent": sent.sent, "failed": sent.failed}


@shared_task(name="notifications.send_pending", ignore_result=True)
def send_pending() -> dict:
    sent = services.notifications_send_pending()
    return {"sent": sent.sent, "failed": sent.failed}
