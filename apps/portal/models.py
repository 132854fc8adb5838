"""National portal integration: the outbox of status changes to deliver, and the portal's API keys."""
from django.db import models
from django.db.models import Q


class OutboxStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DELIVERED = "delivered", "Delivered"
    DEAD = "dead", "Dead (needs an administrator)"


class OutboxMessage(models.Model):
    """One message per dossier event, written in the event's transaction (transactional outbox).

    Delivered in order per dossier, at least once, with the event id as idempotency key.
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
            models.Index(fields=["dossier", "id"], name="outbox_dossier_idx"),
            # Only undelivered rows are ever scanned by the drain.
            models.Index(
                fields=["next_attempt_at", "id"], condition=Q(status="pending"), name="outbox_pending_idx"
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=["pending", "delivered", "dead"]), name="outbox_status_valid")
        ]

    def __str__(self) -> str:
        return f"outbox {self.pk} event {self.event_id} {self.status}"


class PortalKey(models.Model):
    """A key the portal signs its requests with (HMAC-SHA256); managed in the admin."""

    key_id = models.CharField(max_length=64, unique=True)
    secret = models.CharField(max_length=128, help_text="Shared secret; rotate by adding a new key")
    name = models.CharField(max_length=255, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.key_id
