from django.urls import path
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView

from .views import ApplicantRegisterView, MeView

urlpatterns = [
    path("auth/token/", TokenObtainPairView.as_view(), name="token-obtain"),
    path("auth/token/refresh/", TokenRefreshView.as_view(), name="token-refresh"),
    path("auth/register/", ApplicantRegisterView.as_view(), name="applicant-register"),
    path("me/", MeView.as_view(), name="me"),
]
