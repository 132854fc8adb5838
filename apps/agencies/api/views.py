import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny

from apps.common.filters import StrictBooleanFilter

from ..models import Agency, Tier
from ..selectors import agency_get_by_code, agency_list, agency_search, agency_subtree
from .serializers import AgencySerializer


class AgencyFilter(django_filters.FilterSet):
    tier = django_filters.ChoiceFilter(choices=Tier.choices)
    parent = django_filters.CharFilter(field_name="parent__code")
    subtree_of = django_filters.CharFilter(method="filter_subtree", label="Agency code: it and all below")
    q = django_filters.CharFilter(
        method="filter_text", max_length=200, label="Words in the code or name; diacritics and case are ignored"
    )
    is_active = StrictBooleanFilter()

    class Meta:
        model = Agency
        fields = ("tier", "parent", "subtree_of", "q", "is_active")

    def filter_subtree(self, queryset, name, value):
        root = agency_get_by_code(value)
        if root is None:
            return queryset.none()
        return queryset.filter(pk__in=agency_subtree(root).values("pk"))

    def filter_text(self, queryset, name, value):
        return agency_search(queryset, value)


@extend_schema(tags=["agencies"], summary="List agencies (public)")
class AgencyListView(generics.ListAPIView):
    serializer_class = AgencySerializer
    permission_classes = [AllowAny]
    filterset_class = AgencyFilter
    cursor_orderings = {"path": ("path", "id"), "name": ("name", "id"), "-name": ("-name", "-id")}

    def get_queryset(self):
        return agency_list()


@extend_schema(tags=["agencies"], summary="One agency by code (public)")
class AgencyDetailView(generics.RetrieveAPIView):
    serializer_class = AgencySerializer
    permission_classes = [AllowAny]

    def get_object(self):
        agency = agency_get_by_code(self.kwargs["code"])
        if agency is None:
            raise NotFound("No agency with this code.")
        return agency
