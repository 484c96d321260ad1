"""The platform's own error pages, the favicon's old address, and the endpoint browsers report
CSP violations to.

Error pages speak the visitor's chosen language (Korean unless English was chosen), use the site
layout and lead back home; under /api/ the same errors keep the API's JSON shape
`{"message", "code", "extra"}`.
"""

import json
import logging
from typing import Any, NamedTuple

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from .middleware import chosen_language

logger = logging.getLogger(__name__)
csp_logger = logging.getLogger("lms.csp")


class ErrorText(NamedTuple):
    code: str  # the API's machine-readable code
    title: Any
    message: Any  # what the visitor can do
    api_message: Any = None  # when the page's message would not fit an API client


ERRORS: dict[int, ErrorText] = {
    400: ErrorText(
        "bad_request",
        _("Bad request"),
        _("The request could not be processed. Check the address and try again."),
    ),
    403: ErrorText(
        "permission_denied",
        _("Access denied"),
        _(
            "You do not have permission to see this page. You may need to sign in with "
            "another account."
        ),
    ),
    404: ErrorText(
        "not_found",
        _("Page not found"),
        _("The address is wrong or the page has been removed. Check the address and try again."),
        _("Not found."),
    ),
    405: ErrorText(
        "method_not_allowed",
        _("This address does not work that way"),
        _(
            "This page cannot be opened directly from the address bar. Go back and use the "
            "page's button or link."
        ),
    ),
    500: ErrorText(
        "server_error",
        _("Something went wrong"),
        _(
            "A problem occurred on our side. Try again in a moment; if it keeps happening, "
            "tell the site's operators."
        ),
    ),
}
CSRF_ERROR = ErrorText(
    "csrf_failed",
    _("Security check failed"),
    _(
        "We could not confirm that the request came from this page. Reload the page and try "
        "again; if your browser blocks cookies, allow them for this site."
    ),
)


def _is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith("/api/")


def _api_error(status: int, error: ErrorText) -> JsonResponse:
    message = error.api_message or error.message
    return JsonResponse({"message": str(message), "code": error.code, "extra": {}}, status=status)


def _error(
    request: HttpRequest, status: int, error: ErrorText, *, message: str = ""
) -> HttpResponse:
    with translation.override(chosen_language(request)):
        if _is_api(request):
            return _api_error(status, error)
        context = {"status": status, "title": error.title, "message": message or error.message}
        return render(request, "errors/error.html", context, status=status)


def error_page(request: HttpRequest, status: int, *, message: str = "") -> HttpResponse:
    """The platform's page for `status` (one of ERRORS), with the view's own `message` when it
    gave one (already translated)."""
    return _error(request, status, ERRORS[status], message=message)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    return _error(request, 400, ERRORS[400])


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    return _error(request, 403, ERRORS[403])


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    return _error(request, 404, ERRORS[404])


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return _error(request, 403, CSRF_ERROR)


# The last resort when even the error template cannot be rendered (a broken template or static
# manifest): plain markup with nothing to look up.
FALLBACK_500 = (
    '<!doctype html><html lang="{lang}"><meta charset="utf-8"><title>{title}</title>'
    '<h1>{title}</h1><p>{message}</p><p><a href="/">{home}</a></p></html>'
)


def server_error(request: HttpRequest) -> HttpResponse:
    """The 500 page: no database, no session, no context processors (any of them may be what
    failed), only the template and the language cookie."""
    error = ERRORS[500]
    with translation.override(chosen_language(request)):
        if _is_api(request):
            return _api_error(500, error)
        context = {
            "status": 500,
            "title": error.title,
            "message": error.message,
            "SITE_NAME": getattr(settings, "SITE_NAME", "CS리더스포럼"),
        }
        try:
            html: str = render_to_string("errors/500.html", context)
        except Exception:
            logger.exception("the 500 page could not be rendered")
            html = FALLBACK_500.format(
                lang=translation.get_language(),
                title=error.title,
                message=error.message,
                home=_("Back to the home page"),
            )
    return HttpResponse(html, status=500)


def favicon(request: HttpRequest) -> HttpResponseRedirect:
    """Browsers and feed readers ask for /favicon.ico whatever a page links: the SVG icon, by
    its hashed name (looked up per request: the manifest may not exist when URLs load)."""
    return redirect(static("favicon.svg"))


@csrf_exempt
@require_POST
def csp_report(request: HttpRequest) -> HttpResponse:
    """Logs a Content-Security-Policy violation a browser reports (`report-uri`).

    Anyone can post here, so a report is small (CSP_REPORT_MAX_BYTES) and each client is heard
    CSP_REPORTS_PER_MINUTE times a minute; the rest is dropped unread.
    """
    limit_key = f"csp-report:{request.META.get('REMOTE_ADDR', '')}"
    cache.add(limit_key, 0, timeout=60)
    try:
        heard = cache.incr(limit_key)
    except ValueError:  # expired between add and incr
        heard = 1
    if heard > settings.CSP_REPORTS_PER_MINUTE:
        return HttpResponse(status=429)
    body = request.read(settings.CSP_REPORT_MAX_BYTES + 1)
    if len(body) > settings.CSP_REPORT_MAX_BYTES:
        return HttpResponse(status=413)
    try:
        report = json.loads(body).get("csp-report")
    except (ValueError, RecursionError, AttributeError):
        report = None
    if not isinstance(report, dict):
        return HttpResponse(status=400)
    fields: tuple[str, ...] = (
        "document-uri",
        "effective-directive",
        "violated-directive",
        "blocked-uri",
    )
    fields += ("source-file", "line-number", "script-sample")
    csp_logger.warning(
        "CSP violation: %s", json.dumps({k: report.get(k) for k in fields}, ensure_ascii=False)
    )
    return HttpResponse(status=204)
