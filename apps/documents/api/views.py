"""GET /api/v1/dossiers/{id}/documents/<form>.pdf: the official one-stop forms as PDF (thin)."""
from __future__ import annotations

from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.views import APIView

from apps.audit.mixins import AuditedReadMixin
from apps.audit.models import AuditAction
from apps.common.numbers import BIGINT_MAX, query_int
from apps.dossiers.selectors import dossier_get_visible

from ..forms import Form
from ..selectors import DocumentNotAvailable
from ..services import document_render

EVENT_PARAMETER = OpenApiParameter(
    "event", OpenApiTypes.INT, description="Which supplement request or apology (its history event id); "
    "default: the latest. Ignored by the other forms.",
)
PROBLEM = OpenApiResponse(description="Problem details (application/problem+json)")


class DossierFormPdfView(AuditedReadMixin, APIView):
    permission_classes = [IsAuthenticated]
    audit_action = AuditAction.DOSSIER_FORM

    def perform_content_negotiation(self, request, force=False):
        # `Accept: application/pdf` is fine: the PDF is a plain response, problems stay JSON.
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(
        tags=["documents"],
        operation_id="dossier_form_pdf",
        summary="An official one-stop form of the dossier as PDF (A4; Vietnamese, or its English translation)",
        description=(
            "Forms: `receipt` (giấy tiếp nhận hồ sơ và hẹn trả kết quả, once received), `supplement_request` "
            "(phiếu yêu cầu bổ sung, after a supplement request), `refusal` (phiếu từ chối, once rejected), "
            "`apology` (phiếu xin lỗi và hẹn lại, after an apology), `control_slip` (phiếu kiểm soát quá trình "
            "giải quyết, once received). A form for a state the dossier never reached is a 404 problem.\n\n"
            "Language: the request's (`Accept-Language`; Vietnamese by default). The Vietnamese form is the "
            "legally valid one; the English form is its translation and says so under the letterhead. Names "
            "of agencies, procedures and people are printed as recorded; the file name follows the language "
            "(`giay-tiep-nhan-<code>.pdf`, `receipt-<code>.pdf`)."
        ),
        parameters=[
            OpenApiParameter("form", OpenApiTypes.STR, OpenApiParameter.PATH, enum=Form.values),
            EVENT_PARAMETER,
        ],
        responses={(200, "application/pdf"): OpenApiTypes.BINARY, 404: PROBLEM},
    )
    def get(self, request, pk: int, form: str):
        dossier = dossier_get_visible(request.user, pk)
        if dossier is None:
            raise NotFound("No dossier with this id.")
        if form not in Form.values:
            forms = ", ".join(Form.values)
            raise NotFound(_("No form %(form)s; forms: %(forms)s.") % {"form": repr(form), "forms": forms})
        event_id = query_int(request.query_params, "event", default=None, low=1, high=BIGINT_MAX)
        try:
            document = document_render(dossier=dossier, form=form, event_id=event_id)
        except DocumentNotAvailable as exc:
            raise NotFound(str(exc)) from exc
        self.audit_dossier_read(dossier, form=form, event=event_id)
        response = HttpResponse(document.content, content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{document.file_name}"'
        response["Cache-Control"] = "private, no-store"
        return response
