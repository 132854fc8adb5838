from django.urls import path

from .files import PortalDocumentDownloadView
from .views import (
    OutboxHealthView,
    PortalCatalogView,
    PortalChangesView,
    PortalDossierDetailView,
    PortalDossierSubmitView,
)

urlpatterns = [
    path("portal/dossiers/", PortalDossierSubmitView.as_view(), name="portal-dossier-submit"),
    path("portal/dossiers/<str:code>/", PortalDossierDetailView.as_view(), name="portal-dossier-detail"),
    path("portal/changes/", PortalChangesView.as_view(), name="portal-changes"),
    path("portal/catalog/", PortalCatalogView.as_view(), name="portal-catalog"),
    path("portal/health/", OutboxHealthView.as_view(), name="portal-health"),
    path("portal/files/<str:token>/", PortalDocumentDownloadView.as_view(), name="portal-document-download"),
]
