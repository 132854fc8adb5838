from django.urls import path

from .views import (
    ACTION_VIEWS,
    DossierDetailView,
    DossierDocumentDownloadView,
    DossierDocumentsView,
    DossierExportView,
    DossierHistoryView,
    DossierListCreateView,
    DossierReceiptView,
    DossierRegisterView,
    LookupView,
    MyDossiersView,
)

urlpatterns = [
    path("dossiers/", DossierListCreateView.as_view(), name="dossier-list"),
    path("dossiers/register/", DossierRegisterView.as_view(), name="dossier-register"),
    path("dossiers/export.csv", DossierExportView.as_view(), name="dossier-export"),
    path("dossiers/<int:pk>/", DossierDetailView.as_view(), name="dossier-detail"),
    path("dossiers/<int:pk>/history/", DossierHistoryView.as_view(), name="dossier-history"),
    path("dossiers/<int:pk>/documents/", DossierDocumentsView.as_view(), name="dossier-documents"),
    path(
        "dossiers/<int:pk>/documents/<int:document_id>/download/",
        DossierDocumentDownloadView.as_view(),
        name="dossier-document-download",
    ),
    path("dossiers/<int:pk>/receipt/", DossierReceiptView.as_view(), name="dossier-receipt"),
    path("me/dossiers/", MyDossiersView.as_view(), name="my-dossiers"),
    path("lookup/<str:code>/", LookupView.as_view(), name="dossier-lookup"),
    *[
        path(f"dossiers/<int:pk>/{name}/", view.as_view(), name=f"dossier-{name}")
        for name, view in ACTION_VIEWS.items()
    ],
]
