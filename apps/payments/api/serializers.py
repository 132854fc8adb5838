from rest_framework import serializers

from ..models import Payment
from ..services import payment_url


class PaymentSerializer(serializers.ModelSerializer):
    dossier_code = serializers.CharField(source="dossier.code", read_only=True)
    payment_url = serializers.SerializerMethodField(help_text="Open in the applicant's browser to pay (pending only)")

    class Meta:
        model = Payment
        fields = ("id", "dossier", "dossier_code", "gateway", "txn_ref", "amount", "status", "payment_url",
                  "created_at", "paid_at", "transaction_no")
        read_only_fields = fields

    def get_payment_url(self, payment: Payment) -> str | None:
        return payment_url(payment) if payment.status in ("pending", "failed") else None


class GatewayAnswerSerializer(serializers.Serializer):
    RspCode = serializers.CharField(help_text="00 confirmed, 01 unknown order, 02 already confirmed, "
                                              "04 wrong amount, 97 bad signature, 99 other error")
    Message = serializers.CharField()
