from django.urls import path

from .views import DossierFormPdfView

urlpatterns = [
    path("dossiers/<int:pk>/documents/<str:form>.pdf", DossierFormPdfView.as_view(), name="dossier-form-pdf"),
]
