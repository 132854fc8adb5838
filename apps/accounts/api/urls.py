from django.urls import path

from .views import ApplicantRegisterView, MeView, TokenObtainView, TokenRefreshView

urlpatterns = [
    path("auth/token/", TokenObtainView.as_view(), name="token-obtain"),
    path("auth/token/refresh/", TokenRefreshView.as_view(), name="token-refresh"),
    path("auth/register/", ApplicantRegisterView.as_view(), name="applicant-register"),
    path("me/", MeView.as_view(), name="me"),
]
