"""What each form prints, read from the dossier's own records (row, events, documents, agency).

Every value comes from the history as it was written: the receipt shows the appointment of the
reception event, a supplement request the reason and items of its event, and so on, so a form
printed again later is the same form. A form for a state the dossier never reached raises
``DocumentNotAvailable`` (a 404 for the API).

Control slip, per-step timeliness (DESIGN.md section 3 terms): the history is read in order; a
*step* is the time between two hand-overs and ends with the event that hands the dossier on.
Each step that is the agency's work is classed with ``WorkingCalendar.timeliness(due, end)``,
where ``due`` is the legal due time in force when the step ended: the reception's ``due_at``,
replaced by ``due_at_after`` when a supplement ends a pause (the only thing that moves it; an
apology moves the appointment, not the legal due time). Steps that are not the agency's time —
reception itself, the applicant's supplement (the clock is stopped) and a withdrawal — are shown
without a class ("—").
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Any, assert_never

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext, pgettext

from apps.accounts.models import User
from apps.agencies.models import Agency
from apps.catalog.models import DocumentType
from apps.common.labels import action_label, channel_label, timeliness_label
from apps.dossiers.actions import SLIP_LABELS
from apps.dossiers.models import Dossier, DossierDocument, DossierEvent, ResultKind
from apps.dossiers.payloads import event_payload
from apps.public.links import lookup_page_url
from apps.workcalendar.selectors import working_calendar
from onestop import events as ev
from onestop.lifecycle import Action, Status

from .forms import CONTEXT, Form
from .templatetags.documents_pdf import vnd

RECEPTION_ACTIONS = (Action.REGISTER, Action.ACCEPT)
ONE_STOP_DESK = "Bộ phận tiếp nhận và trả kết quả"
#: How the control slip's table names the applicant (the full name is in its header).
APPLICANT = "Người nộp hồ sơ"
#: Events that hand the dossier from one holder to another, plus the control points (apology,
#: payment request and confirmation): the actions with a slip label in the action registry.
SLIP_ACTIONS = tuple(SLIP_LABELS)
#: Steps that are not the agency's working time: not classed early / on time / late.
UNCLASSED = (Action.REGISTER, Action.ACCEPT, Action.SUPPLEMENT, Action.WITHDRAW, Action.CONFIRM_PAYMENT)
PLACE_PREFIXES = ("Ủy ban nhân dân ", "UBND ")
PLACE_TIERS = ("thành phố ", "tỉnh ")


class DocumentNotAvailable(Exception):
    """The dossier never reached the state this form is issued in (or the event is not its)."""


def nfc(value: Any) -> str:
    return unicodedata.normalize("NFC", str(value or "")).strip()


def lookup_url(code: str) -> str:
    """What the QR code opens: the citizens' lookup page with this dossier's code filled in, *without*
    the ID number (apps.public.links).

    The lookup also asks for the applicant's ID number; the slip is paper that travels (photos,
    folders, a relative collecting the result), so the second factor stays off it: the QR alone
    does not reveal the dossier, and no ID number ends up in URL logs or scanner histories.
    """
    return lookup_page_url(code)


def mask_id_number(value: str) -> str:
    """Last four characters only: the full number is the lookup's second factor."""
    value = nfc(value)
    if len(value) <= 4:
        return "*" * len(value)
    return "*" * (len(value) - 4) + value[-4:]


def place_name(agency: Agency) -> str:
    """The place in the date line ("Hưng Yên, ngày …"): DOCUMENTS_PLACE, else the province's name
    (the top agency's name without "Ủy ban nhân dân tỉnh")."""
    if settings.DOCUMENTS_PLACE:
        return settings.DOCUMENTS_PLACE
    top = agency
    seen = 0
    while top.parent_id is not None and seen < 10:
        top = top.parent
        seen += 1
    name = top.name
    for prefix in PLACE_PREFIXES:
        if name.startswith(prefix):
            name = name[len(prefix):]
            break
    for tier in PLACE_TIERS:
        if name.lower().startswith(tier):
            return name[len(tier):]
    return name


def form_text(text: str) -> str:
    """One of the forms' Vietnamese texts in the active language."""
    return pgettext(CONTEXT, text)


def _person(user: User | None) -> str:
    if user is None:
        return ""
    return nfc(user.full_name or user.get_username())


def _events(dossier: Dossier, actions: tuple[str, ...] | None = None):
    queryset = DossierEvent.objects.filter(dossier=dossier).select_related("actor", "agency", "agency__parent")
    if actions is not None:
        queryset = queryset.filter(action__in=actions)
    return queryset.order_by("id")


def _pick_event(dossier: Dossier, action: str, event_id: int | None) -> DossierEvent:
    events = _events(dossier, (action,))
    event = events.filter(pk=event_id).first() if event_id is not None else events.last()
    if event is None:
        label = {"action": action_label(action)}
        if event_id is not None:
            raise DocumentNotAvailable(gettext("This dossier has no “%(action)s” event with this id.") % label)
        raise DocumentNotAvailable(gettext("This dossier has no “%(action)s” event.") % label)
    return event


def _agency(agency: Agency) -> dict[str, str]:
    parent = agency.parent
    return {
        "code": agency.code,
        "name": nfc(agency.name),
        "address": nfc(agency.address),
        "phone": nfc(agency.phone),
        "email": agency.email,
        "parent_name": nfc(parent.name) if parent is not None else "",
    }


def _applicant(dossier: Dossier) -> dict[str, str]:
    return {
        "name": nfc(dossier.applicant_name),
        "type": dossier.get_applicant_type_display(),
        "id_number_masked": mask_id_number(dossier.applicant_id_number),
        "address": nfc(dossier.applicant_address),
        "phone": dossier.applicant_phone,
        "email": dossier.applicant_email,
    }


def _base(dossier: Dossier, agency: Agency, issued_at: datetime | None) -> dict[str, Any]:
    return {
        "code": dossier.code,
        "agency": _agency(agency),
        "place": place_name(agency),
        "issued_at": issued_at,
        "procedure": {"code": dossier.procedure.code, "name": nfc(dossier.procedure.name)},
        "applicant": _applicant(dossier),
        "lookup_url": lookup_url(dossier.code),
        "channel": channel_label(dossier.channel),
        "one_stop_desk": form_text(ONE_STOP_DESK),
    }


def _reception_event(dossier: Dossier) -> DossierEvent:
    if dossier.received_at is None:
        raise DocumentNotAvailable(gettext("The dossier was never received."))
    event = _events(dossier, RECEPTION_ACTIONS).first()
    if event is None:  # a received dossier always has one; kept for imported data
        raise DocumentNotAvailable(gettext("The dossier has no reception event."))
    return event


def _received_documents(dossier: Dossier) -> list[dict[str, Any]]:
    names = dict(
        DocumentType.objects.filter(procedure_id=dossier.procedure_id).values_list("code", "name")
    )
    order = {code: i for i, code in enumerate(names)}
    counts: dict[str, int] = {}
    received = DossierDocument.objects.filter(dossier=dossier, stage=DossierDocument.Stage.INTAKE)
    for document_type in received.values_list("document_type", flat=True):
        counts[document_type] = counts.get(document_type, 0) + 1
    rows = [
        {"code": code, "name": nfc(names.get(code) or code), "copies": count}
        for code, count in counts.items()
    ]
    rows.sort(key=lambda row: (order.get(row["code"], len(order)), row["code"]))
    return rows


def _reception(event: DossierEvent) -> ev.Registered | ev.Accepted:
    payload = event_payload(event)
    assert isinstance(payload, (ev.Registered, ev.Accepted)), event.action
    return payload


def _receipt(dossier: Dossier) -> dict[str, Any]:
    event = _reception_event(dossier)
    reception = _reception(event)
    received_at = reception.received_at or dossier.received_at
    due_at = reception.due_at or dossier.due_at
    fee = dossier.fee_amount if dossier.fee_amount is not None else dossier.procedure.fee
    return {
        **_base(dossier, dossier.receiving_agency, received_at),
        "received_at": received_at,
        "due_at": due_at,
        "processing_days": dossier.processing_days,
        "fee": fee,
        "documents": _received_documents(dossier),
        "received_by": _person(event.actor) or _person(dossier.received_by),
    }


def _supplement_request(dossier: Dossier, event_id: int | None) -> dict[str, Any]:
    event = _pick_event(dossier, Action.REQUEST_SUPPLEMENT, event_id)
    request = event_payload(event)
    assert isinstance(request, ev.SupplementRequested)
    names = dict(DocumentType.objects.filter(procedure_id=dossier.procedure_id).values_list("code", "name"))
    documents = [
        form_text("%(document)s (nộp bổ sung)") % {"document": nfc(names.get(code) or code)}
        for code in request.document_types
    ]
    requested_by = _person(event.actor)
    return {
        **_base(dossier, event.agency, event.at),
        "event_id": event.pk,
        "reason": nfc(request.reason),
        "items": [*documents, *(nfc(item) for item in request.items)],
        "requested_by": requested_by,
        # Whom the applicant asks for help: the clerk who asked, at the agency.
        "contact": ", ".join(name for name in (requested_by, nfc(event.agency.name)) if name),
        "received_at": dossier.received_at,
    }


def _refusal(dossier: Dossier) -> dict[str, Any]:
    """Rejected (at intake or after examination), or resolved with a refusal (its note is the reason)."""
    if dossier.status == Status.REJECTED:
        event = _pick_event(dossier, Action.REJECT, None)
    elif dossier.result == ResultKind.REFUSED:
        event = _pick_event(dossier, Action.RESOLVE, None)
    else:
        raise DocumentNotAvailable(gettext("The dossier was neither rejected nor resolved with a refusal."))
    match payload := event_payload(event):
        case ev.Rejected():
            reason, at_intake = payload.reason, payload.at_intake
        case ev.Resolved():
            reason, at_intake = payload.note, False
        case _:
            raise AssertionError(f"a refusal is not recorded by {event.action}")
    return {
        **_base(dossier, event.agency, event.at),
        "event_id": event.pk,
        "reason": nfc(reason),
        "at_intake": at_intake,
        "refused_by": _person(event.actor),
        "submitted_at": dossier.submitted_at,
        "received_at": dossier.received_at,
    }


def _apology(dossier: Dossier, event_id: int | None) -> dict[str, Any]:
    event = _pick_event(dossier, Action.APOLOGISE, event_id)
    apology = event_payload(event)
    assert isinstance(apology, ev.Apologised)
    return {
        **_base(dossier, event.agency, event.at),
        "event_id": event.pk,
        "reason": nfc(apology.reason),
        "previous_appointment": apology.previous_appointment,
        "new_appointment": apology.new_appointment,
        "apologised_by": _person(event.actor),
        "received_at": dossier.received_at,
    }


@dataclass
class SlipStep:
    number: int
    action: str
    label: str
    at: datetime
    giver: str
    receiver: str
    due: datetime | None
    timeliness: str  # early / on_time / late, or "" for steps that are not the agency's time
    note: str

    @property
    def timeliness_label(self) -> str:
        return timeliness_label(self.timeliness) or "—"


#: The label of each step: from the action registry (apps/dossiers/actions.py).
STEP_LABELS = SLIP_LABELS


def _slip_steps(dossier: Dossier, events: list[DossierEvent]) -> list[SlipStep]:
    calendar = working_calendar()
    payloads = {e.pk: event_payload(e) for e in events}
    usernames = {p.assignee for p in payloads.values() if isinstance(p, ev.Assigned)}
    people = {
        u.username: _person(u) for u in User.objects.filter(username__in=[n for n in usernames if n])
    }
    codes = {c for p in payloads.values() if isinstance(p, ev.Transferred) for c in (p.from_agency, p.to_agency)}
    agencies = {a.code: nfc(a.name) for a in Agency.objects.filter(code__in=[c for c in codes if c])}
    applicant = form_text(APPLICANT)
    one_stop_desk = form_text(ONE_STOP_DESK)
    due: datetime | None = None
    holder = ""
    steps: list[SlipStep] = []
    for event in events:
        action = Action(event.action)
        actor = _person(event.actor)
        desk = f"{one_stop_desk} – {nfc(event.agency.name)}"
        payload = payloads[event.pk]
        note = ""
        match payload:
            case ev.Registered() | ev.Accepted():
                due = payload.due_at or dossier.due_at
                giver, receiver = applicant, f"{actor} ({desk})" if actor else desk
            case ev.Assigned():
                giver, receiver = actor, people.get(payload.assignee, payload.assignee)
            case ev.Transferred():
                source, target = payload.from_agency, payload.to_agency
                giver = f"{actor} ({agencies.get(source, source)})" if actor else agencies.get(source, source)
                receiver = agencies.get(target, target)
                note = nfc(payload.reason)
            case ev.SupplementRequested():
                due = payload.due_at_before or due
                giver, receiver = actor, applicant
                note = nfc(payload.reason)
            case ev.Supplemented():
                giver, receiver = applicant, holder or desk
                if payload.due_at_after is not None:
                    note = form_text("Hạn mới: %(due)s") % {"due": timezone_short(payload.due_at_after)}
            case ev.Apologised():
                giver, receiver = actor, applicant
                new = payload.new_appointment
                note = nfc(payload.reason)
                if new:
                    note += " " + form_text("(hẹn lại %(at)s)") % {"at": timezone_short(new)}
            case ev.PaymentRequested():
                giver, receiver = actor, applicant
                note = form_text("Số tiền: %(amount)s") % {"amount": vnd(payload.amount)} + "".join(
                    f"; {nfc(item.name)}: {vnd(item.amount)}" for item in payload.items
                )
            case ev.PaymentConfirmed():
                giver, receiver = applicant, holder or desk
                online = payload.method == "online"
                note = form_text("Đã nộp %(amount)s (trực tuyến)" if online else "Đã nộp %(amount)s (tại quầy)") % {
                    "amount": vnd(payload.amount)
                }
                if payload.reference:
                    note += ", " + form_text("mã giao dịch %(reference)s") % {"reference": nfc(payload.reference)}
            case ev.Resolved():
                due = payload.due_at or due
                giver, receiver = actor, desk
                approved = payload.result == "approved"
                note = form_text("Kết quả: giải quyết" if approved else "Kết quả: từ chối giải quyết")
            case ev.Returned():
                giver, receiver = actor, applicant
            case ev.Rejected():
                giver, receiver = actor, applicant
                note = nfc(payload.reason)
            case ev.Withdrawn():
                giver, receiver = applicant, desk
                note = nfc(payload.reason)
            case ev.Submitted():
                raise AssertionError("a submission is not a step of the control slip")
            case _:
                assert_never(payload)
        classed = action not in UNCLASSED and due is not None
        timeliness = calendar.timeliness(due, event.at).value if classed else ""
        steps.append(SlipStep(
            number=len(steps) + 1, action=action.value, label=form_text(STEP_LABELS[action]), at=event.at,
            giver=giver or "—", receiver=receiver or "—", due=due if classed else None,
            timeliness=timeliness, note=note,
        ))
        if isinstance(payload, ev.Supplemented):
            due = payload.due_at_after or due
        if receiver != applicant:  # who holds the dossier when the applicant hands it back
            holder = receiver
    return steps


def timezone_short(value: datetime) -> str:
    return timezone.localtime(value).strftime("%H:%M %d/%m/%Y")


def _control_slip(dossier: Dossier) -> dict[str, Any]:
    reception = _reception_event(dossier)
    events = [e for e in _events(dossier, SLIP_ACTIONS) if e.pk >= reception.pk]
    steps = _slip_steps(dossier, events)
    agencies_seen: list[str] = []
    for event in events:
        name = nfc(event.agency.name)
        if name not in agencies_seen:
            agencies_seen.append(name)
    return {
        **_base(dossier, dossier.receiving_agency, dossier.received_at),
        "received_at": dossier.received_at,
        "due_at": _reception(reception).due_at or dossier.due_at,
        "current_due_at": dossier.due_at,
        "appointment_at": dossier.appointment_at,
        "handling_agency": nfc(dossier.agency.name),
        "agencies": agencies_seen,
        "cooperating_agencies": [name for name in agencies_seen if name != nfc(dossier.agency.name)],
        "steps": steps,
        "timeliness": timeliness_label(dossier.timeliness),
    }


def document_context(dossier: Dossier, form: str, *, event_id: int | None = None) -> dict[str, Any]:
    """The template context of one form for one dossier; `event_id` picks which supplement
    request or apology (default: the latest)."""
    if form == Form.RECEIPT:
        return _receipt(dossier)
    if form == Form.SUPPLEMENT_REQUEST:
        return _supplement_request(dossier, event_id)
    if form == Form.REFUSAL:
        return _refusal(dossier)
    if form == Form.APOLOGY:
        return _apology(dossier, event_id)
    if form == Form.CONTROL_SLIP:
        return _control_slip(dossier)
    raise DocumentNotAvailable(gettext("No form %(form)s.") % {"form": repr(form)})


def forms_available(dossier: Dossier, events: list[DossierEvent]) -> list[tuple[str, int | None]]:
    """The forms (and for a supplement request or an apology, which event's) that `document_context`
    renders for this dossier, given its history oldest first: what a page offers to print."""
    available: list[tuple[str, int | None]] = []
    if dossier.received_at is not None:
        available.append((Form.RECEIPT, None))
    available += [(Form.SUPPLEMENT_REQUEST, e.pk) for e in events if e.action == Action.REQUEST_SUPPLEMENT]
    available += [(Form.APOLOGY, e.pk) for e in events if e.action == Action.APOLOGISE]
    if dossier.status == Status.REJECTED or dossier.result == ResultKind.REFUSED:
        available.append((Form.REFUSAL, None))
    if dossier.received_at is not None:
        available.append((Form.CONTROL_SLIP, None))
    return available
