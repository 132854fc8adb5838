"""Endpoints for the national portal (HMAC-signed machine client) and the outbox health check."""
from __future__ import annotations

from django.core.cache import cache
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics
from rest_framework.exceptions import NotFound, ParseError
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.common.numbers import query_int
from apps.common.outages import CACHE_ERRORS
from apps.common.parsers import JSONParser
from apps.common.throttling import PortalSubmissionThrottle
from apps.dossiers import services as dossier_services
from apps.dossiers.api.serializers import DossierSerializer
from apps.dossiers.models import Dossier

from ..auth import IsPortal, PortalSignatureAuthentication
from ..documents import decode_documents, fingerprint_body
from ..selectors import FEED_MAX_LIMIT, change_feed, outbox_health, portal_catalog, portal_dossier_by_code
from .serializers import ChangePageSerializer, OutboxHealthSerializer, PortalIntakeSerializer, PortalProcedureSerializer

IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key", OpenApiTypes.STR, OpenApiParameter.HEADER,
    description="Same key and body replay the first response; same key, other body: 422.",
)
HEALTH_CACHE_SECONDS = 5
HEALTH_CACHE_KEY = "portal:health"


def portal_caller(request) -> dossier_services.Caller:
    return dossier_services.Caller(user=None, client_id=f"portal:{request.user.key_id}", is_portal=True)


def _dossier_response(request, dossier: Dossier, status_code: int = 200) -> Response:
    caller = portal_caller(request)
    response = Response(DossierSerializer(dossier, context={"actors_for": caller.actors_on}).data, status=status_code)
    response["ETag"] = dossier.etag
    return response


class PortalAPIView(APIView):
    authentication_classes = [PortalSignatureAuthentication]
    permission_classes = [IsPortal]


@extend_schema(
    tags=["portal"],
    summary="File a dossier on a citizen's behalf (channel portal)",
    description="Same validation and Idempotency-Key rules as an applicant's online filing; documents "
                "inline as base64. The dossier starts `submitted` and waits for a clerk to accept it.",
    parameters=[IDEMPOTENCY_HEADER],
    request=PortalIntakeSerializer,
    responses={201: DossierSerializer},
)
class PortalDossierSubmitView(PortalAPIView):
    parser_classes = [JSONParser]
    throttle_classes = [PortalSubmissionThrottle]

    def post(self, request):
        body = request.data
        if not isinstance(body, dict):
            raise ParseError("The body must be a JSON object.")
        serializer = PortalIntakeSerializer(data=body)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        uploads = decode_documents(data["documents"])
        key = request.headers.get("Idempotency-Key")
        result = dossier_services.dossier_submit(
            caller=portal_caller(request),
            request=dossier_services.IntakeRequest(
                agency_code=data["agency"],
                procedure_code=data["procedure"],
                applicant=dossier_services.ApplicantData(**data["applicant"]),
                form_data=data.get("form_data") or {},
                documents=uploads,
                note=data.get("note", ""),
            ),
            idempotency_key=key,
            fingerprint=dossier_services.request_fingerprint(fingerprint_body(body), uploads) if key else None,
        )
        return _dossier_response(request, result.dossier, 201)


@extend_schema(tags=["portal"], summary="One dossier by its code (any dossier)", responses=DossierSerializer)
class PortalDossierDetailView(PortalAPIView):
    def get(self, request, code: str):
        dossier = portal_dossier_by_code(code)
        if dossier is None:
            raise NotFound("No dossier with this code.")
        return _dossier_response(request, dossier)


@extend_schema(
    tags=["portal"],
    summary="Change feed: every dossier event, in order, resumable",
    description="Events in a total order that never skips one: pass the page's `next_cursor` as `after` to "
                "read on. Events of transactions still running appear once every older transaction has "
                "finished (see apps/portal/selectors.py, change_feed).",
    parameters=[
        OpenApiParameter("after", OpenApiTypes.STR, description="Cursor from a previous page; omit to start"),
        OpenApiParameter("limit", OpenApiTypes.INT, description=f"1..{FEED_MAX_LIMIT}, default 100"),
    ],
    responses=ChangePageSerializer,
)
class PortalChangesView(PortalAPIView):
    def get(self, request):
        limit = query_int(request.query_params, "limit", default=100, low=1, high=FEED_MAX_LIMIT)
        page = change_feed(after=request.query_params.get("after") or None, limit=limit)
        return Response(ChangePageSerializer(
            {"results": page.events, "next_cursor": page.next_cursor, "has_more": page.has_more}
        ).data)


@extend_schema(tags=["portal"], summary="Catalogue: procedures with the agencies offering them")
class PortalCatalogView(generics.ListAPIView):
    authentication_classes = [PortalSignatureAuthentication]
    permission_classes = [IsPortal]
    serializer_class = PortalProcedureSerializer
    cursor_ordering = ("code", "id")

    def get_queryset(self):
        return portal_catalog()


@extend_schema(
    tags=["portal"],
    summary="Outbox health (counts only, no authentication)",
    description="Answers while Redis is down (`redis: down`, `status: degraded`): the counts then come "
                "straight from the database, uncached.",
    responses=OutboxHealthSerializer,
)
class OutboxHealthView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    def get(self, request):
        redis_up = True
        try:
            data = cache.get(HEALTH_CACHE_KEY)
        except CACHE_ERRORS:  # Redis down: report it, do not fail the health check itself
            redis_up, data = False, None
        if data is None:  # a few seconds of caching: a public endpoint must not cost a query per hit
            health = outbox_health()
            data = {
                "dead": health.dead,
                "pending": health.pending,
                "oldest_pending_at": health.oldest_pending_at,
                "oldest_pending_age_seconds": health.oldest_pending_age_seconds,
            }
            if redis_up:
                try:
                    cache.set(HEALTH_CACHE_KEY, data, HEALTH_CACHE_SECONDS)
                except CACHE_ERRORS:
                    redis_up = False
        # Without Redis the Celery workers get no tasks: nothing is delivered until it is back.
        status = "degraded" if data["dead"] or not redis_up else "ok"
        return Response(OutboxHealthSerializer({**data, "status": status, "redis": "up" if redis_up else "down"}).data)
