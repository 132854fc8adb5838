"""The dashboard page (server-rendered) and the session login it needs. Thin: one selector call."""
from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET
from rest_framework.exceptions import NotFound, ValidationError

from apps.common import formats
from apps.common.problems import DOMAIN_STATUS, domain_error_detail, flatten_errors
from onestop.errors import DomainError

from .selectors import DashboardQueryError, can_view_dashboard, dashboard_page_data

# The statistics API's field names, as the page's form calls them.
FIELD_LABELS = {"to": gettext_lazy("Kỳ thống kê"), "from": gettext_lazy("Kỳ thống kê"),
                "scope": gettext_lazy("Đơn vị"), "tier": gettext_lazy("Cấp"), "level": gettext_lazy("Mức độ"),
                "period": gettext_lazy("Loại kỳ"), "year": gettext_lazy("Năm"), "month": gettext_lazy("Tháng"),
                "quarter": gettext_lazy("Quý"), "start": gettext_lazy("Từ ngày"), "end": gettext_lazy("Đến ngày")}


def _error(request: HttpRequest, status: int, message: str, errors: list[tuple[str, str]] | None = None):
    return render(request, "dashboard/error.html", {"status": status, "message": message, "errors": errors or []},
                  status=status)


def _field(name: str) -> str:
    return str(FIELD_LABELS.get(name, name))


@require_GET
@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    if not can_view_dashboard(request.user):
        return _error(request, 403, _("Trang thống kê chỉ dành cho thống kê viên, lãnh đạo, giám sát và quản trị."))
    try:
        page = dashboard_page_data(request.user, request.GET)
    except DashboardQueryError as exc:
        errors = [(_field(f), " ".join(m)) for f, m in exc.errors.items()]
        return _error(request, 400, _("Tham số không hợp lệ."), errors)
    except ValidationError as exc:
        errors = [(_field(e["field"]), e["message"]) for e in flatten_errors(exc.detail)]
        return _error(request, 400, _("Tham số không hợp lệ."), errors)
    except NotFound:
        # As the statistics API: an agency outside the user's scope does not exist for them.
        return _error(request, 404, _("Không có đơn vị với mã này trong phạm vi của bạn."))
    except DomainError as exc:
        return _error(request, DOMAIN_STATUS.get(exc.code, 400), domain_error_detail(exc))
    charts = {"trend": page["trend"], "targets": page["targets"], "overdue": page["overdue_procedures"],
              "text": chart_texts()}
    return render(request, "dashboard/index.html", {"page": page, "charts": charts})


def chart_texts() -> dict[str, str]:
    """What the trend chart (dashboard.js) writes, in the page's language: its series, number marks."""
    return {
        "online_share": _("Tỷ lệ trực tuyến"), "on_time_rate": _("Tỷ lệ đúng hạn"),
        "online_share_target": _("Chỉ tiêu trực tuyến"), "on_time_rate_target": _("Chỉ tiêu đúng hạn"),
        **formats.marks(),
    }
