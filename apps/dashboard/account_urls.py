"""Session sign-in for the server-rendered pages (the API keeps its tokens)."""
from django.contrib.auth import views as auth_views
from django.urls import path

from apps.common.forms import LoginForm
from apps.common.throttling import throttle_login_form

urlpatterns = [
    # Same sign-in limits as the token endpoint and the admin (per IP and per username).
    path("login/", throttle_login_form(auth_views.LoginView.as_view(
        template_name="dashboard/login.html", authentication_form=LoginForm)),
         name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
]
