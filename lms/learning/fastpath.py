"""The short path of the progress heartbeat: the request every watching member sends every
~10 s, so the one that decides how many members a small server can hold.

A heartbeat that names its member in the `Authorization` header (the player's signed key or
an API token, see `auth.py`) is answered without the session, CSRF, messages or allauth
middleware and without DRF's dispatch, whose CPU cost was larger than the heartbeat's own work
(measured in-process on the 2-core machine: 2.5 ms of CPU per heartbeat through the full
stack). It runs the same code as the DRF view (`HeartbeatApi`): the same authentication,
throttle, body limits and parser, the same service, and answers the same JSON and statuses, in
the member's language. Anything else (a session cookie, another content type, another path)
goes on to the normal stack unchanged. It also skips the per-request database ping (see
`_answer`).

Two doors lead to it:
- `HeartbeatWSGI` wraps the WSGI application (`lms/wsgi.py`, what gunicorn serves): the
  heartbeat is answered before Django's request handler, so without building a request object,
  the request signals, the middleware chain or a response object. It adds the headers
  SecurityMiddleware would add, and leaves to Django what SecurityMiddleware would redirect
  (plain HTTP under SECURE_SSL_REDIRECT).
- `HeartbeatFastPathMiddleware`, right after SecurityMiddleware, for every other way in (ASGI,
  the test client).
"""

import json
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any, ParamSpec, TypeVar

from django.conf import settings
from django.core.handlers.wsgi import LimitedStream
from django.db import (
    DEFAULT_DB_ALIAS,
    InterfaceError,
    OperationalError,
    close_old_connections,
    connections,
)
from django.http import HttpRequest, HttpResponse, parse_cookie
from django.middleware.security import SecurityMiddleware
from django.urls import reverse
from django.utils import translation
from django.utils.translation import check_for_language
from rest_framework import exceptions

from lms.accounts.models import User
from lms.core.api import error_body
from lms.core.errors import AppError

from .api import HeartbeatApi, HeartbeatThrottle, heartbeat_answer, heartbeat_body_parse
from .auth import header_user

#: status, JSON body, extra headers; None: not a heartbeat this path answers.
Reply = tuple[int, dict[str, Any], dict[str, str]] | None

_path: str | None = None


def _heartbeat_path() -> str:
    global _path  # resolved once, on the first request
    if _path is None:
        _path = reverse("api-progress-heartbeats")
    return _path


class _ThrottledRequest:
    """What the throttle reads of a request: the member (a member's count is kept by id)."""

    __slots__ = ("META", "user")

    def __init__(self, user: User, meta: dict[str, Any]) -> None:
        self.user = user
        self.META = meta


def _language(cookie: str | None) -> str:
    return cookie if cookie and check_for_language(cookie) else settings.LANGUAGE_CODE


def _reply(authorization: bytes, body: Any, language: str, meta: dict[str, Any]) -> Reply:
    """The heartbeat's answer, in `language`, or None for a scheme this path does not know."""
    if translation.get_language() == language:
        return _answer(authorization, body, meta)
    with translation.override(language):
        return _answer(authorization, body, meta)


def _answer(authorization: bytes, body: Any, meta: dict[str, Any]) -> Reply:
    """Without the ping CONN_HEALTH_CHECKS sends before a request's first query: the
    heartbeat's own first statement is the check. A connection found dead (PostgreSQL
    restarted) is closed and the statement run once more on a new one, which is safe: nothing
    was stored on the dead one, and a replayed report changes nothing."""
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.health_check_enabled and connection.connection is not None:
        connection.health_check_done = True
    try:
        user = _on_live_connection(header_user, authorization)
    except exceptions.AuthenticationFailed as exc:
        # 403 as from the DRF view, whose first authenticator (the session) sends no
        # WWW-Authenticate challenge.
        return 403, error_body(exc), {}
    if user is None:
        return None
    throttle = HeartbeatThrottle()
    request = _ThrottledRequest(user, meta)
    if not throttle.allow_request(request, HeartbeatApi):  # type: ignore[arg-type]
        wait = throttle.wait()
        throttled = exceptions.Throttled(wait)
        headers = {} if wait is None else {"Retry-After": str(int(wait))}
        return throttled.status_code, error_body(throttled), headers
    try:
        data = heartbeat_body_parse(body)
        return 200, _on_live_connection(heartbeat_answer, user, data), {}
    except (exceptions.APIException, AppError) as exc:
        return exc.status_code, error_body(exc), {}


P = ParamSpec("P")
T = TypeVar("T")


def _on_live_connection(run: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    connection = connections[DEFAULT_DB_ALIAS]
    try:
        return run(*args, **kwargs)
    except (InterfaceError, OperationalError):
        if connection.connection is not None and connection.is_usable():
            raise
        connection.close()
    return run(*args, **kwargs)


def _json_bytes(body: dict[str, Any]) -> bytes:
    # As DRF's JSONRenderer writes it: compact, UTF-8 (Korean messages stay readable).
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


class HeartbeatFastPathMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            request.method != "POST"
            or request.path_info != _heartbeat_path()
            or "HTTP_AUTHORIZATION" not in request.META
            or request.content_type != "application/json"
        ):
            return self.get_response(request)
        language = _language(request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME))
        reply = _reply(
            request.META["HTTP_AUTHORIZATION"].encode("latin-1"), request, language, request.META
        )
        if reply is None:
            return self.get_response(request)  # a scheme the short path does not know
        status, body, headers = reply
        content = _json_bytes(body)
        response = HttpResponse(content, status=status, content_type="application/json")
        # Set here, as CommonMiddleware (not reached) would: without it the server falls back
        # to chunked transfer encoding, and keep-alive clients pay for it.
        response["Content-Length"] = str(len(content))
        for name, value in headers.items():
            response[name] = value
        return response


StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


class HeartbeatWSGI:
    """The WSGI application `inner` with header-authenticated heartbeats answered in front of
    it (see the module's docstring)."""

    def __init__(self, inner: WSGIApp) -> None:
        self.inner = inner
        self._security: dict[bool, list[tuple[str, str]]] = {}

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if (
            environ.get("REQUEST_METHOD") != "POST"
            or "HTTP_AUTHORIZATION" not in environ
            or environ.get("PATH_INFO") != _heartbeat_path()
            or environ.get("CONTENT_TYPE", "").split(";", 1)[0].strip() != "application/json"
        ):
            return self.inner(environ, start_response)
        secure = _is_secure(environ)
        if settings.SECURE_SSL_REDIRECT and not secure:
            return self.inner(environ, start_response)  # SecurityMiddleware redirects it
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return self.inner(environ, start_response)
        try:
            authorization = environ["HTTP_AUTHORIZATION"].encode("latin-1")
        except UnicodeEncodeError:
            return self.inner(environ, start_response)
        cookies = environ.get("HTTP_COOKIE")
        cookie = parse_cookie(cookies).get(settings.LANGUAGE_COOKIE_NAME) if cookies else None
        reply = _reply(
            authorization, LimitedStream(environ["wsgi.input"], length), _language(cookie), environ
        )
        if reply is None:
            return self.inner(environ, start_response)
        status, body, extra = reply
        content = _json_bytes(body)
        headers = [
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(content))),
            *self._security_headers(secure),
            *extra.items(),
        ]
        start_response(f"{status} {HTTPStatus(status).phrase}", headers)
        # What Django's request_finished signal does for the database: close a connection
        # past CONN_MAX_AGE or left unusable by an error.
        close_old_connections()
        return [content]

    def _security_headers(self, secure: bool) -> list[tuple[str, str]]:
        """The headers SecurityMiddleware adds to a JSON answer (nosniff, referrer policy,
        opener policy, HSTS when secure), worked out once by asking it."""
        known = self._security.get(secure)
        if known is None:
            request = HttpRequest()
            request.META = {"wsgi.url_scheme": "https" if secure else "http"}
            if secure and settings.SECURE_PROXY_SSL_HEADER:
                header, value = settings.SECURE_PROXY_SSL_HEADER
                request.META[header] = value
            response = HttpResponse(b"", content_type="application/json")
            plain = set(response.headers)
            response = SecurityMiddleware(lambda r: response).process_response(request, response)
            known = [(k, v) for k, v in response.items() if k not in plain]
            self._security[secure] = known
        return known


def _is_secure(environ: dict[str, Any]) -> bool:
    """HttpRequest.is_secure() on the raw environ (SECURE_PROXY_SSL_HEADER, else the scheme)."""
    if settings.SECURE_PROXY_SSL_HEADER:
        header, secure_value = settings.SECURE_PROXY_SSL_HEADER
        value = environ.get(header)
        if value is not None:
            return bool(value.split(",", 1)[0].strip() == secure_value)
    return bool(environ.get("wsgi.url_scheme") == "https")
