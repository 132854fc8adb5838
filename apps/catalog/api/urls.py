from django.urls import path

from .views import FieldListView, OfferingListView, ProcedureDetailView, ProcedureListView

urlpatterns = [
    path("fields/", FieldListView.as_view(), name="field-list"),
    path("procedures/", ProcedureListView.as_view(), name="procedure-list"),
    path("procedures/<str:code>/", ProcedureDetailView.as_view(), name="procedure-detail"),
    path("offerings/", OfferingListView.as_view(), name="offering-list"),
]
