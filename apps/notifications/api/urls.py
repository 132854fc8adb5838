from django.urls import path

from .views import MyNotificationsView, NotificationReadAllView, NotificationReadView

urlpatterns = [
    path("me/notifications/", MyNotificationsView.as_view(), name="my-notifications"),
    path("me/notifications/read-all/", NotificationReadAllView.as_view(), name="my-notifications-read-all"),
    path("me/notifications/<int:pk>/read/", NotificationReadView.as_view(), name="my-notification-read"),
]
