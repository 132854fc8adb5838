"""Session sign-in for the server-rendered pages (the API keeps its tokens)."""
from django.contrib.auth import views as auth_views
from django.shortcuts import redirect
from django.urls import path
from django.views.decorators.http import require_GET

from apps.accounts.selectors import start_page_name
from apps.common.forms import LoginForm
from apps.common.throttling import throttle_login_form


@require_GET
def start_page(request):
    """After sign-in without a `next`: the page of the person's daily work (LOGIN_REDIRECT_URL)."""
    return redirect(start_page_name(request.user))


urlpatterns = [
    # Same sign-in limits as the token endpoint and the admin (per IP and per username).
    path("login/", throttle_login_form(auth_views.LoginView.as_view(
        template_name="dashboard/login.html", authentication_form=LoginForm)),
         name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("start/", start_page, name="start-page"),
]
