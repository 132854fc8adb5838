"""Online payment: open a payment for request_payment, settle it from the gateway's word (IPN or
reconciliation query) through the dossier's confirm_payment action as the `payment_callback` actor.

Idempotent by construction: the payment row is locked, and only a *pending* payment is settled; a
replayed callback finds it settled and changes nothing ("already confirmed"). A callback with a bad
signature or another amount changes nothing either, and is logged (GatewayMessage + warning).
"""
from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.dossiers import services as dossier_services
from apps.dossiers.models import Dossier, DossierEvent, PaymentMethod
from apps.dossiers.sinks import EventRecord, EventWrites
from onestop import vnpay
from onestop.errors import DomainError
from onestop.lifecycle import Action, Status

from .gateways import GatewayResult, InvalidSignature, PaymentGateway, get_gateway
from .models import GatewayMessage, Payment, PaymentStatus

logger = logging.getLogger(__name__)


def _now() -> datetime:
    return timezone.now()


def gateway_caller(gateway: str) -> dossier_services.Caller:
    return dossier_services.Caller(user=None, client_id=f"payment:{gateway}", is_payment_callback=True)


def _new_payment(dossier: Dossier, event: DossierEvent, gateway: PaymentGateway, attempt: int) -> Payment:
    return Payment.objects.create(
        dossier=dossier, request_event=event, attempt=attempt, gateway=gateway.name,
        txn_ref=f"{dossier.code}-{event.pk}-{attempt}", token=secrets.token_urlsafe(24),
        amount=dossier.fee_amount, order_info=f"Nop phi ho so {dossier.code}", created_at=_now(),
    )


def payment_open(dossier: Dossier, event: DossierEvent) -> Payment | None:
    """For a request_payment event (inside its transaction): a pending payment at the configured
    gateway for the amount asked, superseding an older pending one; None without a gateway."""
    gateway = get_gateway()
    if gateway is None or not dossier.fee_amount:
        return None
    Payment.objects.filter(dossier=dossier, status=PaymentStatus.PENDING).update(status=PaymentStatus.SUPERSEDED)
    return _new_payment(dossier, event, gateway, attempt=1)


def payment_sink(record: EventRecord, writes: EventWrites) -> None:
    """The dossier event sink (apps/dossiers/sinks.py): request_payment opens a payment. Opening one
    also supersedes the pending one (an UPDATE, not a row to add), so this sink writes itself; it
    runs only for request_payment, a lifecycle action (`emit`, inside the action's transaction),
    never on the intake statement."""
    if record.event.action == Action.REQUEST_PAYMENT:
        payment_open(record.dossier, record.event)


def payment_url(payment: Payment) -> str:
    """The applicant's link: our page, which signs a fresh redirect to the gateway when opened."""
    return f"{settings.PUBLIC_BASE_URL.rstrip('/')}/thanh-toan/{payment.token}/"


@dataclass(frozen=True)
class Redirect:
    url: str | None  # the gateway's page; None: nothing to pay (see `payment`)
    payment: Payment


def payment_start(*, token: str, client_ip: str) -> Redirect | None:
    """The applicant opened their payment link: a signed redirect to the gateway. A failed or
    cancelled attempt is retried under a new transaction reference (a gateway takes one reference
    once); a paid or superseded one, or a dossier no longer awaiting payment, redirects nowhere."""
    gateway = get_gateway()
    with transaction.atomic():
        payment = Payment.objects.select_for_update().select_related("dossier").filter(token=token).first()
        if payment is None or gateway is None:
            return None
        dossier = payment.dossier
        latest = DossierEvent.objects.filter(dossier=dossier, action=Action.REQUEST_PAYMENT).latest("id")
        payable = dossier.status == Status.AWAITING_PAYMENT and payment.request_event_id == latest.pk
        if payment.status == PaymentStatus.FAILED and payable:
            retry = Payment.objects.filter(request_event=payment.request_event, status=PaymentStatus.PENDING).first()
            if retry is None:
                attempts = Payment.objects.filter(request_event=payment.request_event).count()
                retry = _new_payment(dossier, payment.request_event, gateway, attempt=attempts + 1)
            payment = retry
        if payment.status != PaymentStatus.PENDING or not payable:
            return Redirect(url=None, payment=payment)
        now = _now()
        payment.gateway_created_at = now
        payment.save(update_fields=["gateway_created_at"])
        return Redirect(url=gateway.redirect_url(payment, client_ip=client_ip, now=now), payment=payment)


def _log(source: str, result_or_fields: GatewayResult | dict, outcome: str, note: str = "",
         payment: Payment | None = None) -> None:
    fields = result_or_fields.fields if isinstance(result_or_fields, GatewayResult) else result_or_fields
    txn_ref = str(fields.get("vnp_TxnRef", ""))[:100] if isinstance(fields, dict) else ""
    GatewayMessage.objects.create(payment=payment, source=source, txn_ref=txn_ref, fields=fields,
                                  outcome=outcome, note=note[:500])


def _settle(payment: Payment, result: GatewayResult, now: datetime) -> None:
    """Apply the gateway's final word to a locked, pending payment."""
    payment.settled_at, payment.response_code = now, result.response_code
    payment.transaction_no, payment.bank_code = result.transaction_no[:40], result.bank_code[:20]
    if result.state == "paid":
        payment.paid_at = now
        try:
            with transaction.atomic():
                dossier_services.dossier_confirm_payment(
                    dossier_id=payment.dossier_id, caller=gateway_caller(payment.gateway),
                    method=PaymentMethod.ONLINE, reference=f"{payment.gateway}:{result.transaction_no}",
                )
            payment.status = PaymentStatus.PAID
        except DomainError as exc:  # paid at the counter meanwhile, withdrawn, ...: the money is to be returned
            payment.status = PaymentStatus.REFUND_DUE
            logger.error("payment %s paid at the gateway but not applied (%s): refund due", payment.txn_ref, exc)
    else:
        payment.status = PaymentStatus.FAILED
    payment.save()


def payment_callback(fields: dict[str, str], *, source: str = GatewayMessage.Source.IPN) -> tuple[str, str]:
    """The gateway's signed notification. Returns its expected answer (VNPay's RspCode, Message)."""
    gateway = get_gateway()
    if gateway is None:
        _log(source, fields, vnpay.RSP_ERROR, "no payment gateway is configured")
        return vnpay.RSP_ERROR, vnpay.RSP_MESSAGES[vnpay.RSP_ERROR]
    try:
        result = gateway.read_callback(fields)
    except InvalidSignature as exc:
        logger.warning("payment callback refused: %s (%s)", exc, fields.get("vnp_TxnRef", ""))
        _log(source, fields, vnpay.RSP_BAD_SIGNATURE, str(exc))
        return vnpay.RSP_BAD_SIGNATURE, vnpay.RSP_MESSAGES[vnpay.RSP_BAD_SIGNATURE]
    with transaction.atomic():
        payment = Payment.objects.select_for_update().filter(txn_ref=result.txn_ref, gateway=gateway.name).first()
        if payment is None:
            code, note = vnpay.RSP_NOT_FOUND, "no payment with this reference"
        elif result.amount != payment.amount:
            code, note = vnpay.RSP_BAD_AMOUNT, f"amount {result.amount} is not the {payment.amount} asked"
            logger.warning("payment callback refused: %s: %s", payment.txn_ref, note)
        elif payment.status != PaymentStatus.PENDING:
            code, note = vnpay.RSP_ALREADY, f"already {payment.status}"
        else:
            _settle(payment, result, _now())
            code, note = vnpay.RSP_OK, payment.status
        _log(source, result, code, note, payment)
    return code, vnpay.RSP_MESSAGES[code]


def payments_reconcile(*, now: datetime | None = None, limit: int = 200) -> dict[str, int]:
    """Ask the gateway about payments pending longer than PAYMENT_RECONCILE_AFTER_MINUTES (a lost
    or never-sent IPN) and settle those it has a final word on. Each payment is asked at most once
    per that interval."""
    gateway = get_gateway()
    report = {"asked": 0, "paid": 0, "failed": 0, "still_pending": 0}
    if gateway is None:
        return report
    now = now or _now()
    horizon = now - timedelta(minutes=settings.PAYMENT_RECONCILE_AFTER_MINUTES)
    due = (
        Payment.objects.filter(status=PaymentStatus.PENDING, gateway=gateway.name, created_at__lte=horizon)
        .exclude(last_checked_at__gt=horizon).order_by("created_at", "id")[:limit]
    )
    for candidate in list(due):
        result = gateway.query(candidate, now=now)  # network: outside any transaction
        report["asked"] += 1
        with transaction.atomic():
            payment = Payment.objects.select_for_update().get(pk=candidate.pk)
            if payment.status != PaymentStatus.PENDING:  # the IPN came in meanwhile
                continue
            payment.last_checked_at, payment.checks = now, payment.checks + 1
            final = result.state in ("paid", "failed")
            if result.state == "paid" and result.amount != payment.amount:
                logger.error("payment %s: the gateway reports %s paid, %s asked", payment.txn_ref, result.amount,
                             payment.amount)
                final = False
            if final:
                _settle(payment, result, now)
                report[result.state] += 1
            else:
                payment.save(update_fields=["last_checked_at", "checks"])
                report["still_pending"] += 1
            _log(GatewayMessage.Source.QUERY, result, result.state, "", payment)
    return report
