"""Statistics endpoints: summary and breakdown, as JSON, CSV or XLSX."""
from __future__ import annotations

from datetime import date

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.selectors import staff_agency_ids, user_is_province_wide, user_is_staff_reader
from apps.agencies.models import Agency, Tier
from apps.agencies.selectors import agency_subtree
from apps.catalog.models import Procedure
from apps.common.exports import XLSX_TYPE, csv_response, flatten, xlsx_response
from apps.common.fields import CharField
from onestop.errors import DomainError, ErrorCode

from ..selectors import GROUPINGS, MAX_TIME_BUCKETS, Scope, stats_breakdown, stats_summary, time_buckets

MAX_PERIOD_DAYS = 366 * 10


class StatsQuerySerializer(serializers.Serializer):
    scope = CharField(required=False, help_text="Agency code; default: your whole scope")
    subtree = serializers.BooleanField(required=False, default=True, help_text="Include sub-agencies")
    date_from = serializers.DateField(help_text="First local day of the period (inclusive)")
    date_to = serializers.DateField(help_text="Local day after the period (exclusive): [from, to)")
    procedure = CharField(required=False)
    level = serializers.ChoiceField(choices=[1, 2, 3, 4], required=False)
    tier = serializers.ChoiceField(choices=Tier.choices, required=False)

    def validate(self, attrs):
        start, end = attrs["date_from"], attrs["date_to"]
        if end <= start:
            raise serializers.ValidationError({"date_to": ["Must be after date_from."]}, code="invalid")
        if (end - start).days > MAX_PERIOD_DAYS or start < date(2000, 1, 1) or end > date(2101, 1, 1):
            raise serializers.ValidationError({"date_to": ["Period too long or outside 2000-2100."]}, code="invalid")
        return attrs


class BreakdownQuerySerializer(StatsQuerySerializer):
    by = serializers.ChoiceField(choices=GROUPINGS)


def stats_query(request, serializer_class=StatsQuerySerializer) -> tuple[Scope, date, date, dict]:
    """Parse and authorise a statistics query: the scope never leaves the user's agencies."""
    user = request.user
    if not user_is_staff_reader(user):
        raise DomainError("Statistics are for staff.", code=ErrorCode.PERMISSION_DENIED)
    params = {k: v for k, v in request.query_params.items()}
    if "from" in params:
        params["date_from"] = params.pop("from")
    if "to" in params:
        params["date_to"] = params.pop("to")
    serializer = serializer_class(data=params)
    serializer.is_valid(raise_exception=True)
    data = serializer.validated_data
    province_wide = user_is_province_wide(user)
    allowed = None if province_wide else set(staff_agency_ids(user))
    if data.get("scope"):
        root = Agency.objects.filter(code=data["scope"]).first()
        if root is None or (allowed is not None and root.pk not in allowed):
            raise NotFound("No agency with this code in your scope.")
        ids = set(agency_subtree(root).values_list("pk", flat=True)) if data["subtree"] else {root.pk}
        agency_ids = frozenset(ids if allowed is None else ids & allowed)
    else:
        agency_ids = None if allowed is None else frozenset(allowed)
    procedure_id = None
    if data.get("procedure"):
        procedure_id = Procedure.objects.filter(code=data["procedure"]).values_list("pk", flat=True).first()
        if procedure_id is None:
            raise ValidationError({"procedure": ["Unknown procedure code."]})
    scope = Scope(agency_ids, procedure_id, data.get("level"), data.get("tier"))
    return scope, data["date_from"], data["date_to"], data


QUERY_PARAMETERS = [
    OpenApiParameter("scope", OpenApiTypes.STR, description="Agency code; default: your whole scope"),
    OpenApiParameter("subtree", OpenApiTypes.BOOL, description="Include sub-agencies (default true)"),
    OpenApiParameter("from", OpenApiTypes.DATE, required=True, description="First local day (inclusive)"),
    OpenApiParameter("to", OpenApiTypes.DATE, required=True, description="Local day after the period (exclusive)"),
    OpenApiParameter("procedure", OpenApiTypes.STR),
    OpenApiParameter("level", OpenApiTypes.INT, enum=[1, 2, 3, 4]),
    OpenApiParameter("tier", OpenApiTypes.STR, enum=[t.value for t in Tier]),
]


class StatsAPIView(APIView):
    permission_classes = [IsAuthenticated]
    extra_problem_statuses = (404,)  # `scope` names no agency in the caller's scope (apps/common/schema.py)


@extend_schema(tags=["statistics"], summary="Every indicator of DESIGN.md section 6 for a scope and period",
               parameters=QUERY_PARAMETERS, responses={200: OpenApiTypes.OBJECT})
class StatsSummaryView(StatsAPIView):

    def get(self, request):
        scope, start, end, _ = stats_query(request)
        return Response({"from": start, "to": end, **stats_summary(scope, start, end)})


@extend_schema(
    tags=["statistics"], summary="The same indicators grouped by agency, tier, procedure, channel, level or time",
    parameters=[*QUERY_PARAMETERS, OpenApiParameter("by", OpenApiTypes.STR, enum=list(GROUPINGS), required=True)],
    responses={200: OpenApiTypes.OBJECT},
)
class StatsBreakdownView(StatsAPIView):

    def get(self, request):
        scope, start, end, data = stats_query(request, BreakdownQuerySerializer)
        by = data["by"]
        if by in ("day", "month", "quarter", "year") and len(time_buckets(start, end, by)) > MAX_TIME_BUCKETS:
            raise ValidationError(
                {"by": [_("More than %(max)d periods; choose a coarser grouping.") % {"max": MAX_TIME_BUCKETS}]}
            )
        return Response({"from": start, "to": end, "by": by, "groups": stats_breakdown(scope, start, end, by)})


def _export_rows(request) -> tuple[list[str], list[list]]:
    """The summary (one row) or, with `by`, the breakdown (one row per group), flattened."""
    if request.query_params.get("by"):
        scope, start, end, data = stats_query(request, BreakdownQuerySerializer)
        records = stats_breakdown(scope, start, end, data["by"])
    else:
        scope, start, end, _ = stats_query(request)
        records = [{"group": "total", **stats_summary(scope, start, end)}]
    flat = [flatten({"from": start.isoformat(), "to": end.isoformat(), **r}) for r in records]
    header = list(flat[0]) if flat else ["from", "to"]
    return header, [[row.get(column) for column in header] for row in flat]


EXPORT_PARAMETERS = [*QUERY_PARAMETERS, OpenApiParameter("by", OpenApiTypes.STR, enum=list(GROUPINGS))]


@extend_schema(tags=["statistics"], summary="Summary (or breakdown with `by`) as CSV, UTF-8 with BOM",
               parameters=EXPORT_PARAMETERS, responses={(200, "text/csv"): OpenApiTypes.STR})
class StatsCsvView(StatsAPIView):

    def get(self, request):
        header, rows = _export_rows(request)
        return csv_response("thong-ke.csv", header, rows)


@extend_schema(tags=["statistics"], summary="Summary (or breakdown with `by`) as an Excel workbook",
               parameters=EXPORT_PARAMETERS, responses={(200, XLSX_TYPE): OpenApiTypes.BINARY})
class StatsXlsxView(StatsAPIView):

    def get(self, request):
        header, rows = _export_rows(request)
        return xlsx_response("thong-ke.xlsx", "Thống kê", header, rows)
