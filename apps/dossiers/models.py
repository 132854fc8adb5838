"""Dossiers: the current state in one row, the full history in append-only events."""
from django.conf import settings
from django.db import models
from django.db.models import Q

from apps.accounts.models import ApplicantType
from apps.catalog.models import ServiceClass
from apps.common.search import Fold
from onestop.calendar import Timeliness
from onestop.lifecycle import CLOCK_RUNNING, ONLINE_CHANNELS, TERMINAL, Action, Status


class Channel(models.TextChoices):
    ONLINE = "online", "Trực tuyến"
    COUNTER = "counter", "Trực tiếp"
    POST = "post", "Bưu chính"
    PORTAL = "portal", "Cổng DVC quốc gia"


assert ONLINE_CHANNELS <= set(Channel.values)  # onestop.lifecycle states them once
#: States a clerk still has work on (everything but the terminal ones), in the active-queue index.
ACTIVE_STATUSES = [s.value for s in Status if s not in TERMINAL]

StatusChoices = models.TextChoices("StatusChoices", [(s.name, s.value) for s in Status])
ActionChoices = models.TextChoices("ActionChoices", [(a.name, a.value) for a in Action])
TimelinessChoices = models.TextChoices("TimelinessChoices", [(t.name, t.value) for t in Timeliness])


class ResultKind(models.TextChoices):
    APPROVED = "approved", "Giải quyết"
    REFUSED = "refused", "Từ chối giải quyết"


class PaymentMethod(models.TextChoices):
    ONLINE = "online", "Trực tuyến"
    COUNTER = "counter", "Tại quầy"


class Dossier(models.Model):
    code = models.CharField(max_length=64, unique=True)
    procedure = models.ForeignKey("catalog.Procedure", on_delete=models.PROTECT, related_name="dossiers")
    # The agency that received it (its code is in `code`) and the one handling it now.
    # Single-column FK indexes are left out where a composite index below starts with the column
    # (or nothing reads by it): every index is paid for on each intake.
    receiving_agency = models.ForeignKey(
        "agencies.Agency", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="dossiers", db_index=False)
    # Snapshot of the offering at intake, so statistics of a period keep the level and the
    # Decree 42/2022 class of the time.
    online_level = models.PositiveSmallIntegerField()
    service_class = models.CharField(max_length=8, choices=ServiceClass.choices)
    processing_days = models.DecimalField(max_digits=6, decimal_places=2)
    channel = models.CharField(max_length=8, choices=Channel.choices)
    status = models.CharField(max_length=24, choices=StatusChoices.choices)
    version = models.PositiveIntegerField(default=1)

    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="dossiers",
        db_index=False,
    )
    applicant_type = models.CharField(max_length=12, choices=ApplicantType.choices)
    applicant_name = models.CharField(max_length=255)
    # What the queue's name search compares (apps/common/search.py): computed by the database on
    # every write, so no code path can forget it, and a search never folds millions of names.
    applicant_name_folded = models.GeneratedField(
        expression=Fold("applicant_name"), output_field=models.CharField(max_length=255), db_persist=True
    )
    applicant_id_number = models.CharField(max_length=20)
    applicant_birth_date = models.DateField(null=True, blank=True)
    applicant_phone = models.CharField(max_length=20, blank=True)
    applicant_email = models.EmailField(blank=True)
    applicant_address = models.CharField(max_length=500, blank=True)
    form_data = models.JSONField(default=dict, blank=True)

    submitted_at = models.DateTimeField()
    received_at = models.DateTimeField(null=True, blank=True)
    # The legal due time, moved only by supplement pauses; timeliness is measured against it.
    due_at = models.DateTimeField(null=True, blank=True)
    # The appointment the applicant holds: due_at, or the later date of an apology.
    appointment_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    returned_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True, help_text="Returned, rejected or withdrawn at")
    timeliness = models.CharField(max_length=8, choices=TimelinessChoices.choices, blank=True)
    rejected_at_intake = models.BooleanField(default=False)

    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    result = models.CharField(max_length=8, choices=ResultKind.choices, blank=True)
    result_note = models.TextField(blank=True)
    fee_amount = models.DecimalField(max_digits=14, decimal_places=0, null=True, blank=True)
    payment_method = models.CharField(max_length=8, choices=PaymentMethod.choices, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(channel__in=Channel.values), name="dossier_channel_valid"),
            models.CheckConstraint(condition=Q(status__in=[s.value for s in Status]), name="dossier_status_valid"),
            models.CheckConstraint(
                condition=Q(status__in=[Status.SUBMITTED, Status.REJECTED, Status.WITHDRAWN])
                | Q(received_at__isnull=False, due_at__isnull=False),
                name="dossier_received_has_deadline",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=[Status.RESOLVED, Status.RETURNED]) | ~Q(timeliness=""),
                name="dossier_resolved_has_timeliness",
            ),
            models.CheckConstraint(condition=Q(online_level__gte=1, online_level__lte=4), name="dossier_level_1_4"),
            models.CheckConstraint(condition=Q(service_class__in=ServiceClass.values), name="dossier_class_valid"),
        ]
        indexes = [
            # Clerk queues: an agency's open dossiers by status, soonest due first.
            models.Index(fields=["agency", "status", "due_at", "id"], name="dossier_queue_idx"),
            # The default queue (all active states, soonest due first) reads only open work.
            models.Index(
                fields=["agency", "due_at", "id"], condition=Q(status__in=ACTIVE_STATUSES),
                name="dossier_active_queue_idx",
            ),
            models.Index(fields=["agency", "received_at"], name="dossier_agency_received_idx"),
            # "Which procedures have the most overdue dossiers" (the dashboard): an index-only range
            # scan over the running clocks due before T. `due_at IS NOT NULL` in the predicate keeps
            # the planner from taking it for an agency queue sorted by due_at (queues do not filter
            # on due_at); "due before T" implies it.
            models.Index(
                fields=["due_at"], include=["procedure", "agency", "online_level"],
                condition=Q(status__in=[s.value for s in Status if s in CLOCK_RUNNING], due_at__isnull=False),
                name="dossier_overdue_idx",
            ),
            # Read-only access of the agency that received a dossier another agency holds now
            # (`transferred_out`): only transferred dossiers are in it, so intake pays nothing.
            models.Index(
                fields=["receiving_agency", "due_at"], condition=~Q(receiving_agency=models.F("agency")),
                name="dossier_received_elsewhere_idx",
            ),
            models.Index(fields=["applicant", "-submitted_at"], name="dossier_applicant_idx"),
            models.Index(fields=["applicant_id_number"], name="dossier_applicant_idno_idx"),
            models.Index(fields=["assigned_to", "status", "due_at"], name="dossier_assignee_idx"),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def etag(self) -> str:
        return f'"{self.pk}.{self.version}"'


class CurrentTransactionId(models.Func):
    """The writing transaction's id (PostgreSQL), so readers can tell which events are surely
    committed: an id below the oldest running transaction can no longer appear late."""

    output_field = models.BigIntegerField()
    template = "NULL"  # SQLite (embedded mode) has a single writer: ordering by id is enough there

    def as_postgresql(self, compiler, connection, **extra_context):
        return "(pg_current_xact_id()::text::bigint)", []


class DossierEvent(models.Model):
    """One immutable row per action (DESIGN.md section 2); never updated or deleted.

    PostgreSQL enforces the immutability with a trigger (migration 0002).
    """

    dossier = models.ForeignKey(Dossier, on_delete=models.PROTECT, related_name="events")
    action = models.CharField(max_length=24, choices=ActionChoices.choices)
    from_status = models.CharField(max_length=24, blank=True)
    to_status = models.CharField(max_length=24)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_role = models.CharField(max_length=20)
    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()
    payload = models.JSONField(default=dict, blank=True)
    txid = models.BigIntegerField(null=True, editable=False, db_default=CurrentTransactionId())

    class Meta:
        ordering = ("id",)
        indexes = [
            models.Index(fields=["dossier", "id"], name="event_dossier_idx"),
            models.Index(fields=["txid", "id"], name="event_feed_idx"),
            # Which dossiers were transferred to an agency (it keeps read-only access to them).
            models.Index(fields=["agency", "dossier"], condition=Q(action="transfer"), name="event_transfer_to_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.dossier_id} {self.action} {self.from_status}->{self.to_status}"


class DossierPause(models.Model):
    """A supplement request: the clock stops from `started_at` until `ended_at`."""

    dossier = models.ForeignKey(Dossier, on_delete=models.PROTECT, related_name="pauses")
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField()
    requested_items = models.JSONField(default=list)
    due_at_before = models.DateTimeField()
    due_at_after = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("started_at", "id")
        constraints = [
            models.UniqueConstraint(
                fields=["dossier"], condition=Q(ended_at__isnull=True), name="pause_one_open_per_dossier"
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=models.F("started_at")), name="pause_ordered"
            ),
        ]


class DossierDocument(models.Model):
    class Stage(models.TextChoices):
        INTAKE = "intake", "Tiếp nhận"
        SUPPLEMENT = "supplement", "Bổ sung"
        RESULT = "result", "Kết quả"

    dossier = models.ForeignKey(Dossier, on_delete=models.PROTECT, related_name="documents")
    document_type = models.CharField(max_length=40, blank=True)
    stage = models.CharField(max_length=12, choices=Stage.choices, default=Stage.INTAKE)
    file = models.FileField(upload_to="dossiers/%Y/%m/%d/", max_length=300)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField()

    class Meta:
        ordering = ("id",)


class CodeCounter(models.Model):
    """Last sequence number used per receiving agency per local day (gapless code allocation)."""

    agency = models.ForeignKey("agencies.Agency", on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    last_value = models.PositiveIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["agency", "day"], name="code_counter_agency_day")]


class IdempotencyRecord(models.Model):
    """First response to a create with an Idempotency-Key, per client; replayed for the same body."""

    client = models.CharField(max_length=80)  # "user:<id>" or "portal:<key id>"
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    # Claimed (inserted) first in the create transaction, filled in before it commits.
    dossier = models.ForeignKey(Dossier, null=True, on_delete=models.CASCADE, related_name="+")
    response_status = models.PositiveSmallIntegerField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["client", "key"], name="idempotency_client_key")]
