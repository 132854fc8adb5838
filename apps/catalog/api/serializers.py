from rest_framework import serializers

from apps.common.labels import LabelField, level_label, service_class_label

from ..models import DocumentType, Field, Offering, Procedure


class FieldSerializer(serializers.ModelSerializer):
    class Meta:
        model = Field
        fields = ("code", "name")


class DocumentTypeSerializer(serializers.ModelSerializer):
    class Meta:
        model = DocumentType
        fields = ("code", "name", "required")


class ProcedureSerializer(serializers.ModelSerializer):
    field = FieldSerializer(read_only=True)
    document_types = DocumentTypeSerializer(many=True, read_only=True)
    online_level_label = LabelField(level_label, source="online_level")
    service_class_label = LabelField(service_class_label, source="service_class")

    class Meta:
        model = Procedure
        fields = (
            "code", "name", "field", "online_level", "online_level_label", "service_class", "service_class_label",
            "processing_days", "fee",
            "description", "is_active", "document_types",
        )


class OfferingSerializer(serializers.ModelSerializer):
    agency = serializers.SlugRelatedField(slug_field="code", read_only=True)
    agency_name = serializers.CharField(source="agency.name", read_only=True)
    procedure = serializers.SlugRelatedField(slug_field="code", read_only=True)
    procedure_name = serializers.CharField(source="procedure.name", read_only=True)
    processing_days = serializers.DecimalField(
        source="effective_processing_days", max_digits=6, decimal_places=2, read_only=True
    )
    online_level_label = LabelField(level_label, source="online_level")
    service_class_label = LabelField(service_class_label, source="service_class")

    class Meta:
        model = Offering
        fields = (
            "agency", "agency_name", "procedure", "procedure_name", "online_level", "online_level_label",
            "service_class", "service_class_label",
            "processing_days", "valid_from", "valid_to", "is_active",
        )
