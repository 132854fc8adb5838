from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.exceptions import ErrorDetail, NotFound, ValidationError
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.views import TokenObtainPairView
from rest_framework_simplejwt.views import TokenRefreshView as SimpleJWTTokenRefreshView

from apps.agencies.selectors import agency_get_by_code
from apps.common.throttling import LOGIN_THROTTLES, SignupThrottle

from ..models import AgencyMembership
from ..permissions import IsStaffReader
from ..selectors import agency_members, viewer_can_see_agency_private
from ..services import UsernameTaken, applicant_register
from .serializers import USERNAME_TAKEN, ApplicantRegisterSerializer, MeSerializer, StaffMemberSerializer


@extend_schema(tags=["accounts"], summary="The signed-in user, with roles and agency scope")
class MeView(generics.RetrieveAPIView):
    serializer_class = MeSerializer
    permission_classes = [IsAuthenticated]

    def get_object(self):
        return self.request.user


@extend_schema(
    tags=["accounts"],
    summary="Applicant self-registration",
    request=ApplicantRegisterSerializer,
    responses={201: MeSerializer},
)
class ApplicantRegisterView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [SignupThrottle]

    def post(self, request):
        serializer = ApplicantRegisterSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            user = applicant_register(**serializer.validated_data)
        except UsernameTaken:  # lost a race: the same answer as a sequential duplicate
            raise ValidationError({"username": [ErrorDetail(USERNAME_TAKEN, code="unique")]}) from None
        return Response(MeSerializer(user).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["agencies"], summary="Staff of an agency (staff whose scope covers it)")
class AgencyMembersView(generics.ListAPIView):
    serializer_class = StaffMemberSerializer
    permission_classes = [IsAuthenticated, IsStaffReader]
    cursor_ordering = ("id",)
    queryset = AgencyMembership.objects.none()  # for the schema; real rows come from the selector

    def get_queryset(self):
        agency = agency_get_by_code(self.kwargs["code"])
        # Out of scope reads like "no such agency's staff": 404, never confirming who works where.
        if agency is None or not viewer_can_see_agency_private(viewer=self.request.user, agency=agency):
            raise NotFound("No agency with this code in your scope.")
        return agency_members(agency=agency).prefetch_related("user__groups")


@extend_schema(
    tags=["accounts"],
    summary="Sign in: a JWT pair (the access token carries the user's roles)",
    responses={200: inline_serializer("TokenPair", {"access": serializers.CharField(),
                                                    "refresh": serializers.CharField()})},
)
class TokenObtainView(TokenObtainPairView):
    extra_problem_statuses = (401,)  # wrong credentials (the view itself authenticates no one)
    # Counted before the password is checked: a locked-out guess learns nothing (shared with the admin form).
    throttle_classes = LOGIN_THROTTLES


@extend_schema(tags=["accounts"], summary="A new token pair for a refresh token (which is then spent)")
class TokenRefreshView(SimpleJWTTokenRefreshView):
    """Rotates: the answer has a new refresh token too, and the one sent is spent. Sending a spent
    one again ends every token of that sign-in."""

    extra_problem_statuses = (401,)  # invalid, expired, spent or revoked refresh token
