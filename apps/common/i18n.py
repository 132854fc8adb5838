"""Which language a person reads: what the system sends them (e-mail, SMS) and the pages they open.

The API speaks the request's language (Accept-Language, as Django's LocaleMiddleware chooses it).
Pages for people are Vietnamese unless the person chose English: a signed-in user's own choice
(User.language) wins, else the language cookie the pages' switcher sets. A browser's Accept-Language
does not switch a page: many Vietnamese phones are set to English, and Vietnamese public-service
sites open in Vietnamese.
"""
from __future__ import annotations

from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation
from django.utils.cache import patch_vary_headers

#: Requests under this prefix are the API's (and its schema and Swagger UI): Accept-Language decides.
API_PREFIX = "/api/"
_STATIC_PREFIX = "/" + settings.STATIC_URL.lstrip("/")


def language_of(user) -> str:
    """The person's own choice (User.language), else Vietnamese; no account (a counter applicant): Vietnamese."""
    language = getattr(user, "language", "") or settings.LANGUAGE_CODE
    return language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def in_language_of(user):
    """`with in_language_of(user): …` — texts built inside are in that person's language."""
    return translation.override(language_of(user))


def is_api_request(request) -> bool:
    return request.path_info.startswith(API_PREFIX)


def page_language(request) -> str:
    """The language of a page: the signed-in user's, else the cookie's, else Vietnamese."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return language_of(user)
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
    return chosen if chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


class LanguageMiddleware(LocaleMiddleware):
    """Django's LocaleMiddleware for the API; the rule above for every other page.

    Early in MIDDLEWARE (so even the request guard's 400s speak the request's language), where the
    user is not known yet: a page starts in the cookie's language, and once the authentication
    middleware has run (process_view, just before the view) a signed-in user's own language."""

    def process_request(self, request):
        if is_api_request(request):
            return super().process_request(request)
        translation.activate(page_language(request))
        request.LANGUAGE_CODE = translation.get_language()
        return None

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not is_api_request(request):
            translation.activate(page_language(request))
            request.LANGUAGE_CODE = translation.get_language()
        return None

    def process_response(self, request, response):
        if is_api_request(request):
            return super().process_response(request, response)
        if request.path_info.startswith(_STATIC_PREFIX):  # the same file in every language: cacheable as such
            return response
        patch_vary_headers(response, ("Cookie",))  # the cookie (or the session's user) decides, not the headers
        response.headers.setdefault("Content-Language", translation.get_language())
        return response
