from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from apps.common.problems import api_not_found

api_v1 = [
    path("", include("apps.accounts.api.urls")),
    path("", include("apps.agencies.api.urls")),
    path("", include("apps.catalog.api.urls")),
    path("", include("apps.workcalendar.api.urls")),
    path("", include("apps.dossiers.api.urls")),
    path("", include("apps.ratings.api.urls")),
    path("", include("apps.stats.api.urls")),
    path("", include("apps.documents.api.urls")),
    path("", include("apps.portal.api.urls")),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    re_path(r"^api/", api_not_found),
]

handler400 = "apps.common.problems.handler400"
handler404 = "apps.common.problems.handler404"
handler500 = "apps.common.problems.handler500"
