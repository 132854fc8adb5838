import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny

from apps.agencies.models import Agency
from apps.agencies.selectors import agency_subtree
from apps.common.filters import StrictBooleanFilter

from ..models import OnlineLevel, Procedure, ServiceClass
from ..selectors import (
    field_list,
    field_search,
    offering_list,
    procedure_get_by_code,
    procedure_list,
    procedure_search,
)
from .serializers import FieldSerializer, OfferingSerializer, ProcedureSerializer


class ProcedureFilter(django_filters.FilterSet):
    field = django_filters.CharFilter(field_name="field__code")
    online_level = django_filters.TypedChoiceFilter(choices=OnlineLevel.choices, coerce=int)
    min_level = django_filters.TypedChoiceFilter(
        choices=OnlineLevel.choices, coerce=int, field_name="online_level", lookup_expr="gte"
    )
    service_class = django_filters.ChoiceFilter(
        choices=ServiceClass.choices, label="Decree 42/2022 class in the national catalogue"
    )
    agency = django_filters.CharFilter(method="filter_agency", label="Offered by this agency code")
    q = django_filters.CharFilter(
        method="filter_text", max_length=200,
        label="Words in the code, name or field name; diacritics and case are ignored (\"ly lich\" finds \"Lý lịch\")",
    )
    is_active = StrictBooleanFilter()

    class Meta:
        model = Procedure
        fields = ("field", "online_level", "min_level", "service_class", "agency", "q", "is_active")

    def filter_agency(self, queryset, name, value):
        return queryset.filter(offerings__agency__code=value, offerings__is_active=True)

    def filter_text(self, queryset, name, value):
        return procedure_search(queryset, value)


class FieldFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="filter_text", max_length=200, label="Words in the code or name; diacritics and case are ignored"
    )

    def filter_text(self, queryset, name, value):
        return field_search(queryset, value)


@extend_schema(tags=["catalogue"], summary="List procedures (public)")
class ProcedureListView(generics.ListAPIView):
    serializer_class = ProcedureSerializer
    permission_classes = [AllowAny]
    filterset_class = ProcedureFilter
    cursor_orderings = {"code": ("code", "id"), "name": ("name", "id"), "-name": ("-name", "-id")}

    def get_queryset(self):
        return procedure_list()


@extend_schema(tags=["catalogue"], summary="One procedure by national code (public)")
class ProcedureDetailView(generics.RetrieveAPIView):
    serializer_class = ProcedureSerializer
    permission_classes = [AllowAny]

    def get_object(self):
        procedure = procedure_get_by_code(self.kwargs["code"])
        if procedure is None:
            raise NotFound("No procedure with this code.")
        return procedure


@extend_schema(tags=["catalogue"], summary="List sectors (public)")
class FieldListView(generics.ListAPIView):
    serializer_class = FieldSerializer
    permission_classes = [AllowAny]
    filterset_class = FieldFilter
    cursor_orderings = {"code": ("code", "id"), "name": ("name", "id"), "-name": ("-name", "-id")}

    def get_queryset(self):
        return field_list()


class OfferingFilter(django_filters.FilterSet):
    agency = django_filters.CharFilter(field_name="agency__code")
    subtree_of = django_filters.CharFilter(method="filter_subtree", label="Agency code: it and all below")
    procedure = django_filters.CharFilter(field_name="procedure__code")
    online_level = django_filters.TypedChoiceFilter(choices=OnlineLevel.choices, coerce=int)
    min_level = django_filters.TypedChoiceFilter(
        choices=OnlineLevel.choices, coerce=int, field_name="online_level", lookup_expr="gte"
    )
    service_class = django_filters.ChoiceFilter(
        choices=ServiceClass.choices, label="Decree 42/2022 class: full (toàn trình), partial (một phần), none"
    )
    is_active = StrictBooleanFilter()

    def filter_subtree(self, queryset, name, value):
        root = Agency.objects.filter(code=value).first()
        if root is None:
            return queryset.none()
        return queryset.filter(agency__in=agency_subtree(root))


@extend_schema(tags=["catalogue"], summary="Which agency offers which procedure, at which level (public)")
class OfferingListView(generics.ListAPIView):
    serializer_class = OfferingSerializer
    permission_classes = [AllowAny]
    filterset_class = OfferingFilter
    cursor_ordering = ("id",)

    def get_queryset(self):
        return offering_list()
