"""The dashboard page (server-rendered) and the session login it needs. Thin: one selector call."""
from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET
from rest_framework.exceptions import NotFound, ValidationError

from apps.common.problems import DOMAIN_STATUS, flatten_errors
from onestop.errors import DomainError

from .selectors import DashboardQueryError, can_view_dashboard, dashboard_page_data

# The statistics API's field names, as the page's form calls them.
FIELD_LABELS = {"to": "Kỳ thống kê", "from": "Kỳ thống kê", "scope": "Đơn vị", "tier": "Cấp",
                "level": "Mức độ", "period": "Loại kỳ", "year": "Năm", "month": "Tháng", "quarter": "Quý",
                "start": "Từ ngày", "end": "Đến ngày"}


def _error(request: HttpRequest, status: int, message: str, errors: list[tuple[str, str]] | None = None):
    return render(request, "dashboard/error.html", {"status": status, "message": message, "errors": errors or []},
                  status=status)


@require_GET
@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    if not can_view_dashboard(request.user):
        return _error(request, 403, "Trang thống kê chỉ dành cho thống kê viên, lãnh đạo, giám sát và quản trị.")
    try:
        page = dashboard_page_data(request.user, request.GET)
    except DashboardQueryError as exc:
        errors = [(FIELD_LABELS.get(f, f), " ".join(m)) for f, m in exc.errors.items()]
        return _error(request, 400, "Tham số không hợp lệ.", errors)
    except ValidationError as exc:
        errors = [(FIELD_LABELS.get(e["field"], e["field"]), e["message"]) for e in flatten_errors(exc.detail)]
        return _error(request, 400, "Tham số không hợp lệ.", errors)
    except NotFound:
        # As the statistics API: an agency outside the user's scope does not exist for them.
        return _error(request, 404, "Không có đơn vị với mã này trong phạm vi của bạn.")
    except DomainError as exc:
        return _error(request, DOMAIN_STATUS.get(exc.code, 400), str(exc))
    charts = {"trend": page["trend"], "targets": page["targets"], "overdue": page["overdue_procedures"]}
    return render(request, "dashboard/index.html", {"page": page, "charts": charts})
