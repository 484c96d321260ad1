"""The short path of the progress heartbeat: the request every watching member sends every
~10 s, so the one that decides how many members a small server can hold.

A heartbeat that names its member in the `Authorization` header (the player's signed key or
an API token, see `auth.py`) is answered here, right after SecurityMiddleware: no session,
CSRF, messages or allauth middleware and no DRF dispatch, whose CPU cost was larger than the
heartbeat's own work (measured in-process on the 2-core machine: 2.5 ms of CPU per heartbeat
through the full stack). It runs the same code as the DRF view (`HeartbeatApi`): the same
authentication, throttle, body limits and parser, the same service, and answers the same JSON
and statuses, in the member's language. Anything else (a session cookie, another content
type, another path) goes on to the normal stack unchanged. It also skips the per-request
database ping (see `_record`).
"""

import json
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError, connections
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import translation
from django.utils.translation import check_for_language
from rest_framework import exceptions

from lms.accounts.models import User
from lms.core.api import error_body
from lms.core.errors import AppError

from .api import HeartbeatApi, HeartbeatThrottle, heartbeat_answer, heartbeat_body_parse
from .auth import header_user


class HeartbeatFastPathMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self._path: str | None = None

    def _heartbeat_path(self) -> str:
        if self._path is None:
            self._path = reverse("api-progress-heartbeats")
        return self._path

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            request.method != "POST"
            or request.path_info != self._heartbeat_path()
            or "HTTP_AUTHORIZATION" not in request.META
            or request.content_type != "application/json"
        ):
            return self.get_response(request)
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen and check_for_language(chosen) else settings.LANGUAGE_CODE
        with translation.override(language):
            return self._answer(request)

    def _answer(self, request: HttpRequest) -> HttpResponse:
        try:
            user = header_user(request.META["HTTP_AUTHORIZATION"].encode("latin-1"))
        except exceptions.AuthenticationFailed as exc:
            # 403 as from the DRF view, whose first authenticator (the session) sends no
            # WWW-Authenticate challenge.
            return _json(error_body(exc), status=403)
        if user is None:
            return self.get_response(request)  # a scheme the short path does not know
        request.user = user
        throttle = HeartbeatThrottle()
        if not throttle.allow_request(request, HeartbeatApi):  # type: ignore[arg-type]
            wait = throttle.wait()
            throttled = exceptions.Throttled(wait)
            response = _json(error_body(throttled), status=throttled.status_code)
            if wait is not None:
                response["Retry-After"] = str(int(wait))
            return response
        try:
            data = heartbeat_body_parse(request)
            return _json(_record(user, data), status=200)
        except exceptions.APIException as exc:
            return _json(error_body(exc), status=exc.status_code)
        except AppError as exc:
            return _json(error_body(exc), status=exc.status_code)


def _record(user: User, data: Any) -> dict[str, Any]:
    """`heartbeat_answer`, without the ping CONN_HEALTH_CHECKS sends before a request's first
    query: here the heartbeat's own first statement is the check. A connection found dead
    (PostgreSQL restarted) is closed and the heartbeat recorded once more on a new one, which
    is safe: nothing was stored on the dead one, and a replayed report changes nothing."""
    connection = connections[DEFAULT_DB_ALIAS]
    if not (connection.health_check_enabled and connection.connection is not None):
        return heartbeat_answer(user, data)
    connection.health_check_done = True
    try:
        return heartbeat_answer(user, data)
    except (InterfaceError, OperationalError):
        if connection.connection is not None and connection.is_usable():
            raise
        connection.close()
    return heartbeat_answer(user, data)


def _json(body: dict[str, Any], *, status: int) -> HttpResponse:
    # As DRF's JSONRenderer writes it: compact, UTF-8 (Korean messages stay readable).
    content = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    response = HttpResponse(content, status=status, content_type="application/json")
    # Set here, as CommonMiddleware (not reached) would: without it the server falls back to
    # chunked transfer encoding, and keep-alive clients pay for it.
    response["Content-Length"] = str(len(content))
    return response
