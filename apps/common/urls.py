"""/i18n/setlang/: the pages' language switcher posts here (as to django.conf.urls.i18n's set_language)."""

from django.urls import path

from .views import set_language

urlpatterns = [path("setlang/", set_language, name="set_language")]
