"""Background jobs of the documents app (thin wrappers around services)."""
from celery import shared_task
from django.conf import settings

from .services import document_mail_retry_pending, document_mail_send


@shared_task(name="documents.send_mail", bind=True, ignore_result=True, max_retries=None)
def send_document_mail(self, mail_id: int) -> bool:
    """Render and e-mail one logged form; retried with backoff, sent at most once (the sent log)."""
    try:
        return document_mail_send(mail_id=mail_id)
    except Exception as exc:
        if self.request.retries + 1 >= settings.DOCUMENT_MAIL_MAX_ATTEMPTS:
            raise
        raise self.retry(exc=exc, countdown=min(30 * 2 ** self.request.retries, 3600)) from exc


@shared_task(name="documents.retry_pending_mail", ignore_result=True)
def retry_pending_document_mail() -> int:
    return document_mail_retry_pending()
