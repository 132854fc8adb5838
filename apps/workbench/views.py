"""The clerk workbench: server-rendered pages on the API's own filters, selectors, registry and services.

No rule lives here. The queue is `dossier_queue` filtered by the API's `DossierFilter` and paged by
its cursor pagination; the dossier page shows `allowed_actions` of the caller's roles
(`Caller.actors_on`), and each action form posts to the registry entry's serializer and service with
the version the page was rendered from (If-Match semantics: a stale version is the service's 412).
"""
from __future__ import annotations

import functools
import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy, pgettext
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request

from apps.accounts.roles import Role
from apps.audit.mixins import query_detail
from apps.audit.models import AuditAction
from apps.audit.services import audit_dossier_read, audit_record
from apps.catalog.models import Offering
from apps.common.pagination import StableCursorPagination
from apps.common.problems import domain_error_detail, flatten_errors
from apps.common.throttling import RegistrationThrottle
from apps.documents.api.views import DossierFormPdfView
from apps.documents.forms import Form
from apps.documents.selectors import forms_available
from apps.dossiers import services
from apps.dossiers.actions import ACTIONS
from apps.dossiers.api.serializers import RETURN_METHODS, RegisterSerializer
from apps.dossiers.api.views import DossierDocumentDownloadView, DossierFilter, _intake_request
from apps.dossiers.models import ACTIVE_STATUSES, Channel, DossierPause, PaymentMethod, ResultKind
from apps.dossiers.paging import BadCursor, queue_page
from apps.dossiers.payloads import event_payload, payload_json
from apps.dossiers.selectors import dossier_documents, dossier_get_visible, dossier_history, dossier_queue
from apps.ratings.api.serializers import RatingInputSerializer
from apps.ratings.models import Criterion, Level, Rating, Source
from apps.ratings.services import kiosk_may_rate, rating_give
from onestop.errors import DomainError, ErrorCode
from onestop.lifecycle import DOSSIER_ACTIONS, FINISHED, Action, Status, allowed_actions, is_overdue

from .forms import payload_from_post, uploads_from_files
from .labels import action_label, channel_label, dossier_status_label, event_status_label, status_label
from .selectors import (
    assignable_staff,
    queue_procedures,
    registration_offering,
    registration_offerings,
    status_counts,
    transfer_targets,
)

#: Who works at the workbench; others (applicants, statisticians) are refused with a 403 page.
WORKBENCH_ROLES = (Role.CLERK, Role.SPECIALIST, Role.LEADER)
#: The queue's query parameters that are not filters.
PAGING_PARAMS = ("cursor", "page_size")
#: Conflicts the page explains (someone acted first), as opposed to mistakes in the form.
CONFLICT_CODES = (ErrorCode.PRECONDITION_FAILED, ErrorCode.INVALID_TRANSITION, ErrorCode.STALE_STATE,
                  ErrorCode.CONFLICT)
#: The document type a result file is stored under (as the API's multipart part of `resolve`).
RESULT_FILE = "KQ"
#: The fields the forms post, as the pages name them in their errors.
FIELD_LABELS = {
    "reason": gettext_lazy("Lý do"),
    "assignee": gettext_lazy("Người xử lý"),
    "document_types": gettext_lazy("Giấy tờ cần bổ sung"),
    "items": gettext_lazy("Nội dung cần bổ sung"),
    "agency": gettext_lazy("Cơ quan"),
    "new_appointment": gettext_lazy("Ngày hẹn trả mới"),
    "amount": gettext_lazy("Số tiền"),
    "method": gettext_lazy("Hình thức"),
    "reference": gettext_lazy("Mã giao dịch"),
    "result": gettext_lazy("Kết quả"),
    "note": gettext_lazy("Ghi chú"),
    "version": gettext_lazy("Phiên bản"),
    "status": gettext_lazy("Trạng thái"),
    "channel": gettext_lazy("Kênh"),
    "procedure": gettext_lazy("Thủ tục"),
    "due_within_days": gettext_lazy("Sắp đến hạn"),
    "received_from": gettext_lazy("Tiếp nhận từ ngày"),
    "received_to": gettext_lazy("Tiếp nhận đến ngày"),
    "q": gettext_lazy("Tìm kiếm"),
    "cursor": gettext_lazy("Trang"),
    "page_size": gettext_lazy("Số dòng mỗi trang"),
    "applicant.name": gettext_lazy("Họ tên"),
    "applicant.id_number": gettext_lazy("Số giấy tờ"),
    "applicant.phone": gettext_lazy("Điện thoại"),
    "applicant.email": gettext_lazy("Thư điện tử"),
    "applicant.birth_date": gettext_lazy("Ngày sinh"),
    "applicant.address": gettext_lazy("Địa chỉ"),
    "applicant.applicant_type": gettext_lazy("Loại người nộp"),
    "received_at": gettext_lazy("Thời điểm tiếp nhận"),
    "documents.KQ": gettext_lazy("Tệp kết quả"),
    "level": gettext_lazy("Mức độ hài lòng"),
    "comment": gettext_lazy("Ý kiến"),
    "criteria": gettext_lazy("Đánh giá chi tiết"),
}


def choices_in_language(choices, context: str = "") -> list[tuple[str, str]]:
    """A model's choices (labelled in Vietnamese, the official terms) in the page's language; `context`
    tells the catalogue apart a word that means something else elsewhere ("Giải quyết": a result here)."""
    return [(value, pgettext(context, label) if context else gettext(label)) for value, label in choices]


def _field_label(field: str) -> str:
    return str(FIELD_LABELS.get(field, field))


def _error(request: HttpRequest, status: int, message: str, errors: list[tuple[str, str]] | None = None):
    return render(request, "workbench/error.html", {"status": status, "message": message, "errors": errors or []},
                  status=status)


def workbench_view(view):
    """Signed in (else the login form), and a clerk, specialist or leader (else a 403 page)."""

    @functools.wraps(view)
    @login_required
    def wrapped(request: HttpRequest, *args, **kwargs):
        return _workbench_page(view, request, *args, **kwargs)

    return wrapped


def _workbench_page(view, request: HttpRequest, *args, **kwargs):
    if not request.user.has_role(*WORKBENCH_ROLES):
        return _error(request, 403, _("Bàn làm việc một cửa chỉ dành cho cán bộ một cửa, chuyên viên và "
                                      "lãnh đạo của cơ quan."))
    try:
        return view(request, *args, **kwargs)
    except Http404:  # another agency's dossier does not exist for this user
        return _error(request, 404, _("Không tìm thấy hồ sơ này trong phạm vi cơ quan của bạn."))


def _field_errors(detail: Any) -> list[tuple[str, str]]:
    return [(_field_label(e["field"]), e["message"]) for e in flatten_errors(detail)]


def _domain_errors(exc: DomainError) -> list[tuple[str, str]]:
    return [(_field_label(exc.field or ""), domain_error_detail(exc))]


# --- the queue ----------------------------------------------------------------------------------


def _page_link(filters: QueryDict, cursor: str | None, size: int) -> str | None:
    if cursor is None:
        return None
    query = filters.copy()
    query["cursor"] = cursor
    if size != StableCursorPagination.page_size:
        query["page_size"] = str(size)
    return f"?{query.urlencode()}"


def _filters_only(query: QueryDict) -> QueryDict:
    """The filters asked for: a browser sends every field of the form, the empty ones too."""
    filters = QueryDict(mutable=True)
    for name, values in query.lists():
        given = [v for v in values if v.strip()]
        if given and name not in PAGING_PARAMS:
            filters.setlist(name, given)
    return filters


@require_GET
@workbench_view
def queue(request: HttpRequest) -> HttpResponse:
    user = request.user
    base = dossier_queue(user)
    filters = _filters_only(request.GET)
    asked = filters.copy()
    for name in PAGING_PARAMS:
        if request.GET.get(name):
            asked[name] = request.GET[name]
    request.GET = asked  # the filters see what was asked, not the empty fields
    filterset = DossierFilter(request.GET, queryset=base, request=request)
    # The tabs count every active status under the other filters (the status filter is the tab).
    without_status = filters.copy()
    without_status.pop("status", None)
    without_status.pop("include_closed", None)
    tabs_filterset = DossierFilter(without_status, queryset=base, request=request)
    try:
        if not filterset.is_valid():
            raise ValidationError(filterset.errors)
        tabs_filterset.is_valid()
        counts = status_counts(tabs_filterset.qs)
        size = StableCursorPagination().get_page_size(Request(request))  # the API's page size rule
        page = queue_page(filterset.qs, cursor=request.GET.get("cursor"), size=size)
    except ValidationError as exc:
        return _error(request, 400, _("Bộ lọc không hợp lệ."), _field_errors(exc.detail))
    except BadCursor:
        return _error(request, 400, _("Bộ lọc không hợp lệ."), [(_field_label("cursor"), _("Không hợp lệ."))])
    rows = page.rows
    if request.GET.get("q", "").strip():  # a search for a person: audited as the API's search
        codes = [d.code for d in rows]
        audit_record(request, AuditAction.DOSSIER_SEARCH, object_type="dossiers.dossier",
                     dossier_code=codes[0] if len(codes) == 1 else "",
                     detail={"filters": query_detail(request.GET), "codes": codes, "page": "workbench"})
    now = timezone.now()
    today = timezone.localdate(now)
    for dossier in rows:
        dossier.is_overdue = is_overdue(dossier.status, dossier.due_at, now)
        dossier.is_due_today = (not dossier.is_overdue and dossier.due_at is not None
                                and dossier.status in ACTIVE_STATUSES
                                and timezone.localdate(dossier.due_at) == today)
    selected = set(filterset.form.cleaned_data.get("status") or [])
    tab_query = without_status.copy()
    tabs = [{"status": "", "label": _("Tất cả đang xử lý"), "count": sum(counts.values()), "active": not selected,
             "query": tab_query.urlencode()}]
    for status in ACTIVE_STATUSES:
        query = tab_query.copy()
        query["status"] = status
        tabs.append({"status": status, "label": status_label(status), "count": counts.get(status, 0),
                     "active": selected == {status}, "query": query.urlencode()})
    export_query = filters.urlencode()
    context = {
        "rows": rows,
        "dossier_url": reverse("workbench:dossier", args=[0])[: -len("0/")],  # one reverse, not one per row
        "tabs": tabs,
        "form": request.GET,
        "statuses": [(s.value, status_label(s.value)) for s in Status],
        "selected_statuses": selected,
        "channels": [(c, channel_label(c)) for c in Channel.values],
        "selected_channels": set(request.GET.getlist("channel")),
        "procedures": queue_procedures(user),
        "next_link": _page_link(filters, page.next_cursor, size),
        "previous_link": _page_link(filters, page.previous_cursor, size),
        "export_url": reverse("dossier-export") + (f"?{export_query}" if export_query else ""),
        "filtered": bool(filters),
    }
    return render(request, "workbench/queue.html", context)


# --- the dossier page --------------------------------------------------------------------------


def _visible_or_404(request: HttpRequest, pk: int):
    dossier = dossier_get_visible(request.user, pk)
    if dossier is None:
        raise Http404
    return dossier


def _action_context(dossier, action: Action) -> dict[str, Any]:
    """Choices an action form offers (the service still judges what is posted)."""
    if action == Action.ASSIGN:
        return {"staff": assignable_staff(dossier.agency)}
    if action == Action.TRANSFER:
        return {"agencies": transfer_targets(dossier)}
    if action in (Action.REQUEST_SUPPLEMENT, Action.SUPPLEMENT):
        return {"document_types": list(dossier.procedure.document_types.order_by("position", "code"))}
    if action == Action.RESOLVE:
        return {"results": choices_in_language(ResultKind.choices, "dossier result")}
    if action == Action.RETURN:
        return {"methods": choices_in_language((v, label) for v, label in RETURN_METHODS
                                               if v != "online" or dossier.online_level >= 4)}
    if action == Action.CONFIRM_PAYMENT:
        return {"methods": choices_in_language(PaymentMethod.choices)}
    if action == Action.APOLOGISE:
        return {"min_appointment": timezone.localtime(dossier.appointment_at) if dossier.appointment_at else None}
    return {}


def _render_dossier(request: HttpRequest, dossier, *, status: int = 200, notice: str = "",
                    errors: list[tuple[str, str]] | None = None, failed_action: str = "",
                    posted: QueryDict | None = None) -> HttpResponse:
    audit_dossier_read(request, AuditAction.DOSSIER_READ, dossier, {"page": "workbench"})
    caller = services.Caller.for_user(request.user)
    allowed = allowed_actions(Status(dossier.status), caller.actors_on(dossier))
    events = list(dossier_history(dossier))
    timeline = []
    for event in events:
        timeline.append({"event": event, "label": action_label(event.action),
                         "status_label": event_status_label(event),
                         "payload": payload_json(event_payload(event))})
    documents = list(dossier_documents(dossier))
    preview = None
    if request.GET.get("preview", "").isdigit():
        preview = next((d for d in documents if d.pk == int(request.GET["preview"])), None)
    now = timezone.now()
    rating = Rating.objects.filter(dossier=dossier).first()
    context = {
        "dossier": dossier,
        "status_label": dossier_status_label(dossier),
        "channel_label": channel_label(dossier.channel),
        "overdue": is_overdue(dossier.status, dossier.due_at, now),
        "pauses": DossierPause.objects.filter(dossier=dossier).order_by("started_at", "id"),
        "timeline": timeline,
        "documents": documents,
        "preview": preview,
        "forms": [{"form": f, "event": e, "label": gettext(Form(f).label)}
                  for f, e in forms_available(dossier, events)],
        "actions": [{"action": str(a), "label": action_label(a), "template": f"workbench/actions/{a}.html",
                     "open": str(a) == failed_action, **_action_context(dossier, a)} for a in allowed],
        "notice": notice,
        "errors": errors or [],
        "failed_action": failed_action,
        "posted": posted or QueryDict(),
        "rating": rating,
        "switch_next": reverse("workbench:dossier", args=[dossier.pk]),  # also after an action's POST
        # Offered where the service would take it: a clerk of the holding agency, a finished dossier not
        # yet rated, that its applicant does not rate online themselves (`kiosk_may_rate`).
        "kiosk": (rating is None and dossier.status in FINISHED and kiosk_may_rate(dossier)
                  and request.user.has_role(Role.CLERK) and dossier_queue(request.user).filter(pk=dossier.pk).exists()),
    }
    return render(request, "workbench/dossier.html", context, status=status)


@require_GET
@workbench_view
def dossier_page(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_dossier(request, _visible_or_404(request, pk))


def conflict_message(dossier, action: str) -> str:
    return _("Hồ sơ vừa được người khác xử lý trước bạn (trạng thái hiện tại: %(status)s). Thao tác "
             "“%(action)s” của bạn chưa được thực hiện; dưới đây là thông tin mới nhất của hồ sơ, hãy xem lại "
             "rồi thao tác lại nếu vẫn cần.") % {"status": dossier_status_label(dossier),
                                                 "action": action_label(action)}


@require_POST
@workbench_view
def dossier_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    if action not in DOSSIER_ACTIONS:
        raise Http404
    dossier = _visible_or_404(request, pk)
    spec = ACTIONS[Action(action)]
    version = request.POST.get("version", "")
    if not version.isdigit():
        return _error(request, 400, _("Biểu mẫu thiếu phiên bản của hồ sơ; hãy tải lại trang hồ sơ."))
    serializer = spec.serializer(data=payload_from_post(spec.serializer, request.POST))
    if not serializer.is_valid():
        return _render_dossier(request, dossier, status=400, errors=_field_errors(serializer.errors),
                               failed_action=action, posted=request.POST)
    try:
        uploads = []
        if spec.takes_files:
            codes = [RESULT_FILE] if spec.action == Action.RESOLVE else list(
                dossier.procedure.document_types.values_list("code", flat=True))
            uploads = uploads_from_files(request.FILES, codes)
        spec.call(dossier_id=dossier.pk, caller=services.Caller.for_user(request.user),
                  data=serializer.validated_data, uploads=uploads, expected_version=int(version))
    except DomainError as exc:
        fresh = _visible_or_404(request, pk)
        if exc.code in CONFLICT_CODES:
            status = 412 if exc.code == ErrorCode.PRECONDITION_FAILED else 409
            return _render_dossier(request, fresh, status=status, notice=conflict_message(fresh, action))
        if exc.code == ErrorCode.PERMISSION_DENIED:
            return _render_dossier(request, fresh, status=403,
                                   notice=_("Vai trò của bạn không được thực hiện thao tác này."))
        return _render_dossier(request, fresh, status=400 if exc.code == ErrorCode.VALIDATION else 422,
                               errors=_domain_errors(exc), failed_action=action, posted=request.POST)
    messages.success(request, _("Đã thực hiện: %(action)s.") % {"action": action_label(action)})
    return redirect("workbench:dossier", pk=pk)


#: A file shown inside our pages: nothing of it runs as a page; the browser's PDF viewer may embed it.
FRAMED_CSP = "default-src 'none'; img-src 'self'; object-src 'self'; frame-ancestors 'self'"


def _framable(view):
    """A same-origin PDF or image the workbench shows inside its own page (an <iframe>/<img>), inline.

    The API's view does the work (scope, 404, audit); only the headers differ: framing by our own
    pages (X-Frame-Options SAMEORIGIN, CSP frame-ancestors 'self'), shown inline, never run as a page."""

    # Not functools.wraps: the API view's attributes (`cls`) would list this URL in the API schema.
    def framed(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if response.status_code == 200:
            disposition = response.get("Content-Disposition", "")
            if disposition.startswith("attachment") and request.GET.get("download") != "1":
                response["Content-Disposition"] = "inline" + disposition[len("attachment"):]
            response["Content-Security-Policy"] = FRAMED_CSP
        return response

    return xframe_options_sameorigin(framed)


document_file = require_GET(workbench_view(_framable(DossierDocumentDownloadView.as_view())))
form_pdf = require_GET(workbench_view(_framable(DossierFormPdfView.as_view())))


@require_GET
@workbench_view
def print_form(request: HttpRequest, pk: int, form: str) -> HttpResponse:
    """A form of the dossier on a page, ready to print (the receipt right after a registration)."""
    dossier = _visible_or_404(request, pk)
    if form not in Form.values:
        raise Http404
    event = request.GET.get("event", "")
    pdf_url = reverse("workbench:form-pdf", args=[dossier.pk, form]) + (f"?event={event}" if event.isdigit() else "")
    return render(request, "workbench/print.html", {
        "dossier": dossier, "form_label": gettext(Form(form).label), "pdf_url": pdf_url,
        "just_registered": request.GET.get("new") == "1",
    })


# --- counter registration ----------------------------------------------------------------------

#: The registration form's applicant inputs -> the API's `applicant` fields.
APPLICANT_FIELDS = {"applicant_type": "applicant_type", "applicant_name": "name", "applicant_id_number": "id_number",
                    "applicant_birth_date": "birth_date", "applicant_phone": "phone", "applicant_email": "email",
                    "applicant_address": "address"}


def _registration_body(post: QueryDict, offering: Offering) -> dict[str, Any]:
    applicant = {name: post.get(given, "") for given, name in APPLICANT_FIELDS.items()}
    if not applicant["birth_date"]:
        applicant.pop("birth_date")
    body: dict[str, Any] = {
        "agency": offering.agency.code, "procedure": offering.procedure.code,
        "channel": post.get("channel", ""), "applicant": applicant, "note": post.get("note", ""),
    }
    received = payload_from_post(RegisterSerializer, post).get("received_at")
    if received:
        body["received_at"] = received
    return body


@require_http_methods(["GET", "POST"])
@workbench_view
def register(request: HttpRequest) -> HttpResponse:
    """Counter (or post) registration: pick the procedure, type the applicant, attach a file per
    document type; then the receipt opens for printing."""
    if not request.user.has_role(Role.CLERK):
        return _error(request, 403, _("Chỉ cán bộ một cửa tiếp nhận hồ sơ trực tiếp."))
    text = request.GET.get("q", "")
    offerings = registration_offerings(request.user, text) if "q" in request.GET else []
    chosen = None
    raw = request.POST.get("offering") or request.GET.get("offering", "")
    if raw.isdigit():
        chosen = registration_offering(request.user, int(raw))
        if chosen is None:
            raise Http404
    context: dict[str, Any] = {
        "q": text, "offerings": offerings, "chosen": chosen, "errors": [], "posted": request.POST,
        "channels": [(Channel.COUNTER.value, channel_label(Channel.COUNTER)),
                     (Channel.POST.value, channel_label(Channel.POST))],
        "idempotency_key": request.POST.get("idempotency_key") or uuid.uuid4().hex,
    }
    if chosen is not None:
        context["document_types"] = list(chosen.procedure.document_types.order_by("position", "code"))
    if request.method == "GET":
        return render(request, "workbench/register.html", context)
    if chosen is None:
        return _error(request, 400, _("Chưa chọn thủ tục."))
    throttle = RegistrationThrottle()  # the API's limit per clerk, one count for both
    if not throttle.allow_request(request, None):
        response = _error(request, 429, _("Quá nhiều lượt tiếp nhận trong thời gian ngắn; hãy thử lại sau "
                                          "%(seconds)s giây.") % {"seconds": throttle.wait()})
        response["Retry-After"] = str(throttle.wait())
        return response
    body = _registration_body(request.POST, chosen)
    serializer = RegisterSerializer(data=body)
    if not serializer.is_valid():
        context["errors"] = _field_errors(serializer.errors)
        return render(request, "workbench/register.html", context, status=400)
    try:
        uploads = uploads_from_files(request.FILES, [d.code for d in context["document_types"]])
        data = serializer.validated_data
        key = context["idempotency_key"]
        result = services.dossier_register(
            caller=services.Caller.for_user(request.user), request=_intake_request(data, uploads),
            channel=data["channel"], received_at=data.get("received_at"), idempotency_key=key,
            fingerprint=services.request_fingerprint(body, uploads),
        )
    except DomainError as exc:
        context["errors"] = _domain_errors(exc)
        return render(request, "workbench/register.html", context,
                      status=400 if exc.code == ErrorCode.VALIDATION else 422)
    return redirect(reverse("workbench:print", args=[result.dossier.pk, Form.RECEIPT]) + "?new=1")


# --- kiosk rating -------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@workbench_view
def kiosk(request: HttpRequest, pk: int) -> HttpResponse:
    """The rating screen turned to the applicant at the counter, once the result is handed over."""
    if not request.user.has_role(Role.CLERK):
        return _error(request, 403, _("Chỉ cán bộ một cửa mở màn hình đánh giá tại quầy."))
    dossier = dossier_queue(request.user).filter(pk=pk).first()
    if dossier is None:
        raise Http404
    context: dict[str, Any] = {
        "dossier": dossier, "levels": choices_in_language(Level.choices),
        "criteria": choices_in_language(Criterion.choices), "errors": [],
        "posted": request.POST, "rating": Rating.objects.filter(dossier=dossier).first(),
    }
    if request.method == "GET" or context["rating"] is not None:
        return render(request, "workbench/kiosk.html", context)
    body = {"level": request.POST.get("level", ""), "comment": request.POST.get("comment", ""),
            "criteria": {c: request.POST[f"criteria_{c}"] for c in Criterion.values
                         if request.POST.get(f"criteria_{c}")}}
    serializer = RatingInputSerializer(data=body)
    if not serializer.is_valid():
        context["errors"] = _field_errors(serializer.errors)
        return render(request, "workbench/kiosk.html", context, status=400)
    try:
        rating = rating_give(dossier_id=dossier.pk, rated_by=request.user, source=Source.KIOSK,
                             **serializer.validated_data)
    except DomainError as exc:
        context["errors"] = _domain_errors(exc)
        return render(request, "workbench/kiosk.html", context, status=409 if exc.code == ErrorCode.CONFLICT else 422)
    context["rating"], context["thanks"] = rating, True
    return render(request, "workbench/kiosk.html", context, status=201)

