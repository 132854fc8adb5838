"""The sent log of forms e-mailed to applicants: one row per (dossier, form, event).

The row is written in the transaction of the action that issues the form (reception, apology),
so the mail cannot be forgotten when a worker or Redis is down after the commit; the unique
constraint and ``sent_at`` make a retried task send it once.
"""
from django.db import models

from .forms import Form


class DocumentMail(models.Model):
    dossier = models.ForeignKey("dossiers.Dossier", on_delete=models.PROTECT, related_name="+", db_index=False)
    event = models.ForeignKey("dossiers.DossierEvent", on_delete=models.PROTECT, related_name="+", db_index=False)
    form = models.CharField(max_length=24, choices=Form.choices)
    to_email = models.EmailField()
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ("id",)
        constraints = [
            models.UniqueConstraint(fields=["dossier", "form", "event"], name="document_mail_once"),
        ]
        indexes = [
            # The retry sweep reads only the (few) unsent rows.
            models.Index(fields=["created_at"], condition=models.Q(sent_at__isnull=True), name="document_mail_pending"),
        ]

    def __str__(self) -> str:
        return f"{self.form} {self.dossier_id} ({self.event_id}) → {self.to_email}"
