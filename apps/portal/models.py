"""National portal integration: the outbox of status changes to deliver, and the portal's API keys."""
from django.db import models
from django.db.models import Q


class OutboxStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DELIVERED = "delivered", "Delivered"
    DEAD = "dead", "Dead (needs an administrator)"


#: Rows that still hold back the later rows of their dossier (delivery is in order per dossier).
UNDELIVERED = (OutboxStatus.PENDING.value, OutboxStatus.DEAD.value)


class OutboxMessage(models.Model):
    """One message per dossier event, written in the event's transaction (transactional outbox).

    Delivered in order per dossier, at least once, with the event id as idempotency key. A dead row
    blocks the later rows of its dossier until an administrator replays it (order over liveness).
    `next_attempt_at` NULL means "due now" (a fresh row), so enqueueing writes no extra value.
    """

    event = models.OneToOneField("dossiers.DossierEvent", on_delete=models.PROTECT, related_name="outbox")
    dossier = models.ForeignKey("dossiers.Dossier", on_delete=models.PROTECT, related_name="+", db_index=False)
    kind = models.CharField(max_length=40, default="DongBoHoSoMC")
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=OutboxStatus.choices, default=OutboxStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("id",)
        indexes = [
            # The drain scans pending rows oldest first (ids grow with time).
            models.Index(fields=["id"], condition=Q(status="pending"), name="outbox_pending_id_idx"),
            # "Is there an earlier undelivered row of this dossier?": one probe of a small index,
            # since delivered rows (nearly all of them) leave it.
            models.Index(
                fields=["dossier", "id"], condition=Q(status__in=UNDELIVERED), name="outbox_undelivered_idx"
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=["pending", "delivered", "dead"]), name="outbox_status_valid")
        ]

    def __str__(self) -> str:
        return f"outbox {self.pk} event {self.event_id} {self.status}"


class PortalKey(models.Model):
    """A key the portal signs its requests with (HMAC-SHA256); managed in the admin.

    The secret is stored as given because verifying an HMAC needs it; rotate by adding a new key
    and deactivating (or expiring) the old one.
    """

    key_id = models.CharField(max_length=64, unique=True)
    secret = models.CharField(max_length=128, help_text="Shared secret; rotate by adding a new key")
    name = models.CharField(max_length=255, blank=True)
    is_active = models.BooleanField(default=True)
    valid_until = models.DateTimeField(null=True, blank=True, help_text="Refused after this instant (rotation)")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.key_id


class PortalSignature(models.Model):
    """An inbound signature already accepted: replay protection that survives a Redis flush or restart.

    Inserted (unique on key and signature) before a signed request runs, so of two identical requests,
    even in parallel, one gets past authentication and the other is a replay. A row outlives the
    window in which its timestamp could still pass (PORTAL_SIGNATURE_MAX_SKEW, twice over for clock
    drift between web servers); the beat job `portal.purge_signatures` deletes it after `expires_at`.
    """

    key_id = models.CharField(max_length=64)
    signature = models.CharField(max_length=64, help_text="hex HMAC-SHA256, lower case")
    expires_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["key_id", "signature"], name="portal_signature_once")]
        indexes = [models.Index(fields=["expires_at"], name="portal_signature_expiry_idx")]

    def __str__(self) -> str:
        return f"{self.key_id}:{self.signature[:12]}…"
