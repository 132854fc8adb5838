from rest_framework import serializers

from ..models import Agency


class AgencySerializer(serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(slug_field="code", read_only=True)
    successor = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Agency
        fields = (
            "code", "name", "tier", "parent", "address", "phone", "email",
            "valid_from", "valid_to", "successor", "is_active",
        )
        read_only_fields = fields
