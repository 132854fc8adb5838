from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

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
    path("", include("apps.audit.api.urls")),
    path("", include("apps.notifications.api.urls")),
    path("", include("apps.payments.api.urls")),
    path("", include("apps.identity.api.urls")),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("dashboard/", include("apps.dashboard.urls")),
    path("workbench/", include("apps.workbench.urls")),
    path("accounts/", include("apps.dashboard.account_urls")),
    path("i18n/", include("apps.common.urls")),  # the pages' language switcher
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # Split view: Swagger UI's start-up script is a URL, not inline, so the CSP forbids inline scripts.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="swagger-ui"),
    re_path(r"^api/", api_not_found),
    path("", include("apps.public.urls")),  # landing page, /tra-cuu/ lookup, favicon
    path("", include("apps.payments.urls")),  # the applicant's payment link and the gateway's return page
]

handler400 = "apps.common.problems.handler400"
handler404 = "apps.common.problems.handler404"
handler500 = "apps.common.problems.handler500"
