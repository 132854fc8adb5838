"""Dossier endpoints: thin; each calls one service or selector."""
from __future__ import annotations

import re
from typing import Any

import django_filters
from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.exceptions import NotFound, ParseError, ValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.permissions import IsApplicant, IsStaffReader
from apps.audit.mixins import AuditedReadMixin
from apps.audit.models import AuditAction
from apps.common.conditional import conditional
from apps.common.filters import BoundedDateFilter, BoundedIntegerFilter, StrictBooleanFilter
from apps.common.numbers import bounded_int
from apps.common.parsers import JSONParser, loads_json
from apps.common.throttling import LookupThrottle, RegistrationThrottle, SubmissionThrottle
from apps.ops.context import note_dossier
from apps.public.links import lookup_page_url
from onestop.errors import DomainError, ErrorCode
from onestop.lifecycle import DOSSIER_ACTIONS, Action, Status

from .. import services
from ..actions import ACTIONS
from ..models import ACTIVE_STATUSES, Channel, Dossier
from ..paging import DossierQueuePagination
from ..selectors import (
    applicant_dossiers,
    dossier_documents,
    dossier_get_visible,
    dossier_history,
    dossier_queue,
    dossier_transferred_out,
    due_within_filter,
    local_day_bounds,
    lookup_by_code,
    overdue_filter,
    search_queue,
)
from ..uploads import CheckedUpload, check_upload
from .serializers import (
    DossierDocumentSerializer,
    DossierEventSerializer,
    DossierListSerializer,
    DossierSerializer,
    IntakeSerializer,
    LookupSerializer,
    RegisterSerializer,
    nfc,
)

IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key", OpenApiTypes.STR, OpenApiParameter.HEADER,
    description="Same key and body replay the first response; same key, other body: 422.",
)
IF_MATCH_HEADER = OpenApiParameter(
    "If-Match", OpenApiTypes.STR, OpenApiParameter.HEADER, description="ETag of the dossier read; 412 if stale."
)
MULTIPART_INTAKE = {
    "multipart/form-data": {
        "type": "object",
        "properties": {"payload": {"type": "string", "description": "The JSON body, as text"}},
        "additionalProperties": {"type": "string", "format": "binary", "description": "file per document type code"},
    }
}


def _caller(request) -> services.Caller:
    return services.Caller.for_user(request.user)


def _with_etag(response: Response, dossier: Dossier) -> Response:
    response["ETag"] = dossier.etag
    return response


def _expected_version(request, dossier_id: int) -> int | None:
    header = request.headers.get("If-Match")
    if not header or header.strip() == "*":
        return None
    match = re.fullmatch(r'(?:W/)?"(\d+)\.(\d+)"', header.strip())
    version = bounded_int(match[2]) if match else None
    if match is None or bounded_int(match[1]) != dossier_id or version is None:
        raise DomainError("If-Match does not name this dossier's ETag.", code=ErrorCode.PRECONDITION_FAILED)
    return version


def _split_intake(request) -> tuple[dict[str, Any], list[CheckedUpload]]:
    """JSON body, or multipart with the JSON in `payload` and one file part per document type."""
    if request.content_type.startswith("multipart/"):
        raw = request.data.get("payload", "{}")
        if isinstance(raw, str) and "\ufffd" in raw:
            # Django decoded bytes that are not UTF-8 to U+FFFD: the text is not what the client sent.
            raise ValidationError({"payload": ["Not valid UTF-8 text."]})
        try:
            body = loads_json(raw)
        except (TypeError, ValueError) as exc:
            raise ValidationError({"payload": ["Not valid JSON."]}) from exc
        if not isinstance(body, dict):
            raise ValidationError({"payload": ["Must be a JSON object."]})
        uploads = [
            check_upload(code, upload, field=f"documents.{code}")
            for code in request.FILES
            for upload in request.FILES.getlist(code)
        ]
        return body, uploads
    if not isinstance(request.data, dict):
        raise ParseError("The body must be a JSON object.")
    return request.data, []


def _applicant_from_profile(user) -> dict[str, Any]:
    return {
        "applicant_type": user.applicant_type or "citizen",
        "name": nfc(user.full_name or user.get_username()),  # profiles made before NFC was enforced, or by admins
        "id_number": user.id_number,
        "phone": user.phone,
        "email": user.email,
    }


def _intake_request(data: dict[str, Any], uploads: list[CheckedUpload]) -> services.IntakeRequest:
    return services.IntakeRequest(
        agency_code=data["agency"],
        procedure_code=data["procedure"],
        applicant=services.ApplicantData(**data["applicant"]),
        form_data=data.get("form_data") or {},
        documents=uploads,
        note=data.get("note", ""),
    )


def _detail_response(request, dossier: Dossier, status_code: int = 200) -> Response:
    caller = _caller(request)
    data = DossierSerializer(dossier, context={"actors_for": caller.actors_on}).data
    return _with_etag(Response(data, status=status_code), dossier)


class DossierFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=[(s.value, s.value) for s in Status])
    channel = django_filters.MultipleChoiceFilter(choices=Channel.choices)
    procedure = django_filters.CharFilter(field_name="procedure__code")
    agency = django_filters.CharFilter(field_name="agency__code")
    assigned_to_me = StrictBooleanFilter(method="filter_mine")
    overdue = StrictBooleanFilter(method="filter_overdue")
    due_within_days = BoundedIntegerFilter(method="filter_due_within", low=0, high=365)
    received_from = BoundedDateFilter(method="filter_received_from", label="Local date, inclusive")
    received_to = BoundedDateFilter(method="filter_received_to", label="Local date, inclusive")
    q = django_filters.CharFilter(method="filter_text", max_length=100, label="Code, applicant name or ID number")
    include_closed = StrictBooleanFilter(
        method="filter_include_closed", label="Also returned, rejected and withdrawn dossiers (default: active only)"
    )
    transferred_out = StrictBooleanFilter(
        method="filter_passed", label="Instead of your agencies' queue: dossiers they received or held that "
        "another agency holds now (read-only)"
    )

    def filter_queryset(self, queryset):
        data = self.form.cleaned_data
        if data.get("transferred_out"):
            queryset = dossier_transferred_out(self.request.user)
        if not data.get("status") and not data.get("include_closed"):
            queryset = queryset.filter(status__in=ACTIVE_STATUSES)
        return super().filter_queryset(queryset)

    def filter_include_closed(self, queryset, name, value):
        return queryset  # applied in filter_queryset, together with `status`

    def filter_passed(self, queryset, name, value):
        return queryset  # `transferred_out` picks the base queryset in filter_queryset

    def filter_mine(self, queryset, name, value):
        return queryset.filter(assigned_to=self.request.user) if value else queryset.exclude(
            assigned_to=self.request.user
        )

    def filter_overdue(self, queryset, name, value):
        return overdue_filter(queryset, value)

    def filter_due_within(self, queryset, name, value):
        if value != int(value):
            raise ValidationError({"due_within_days": ["A whole number of working days."]})
        return due_within_filter(queryset, int(value))

    def filter_received_from(self, queryset, name, value):
        low, _ = local_day_bounds(value, None)
        return queryset.filter(received_at__gte=low)

    def filter_received_to(self, queryset, name, value):
        _, high = local_day_bounds(None, value)
        return queryset.filter(received_at__lt=high)

    def filter_text(self, queryset, name, value):
        return search_queue(queryset, value)


@extend_schema(tags=["dossiers"])
class DossierListCreateView(AuditedReadMixin, generics.ListAPIView):
    """GET: the clerk's queue (their agencies only). POST: an applicant files a dossier online."""

    audit_action = AuditAction.DOSSIER_SEARCH
    serializer_class = DossierListSerializer
    permission_classes = [IsAuthenticated]
    parser_classes = [JSONParser, MultiPartParser]
    filterset_class = DossierFilter
    pagination_class = DossierQueuePagination  # soonest due first, undated (not yet received) last

    def get_permissions(self):
        # The queue is staff's; filing (POST) is judged by the service (applicants and the portal only).
        if self.request.method == "POST":
            return super().get_permissions()
        return [IsAuthenticated(), IsStaffReader()]

    def get_throttles(self):
        return [SubmissionThrottle()] if self.request.method == "POST" else []

    def get_queryset(self):
        return dossier_queue(self.request.user)

    @extend_schema(summary="Clerk queue, soonest due first")
    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        if request.query_params.get("q", "").strip():  # a search for a person (code, name or ID number)
            codes = [row["code"] for row in response.data["results"]]
            self.audit_staff_query(dossier_code=codes[0] if len(codes) == 1 else "", codes=codes)
        return response

    @extend_schema(
        summary="File a dossier online (applicant)",
        parameters=[IDEMPOTENCY_HEADER],
        request={"application/json": IntakeSerializer, **MULTIPART_INTAKE},
        responses={201: DossierSerializer, 200: DossierSerializer},
    )
    def post(self, request):
        services.submitting_actor(_caller(request))  # staff are refused before their body is judged
        body, uploads = _split_intake(request)
        if "applicant" not in body:
            body = {**body, "applicant": _applicant_from_profile(request.user)}
        serializer = IntakeSerializer(data=body)
        serializer.is_valid(raise_exception=True)
        key = request.headers.get("Idempotency-Key")
        result = services.dossier_submit(
            caller=_caller(request),
            request=_intake_request(serializer.validated_data, uploads),
            idempotency_key=key,
            fingerprint=services.request_fingerprint(body, uploads) if key else None,
        )
        return _detail_response(request, result.dossier, 201)


@extend_schema(
    tags=["dossiers"],
    summary="Register a counter or post dossier (clerk): received at once",
    parameters=[IDEMPOTENCY_HEADER],
    request={"application/json": RegisterSerializer, **MULTIPART_INTAKE},
    responses={201: DossierSerializer},
)
class DossierRegisterView(APIView):
    permission_classes = [IsAuthenticated]
    throttle_classes = [RegistrationThrottle]
    parser_classes = [JSONParser, MultiPartParser]

    def post(self, request):
        body, uploads = _split_intake(request)
        serializer = RegisterSerializer(data=body)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        key = request.headers.get("Idempotency-Key")
        result = services.dossier_register(
            caller=_caller(request),
            request=_intake_request(data, uploads),
            channel=data["channel"],
            received_at=data.get("received_at"),
            idempotency_key=key,
            fingerprint=services.request_fingerprint(body, uploads) if key else None,
        )
        return _detail_response(request, result.dossier, 201)


def _visible_or_404(request, pk: int) -> Dossier:
    dossier = dossier_get_visible(request.user, pk)
    if dossier is None:
        raise NotFound("No dossier with this id.")
    note_dossier(request, dossier.code)  # the request's log line names it (apps.ops)
    return dossier


@extend_schema(tags=["dossiers"], summary="One dossier (ETag for If-Match)", responses=DossierSerializer)
class DossierDetailView(AuditedReadMixin, APIView):
    permission_classes = [IsAuthenticated]
    audit_action = AuditAction.DOSSIER_READ

    def get(self, request, pk: int):
        dossier = _visible_or_404(request, pk)
        self.audit_dossier_read(dossier)
        return conditional(request, dossier.etag, lambda: _detail_response(request, dossier))


@extend_schema(tags=["dossiers"], summary="The dossier's full history, oldest first")
class _DossierListRead(AuditedReadMixin, generics.ListAPIView):
    """A list read of one dossier's records: 404 unless visible, audited, the dossier's ETag."""

    permission_classes = [IsAuthenticated]
    cursor_ordering = ("id",)
    queryset = Dossier.objects.none()
    dossier: Dossier

    def get(self, request, *args, **kwargs):
        self.dossier = _visible_or_404(request, kwargs["pk"])
        self.audit_dossier_read(self.dossier)
        respond = super().get
        return conditional(request, self.dossier.etag, lambda: respond(request, *args, **kwargs))


class DossierHistoryView(_DossierListRead):
    serializer_class = DossierEventSerializer
    audit_action = AuditAction.DOSSIER_HISTORY

    def get_queryset(self):
        return dossier_history(self.dossier)


@extend_schema(tags=["dossiers"], summary="Documents attached to the dossier")
class DossierDocumentsView(_DossierListRead):
    serializer_class = DossierDocumentSerializer
    audit_action = AuditAction.DOSSIER_DOCUMENTS

    def get_queryset(self):
        return dossier_documents(self.dossier)


@extend_schema(tags=["dossiers"], summary="Download one document", responses={(200, "*/*"): OpenApiTypes.BINARY})
class DossierDocumentDownloadView(AuditedReadMixin, APIView):
    permission_classes = [IsAuthenticated]
    audit_action = AuditAction.DOSSIER_DOCUMENT_DOWNLOAD

    def get(self, request, pk: int, document_id: int):
        dossier = _visible_or_404(request, pk)
        document = dossier_documents(dossier).filter(pk=document_id).first()
        if document is None:
            raise NotFound("No document with this id.")
        self.audit_dossier_read(dossier, document_id=document.pk, document_type=document.document_type)
        return FileResponse(
            document.file.open("rb"), as_attachment=True, filename=document.original_name,
            content_type=document.content_type,
        )


ReceiptSerializer = inline_serializer(
    name="Receipt",
    fields={
        "code": serializers.CharField(),
        "agency": serializers.CharField(),
        "agency_name": serializers.CharField(),
        "procedure": serializers.CharField(),
        "procedure_name": serializers.CharField(),
        "applicant_name": serializers.CharField(),
        "applicant_id_number": serializers.CharField(),
        "channel": serializers.CharField(),
        "submitted_at": serializers.DateTimeField(),
        "received_at": serializers.DateTimeField(allow_null=True),
        "appointment_at": serializers.DateTimeField(allow_null=True),
        "received_by": serializers.CharField(allow_null=True),
        "fee": serializers.CharField(),
        "documents": serializers.ListField(child=serializers.DictField()),
        "lookup_url": serializers.CharField(),
    },
)


@extend_schema(tags=["dossiers"], summary="Receipt and appointment data", responses=ReceiptSerializer)
class DossierReceiptView(AuditedReadMixin, APIView):
    permission_classes = [IsAuthenticated]
    audit_action = AuditAction.DOSSIER_RECEIPT

    def get(self, request, pk: int):
        dossier = _visible_or_404(request, pk)
        self.audit_dossier_read(dossier)
        return conditional(request, dossier.etag, lambda: self._receipt(dossier))

    def _receipt(self, dossier: Dossier) -> Response:
        documents = [
            {"document_type": d.document_type, "name": d.original_name, "sha256": d.sha256}
            for d in dossier_documents(dossier).filter(stage="intake")
        ]
        return Response(
            {
                "code": dossier.code,
                "agency": dossier.receiving_agency.code,
                "agency_name": dossier.receiving_agency.name,
                "procedure": dossier.procedure.code,
                "procedure_name": dossier.procedure.name,
                "applicant_name": dossier.applicant_name,
                "applicant_id_number": dossier.applicant_id_number,
                "channel": dossier.channel,
                "submitted_at": dossier.submitted_at,
                "received_at": dossier.received_at,
                "appointment_at": dossier.appointment_at,
                "received_by": dossier.received_by.full_name if dossier.received_by else None,
                "fee": str(dossier.procedure.fee),
                "documents": documents,
                "lookup_url": lookup_page_url(dossier.code),  # the citizens' page the receipt's QR opens
            }
        )


@extend_schema(tags=["dossiers"], summary="My dossiers (applicant)")
class MyDossiersView(generics.ListAPIView):
    serializer_class = DossierListSerializer
    permission_classes = [IsAuthenticated, IsApplicant]
    cursor_ordering = ("-submitted_at", "-id")

    def get_queryset(self):
        return applicant_dossiers(self.request.user)


@extend_schema(
    tags=["dossiers"],
    summary="Public status lookup by code and the applicant's ID number",
    parameters=[OpenApiParameter("id_number", OpenApiTypes.STR, required=True)],
    responses=LookupSerializer,
)
class LookupView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [LookupThrottle]

    def get(self, request, code: str):
        id_number = request.query_params.get("id_number", "").strip()
        if not id_number:
            raise ValidationError({"id_number": ["The applicant's ID number is required."]})
        dossier = lookup_by_code(code, id_number)
        if dossier is None:
            raise NotFound("No dossier matches this code and ID number.")
        return Response(LookupSerializer(dossier).data)


# --- actions -----------------------------------------------------------------------------------

def _action_view(name: str) -> type[APIView]:
    spec = ACTIONS[Action(name)]
    payload_serializer, accepts_files = spec.serializer, spec.takes_files
    request_schema: dict[str, Any] = {"application/json": payload_serializer}
    if accepts_files:
        request_schema.update(MULTIPART_INTAKE)

    class ActionView(APIView):
        permission_classes = [IsAuthenticated]
        parser_classes = [JSONParser, MultiPartParser] if accepts_files else [JSONParser]

        @extend_schema(
            tags=["dossier actions"],
            summary=f"{name.replace('_', ' ').capitalize()} (DESIGN.md section 2)",
            operation_id=f"dossier_{name}",
            parameters=[IF_MATCH_HEADER],
            request=request_schema,
            responses={200: DossierSerializer},
        )
        def post(self, request, pk: int):
            _visible_or_404(request, pk)
            if accepts_files and request.content_type.startswith("multipart/"):
                body, uploads = _split_intake(request)
            else:
                body, uploads = (request.data if request.data else {}), []
            if not isinstance(body, dict):
                raise ParseError("The body must be a JSON object.")
            serializer = payload_serializer(data=body)
            serializer.is_valid(raise_exception=True)
            dossier = spec.call(dossier_id=pk, caller=_caller(request), data=serializer.validated_data,
                                uploads=uploads, expected_version=_expected_version(request, pk))
            return _detail_response(request, dossier, status.HTTP_200_OK)

    ActionView.__name__ = ActionView.__qualname__ = "".join(p.capitalize() for p in name.split("_")) + "ActionView"
    return ActionView


ACTION_VIEWS = {str(action): _action_view(action) for action in DOSSIER_ACTIONS}


EXPORT_COLUMNS = (
    ("code", "code"), ("status", "status"), ("channel", "channel"), ("procedure", "procedure__code"),
    ("procedure_name", "procedure__name"), ("agency", "agency__code"), ("applicant_name", "applicant_name"),
    ("applicant_id_number", "applicant_id_number"), ("submitted_at", "submitted_at"),
    ("received_at", "received_at"), ("due_at", "due_at"), ("appointment_at", "appointment_at"),
    ("resolved_at", "resolved_at"), ("timeliness", "timeliness"), ("assigned_to", "assigned_to__username"),
)


def _local_iso(value: Any) -> Any:
    from datetime import datetime

    from django.utils import timezone

    return timezone.localtime(value).isoformat() if isinstance(value, datetime) else value


@extend_schema(
    tags=["dossiers"],
    summary="The queue as CSV (same filters), streamed; UTF-8 with BOM",
    parameters=[OpenApiParameter(name, OpenApiTypes.STR) for name in DossierFilter.base_filters],
    responses={(200, "text/csv"): OpenApiTypes.STR},
)
class DossierExportView(AuditedReadMixin, APIView):
    permission_classes = [IsAuthenticated, IsStaffReader]
    audit_action = AuditAction.DOSSIER_EXPORT

    def get(self, request):
        from apps.common.exports import csv_response

        filterset = DossierFilter(request.query_params, queryset=dossier_queue(request.user), request=request)
        if not filterset.is_valid():
            raise ValidationError(filterset.errors)
        self.audit_staff_query()  # before the first row is streamed
        rows = (
            filterset.qs.order_by("id")
            .values_list(*(source for _, source in EXPORT_COLUMNS))
            .iterator(chunk_size=2000)
        )
        return csv_response(
            "ho-so.csv", [name for name, _ in EXPORT_COLUMNS], ([_local_iso(v) for v in row] for row in rows)
        )
