from django.urls import path

from .views import StatsBreakdownView, StatsCsvView, StatsSummaryView, StatsXlsxView

urlpatterns = [
    path("stats/summary/", StatsSummaryView.as_view(), name="stats-summary"),
    path("stats/breakdown/", StatsBreakdownView.as_view(), name="stats-breakdown"),
    path("stats/summary.csv", StatsCsvView.as_view(), name="stats-summary-csv"),
    path("stats/summary.xlsx", StatsXlsxView.as_view(), name="stats-summary-xlsx"),
]
