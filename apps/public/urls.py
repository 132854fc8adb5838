from django.urls import path

from .views import favicon, landing, lookup

urlpatterns = [
    path("", landing, name="public-landing"),
    path("tra-cuu/", lookup, name="public-lookup"),
    path("favicon.ico", favicon, name="favicon"),
]
