from rest_framework import serializers

from ..models import AuditEntry


class AuditEntrySerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor_username", help_text="Username at the time of the entry")

    class Meta:
        model = AuditEntry
        fields = (
            "id", "at", "actor", "actor_id", "action", "object_type", "object_id", "dossier_code", "request_id",
            "ip", "detail",
        )
