"""Statistics endpoints: summary and breakdown, as JSON, CSV or XLSX."""
from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.agencies.models import Tier
from apps.catalog.models import ServiceClass
from apps.common.exports import XLSX_TYPE, csv_response, flatten, xlsx_response

from ..selectors import (
    GROUPINGS,
    MAX_TIME_BUCKETS,
    BreakdownQuerySerializer,
    StatsQuerySerializer,
    stats_breakdown,
    stats_query,
    stats_summary,
    time_buckets,
)


def _query(request, serializer_class: type[StatsQuerySerializer] = StatsQuerySerializer):
    return stats_query(request.user, request.query_params, serializer_class=serializer_class)


QUERY_PARAMETERS = [
    OpenApiParameter("scope", OpenApiTypes.STR, description="Agency code; default: your whole scope"),
    OpenApiParameter("subtree", OpenApiTypes.BOOL, description="Include sub-agencies (default true)"),
    OpenApiParameter("from", OpenApiTypes.DATE, required=True, description="First local day (inclusive)"),
    OpenApiParameter("to", OpenApiTypes.DATE, required=True, description="Local day after the period (exclusive)"),
    OpenApiParameter("procedure", OpenApiTypes.STR),
    OpenApiParameter("level", OpenApiTypes.INT, enum=[1, 2, 3, 4]),
    OpenApiParameter(
        "class", OpenApiTypes.STR, enum=[c.value for c in ServiceClass],
        description="Decree 42/2022 service class the dossiers were offered at (full = toàn trình, partial = một "
                    "phần, none): the dossier's offering class at intake, and the procedures whose best class in "
                    "the scope is this one",
    ),
    OpenApiParameter("tier", OpenApiTypes.STR, enum=[t.value for t in Tier]),
    OpenApiParameter(
        "include_predecessors", OpenApiTypes.BOOL,
        description="Also count the agencies merged into the scope's agencies (their successor, DESIGN.md "
                    "section 10), directly or through a chain of mergers, with their whole history, so a merged "
                    "agency's figures continue its predecessors' (year on year). Default false: only the "
                    "scope's own agencies' records. In a breakdown by agency each predecessor is its own group.",
    ),
]


class StatsAPIView(APIView):
    permission_classes = [IsAuthenticated]
    extra_problem_statuses = (404,)  # `scope` names no agency in the caller's scope (apps/common/schema.py)


CLASS_FIGURES = (
    "Beside the level figures, the Decree 42/2022 service-class figures. A dossier's class is its offering's at "
    "intake (kept when the offering changes class later); a procedure's class in the scope is the best class any "
    "of the scope's agencies offers it at (full > partial > none), as its level is the highest. "
    "`procedures_offered_class_full` / `_partial`, and `class_full_provision_rate`, `class_partial_provision_rate`, "
    "`class_full_partial_provision_rate` over `procedures_offered`; `received_class_full` / `_partial`; "
    "`online_share_class_full` / `_partial`: dossiers of that class received online or through the portal over "
    "dossiers of that class received; `online_share_of_class_full_partial`: the same over both classes; "
    "`procedures_with_online_dossiers_class_full_partial` and its rates over the procedures offered at that class."
)


@extend_schema(tags=["statistics"], summary="Every indicator of DESIGN.md section 6 for a scope and period",
               description=CLASS_FIGURES, parameters=QUERY_PARAMETERS, responses={200: OpenApiTypes.OBJECT})
class StatsSummaryView(StatsAPIView):

    def get(self, request):
        scope, start, end, _ = _query(request)
        return Response({"from": start, "to": end, **stats_summary(scope, start, end)})


@extend_schema(
    tags=["statistics"],
    summary="The same indicators grouped by agency, tier, procedure, channel, level, service class or time",
    description="Every group of the scope is listed, with zeros where nothing happened. Groups of tier, channel, "
                "level and class also carry `group_label`, the official label in the request's language.",
    parameters=[*QUERY_PARAMETERS, OpenApiParameter("by", OpenApiTypes.STR, enum=list(GROUPINGS), required=True)],
    responses={200: OpenApiTypes.OBJECT},
)
class StatsBreakdownView(StatsAPIView):

    def get(self, request):
        scope, start, end, data = _query(request, BreakdownQuerySerializer)
        by = data["by"]
        if by in ("day", "month", "quarter", "year") and len(time_buckets(start, end, by)) > MAX_TIME_BUCKETS:
            raise ValidationError(
                {"by": [_("More than %(max)d periods; choose a coarser grouping.") % {"max": MAX_TIME_BUCKETS}]}
            )
        return Response({"from": start, "to": end, "by": by, "groups": stats_breakdown(scope, start, end, by)})


def _export_rows(request) -> tuple[list[str], list[list]]:
    """The summary (one row) or, with `by`, the breakdown (one row per group), flattened."""
    if request.query_params.get("by"):
        scope, start, end, data = _query(request, BreakdownQuerySerializer)
        records = stats_breakdown(scope, start, end, data["by"])
    else:
        scope, start, end, _ = _query(request)
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
