"""What the public lookup page shows about a dossier. Which dossier matches is decided by the API
lookup's own selector (apps.dossiers.selectors.lookup_by_code): one rule for both doors."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from apps.common.labels import status_label
from apps.dossiers.models import Dossier, DossierPause
from apps.dossiers.selectors import lookup_by_code
from onestop.labels import masked_name
from onestop.lifecycle import Status


@dataclass(frozen=True)
class SupplementAsked:
    reason: str
    items: list[str] = field(default_factory=list)
    since: datetime | None = None


@dataclass(frozen=True)
class PublicLookup:
    code: str
    status: str
    status_label: str
    applicant_name: str
    procedure_name: str
    agency_name: str
    received_at: datetime | None
    appointment_at: datetime | None
    resolved_at: datetime | None
    returned_at: datetime | None
    result_ready: bool
    collect_at_name: str
    collect_at_address: str
    collect_at_phone: str
    supplement: SupplementAsked | None
    fee_amount: Decimal | None
    payment_url: str = ""


def _open_supplement(dossier: Dossier) -> SupplementAsked | None:
    if dossier.status != Status.AWAITING_SUPPLEMENT:
        return None
    pause = DossierPause.objects.filter(dossier=dossier, ended_at__isnull=True).order_by("-started_at").first()
    if pause is None:
        return None
    items = [str(item) for item in pause.requested_items] if isinstance(pause.requested_items, list) else []
    return SupplementAsked(reason=pause.reason, items=items, since=pause.started_at)


def public_lookup(code: str, id_number: str) -> PublicLookup | None:
    """None for any pair that does not match (no hint which half was wrong)."""
    dossier = lookup_by_code(code.strip(), id_number.strip())
    if dossier is None:
        return None
    desk = dossier.receiving_agency  # results are handed out at the one-stop desk that received it
    awaiting_payment = dossier.status == Status.AWAITING_PAYMENT
    return PublicLookup(
        code=dossier.code,
        status=dossier.status,
        status_label=status_label(dossier.status),
        applicant_name=masked_name(dossier.applicant_name),
        procedure_name=dossier.procedure.name,
        agency_name=dossier.agency.name,
        received_at=dossier.received_at,
        appointment_at=dossier.appointment_at,
        resolved_at=dossier.resolved_at,
        returned_at=dossier.returned_at,
        result_ready=dossier.status == Status.RESOLVED,
        collect_at_name=desk.name,
        collect_at_address=desk.address,
        collect_at_phone=desk.phone,
        supplement=_open_supplement(dossier),
        fee_amount=dossier.fee_amount if awaiting_payment else None,
        payment_url=_payment_link(dossier) if awaiting_payment else "",
    )


def _payment_link(dossier: Dossier) -> str:
    from apps.payments.models import PaymentStatus
    from apps.payments.selectors import latest_payment
    from apps.payments.services import payment_url

    payment = latest_payment(dossier)
    if payment is None or payment.status not in (PaymentStatus.PENDING, PaymentStatus.FAILED):
        return ""
    return payment_url(payment)
