"""The platform's error page for the error responses that do not pass through Django's
handlers (handler403, handler404... in lms/urls.py only see raised exceptions).

Django answers a wrong method with a bare, empty 405 (`require_POST`, `require_GET`), and a view
may return a short text error itself (`HttpResponseForbidden("...")`): a person who follows such
a link would see a blank or unstyled English page. This middleware puts the platform's page
around them (the view's text becomes the page's message). It leaves alone API responses (their
JSON), full pages a view rendered itself (the certificate check, the 429 pages), and responses
that are not text (a playlist, a calendar, a file).

It also answers the sign-in address of a provider that staff have not configured (Kakao, Naver
without keys) with the 404 page: allauth raises there, which would be a 500 the member can do
nothing about.
"""

from collections.abc import Callable

from allauth.socialaccount.models import SocialApp
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.utils.html import strip_tags

from .views import ERRORS, error_page

# Statuses a person may meet by following a link or the address bar; 416 (a byte range) and
# 429 (limits, with pages of their own) are for players and scripts.
WRAPPED = frozenset(status for status in ERRORS if 400 <= status < 500)
# A view's own short message is kept up to this length; anything longer is not a message.
MESSAGE_MAX = 300


def _bare(response: HttpResponseBase) -> bool:
    if response.streaming or response.status_code not in WRAPPED:
        return False
    if not isinstance(response, HttpResponse):
        return False
    content_type = response.get("Content-Type", "")
    if not content_type.startswith(("text/html", "text/plain")):
        return False
    body = response.content.lower()
    return b"<html" not in body


class ErrorPageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if request.path_info.startswith("/api/") or not _bare(response):
            return response
        assert isinstance(response, HttpResponse)  # _bare checked it
        text = strip_tags(response.content.decode(response.charset, "replace")).strip()
        message = text if 0 < len(text) <= MESSAGE_MAX else ""
        page = error_page(request, response.status_code, message=message)
        if "Allow" in response:  # a 405 says which methods would do
            page["Allow"] = response["Allow"]
        return page

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, SocialApp.DoesNotExist):
            return error_page(request, 404)
        return None
