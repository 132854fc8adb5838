from django.urls import path

from apps.accounts.api.views import AgencyMembersView

from .views import AgencyDetailView, AgencyListView

urlpatterns = [
    path("agencies/", AgencyListView.as_view(), name="agency-list"),
    path("agencies/<str:code>/", AgencyDetailView.as_view(), name="agency-detail"),
    path("agencies/<str:code>/members/", AgencyMembersView.as_view(), name="agency-members"),
]
