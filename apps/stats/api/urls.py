from django.urls import path

from .views import StatsBreakdownView, StatsSummaryView

urlpatterns = [
    path("stats/summary/", StatsSummaryView.as_view(), name="stats-summary"),
    path("stats/breakdown/", StatsBreakdownView.as_view(), name="stats-breakdown"),
]
