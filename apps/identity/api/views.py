"""Verified sign-in over OpenID Connect: start (where to send the browser), callback (the code in,
the API's token pair out, as password sign-in gives them)."""
from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import AuthenticationFailed, ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.roles import Role
from apps.accounts.tokens import token_for
from apps.common.throttling import LoginIpThrottle
from onestop.errors import DomainError, ErrorCode
from onestop.identity import normalise_id_number

from .. import oidc
from ..services import verified_sign_in

StartSerializer = inline_serializer("OidcStart", {
    "authorization_url": serializers.URLField(), "state": serializers.CharField()})
TokensSerializer = inline_serializer("OidcTokens", {
    "access": serializers.CharField(), "refresh": serializers.CharField(),
    "created": serializers.BooleanField(help_text="A new applicant account was made for this citizen"),
    "verified": serializers.BooleanField()})


class CallbackSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=2048)
    state = serializers.CharField(max_length=256)


def _not_configured(exc: Exception) -> DomainError:
    return DomainError(str(exc), code=ErrorCode.UNPROCESSABLE, extra={"reason": "oidc_not_configured"})


@extend_schema(tags=["auth"], summary="Start a verified sign-in (OpenID Connect, code flow with PKCE)",
               description="Send the citizen's browser to `authorization_url`. Called with an applicant's "
                           "bearer token, the sign-in also verifies that account when its ID number matches.",
               responses=StartSerializer)
class OidcStartView(APIView):
    permission_classes = [AllowAny]
    throttle_classes = [LoginIpThrottle]
    extra_problem_statuses = (422,)  # not configured, or the provider cannot be reached

    def get(self, request):
        user = request.user
        link = user.pk if user.is_authenticated and user.has_role(Role.APPLICANT) else None
        try:
            started = oidc.start(link_user_id=link)
        except oidc.OidcNotConfigured as exc:
            raise _not_configured(exc) from exc
        except oidc.OidcRefused as exc:
            raise DomainError(str(exc), code=ErrorCode.UNPROCESSABLE, field=exc.field) from exc
        return Response({"authorization_url": started.authorization_url, "state": started.state})


def _finish(data) -> Response:
    if isinstance(data, dict) and data.get("error"):  # the provider said no (the citizen cancelled, ...)
        raise AuthenticationFailed(
            _("The identity provider refused the sign-in: %(error)s") % {"error": str(data["error"])[:100]}
        )
    serializer = CallbackSerializer(data=data)
    serializer.is_valid(raise_exception=True)
    try:
        claims = oidc.finish(**serializer.validated_data)
    except oidc.OidcNotConfigured as exc:
        raise _not_configured(exc) from exc
    except oidc.OidcRefused as exc:
        if exc.field == "state":
            raise ValidationError({"state": [str(exc)]}) from exc
        raise AuthenticationFailed(str(exc)) from exc
    raw = claims.get(oidc.settings.OIDC_ID_NUMBER_CLAIM)
    try:
        number = normalise_id_number(raw if isinstance(raw, str) else "")
    except ValueError as exc:
        raise AuthenticationFailed("The identity provider sent no usable ID number.") from exc
    signed_in = verified_sign_in(
        issuer=str(claims["iss"]).rstrip("/"), subject=str(claims["sub"]), number=number,
        full_name=str(claims.get("name", "")), email=str(claims.get("email", "")) if claims.get("email_verified")
        else "", link_user_id=claims.get("_link_user_id"),
    )
    refresh = token_for(signed_in.user)
    return Response({"access": str(refresh.access_token), "refresh": str(refresh), "created": signed_in.created,
                     "verified": True})


@extend_schema(tags=["auth"])
class OidcCallbackView(APIView):
    """Where the identity provider sends the browser back (`OIDC_REDIRECT_URI`), or where a client
    app that received the redirect itself posts the code and state."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [LoginIpThrottle]
    extra_problem_statuses = (401, 422)  # the provider's answer refused; not configured

    def get_authenticate_header(self, request) -> str:
        return 'Bearer realm="api"'  # a refused sign-in is a 401 (DRF makes it 403 without this header)

    @extend_schema(summary="The provider's redirect: exchange the code, answer the API's token pair",
                   parameters=[OpenApiParameter("code", str), OpenApiParameter("state", str)],
                   responses=TokensSerializer)
    def get(self, request):
        return _finish(dict(request.query_params.items()))

    @extend_schema(summary="Exchange a code received by a client app for the API's token pair",
                   request=CallbackSerializer, responses=TokensSerializer)
    def post(self, request):
        return _finish(request.data)
