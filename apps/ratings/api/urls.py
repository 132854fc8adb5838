from django.urls import path

from .views import DossierRatingView, KioskRatingView, RatingListView

urlpatterns = [
    path("dossiers/<int:pk>/rating/", DossierRatingView.as_view(), name="dossier-rating"),
    path("ratings/", RatingListView.as_view(), name="rating-list"),
    path("ratings/kiosk/", KioskRatingView.as_view(), name="rating-kiosk"),
]
