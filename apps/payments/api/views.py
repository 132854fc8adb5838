"""Payment endpoints: the dossier's payment (applicant, staff in scope) and the gateway's IPN."""
from __future__ import annotations

from django.http import QueryDict
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework.exceptions import NotFound, ParseError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.common.parsers import JSONParser
from apps.dossiers.selectors import dossier_get_visible

from .. import services
from ..selectors import latest_payment
from .serializers import GatewayAnswerSerializer, PaymentSerializer

MAX_FIELDS = 60


@extend_schema(tags=["payments"], summary="The dossier's latest online payment, with its payment_url",
               responses=PaymentSerializer)
class DossierPaymentView(APIView):
    permission_classes = [IsAuthenticated]

    def get(self, request, pk: int):
        dossier = dossier_get_visible(request.user, pk)
        payment = latest_payment(dossier) if dossier is not None else None
        if payment is None:
            raise NotFound("No online payment for this dossier.")
        return Response(PaymentSerializer(payment).data)


def _gateway_fields(request) -> dict[str, str]:
    """The callback's `vnp_*` fields: from the query string and/or the body (form or JSON object)."""
    fields: dict[str, object] = dict(request.query_params.items())
    body = request.data
    if isinstance(body, QueryDict):  # a form body: one value per name (the last, as Django reads it)
        body = body.dict()
    if body and not isinstance(body, dict):
        raise ParseError("The body must be a form or a JSON object.")
    fields.update(body or {})
    if len(fields) > MAX_FIELDS:
        raise ParseError("Too many fields.")
    for name, value in fields.items():
        if not isinstance(value, (str, int)) or isinstance(value, bool) or len(str(value)) > 1000:
            raise ParseError(_("Field %(name)s is not a short text or number.") % {"name": repr(name)})
    return {name: str(value) for name, value in fields.items()}


@extend_schema(
    tags=["payments"], summary="The payment gateway's signed notification (IPN)",
    description="Signed `vnp_*` fields (VNPay 2.1.0) as a form, a JSON object or the query string. "
                "Answered as the gateway expects: 200 with `RspCode`/`Message`, including for a bad "
                "signature (97), an unknown order (01), a wrong amount (04) or a replay (02). Idempotent.",
    request={"application/x-www-form-urlencoded": {"type": "object", "additionalProperties": {"type": "string"}},
             "application/json": {"type": "object", "additionalProperties": {"type": "string"}}},
    responses=GatewayAnswerSerializer,
    examples=[OpenApiExample("confirmed", value={"RspCode": "00", "Message": "Confirm Success"},
                             response_only=True)],
)
class PaymentCallbackView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []
    parser_classes = [FormParser, MultiPartParser, JSONParser]

    def post(self, request):
        code, message = services.payment_callback(_gateway_fields(request))
        return Response({"RspCode": code, "Message": message})
