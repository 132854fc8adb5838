"""GET portal/files/<token>/: a document behind a signed, expiring link (see apps/portal/files.py)."""
from __future__ import annotations

from django.core import signing
from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.exceptions import APIException, NotFound
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from apps.audit.models import AuditAction
from apps.audit.services import audit_record
from apps.dossiers.models import DossierDocument

from ..files import document_id_from_token


class LinkExpired(APIException):
    status_code = 410
    default_detail = "This download link has expired; the portal receives a fresh one with the next sync."
    default_code = "link_expired"


@extend_schema(
    tags=["portal"], summary="A dossier document behind a signed, expiring link (no account needed)",
    responses={(200, "*/*"): OpenApiTypes.BINARY, 404: OpenApiResponse(description="Bad link"),
               410: OpenApiResponse(description="Link expired")},
)
class PortalDocumentDownloadView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    def get(self, request, token: str):
        try:
            document_id = document_id_from_token(token)
        except signing.SignatureExpired as exc:
            raise LinkExpired() from exc
        except signing.BadSignature as exc:
            raise NotFound("No document behind this link.") from exc
        document = DossierDocument.objects.select_related("dossier").filter(pk=document_id).first()
        if document is None:
            raise NotFound("No document behind this link.")
        audit_record(request, AuditAction.DOSSIER_DOCUMENT_DOWNLOAD, object_type="dossiers.dossier",
                     object_id=document.dossier_id, dossier_code=document.dossier.code,
                     detail={"document_id": document.pk, "via": "portal signed link"})
        return FileResponse(document.file.open("rb"), as_attachment=True, filename=document.original_name,
                            content_type=document.content_type)
