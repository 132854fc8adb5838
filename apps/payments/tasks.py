from celery import shared_task

from . import services


@shared_task(name="payments.reconcile", ignore_result=True)
def reconcile() -> dict:
    return services.payments_reconcile()
