"""Every write to a dossier: intake (submit, register) and the lifecycle actions.

Each use case runs in one transaction: the dossier row is locked (`select_for_update`), the
transition is checked against the table in `onestop.lifecycle`, the row and one immutable
`DossierEvent` are written together. Files are written to storage before or inside the transaction and
removed again if it rolls back, so a refused request leaves nothing behind.

Intake (`dossier_submit`, `dossier_register`) keeps its critical section short: everything that
can happen before the transaction does (checks, files to storage, the rows and every sink's
contribution built in Python), then on PostgreSQL one statement claims the idempotency key,
allocates the code and writes the dossier, event, documents, outbox and statistics rows
(apps/dossiers/onestatement.py): the per-agency-per-day counter row is locked for that
statement's execution and commit only.
"""
from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import IntegrityError, connection, transaction
from django.db.models import Subquery
from django.db.models.functions import Greatest
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.accounts.selectors import staff_agencies
from apps.agencies.models import Agency
from apps.catalog.models import DocumentType, Offering, Procedure
from apps.catalog.selectors import offering_for_intake
from apps.workcalendar.selectors import working_calendar
from onestop import events as ev
from onestop.codes import format_dossier_code
from onestop.errors import DomainError, ErrorCode
from onestop.lifecycle import TRANSITIONS, Action, Actor, Status, check_transition

from .models import (
    Channel,
    CodeCounter,
    CurrentTransactionId,
    Dossier,
    DossierDocument,
    DossierEvent,
    DossierPause,
    IdempotencyRecord,
    PaymentMethod,
    ResultKind,
)
from .onestatement import Claim, NewDossierWrites, StandIns, write_in_one_statement
from .payloads import payload_json
from .sinks import EventRecord, collect, emit, insert_rows
from .uploads import CheckedUpload

STAFF_ACTORS = {Role.CLERK: Actor.CLERK, Role.SPECIALIST: Actor.SPECIALIST, Role.LEADER: Actor.LEADER}


@dataclass(frozen=True)
class Caller:
    """Who acts: a signed-in user, the national portal, or the payment gateway."""

    user: User | None
    client_id: str  # idempotency namespace: "user:<id>" / "portal:<key id>"
    is_portal: bool = False
    is_payment_callback: bool = False

    @classmethod
    def for_user(cls, user: User) -> Caller:
        return cls(user=user, client_id=f"user:{user.pk}")

    def actors_on(self, dossier: Dossier) -> frozenset[Actor]:
        if self.is_portal:
            return frozenset({Actor.PORTAL})
        if self.is_payment_callback:
            return frozenset({Actor.PAYMENT_CALLBACK})
        actors: set[Actor] = set()
        user = self.user
        if user is None:
            return frozenset()
        if dossier.applicant_id is not None and dossier.applicant_id == user.pk:
            actors.add(Actor.APPLICANT)
        staff = {STAFF_ACTORS[r] for r in STAFF_ACTORS if user.has_role(r)}
        if staff and staff_agencies(user).filter(pk=dossier.agency_id).exists():
            actors |= staff
        return frozenset(actors)


@dataclass(frozen=True)
class ApplicantData:
    applicant_type: str
    name: str
    id_number: str
    birth_date: date | None = None
    phone: str = ""
    email: str = ""
    address: str = ""


@dataclass
class IntakeRequest:
    agency_code: str
    procedure_code: str
    applicant: ApplicantData
    form_data: dict[str, Any] = field(default_factory=dict)
    documents: list[CheckedUpload] = field(default_factory=list)
    note: str = ""


def _now() -> datetime:
    return timezone.now()


def _local_date(instant: datetime) -> date:
    return timezone.localtime(instant).date()


# --- files -------------------------------------------------------------------------------------


def _remove_files(names: list[str]) -> None:
    for name in names:
        default_storage.delete(name)


@contextmanager
def _files_removed_on_failure() -> Iterator[list[str]]:
    """Collect stored file names; delete them if the surrounding block raises."""
    stored: list[str] = []
    try:
        yield stored
    except BaseException:
        _remove_files(stored)
        raise


def _document_rows(
    uploads: list[CheckedUpload], *, dossier: Dossier, stage: str, by: User | None, at: datetime, stored: list[str]
) -> list[DossierDocument]:
    """Write each file to storage now (its name recorded in `stored`, for removal on failure) and
    give its row, unsaved."""
    rows = []
    for item in uploads:
        document = DossierDocument(
            dossier=dossier,
            document_type=item.document_type,
            stage=stage,
            original_name=item.name,
            content_type=item.content_type,
            size=item.size,
            sha256=item.sha256,
            uploaded_by=by,
            uploaded_at=at,
        )
        extension = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}.get(item.content_type, "")
        # Stored under a name we choose (a random token and the checksum), never the client's; the
        # name does not depend on the code, so the file can be written before the code exists.
        document.file.save(f"{secrets.token_hex(6)}-{item.sha256[:16]}{extension}", item.upload, save=False)
        stored.append(document.file.name)
        rows.append(document)
    return rows


def _store_documents(
    dossier: Dossier, uploads: list[CheckedUpload], *, stage: str, by: User | None, at: datetime, stored: list[str]
) -> list[DossierDocument]:
    rows = _document_rows(uploads, dossier=dossier, stage=stage, by=by, at=at, stored=stored)
    DossierDocument.objects.bulk_create(rows)
    return rows


# --- intake ------------------------------------------------------------------------------------


def _offering(agency_code: str, procedure_code: str) -> Offering:
    offering = offering_for_intake(agency_code, procedure_code)
    if offering is None:
        if not Agency.objects.filter(code=agency_code).exists():
            raise DomainError("No agency with this code.", code=ErrorCode.VALIDATION, field="agency")
        if not Procedure.objects.filter(code=procedure_code).exists():
            raise DomainError("No procedure with this code.", code=ErrorCode.VALIDATION, field="procedure")
        raise DomainError(
            "This agency does not offer this procedure.", code=ErrorCode.PROCEDURE_NOT_OFFERED, field="procedure"
        )
    if not (offering.is_active and offering.procedure.is_active and offering.agency.is_active):
        raise DomainError(
            "This procedure is not currently offered by this agency.",
            code=ErrorCode.PROCEDURE_NOT_OFFERED,
            field="procedure",
        )
    return offering


def _check_documents(offering: Offering, uploads: list[CheckedUpload]) -> None:
    known = {d.code: d for d in offering.procedure.document_types.all()}
    for item in uploads:
        if item.document_type not in known:
            raise DomainError(
                _("Unknown document type %(type)s for this procedure.") % {"type": repr(item.document_type)},
                code=ErrorCode.VALIDATION,
                field=f"documents.{item.document_type}",
            )
    given = {item.document_type for item in uploads}
    for code, document_type in known.items():
        if document_type.required and code not in given:
            raise DomainError(
                _("Required document missing: %(name)s.") % {"name": document_type.name},
                code=ErrorCode.VALIDATION,
                field=f"documents.{code}",
            )


def _allocate_code(agency: Agency, day: date) -> str:
    """Next number for (agency, day): one upsert that holds the counter row's lock until commit,
    so concurrent intakes queue on it briefly and a rolled-back intake gives its number back."""
    table = CodeCounter._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (agency_id, day, last_value) VALUES (%s, %s, 1) "
            f"ON CONFLICT (agency_id, day) DO UPDATE SET last_value = {table}.last_value + 1 "
            "RETURNING last_value",
            [agency.pk, day],
        )
        (sequence,) = cursor.fetchone()
    return format_dossier_code(agency.code, day, sequence)


def request_fingerprint(body: Any, uploads: list[CheckedUpload]) -> str:
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, default=str, separators=(",", ":"))
    digest = hashlib.sha256(canonical.encode())
    for item in sorted(uploads, key=lambda u: (u.document_type, u.sha256)):
        digest.update(f"|{item.document_type}:{item.sha256}".encode())
    return digest.hexdigest()


IDEMPOTENCY_KEY_MAX = IdempotencyRecord._meta.get_field("key").max_length


def _check_idempotency_key(key: str) -> None:
    """Printable ASCII (an RFC 8941 string, as the Idempotency-Key draft says), short enough to store."""
    if not (len(key) <= IDEMPOTENCY_KEY_MAX and key.isascii() and key.isprintable()):
        raise DomainError(
            _("Idempotency-Key must be printable ASCII, at most %(max)d characters.") % {"max": IDEMPOTENCY_KEY_MAX},
            code=ErrorCode.VALIDATION,
            field="Idempotency-Key",
        )


def _claim_idempotency_key(client_id: str, key: str, fingerprint: str) -> Dossier | None:
    """Insert the key first; a concurrent duplicate waits on the unique index until we commit,
    then finds our row. Returns the earlier dossier for a replay, None when this request owns it."""
    table = IdempotencyRecord._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (client, key, request_hash, created_at) VALUES (%s, %s, %s, %s) "
            "ON CONFLICT (client, key) DO NOTHING RETURNING id",
            [client_id, key, fingerprint, _now()],
        )
        if cursor.fetchone() is not None:
            return None
    return _earlier_request(client_id, key, fingerprint)


def _earlier_request(client_id: str, key: str, fingerprint: str) -> Dossier:
    """The dossier of the committed request that holds this key (a replay), if the bodies match."""
    record = IdempotencyRecord.objects.select_related("dossier").get(client=client_id, key=key)
    if record.request_hash != fingerprint:
        raise DomainError(
            "This Idempotency-Key was already used with a different request.",
            code=ErrorCode.IDEMPOTENCY_KEY_REUSED,
        )
    if record.dossier is None:  # cannot happen once committed; kept for safety
        raise DomainError("The first request with this key is still running.", code=ErrorCode.IDEMPOTENCY_IN_PROGRESS)
    return record.dossier


@dataclass(frozen=True)
class IntakeResult:
    dossier: Dossier
    created: bool  # False: an idempotent replay of an earlier request


def _create(
    *,
    caller: Caller,
    request: IntakeRequest,
    channel: str,
    status: Status,
    action: Action,
    actor_role: Actor,
    received_at: datetime | None,
    idempotency_key: str | None,
    fingerprint: str | None,
    minimum_level: int,
) -> IntakeResult:
    if idempotency_key:
        _check_idempotency_key(idempotency_key)
    offering = _offering(request.agency_code, request.procedure_code)
    if offering.online_level < minimum_level:
        raise DomainError(
            _("This agency offers this procedure at level %(level)d; online filing needs level 3 or 4.")
            % {"level": offering.online_level},
            code=ErrorCode.PROCEDURE_NOT_OFFERED,
            field="procedure",
        )
    _check_documents(offering, request.documents)
    now = _now()
    agency = offering.agency
    day = _local_date(received_at or now)
    days = offering.effective_processing_days
    due = working_calendar().due_at(received_at, days) if received_at else None
    applicant = request.applicant
    one_statement = connection.vendor == "postgresql"
    stand_ins = StandIns.new()
    dossier = Dossier(
        code=stand_ins.code,  # the statement (or the counter, step by step) decides it
        procedure=offering.procedure,
        receiving_agency=agency,
        agency=agency,
        online_level=offering.online_level,
        service_class=offering.service_class,
        processing_days=days,
        channel=channel,
        status=status,
        applicant=caller.user if actor_role == Actor.APPLICANT else None,
        applicant_type=applicant.applicant_type,
        applicant_name=applicant.name,
        applicant_id_number=applicant.id_number,
        applicant_birth_date=applicant.birth_date,
        applicant_phone=applicant.phone,
        applicant_email=applicant.email,
        applicant_address=applicant.address,
        form_data=request.form_data,
        submitted_at=now,
        received_at=received_at,
        due_at=due,
        appointment_at=due,
        received_by=caller.user if received_at else None,
    )
    payload = (
        ev.Registered(channel=channel, note=request.note, received_at=received_at, due_at=due)
        if action == Action.REGISTER
        else ev.Submitted(channel=channel, note=request.note)
    )
    event = _event_row(dossier, action=action, from_status="", caller=caller, actor_role=actor_role, at=now,
                       payload=payload)

    with _files_removed_on_failure() as stored:
        if one_statement:  # the statement draws the ids; the rows hold stand-ins until then
            dossier.pk, event.pk = stand_ins.dossier_id, stand_ins.event_id
        documents = _document_rows(request.documents, dossier=dossier, stage="intake", by=caller.user, at=now,
                                   stored=stored)
        record = EventRecord(event=event, dossier=dossier, payload=payload)
        if one_statement:
            writes = collect(record)
            new = NewDossierWrites(
                agency_id=agency.pk, agency_code=agency.code, day=day, stand_ins=stand_ins,
                rows=[dossier, event, *documents, *writes.rows],
                claim=Claim(caller.client_id, idempotency_key, fingerprint or "", now) if idempotency_key else None,
            )
            # Its own transaction (a savepoint only when a caller already holds one).
            with transaction.atomic() if connection.in_atomic_block else nullcontext():
                code = write_in_one_statement(new)
            if code is None:  # the key is taken: nothing was written, the files go
                assert idempotency_key
                earlier = _earlier_request(caller.client_id, idempotency_key, fingerprint or "")
                _remove_files(stored)
                return IntakeResult(earlier, created=False)
            writes.schedule_after_commit()
        else:
            with transaction.atomic():
                if idempotency_key:
                    earlier = _claim_idempotency_key(caller.client_id, idempotency_key, fingerprint or "")
                    if earlier is not None:
                        _remove_files(stored)
                        return IntakeResult(earlier, created=False)
                dossier.code = _allocate_code(agency, day)
                insert_rows([dossier, event, *documents])
                emit(record)
                if idempotency_key:
                    IdempotencyRecord.objects.filter(client=caller.client_id, key=idempotency_key).update(
                        dossier=dossier, response_status=201
                    )
    return IntakeResult(dossier, created=True)


def submitting_actor(caller: Caller) -> Actor:
    """Who files online: the portal, or a signed-in applicant; anyone else is refused up front."""
    if caller.is_portal:
        return Actor.PORTAL
    if caller.user is None or not caller.user.has_role(Role.APPLICANT):
        raise DomainError("Only applicants file dossiers online.", code=ErrorCode.PERMISSION_DENIED)
    return Actor.APPLICANT


def dossier_submit(
    *,
    caller: Caller,
    request: IntakeRequest,
    idempotency_key: str | None = None,
    fingerprint: str | None = None,
) -> IntakeResult:
    """An applicant (channel online) or the national portal (channel portal) files a dossier."""
    actor = submitting_actor(caller)
    return _create(
        caller=caller,
        request=request,
        channel=Channel.PORTAL if caller.is_portal else Channel.ONLINE,
        status=Status.SUBMITTED,
        action=Action.SUBMIT,
        actor_role=actor,
        received_at=None,
        idempotency_key=idempotency_key,
        fingerprint=fingerprint,
        minimum_level=3,
    )


def dossier_register(
    *,
    caller: Caller,
    request: IntakeRequest,
    channel: str,
    received_at: datetime | None = None,
    idempotency_key: str | None = None,
    fingerprint: str | None = None,
) -> IntakeResult:
    """A clerk registers a dossier handed in at the counter or arriving by post: received at once."""
    user = caller.user
    if user is None or not user.has_role(Role.CLERK):
        raise DomainError("Only clerks register counter and post dossiers.", code=ErrorCode.PERMISSION_DENIED)
    if channel not in (Channel.COUNTER, Channel.POST):
        raise DomainError("Channel must be counter or post.", code=ErrorCode.VALIDATION, field="channel")
    if not staff_agencies(user).filter(code=request.agency_code).exists():
        raise DomainError("You do not work for this agency.", code=ErrorCode.VALIDATION, field="agency")
    now = _now()
    received = received_at or now
    if received > now:
        raise DomainError("Reception time cannot be in the future.", code=ErrorCode.VALIDATION, field="received_at")
    limit = settings.REGISTRATION_BACKDATE_DAYS
    if received < now - timedelta(days=limit):
        raise DomainError(
            _("Reception time can be backdated by at most %(days)d days.") % {"days": limit},
            code=ErrorCode.VALIDATION,
            field="received_at",
            extra={"earliest_received_at": _iso(now - timedelta(days=limit))},
        )
    return _create(
        caller=caller,
        request=request,
        channel=channel,
        status=Status.RECEIVED,
        action=Action.REGISTER,
        actor_role=Actor.CLERK,
        received_at=received,
        idempotency_key=idempotency_key,
        fingerprint=fingerprint,
        minimum_level=1,
    )


# --- lifecycle ---------------------------------------------------------------------------------


def _event_row(
    dossier: Dossier, *, action: Action, from_status: str, caller: Caller, actor_role: Actor, at: datetime,
    payload: ev.Payload,
) -> DossierEvent:
    """The history row, unsaved (its payload checked against the action)."""
    ev.check_payload(action, payload)
    return DossierEvent(
        dossier=dossier,
        action=action,
        from_status=from_status,
        to_status=dossier.status,
        actor=caller.user,
        actor_role=actor_role,
        agency_id=dossier.agency_id,
        at=at,
        payload=payload_json(payload),
    )


def _record_event(
    dossier: Dossier,
    *,
    action: Action,
    from_status: str,
    caller: Caller,
    actor_role: Actor,
    at: datetime,
    payload: ev.Payload,
    agency_before: int | None = None,
    due_before: datetime | None = None,
) -> DossierEvent:
    """The history row, then every registered sink's rows (portal outbox, statistics counters,
    document mail: apps/dossiers/sinks.py), in the caller's transaction: all commit together or not at all."""
    event = _event_row(dossier, action=action, from_status=from_status, caller=caller, actor_role=actor_role,
                       at=at, payload=payload)
    # The change feed orders by (txid, id). A transaction may own its id before it waited for the
    # dossier's lock, so an event could carry a lower id than the dossier's previous event: taking
    # the greater of the two keeps each dossier's events in order (and stays >= our own id, which
    # is all the feed's "surely committed" horizon needs).
    previous = DossierEvent.objects.filter(dossier_id=dossier.pk).order_by("-id").values("txid")[:1]
    event.txid = Greatest(CurrentTransactionId(), Subquery(previous))
    event.save()
    emit(EventRecord(event=event, dossier=dossier, payload=payload, agency_before=agency_before,
                     due_before=due_before))
    return event


@dataclass
class _Step:
    dossier: Dossier
    from_status: Status
    to_status: Status
    actor_role: Actor
    at: datetime
    payload: ev.Payload | None = None
    changed: set[str] = field(default_factory=set)

    def set(self, **values: Any) -> None:
        for name, value in values.items():
            setattr(self.dossier, name, value)
            self.changed.add(name)


def _apply(
    *,
    dossier_id: int,
    action: Action,
    caller: Caller,
    expected_version: int | None,
    effect: Callable[[_Step], None],
) -> Dossier:
    """Lock, check, apply `effect`, write row + event. The one path every action takes."""
    with transaction.atomic():
        dossier = (
            Dossier.objects.select_for_update(of=("self",))
            .select_related("agency", "procedure", "procedure__field")
            .get(pk=dossier_id)
        )
        if expected_version is not None and dossier.version != expected_version:
            raise DomainError(
                "The dossier changed since you read it (If-Match does not match).",
                code=ErrorCode.PRECONDITION_FAILED,
                extra={"current_etag": dossier.etag, "current_status": dossier.status},
            )
        actors = caller.actors_on(dossier)
        current = Status(dossier.status)
        target = check_transition(current, action, actors)
        role = sorted(TRANSITIONS[action].actors & actors)[0]
        step = _Step(dossier=dossier, from_status=current, to_status=target, actor_role=role, at=_now())
        agency_before, due_before = dossier.agency_id, dossier.due_at
        effect(step)
        if step.payload is None:
            raise AssertionError(f"the effect of {action} recorded no payload")
        step.set(status=target, version=dossier.version + 1)
        dossier.save(update_fields=[*step.changed, "updated_at"])
        _record_event(
            dossier, action=action, from_status=current, caller=caller, actor_role=role, at=step.at,
            payload=step.payload, agency_before=agency_before, due_before=due_before,
        )
    return dossier


def _iso(instant: datetime | None) -> str | None:
    """RFC 3339 in local time with its offset: the one form the API gives instants in."""
    return timezone.localtime(instant).isoformat() if instant else None


def dossier_accept(*, dossier_id: int, caller: Caller, expected_version: int | None = None) -> Dossier:
    def effect(step: _Step) -> None:
        due = working_calendar().due_at(step.at, step.dossier.processing_days)
        step.set(received_at=step.at, due_at=due, appointment_at=due, received_by=caller.user)
        step.payload = ev.Accepted(received_at=step.at, due_at=due)

    return _apply(dossier_id=dossier_id, action=Action.ACCEPT, caller=caller, expected_version=expected_version,
                  effect=effect)


def dossier_reject(*, dossier_id: int, caller: Caller, reason: str, expected_version: int | None = None) -> Dossier:
    def effect(step: _Step) -> None:
        at_intake = step.from_status == Status.SUBMITTED
        step.set(closed_at=step.at, rejected_at_intake=at_intake)
        _close_open_pause(step)
        step.payload = ev.Rejected(reason=reason, at_intake=at_intake)

    return _apply(dossier_id=dossier_id, action=Action.REJECT, caller=caller, expected_version=expected_version,
                  effect=effect)


def dossier_assign(
    *, dossier_id: int, caller: Caller, assignee_username: str, expected_version: int | None = None
) -> Dossier:
    def effect(step: _Step) -> None:
        assignee = User.objects.filter(username=assignee_username, is_active=True).first()
        eligible = (
            assignee is not None
            and assignee.has_role(Role.CLERK, Role.SPECIALIST, Role.LEADER)
            and staff_agencies(assignee).filter(pk=step.dossier.agency_id).exists()
        )
        if not eligible:
            raise DomainError(
                "No staff member of this agency with that username.", code=ErrorCode.VALIDATION, field="assignee"
            )
        step.set(assigned_to=assignee)
        step.payload = ev.Assigned(assignee=assignee.username)

    return _apply(dossier_id=dossier_id, action=Action.ASSIGN, caller=caller, expected_version=expected_version,
                  effect=effect)


def _document_types(dossier: Dossier) -> dict[str, str]:
    return dict(DocumentType.objects.filter(procedure_id=dossier.procedure_id).values_list("code", "name"))


def dossier_request_supplement(
    *,
    dossier_id: int,
    caller: Caller,
    reason: str,
    items: list[str] | None = None,
    document_types: list[str] | None = None,
    expected_version: int | None = None,
) -> Dossier:
    """Name what is missing: document types of the procedure (the supplement must bring a file of
    each) and/or free-text items (information; answered with form data or a note)."""
    items, document_types = list(items or []), list(dict.fromkeys(document_types or []))
    if not items and not document_types:
        raise DomainError("Name what is missing: document types and/or items.", code=ErrorCode.VALIDATION,
                          field="items")

    def effect(step: _Step) -> None:
        known = _document_types(step.dossier)
        for code in document_types:
            if code not in known:
                raise DomainError(_("Unknown document type %(type)s for this procedure.") % {"type": repr(code)},
                                  code=ErrorCode.VALIDATION, field=f"document_types.{code}")
        DossierPause.objects.create(
            dossier=step.dossier, started_at=step.at, reason=reason,
            requested_items=[*(f"{code}: {known[code]}" for code in document_types), *items],
            due_at_before=step.dossier.due_at,
        )
        step.payload = ev.SupplementRequested(reason=reason, items=tuple(items), document_types=tuple(document_types),
                                              due_at_before=step.dossier.due_at)

    return _apply(dossier_id=dossier_id, action=Action.REQUEST_SUPPLEMENT, caller=caller,
                  expected_version=expected_version, effect=effect)


def _close_open_pause(step: _Step) -> DossierPause | None:
    pause = DossierPause.objects.filter(dossier=step.dossier, ended_at__isnull=True).first()
    if pause is None:
        return None
    calendar = working_calendar()
    dossier = step.dossier
    new_due = calendar.due_after_pause(dossier.due_at, pause.started_at, step.at)
    # An apology's appointment moves by the same paused working time.
    new_appointment = calendar.due_after_pause(dossier.appointment_at, pause.started_at, step.at)
    pause.ended_at = step.at
    pause.due_at_after = new_due
    pause.save(update_fields=["ended_at", "due_at_after"])
    step.set(due_at=new_due, appointment_at=new_appointment)
    return pause


def _open_request(dossier: Dossier) -> ev.SupplementRequested:
    """The supplement request the dossier is waiting on (the latest one)."""
    event = (DossierEvent.objects.filter(dossier=dossier, action=Action.REQUEST_SUPPLEMENT)
             .order_by("-id").only("action", "payload").first())
    if event is None:  # cannot happen while awaiting_supplement; imported data
        return ev.SupplementRequested()
    payload = ev.payload_from_json(event.action, event.payload)
    assert isinstance(payload, ev.SupplementRequested)
    return payload


def _check_supplement(
    dossier: Dossier, request: ev.SupplementRequested, uploads: list[CheckedUpload], note: str,
    form_data: dict[str, Any],
) -> None:
    known = _document_types(dossier)
    for item in uploads:
        if item.document_type not in known:
            raise DomainError(
                _("Unknown document type %(type)s for this procedure.") % {"type": repr(item.document_type)},
                code=ErrorCode.VALIDATION, field=f"documents.{item.document_type}",
            )
    given = {item.document_type for item in uploads}
    for code in request.document_types:
        if code not in given:
            raise DomainError(_("Requested document missing: %(name)s.") % {"name": known.get(code, code)},
                              code=ErrorCode.VALIDATION,
                              field=f"documents.{code}")
    if not request.document_types and not uploads and not note.strip() and not form_data:
        raise DomainError("The request asked for information: answer with form data or a note.",
                          code=ErrorCode.VALIDATION, field="note")


def dossier_supplement(
    *,
    dossier_id: int,
    caller: Caller,
    note: str = "",
    form_data: dict[str, Any] | None = None,
    documents: list[CheckedUpload] | None = None,
    expected_version: int | None = None,
) -> Dossier:
    """The applicant (or a clerk for them) brings what was asked: a file of every requested
    document type, or for a request of information, form data (merged into the dossier's) or a note."""
    uploads, form_data = documents or [], form_data or {}
    with _files_removed_on_failure() as stored:

        def effect(step: _Step) -> None:
            _check_supplement(step.dossier, _open_request(step.dossier), uploads, note, form_data)
            before = step.dossier.due_at
            _close_open_pause(step)
            _store_documents(step.dossier, uploads, stage="supplement", by=caller.user, at=step.at, stored=stored)
            if form_data:
                step.set(form_data={**(step.dossier.form_data or {}), **form_data})
            step.payload = ev.Supplemented(
                note=note, documents=tuple(d.document_type for d in uploads), form_data=tuple(form_data),
                due_at_before=before, due_at_after=step.dossier.due_at,
            )

        return _apply(dossier_id=dossier_id, action=Action.SUPPLEMENT, caller=caller,
                      expected_version=expected_version, effect=effect)


def dossier_transfer(
    *, dossier_id: int, caller: Caller, agency_code: str, reason: str, expected_version: int | None = None
) -> Dossier:
    def effect(step: _Step) -> None:
        target = Agency.objects.filter(code=agency_code, is_active=True).first()
        if target is None:
            raise DomainError("No active agency with this code.", code=ErrorCode.VALIDATION, field="agency")
        if target.pk == step.dossier.agency_id:
            raise DomainError("The dossier is already with this agency.", code=ErrorCode.VALIDATION, field="agency")
        offers = Offering.objects.filter(
            agency=target, procedure_id=step.dossier.procedure_id, is_active=True, procedure__is_active=True
        ).exists()
        if not offers:
            raise DomainError("That agency does not offer this dossier's procedure.",
                              code=ErrorCode.PROCEDURE_NOT_OFFERED, field="agency")
        step.payload = ev.Transferred(from_agency=step.dossier.agency.code, to_agency=target.code, reason=reason)
        step.set(agency=target, assigned_to=None)

    return _apply(dossier_id=dossier_id, action=Action.TRANSFER, caller=caller, expected_version=expected_version,
                  effect=effect)


def dossier_apologise(
    *, dossier_id: int, caller: Caller, reason: str, new_appointment: datetime, expected_version: int | None = None
) -> Dossier:
    def effect(step: _Step) -> None:
        current = step.dossier.appointment_at
        calendar = working_calendar()
        if new_appointment <= current or not calendar.is_appointment_time(new_appointment):
            raise DomainError(
                "The new appointment must be in working time and later than the current one.",
                code=ErrorCode.VALIDATION,
                field="new_appointment",
                extra={"current_appointment": _iso(current),
                       "earliest_appointment": _iso(calendar.earliest_appointment_after(current))},
            )
        step.payload = ev.Apologised(reason=reason, previous_appointment=current, new_appointment=new_appointment)
        step.set(appointment_at=new_appointment)

    return _apply(dossier_id=dossier_id, action=Action.APOLOGISE, caller=caller, expected_version=expected_version,
                  effect=effect)


DEFAULT_FEE_ITEM = "Phí, lệ phí"


def dossier_request_payment(
    *, dossier_id: int, caller: Caller, amount: Decimal, items: list[dict[str, Any]] | None = None,
    expected_version: int | None = None,
) -> Dossier:
    """Fee items (name, whole VND) must add up to the amount; none given: one item of the amount."""
    amount = Decimal(amount)
    fee_items = tuple(ev.FeeItem(name=i["name"], amount=Decimal(i["amount"])) for i in items or [])
    if any(i.amount != i.amount.to_integral_value() or i.amount < 0 for i in (*fee_items, ev.FeeItem("", amount))):
        raise DomainError("Amounts are whole VND, not negative.", code=ErrorCode.VALIDATION, field="amount")
    if not fee_items:
        fee_items = (ev.FeeItem(name=DEFAULT_FEE_ITEM, amount=amount),)
    total = sum((i.amount for i in fee_items), Decimal(0))
    if total != amount:
        raise DomainError(_("The fee items add up to %(total)s VND, not %(amount)s.")
                          % {"total": f"{total:f}", "amount": f"{amount:f}"}, code=ErrorCode.VALIDATION,
                          field="items", extra={"items_total": f"{total:f}"})

    def effect(step: _Step) -> None:
        step.set(fee_amount=amount)
        step.payload = ev.PaymentRequested(amount=amount, items=fee_items)

    return _apply(dossier_id=dossier_id, action=Action.REQUEST_PAYMENT, caller=caller,
                  expected_version=expected_version, effect=effect)


def dossier_confirm_payment(
    *, dossier_id: int, caller: Caller, method: str, reference: str = "", expected_version: int | None = None
) -> Dossier:
    if method == PaymentMethod.ONLINE and not caller.is_payment_callback:
        # Online payments are confirmed by the gateway's signed callback, so the online-payment
        # rate counts what a gateway took, not what someone typed.
        raise DomainError("Online payments are confirmed by the payment gateway, not by hand.",
                          code=ErrorCode.VALIDATION, field="method")

    def effect(step: _Step) -> None:
        step.set(payment_method=method, paid_at=step.at)
        step.payload = ev.PaymentConfirmed(method=method, reference=reference,
                                           amount=Decimal(step.dossier.fee_amount or 0))

    return _apply(dossier_id=dossier_id, action=Action.CONFIRM_PAYMENT, caller=caller,
                  expected_version=expected_version, effect=effect)


def dossier_resolve(
    *,
    dossier_id: int,
    caller: Caller,
    result: str,
    note: str = "",
    documents: list[CheckedUpload] | None = None,
    expected_version: int | None = None,
) -> Dossier:
    if result == ResultKind.REFUSED and not note.strip():
        raise DomainError("A refusal needs its reason.", code=ErrorCode.VALIDATION, field="note")
    with _files_removed_on_failure() as stored:

        def effect(step: _Step) -> None:
            timeliness = working_calendar().timeliness(step.dossier.due_at, step.at)
            step.set(resolved_at=step.at, timeliness=timeliness.value, result=result, result_note=note)
            _store_documents(step.dossier, documents or [], stage="result", by=caller.user, at=step.at,
                             stored=stored)
            step.payload = ev.Resolved(result=result, note=note, timeliness=timeliness.value,
                                       due_at=step.dossier.due_at)

        return _apply(dossier_id=dossier_id, action=Action.RESOLVE, caller=caller,
                      expected_version=expected_version, effect=effect)


def dossier_return(
    *, dossier_id: int, caller: Caller, method: str, note: str = "", expected_version: int | None = None
) -> Dossier:
    def effect(step: _Step) -> None:
        if method == "online" and step.dossier.online_level < 4:
            raise DomainError("Results are returned online only for level-4 procedures.",
                              code=ErrorCode.VALIDATION, field="method")
        step.set(returned_at=step.at, closed_at=step.at)
        step.payload = ev.Returned(method=method, note=note)

    return _apply(dossier_id=dossier_id, action=Action.RETURN, caller=caller, expected_version=expected_version,
                  effect=effect)


def dossier_withdraw(
    *, dossier_id: int, caller: Caller, reason: str = "", expected_version: int | None = None
) -> Dossier:
    def effect(step: _Step) -> None:
        step.set(closed_at=step.at)
        _close_open_pause(step)
        step.payload = ev.Withdrawn(reason=reason)

    return _apply(dossier_id=dossier_id, action=Action.WITHDRAW, caller=caller, expected_version=expected_version,
                  effect=effect)


__all__ = [
    "ApplicantData", "Caller", "IntakeRequest", "IntakeResult", "IntegrityError",
    "dossier_accept", "dossier_apologise", "dossier_assign", "dossier_confirm_payment", "dossier_register",
    "dossier_reject", "dossier_request_payment", "dossier_request_supplement", "dossier_resolve",
    "dossier_return", "dossier_submit", "dossier_supplement", "dossier_transfer", "dossier_withdraw",
    "request_fingerprint",
]
