"""Request and response shapes of the dossier API; validation of shape only, rules live in services."""
from __future__ import annotations

import json
from datetime import date

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.accounts.models import ApplicantType
from apps.common.fields import AwareDateTimeField, CharField, EmailField, NFCCharField, RegexField
from apps.common.labels import (
    LabelField,
    action_label,
    channel_label,
    dossier_status_label,
    event_status_label,
    level_label,
    service_class_label,
    status_label,
    timeliness_label,
)
from apps.common.serializers import CachedFieldsMixin
from onestop.lifecycle import Actor, Status, allowed_actions, is_overdue
from onestop.text import nfc  # noqa: F401  (re-exported: views normalise query text with it)

from ..models import Channel, Dossier, DossierDocument, DossierEvent, PaymentMethod, ResultKind
from ..payloads import event_payload, payload_json

REGISTER_CHANNELS = [(Channel.COUNTER.value, Channel.COUNTER.label), (Channel.POST.value, Channel.POST.label)]
RETURN_METHODS = [("counter", "Tại quầy"), ("post", "Bưu chính"), ("online", "Trực tuyến")]
MAX_FORM_BYTES = 64 * 1024
MAX_FORM_DEPTH = 6


def _deeper_than(value, limit: int) -> bool:
    """True when dicts/lists nest more than `limit` levels. Iterative, and stops at the limit: a
    recursive walk of a few hundred levels (which json.loads accepts) would raise RecursionError."""
    stack = [(value, 0)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, (dict, list)):
            if level >= limit:
                return True
            stack.extend((child, level + 1) for child in (item.values() if isinstance(item, dict) else item))
    return False


def _holds_nul(value) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if any("\x00" in key for key in item):
                return True
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, str) and "\x00" in item:
            return True
    return False


class ApplicantSerializer(CachedFieldsMixin, serializers.Serializer):
    """The person or organisation the dossier is for."""

    applicant_type = serializers.ChoiceField(choices=ApplicantType.choices, default=ApplicantType.CITIZEN)
    name = NFCCharField(max_length=255)
    id_number = RegexField(r"^[0-9A-Za-z.\-]{6,20}$", help_text="CCCD, tax code or agency code")
    birth_date = serializers.DateField(required=False, allow_null=True)
    phone = RegexField(r"^\+?[0-9 ]{8,20}$", required=False, allow_blank=True, default="")
    email = EmailField(required=False, allow_blank=True, default="")
    address = NFCCharField(multiline=True, max_length=500, required=False, allow_blank=True, default="")

    def validate_birth_date(self, value):
        if value is not None and not date(1900, 1, 1) <= value <= timezone.localdate():
            raise serializers.ValidationError("Not a possible birth date.", code="invalid")
        return value


class IntakeSerializer(CachedFieldsMixin, serializers.Serializer):
    """A dossier filed online: the agency and procedure, the applicant, the form's data."""

    agency = CharField(max_length=40, help_text="Code of the receiving agency")
    procedure = CharField(max_length=40, help_text="National procedure code")
    applicant = ApplicantSerializer(required=False, help_text="Defaults to the signed-in applicant's profile")
    form_data = serializers.DictField(required=False, default=dict)
    note = NFCCharField(multiline=True, max_length=2000, required=False, allow_blank=True, default="")

    def validate_form_data(self, value):
        return checked_form_data(value)


def checked_form_data(value):
    if _deeper_than(value, MAX_FORM_DEPTH):  # first: json.dumps recurses too
        raise serializers.ValidationError("Form data is nested too deeply.", code="max_depth")
    text = json.dumps(value, ensure_ascii=False)
    if len(text.encode()) > MAX_FORM_BYTES:
        raise serializers.ValidationError("Form data is larger than 64 KB.", code="max_size")
    if _holds_nul(value):  # PostgreSQL's jsonb cannot store it: a driver error otherwise
        raise serializers.ValidationError("Form data contains a NUL character.", code="null_characters_not_allowed")
    return value


class RegisterSerializer(IntakeSerializer):
    """A dossier received at the counter or by post, registered by a clerk."""

    applicant = ApplicantSerializer()
    channel = serializers.ChoiceField(choices=REGISTER_CHANNELS)
    received_at = AwareDateTimeField(required=False, help_text="Defaults to now; never in the future")


class DossierDocumentSerializer(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = DossierDocument
        fields = ("id", "document_type", "stage", "original_name", "content_type", "size", "sha256",
                  "uploaded_at", "download_url")

    def get_download_url(self, document: DossierDocument) -> str:
        return f"/api/v1/dossiers/{document.dossier_id}/documents/{document.pk}/download/"


class DossierSerializer(CachedFieldsMixin, serializers.ModelSerializer):
    """A dossier as its applicant or a clerk sees it, with the actions the caller may take now."""

    procedure = serializers.SlugRelatedField(slug_field="code", read_only=True)
    procedure_name = serializers.CharField(source="procedure.name", read_only=True)
    agency = serializers.SlugRelatedField(slug_field="code", read_only=True)
    agency_name = serializers.CharField(source="agency.name", read_only=True)
    receiving_agency = serializers.SlugRelatedField(slug_field="code", read_only=True)
    assigned_to = serializers.SlugRelatedField(slug_field="username", read_only=True)
    received_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    overdue = serializers.SerializerMethodField()
    allowed_actions = serializers.SerializerMethodField()
    status_label = LabelField(dossier_status_label, source="*")
    channel_label = LabelField(channel_label, source="channel")
    online_level_label = LabelField(level_label, source="online_level")
    service_class_label = LabelField(service_class_label, source="service_class")
    timeliness_label = LabelField(timeliness_label, source="timeliness")
    allowed_action_labels = serializers.SerializerMethodField()

    class Meta:
        model = Dossier
        fields = (
            "id", "code", "status", "channel", "procedure", "procedure_name", "online_level", "service_class",
            "processing_days",
            "agency", "agency_name", "receiving_agency", "applicant_type", "applicant_name", "applicant_id_number",
            "applicant_birth_date", "applicant_phone", "applicant_email", "applicant_address", "form_data",
            "submitted_at", "received_at", "due_at", "appointment_at", "resolved_at", "returned_at", "closed_at",
            "timeliness", "overdue", "result", "result_note", "fee_amount", "payment_method", "paid_at",
            "received_by", "assigned_to", "version", "allowed_actions",
            "status_label", "channel_label", "online_level_label", "service_class_label", "timeliness_label",
            "allowed_action_labels",
        )
        read_only_fields = fields

    def get_overdue(self, dossier: Dossier) -> bool:
        return is_overdue(dossier.status, dossier.due_at, timezone.now())

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_allowed_actions(self, dossier: Dossier) -> list[str]:
        actors: frozenset[Actor] = self.context.get("actors_for", lambda d: frozenset())(dossier)
        return [str(a) for a in allowed_actions(Status(dossier.status), actors)]

    @extend_schema_field(serializers.DictField(child=serializers.CharField()))
    def get_allowed_action_labels(self, dossier: Dossier) -> dict[str, str]:
        """Each allowed action's label, in the request's language ({"accept": "Tiếp nhận", …})."""
        return {action: action_label(action) for action in self.get_allowed_actions(dossier)}


class DossierListSerializer(serializers.ModelSerializer):
    procedure = serializers.SlugRelatedField(slug_field="code", read_only=True)
    agency = serializers.SlugRelatedField(slug_field="code", read_only=True)
    assigned_to = serializers.SlugRelatedField(slug_field="username", read_only=True)
    status_label = LabelField(dossier_status_label, source="*")
    channel_label = LabelField(channel_label, source="channel")
    timeliness_label = LabelField(timeliness_label, source="timeliness")

    class Meta:
        model = Dossier
        fields = ("id", "code", "status", "channel", "procedure", "agency", "applicant_name", "submitted_at",
                  "received_at", "due_at", "appointment_at", "resolved_at", "timeliness", "assigned_to", "version",
                  "status_label", "channel_label", "timeliness_label")
        read_only_fields = fields


@extend_schema_field(serializers.DictField(help_text="What the action recorded (its typed payload)"))
class EventPayloadField(serializers.Field):
    """An event's payload read through its type, instants in local time."""

    def __init__(self, **kwargs):
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, event: DossierEvent):
        return payload_json(event_payload(event))


class DossierEventSerializer(serializers.ModelSerializer):
    actor = serializers.SlugRelatedField(slug_field="username", read_only=True)
    agency = serializers.SlugRelatedField(slug_field="code", read_only=True)
    payload = EventPayloadField()
    action_label = LabelField(action_label, source="action")
    from_status_label = LabelField(status_label, source="from_status")
    to_status_label = LabelField(event_status_label, source="*")

    class Meta:
        model = DossierEvent
        fields = ("id", "action", "from_status", "to_status", "actor", "actor_role", "agency", "at", "payload",
                  "action_label", "from_status_label", "to_status_label")
        read_only_fields = fields


class LookupSerializer(serializers.ModelSerializer):
    procedure_name = serializers.CharField(source="procedure.name")
    agency_name = serializers.CharField(source="agency.name")
    status_label = LabelField(dossier_status_label, source="*")

    class Meta:
        model = Dossier
        fields = ("code", "status", "status_label", "procedure_name", "agency_name", "received_at", "appointment_at",
                  "resolved_at", "returned_at")
        read_only_fields = fields


# --- action payloads ---------------------------------------------------------------------------


class EmptySerializer(serializers.Serializer):
    pass


class ReasonSerializer(serializers.Serializer):
    reason = NFCCharField(multiline=True, max_length=2000)


class OptionalReasonSerializer(serializers.Serializer):
    reason = NFCCharField(multiline=True, max_length=2000, required=False, allow_blank=True, default="")


class AssignSerializer(serializers.Serializer):
    assignee = CharField(max_length=150, help_text="Username of a staff member of the agency")


class SupplementRequestSerializer(serializers.Serializer):
    reason = NFCCharField(multiline=True, max_length=2000)
    document_types = serializers.ListField(
        child=CharField(max_length=40), max_length=50, required=False, default=list,
        help_text="Codes of the procedure's document types to bring again (the supplement must bring each)",
    )
    items = serializers.ListField(
        child=NFCCharField(max_length=500), max_length=50, required=False, default=list,
        help_text="Free-text items (information; answered with form data or a note)",
    )

    def validate(self, attrs):
        if not attrs["document_types"] and not attrs["items"]:
            raise serializers.ValidationError(
                {"items": ["Name what is missing: document_types and/or items."]}, code="required"
            )
        return attrs


class SupplementSerializer(serializers.Serializer):
    note = NFCCharField(multiline=True, max_length=2000, required=False, allow_blank=True, default="")
    form_data = serializers.DictField(required=False, default=dict,
                                      help_text="Fields to add to or correct in the dossier's form data")

    def validate_form_data(self, value):
        return checked_form_data(value)


class TransferSerializer(serializers.Serializer):
    agency = CharField(max_length=40)
    reason = NFCCharField(multiline=True, max_length=2000)


class ApologiseSerializer(serializers.Serializer):
    reason = NFCCharField(multiline=True, max_length=2000)
    new_appointment = AwareDateTimeField()


class FeeItemSerializer(serializers.Serializer):
    name = NFCCharField(max_length=255)
    amount = serializers.DecimalField(max_digits=14, decimal_places=0, min_value=0)


class PaymentRequestSerializer(serializers.Serializer):
    amount = serializers.DecimalField(max_digits=14, decimal_places=0, min_value=1)
    items = FeeItemSerializer(many=True, required=False, default=list)


class PaymentConfirmSerializer(serializers.Serializer):
    method = serializers.ChoiceField(choices=PaymentMethod.choices)
    reference = CharField(max_length=100, required=False, allow_blank=True, default="")


class ResolveSerializer(serializers.Serializer):
    result = serializers.ChoiceField(choices=ResultKind.choices)
    note = NFCCharField(multiline=True, max_length=4000, required=False, allow_blank=True, default="")


class ReturnSerializer(serializers.Serializer):
    method = serializers.ChoiceField(choices=RETURN_METHODS)
    note = NFCCharField(multiline=True, max_length=2000, required=False, allow_blank=True, default="")
