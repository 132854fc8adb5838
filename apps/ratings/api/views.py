import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.permissions import IsStaffReader
from apps.accounts.roles import Role
from apps.common.filters import BoundedDateFilter
from apps.dossiers.selectors import dossier_get_visible, dossier_queue, local_day_bounds
from onestop.errors import DomainError, ErrorCode

from ..models import Level, Rating, Source
from ..selectors import ratings_by_clerk, ratings_visible_to
from ..services import rating_give
from .serializers import KioskRatingSerializer, RatingInputSerializer, RatingSerializer


@extend_schema(tags=["ratings"])
class DossierRatingView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(summary="The dossier's rating, if given", responses=RatingSerializer)
    def get(self, request, pk: int):
        dossier = dossier_get_visible(request.user, pk)
        rating = Rating.objects.filter(dossier=dossier).first() if dossier else None
        if rating is None:
            raise NotFound("No rating for this dossier.")
        return Response(RatingSerializer(rating).data)

    @extend_schema(summary="Rate a finished dossier (its applicant, once, within 30 days)",
                   request=RatingInputSerializer, responses={201: RatingSerializer})
    def post(self, request, pk: int):
        dossier = dossier_get_visible(request.user, pk)
        if dossier is None:
            raise NotFound("No dossier with this id.")
        if dossier.applicant_id != request.user.pk:
            raise DomainError("Only the dossier's applicant rates it online.", code=ErrorCode.PERMISSION_DENIED)
        serializer = RatingInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        rating = rating_give(dossier_id=dossier.pk, rated_by=request.user, source=Source.ONLINE,
                             **serializer.validated_data)
        return Response(RatingSerializer(rating).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["ratings"],
               summary="Rate at the counter kiosk (clerk): counter/post dossiers, or no applicant account",
               request=KioskRatingSerializer, responses={201: RatingSerializer})
class KioskRatingView(APIView):
    permission_classes = [IsAuthenticated]
    # 404: no dossier in the clerk's agencies with this code and ID number. (422
    # kiosk_rating_not_allowed: an online dossier whose applicant has an account rates it themselves.)
    extra_problem_statuses = (404,)

    def post(self, request):
        if not request.user.has_role(Role.CLERK):
            raise DomainError("Only clerks run the counter kiosk.", code=ErrorCode.PERMISSION_DENIED)
        serializer = KioskRatingSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        code, id_number = data.pop("code"), data.pop("id_number").strip()
        dossier = dossier_queue(request.user).filter(code=code, applicant_id_number=id_number).first()
        if dossier is None:
            raise NotFound("No dossier in your agencies matches this code and ID number.")
        rating = rating_give(dossier_id=dossier.pk, rated_by=request.user, source=Source.KIOSK, **data)
        return Response(RatingSerializer(rating).data, status=status.HTTP_201_CREATED)


class RatingFilter(django_filters.FilterSet):
    agency = django_filters.CharFilter(field_name="agency__code")
    procedure = django_filters.CharFilter(field_name="procedure__code")
    clerk = django_filters.CharFilter(
        method="filter_clerk", max_length=200,
        label="Clerk's username or name; diacritics and case are ignored (\"bich\" finds \"Trần Thị Bích\")",
    )
    level = django_filters.MultipleChoiceFilter(choices=Level.choices)
    source = django_filters.ChoiceFilter(choices=Source.choices)
    date_from = BoundedDateFilter(method="filter_from", label="Local date, inclusive")
    date_to = BoundedDateFilter(method="filter_to", label="Local date, inclusive")

    def filter_clerk(self, queryset, name, value):
        return ratings_by_clerk(queryset, value)

    def filter_from(self, queryset, name, value):
        return queryset.filter(created_at__gte=local_day_bounds(value, None)[0])

    def filter_to(self, queryset, name, value):
        return queryset.filter(created_at__lt=local_day_bounds(None, value)[1])


@extend_schema(tags=["ratings"], summary="Ratings of the agencies in your scope")
class RatingListView(generics.ListAPIView):
    serializer_class = RatingSerializer
    permission_classes = [IsAuthenticated, IsStaffReader]
    filterset_class = RatingFilter
    cursor_ordering = ("-created_at", "-id")

    def get_queryset(self):
        return ratings_visible_to(self.request.user)
