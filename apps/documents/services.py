"""Rendering a form for a dossier, and e-mailing the receipt and the apology to the applicant.

The mail path (independent of apps/notifications, which handles status messages):

1. ``document_mail_schedule`` runs inside the transaction of every dossier event (called from
   ``apps.dossiers.services._record_event``). For a reception (register/accept: the receipt)
   or an apology, when the applicant gave an e-mail address, it writes one ``DocumentMail`` row
   and asks for the send task *after commit* (``transaction.on_commit``, robust: a broker
   outage must not turn a committed action into an error).
2. ``document_mail_send`` (the Celery task's body) claims the row, renders the PDF from the
   records, sends it with ``EmailMessage`` and marks it sent, so a retried or duplicated task
   does not e-mail twice. The form and the message are in the applicant's language (their
   account's; Vietnamese for an applicant without an account).
3. ``document_mail_retry_pending`` (beat, every few minutes) re-queues rows whose task was lost
   (worker or Redis down at the time), up to ``DOCUMENT_MAIL_MAX_ATTEMPTS``.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy

from apps.common.i18n import in_language_of
from apps.dossiers import actions
from apps.dossiers.models import Dossier, DossierEvent
from apps.dossiers.sinks import EventRecord, EventWrites
from onestop.lifecycle import Action
from onestop.text import without_forbidden

from .forms import Form, file_name
from .models import DocumentMail
from .pdf import render_form
from .selectors import DocumentNotAvailable, document_context

logger = logging.getLogger(__name__)

#: Which event issues which form to the applicant by e-mail: `mailed` in the action registry.
MAILED_ON: dict[str, str] = {action: Form(form) for action, form in actions.MAILED_ON.items()}
# Vietnamese msgids (locale/en holds the English); rendered in the applicant's language.
SUBJECTS = {
    Form.RECEIPT: gettext_lazy("Giấy tiếp nhận hồ sơ và hẹn trả kết quả – hồ sơ {code}"),
    Form.APOLOGY: gettext_lazy("Phiếu xin lỗi và hẹn lại ngày trả kết quả – hồ sơ {code}"),
}
BODIES = {
    Form.RECEIPT: gettext_lazy(
        "Kính gửi {name},\n\n{agency} đã tiếp nhận hồ sơ {code} ({procedure}).\n"
        "Giấy tiếp nhận hồ sơ và hẹn trả kết quả được gửi kèm thư này.\n\n"
        "Đây là thư tự động, xin vui lòng không trả lời."
    ),
    Form.APOLOGY: gettext_lazy(
        "Kính gửi {name},\n\n{agency} xin lỗi vì chưa trả kết quả hồ sơ {code} ({procedure}) đúng hẹn.\n"
        "Phiếu xin lỗi và hẹn lại ngày trả kết quả được gửi kèm thư này.\n\n"
        "Đây là thư tự động, xin vui lòng không trả lời."
    ),
}


@dataclass(frozen=True)
class RenderedDocument:
    form: str
    file_name: str
    content: bytes


def document_render(*, dossier: Dossier, form: str, event_id: int | None = None) -> RenderedDocument:
    """The PDF of `form` for `dossier` in the active language (Vietnamese: the form itself; English: its
    translation); raises DocumentNotAvailable for a state it never reached. Nothing is cached: the
    records and the language make each rendering."""
    context = document_context(dossier, form, event_id=event_id)
    return RenderedDocument(form=form, file_name=file_name(form, dossier.code), content=render_form(form, context))


# --- e-mail ------------------------------------------------------------------------------------


def _enqueue(mail_id: int) -> None:
    from .tasks import send_document_mail

    send_document_mail.delay(mail_id)


def document_mail_schedule(*, event: DossierEvent, dossier: Dossier, writes: EventWrites) -> DocumentMail | None:
    """In the event's writes: log the mail a reception or an apology owes the applicant and
    send it after commit. Nothing for other events, or without an e-mail address."""
    form = MAILED_ON.get(event.action)
    if form is None or not dossier.applicant_email:
        return None
    mail = DocumentMail(
        dossier=dossier, event=event, form=form, to_email=dossier.applicant_email, created_at=timezone.now()
    )
    writes.add(mail)
    writes.on_commit(lambda: _enqueue(mail.pk), robust=True)  # the row's id once written
    return mail


def document_mail_sink(record: EventRecord, writes: EventWrites) -> None:
    """The dossier event sink (wired in DocumentsConfig.ready)."""
    document_mail_schedule(event=record.event, dossier=record.dossier, writes=writes)


def _message(mail: DocumentMail, document: RenderedDocument) -> EmailMessage:
    """The e-mail around the form, in the active language (the caller's `in_language_of`)."""
    dossier = mail.dossier
    agency = mail.event.agency
    # Stored text is rendered without control characters, as in the PDF (onestop.text).
    values = {
        key: without_forbidden(value) for key, value in {
            "name": dossier.applicant_name, "agency": agency.name, "code": dossier.code,
            "procedure": dossier.procedure.name,
        }.items()
    }
    subject, body = str(SUBJECTS[mail.form]).format(**values), str(BODIES[mail.form]).format(**values)
    message = EmailMessage(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[mail.to_email],
        reply_to=[agency.email] if agency.email else None,
        headers={"X-Onestop-Document": f"{dossier.code}/{mail.form}/{mail.event_id}"},
    )
    message.attach(document.file_name, document.content, "application/pdf")
    return message


def document_mail_send(*, mail_id: int) -> bool:
    """Send one logged mail if it is still unsent; True when this call sent it.

    The row stays locked while the message goes out, so two workers never send the same one; a
    failure rolls back, counts the attempt and re-raises for the task's retry.
    """
    try:
        with transaction.atomic():
            mail = (
                DocumentMail.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("dossier", "dossier__procedure", "dossier__receiving_agency", "dossier__applicant",
                                "event", "event__agency")
                .filter(pk=mail_id, sent_at__isnull=True)
                .first()
            )
            if mail is None:
                return False  # sent already, or another worker holds it
            event_id = mail.event_id if mail.event.action == Action.APOLOGISE else None
            with in_language_of(mail.dossier.applicant):  # the form and its message in one language
                document = document_render(dossier=mail.dossier, form=mail.form, event_id=event_id)
                message = _message(mail, document)
            message.send(fail_silently=False)
            mail.sent_at = timezone.now()
            mail.attempts += 1
            mail.last_error = ""
            mail.save(update_fields=["sent_at", "attempts", "last_error"])
    except DocumentNotAvailable:
        logger.warning("document mail %s: the form is not available; dropped", mail_id)
        DocumentMail.objects.filter(pk=mail_id).update(attempts=settings.DOCUMENT_MAIL_MAX_ATTEMPTS,
                                                       last_error="form not available")
        return False
    except Exception as exc:
        DocumentMail.objects.filter(pk=mail_id, sent_at__isnull=True).update(
            attempts=F("attempts") + 1, last_error=f"{type(exc).__name__}: {exc}"[:2000]
        )
        raise
    logger.info("document mail %s sent: %s %s", mail_id, mail.form, mail.dossier.code)
    return True


def document_mail_retry_pending(*, older_than: timedelta | None = None, now: datetime | None = None) -> int:
    """Queue again the unsent mails whose task was lost; returns how many were queued."""
    now = now or timezone.now()
    if older_than is None:
        older_than = timedelta(seconds=settings.DOCUMENT_MAIL_RETRY_AFTER_SECONDS)
    cutoff = now - older_than
    ids = list(
        DocumentMail.objects.filter(
            sent_at__isnull=True, created_at__lt=cutoff, attempts__lt=settings.DOCUMENT_MAIL_MAX_ATTEMPTS
        ).order_by("id").values_list("id", flat=True)[:500]
    )
    for mail_id in ids:
        _enqueue(mail_id)
    return len(ids)
