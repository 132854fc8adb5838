from django.urls import path
from rest_framework_simplejwt.views import TokenRefreshView

from .views import ApplicantRegisterView, MeView, TokenObtainView

urlpatterns = [
    path("auth/token/", TokenObtainView.as_view(), name="token-obtain"),
    path("auth/token/refresh/", TokenRefreshView.as_view(), name="token-refresh"),
    path("auth/register/", ApplicantRegisterView.as_view(), name="applicant-register"),
    path("me/", MeView.as_view(), name="me"),
]
