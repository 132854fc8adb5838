from rest_framework import serializers

from apps.common.labels import LabelField, tier_label

from ..models import Agency


class AgencySerializer(serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(slug_field="code", read_only=True)
    successor = serializers.SlugRelatedField(slug_field="code", read_only=True)
    tier_label = LabelField(tier_label, source="tier")

    class Meta:
        model = Agency
        fields = (
            "code", "name", "tier", "tier_label", "parent", "address", "phone", "email",
            "valid_from", "valid_to", "successor", "is_active",
        )
        read_only_fields = fields
