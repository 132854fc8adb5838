"""Payments opened at a gateway for a dossier's request_payment, and every message the gateway sent."""
from django.db import models
from django.db.models import Q


class PaymentStatus(models.TextChoices):
    PENDING = "pending", "Chờ thanh toán"
    PAID = "paid", "Đã thanh toán"
    FAILED = "failed", "Không thành công hoặc đã hủy"
    SUPERSEDED = "superseded", "Thay bằng yêu cầu nộp phí mới"
    # Paid at the gateway after the dossier stopped awaiting payment (paid at the counter meanwhile,
    # withdrawn): recorded, not applied; the money is to be refunded.
    REFUND_DUE = "refund_due", "Đã thu nhưng hồ sơ không còn chờ nộp phí (cần hoàn tiền)"


class Payment(models.Model):
    dossier = models.ForeignKey("dossiers.Dossier", on_delete=models.PROTECT, related_name="+")
    request_event = models.ForeignKey("dossiers.DossierEvent", on_delete=models.PROTECT, related_name="+")
    attempt = models.PositiveSmallIntegerField(default=1)
    gateway = models.CharField(max_length=20)
    txn_ref = models.CharField(max_length=100, unique=True)  # <dossier code>-<event id>-<attempt>
    token = models.CharField(max_length=64, unique=True)  # the applicant's payment link
    amount = models.DecimalField(max_digits=14, decimal_places=0)  # VND
    order_info = models.CharField(max_length=255)
    status = models.CharField(max_length=12, choices=PaymentStatus.choices, default=PaymentStatus.PENDING)
    created_at = models.DateTimeField()
    gateway_created_at = models.DateTimeField(null=True, blank=True)  # the last signed redirect's create date
    settled_at = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    transaction_no = models.CharField(max_length=40, blank=True)
    bank_code = models.CharField(max_length=20, blank=True)
    response_code = models.CharField(max_length=8, blank=True)
    last_checked_at = models.DateTimeField(null=True, blank=True)
    checks = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ("id",)
        constraints = [
            models.UniqueConstraint(fields=["dossier"], condition=Q(status="pending"),
                                    name="payment_one_pending_per_dossier"),
            models.UniqueConstraint(fields=["request_event", "attempt"], name="payment_event_attempt"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
        ]
        indexes = [models.Index(fields=["created_at"], condition=Q(status="pending"), name="payment_pending_idx")]

    def __str__(self) -> str:
        return self.txn_ref


class GatewayMessage(models.Model):
    """What the gateway told us (IPN, return redirect, query answer) and what we answered: the log
    of every callback, the rejected ones (bad signature, wrong amount) included."""

    class Source(models.TextChoices):
        IPN = "ipn", "IPN callback"
        RETURN = "return", "Browser return"
        QUERY = "query", "Reconciliation query"

    payment = models.ForeignKey(Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="messages")
    source = models.CharField(max_length=8, choices=Source.choices)
    txn_ref = models.CharField(max_length=100, blank=True)
    fields = models.JSONField(default=dict)
    outcome = models.CharField(max_length=20)
    note = models.CharField(max_length=500, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("id",)
        indexes = [models.Index(fields=["txn_ref", "id"], name="gateway_message_ref_idx")]
