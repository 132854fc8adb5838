"""The audit log: who read a dossier's personal data or changed something in the admin, and when.

Append-only: on PostgreSQL a trigger refuses UPDATE and DELETE (migration 0002), and nothing in the
code writes a row except `services.audit_record`. The actor is kept by id and by name (no foreign
key constraint), so deleting a user neither cascades into the log nor is blocked by it.
"""
from django.conf import settings
from django.db import models
from django.utils import timezone


class AuditAction(models.TextChoices):
    DOSSIER_READ = "dossier.read", "Read a dossier"
    DOSSIER_HISTORY = "dossier.history", "Read a dossier's history"
    DOSSIER_DOCUMENTS = "dossier.documents", "Listed a dossier's documents"
    DOSSIER_DOCUMENT_DOWNLOAD = "dossier.document_download", "Downloaded a dossier document"
    DOSSIER_RECEIPT = "dossier.receipt", "Read a dossier's receipt"
    DOSSIER_FORM = "dossier.form", "Rendered a dossier form (PDF)"
    DOSSIER_SEARCH = "dossier.search", "Searched dossiers (code, name or ID number)"
    DOSSIER_EXPORT = "dossier.export", "Exported dossiers (CSV)"
    ADMIN_ADD = "admin.add", "Admin: added"
    ADMIN_CHANGE = "admin.change", "Admin: changed"
    ADMIN_DELETE = "admin.delete", "Admin: deleted"
    ADMIN_ACTION = "admin.action", "Admin: ran an action"


class AuditEntry(models.Model):
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.DO_NOTHING, db_constraint=False,
        related_name="+",
    )
    actor_username = models.CharField(max_length=150)
    action = models.CharField(max_length=32, choices=AuditAction.choices)
    object_type = models.CharField(max_length=100, help_text="app_label.model, e.g. dossiers.dossier")
    object_id = models.CharField(max_length=64, blank=True)
    dossier_code = models.CharField(max_length=64, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = "audit entry"
        verbose_name_plural = "audit log"
        indexes = [
            models.Index(fields=["-at", "-id"], name="audit_at_idx"),
            models.Index(fields=["actor", "-id"], name="audit_actor_idx"),
            models.Index(fields=["object_type", "object_id", "-id"], name="audit_object_idx"),
            models.Index(
                fields=["dossier_code", "-id"], name="audit_dossier_idx", condition=~models.Q(dossier_code="")
            ),
        ]

    def __str__(self) -> str:
        at = timezone.localtime(self.at)
        return f"{at:%Y-%m-%d %H:%M:%S} {self.actor_username} {self.action} {self.object_type}:{self.object_id}"
