from django.urls import path

from .views import OidcCallbackView, OidcStartView

urlpatterns = [
    path("auth/oidc/start/", OidcStartView.as_view(), name="oidc-start"),
    path("auth/oidc/callback/", OidcCallbackView.as_view(), name="oidc-callback"),
]
