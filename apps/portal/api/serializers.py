"""Shapes of the portal API. Validation of shape only; intake rules stay in dossiers.services."""
from __future__ import annotations

import math

from django.conf import settings
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.catalog.api.serializers import ProcedureSerializer
from apps.catalog.models import ServiceClass
from apps.common.fields import CharField
from apps.dossiers.api.serializers import ApplicantSerializer, EventPayloadField, IntakeSerializer
from onestop.lifecycle import Status, portal_status


class PortalDocumentSerializer(serializers.Serializer):
    document_type = CharField(max_length=40, help_text="Document type code of the procedure")
    name = CharField(max_length=255, required=False, default="document.pdf")
    content_base64 = CharField(
        help_text="The file, base64 (RFC 4648); same size and type limits as uploads",
        max_length=math.ceil(settings.UPLOAD_MAX_BYTES / 3) * 4 + 4,
        trim_whitespace=False,
    )


class PortalIntakeSerializer(IntakeSerializer):
    """An applicant's intake body, with the applicant required and documents inline (base64).

    Documents are sent in the body rather than by URL so nothing is fetched over the network at run
    time; the whole body is bounded by DATA_UPLOAD_MAX_MEMORY_SIZE (413 beyond it).
    """

    applicant = ApplicantSerializer()
    documents = PortalDocumentSerializer(many=True, required=False, default=list,
                                         max_length=settings.PORTAL_MAX_DOCUMENTS)


class ChangeSerializer(serializers.Serializer):
    cursor = serializers.CharField(source="feed_cursor", help_text="Resume right after this event")
    event_id = serializers.IntegerField(source="id", help_text="Also the outbound idempotency key")
    dossier = serializers.CharField(source="dossier.code")
    procedure = serializers.CharField(source="dossier.procedure.code")
    agency = serializers.CharField(source="agency.code", help_text="Agency handling the dossier after the event")
    action = serializers.CharField()
    from_status = serializers.CharField()
    to_status = serializers.CharField()
    portal_status = serializers.SerializerMethodField(help_text="TrangThaiHoSo after the event")
    actor_role = serializers.CharField()
    at = serializers.DateTimeField()
    payload = EventPayloadField()

    def get_portal_status(self, event) -> int:
        return portal_status(Status(event.to_status), rejected_at_intake=bool(event.payload.get("at_intake")))


class ChangePageSerializer(serializers.Serializer):
    results = ChangeSerializer(many=True)
    next_cursor = serializers.CharField(allow_null=True, help_text="Pass as `after` to read on")
    has_more = serializers.BooleanField(help_text="More events are ready right now")


class PortalOfferingSerializer(serializers.Serializer):
    agency = serializers.CharField(source="agency.code")
    agency_name = serializers.CharField(source="agency.name")
    online_level = serializers.IntegerField()
    service_class = serializers.ChoiceField(choices=ServiceClass.choices, help_text="Decree 42/2022 class")
    processing_days = serializers.DecimalField(source="effective_processing_days", max_digits=6, decimal_places=2)


class PortalProcedureSerializer(ProcedureSerializer):
    offerings = serializers.SerializerMethodField()

    class Meta(ProcedureSerializer.Meta):
        fields = (*ProcedureSerializer.Meta.fields, "offerings")

    @extend_schema_field(PortalOfferingSerializer(many=True))
    def get_offerings(self, procedure) -> list[dict]:
        return PortalOfferingSerializer(getattr(procedure, "active_offerings", []), many=True).data


class OutboxHealthSerializer(serializers.Serializer):
    status = serializers.CharField(help_text="`ok`, or `degraded` while dead messages wait for a replay or Redis "
                                             "is down")
    redis = serializers.ChoiceField(choices=["up", "down"],
                                    help_text="Redis (cache and task broker) as this web process reaches it")
    pending = serializers.IntegerField()
    dead = serializers.IntegerField()
    oldest_pending_at = serializers.DateTimeField(allow_null=True)
    oldest_pending_age_seconds = serializers.FloatField(allow_null=True)
