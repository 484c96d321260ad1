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

Three doors lead to it:
- `HeartbeatASGI` wraps the ASGI application (`lms/asgi.py`, what gunicorn serves): the
  heartbeat is read, worked out and answered on the event loop's thread.
- `HeartbeatWSGI` wraps the WSGI application (`lms/wsgi.py`, for a WSGI server).
  Both answer the heartbeat before Django's request handler, so without building a request
  object, the request signals, the middleware chain or a response object. They add the
  headers SecurityMiddleware would add, and leave to Django what SecurityMiddleware would
  redirect (plain HTTP under SECURE_SSL_REDIRECT).
- `HeartbeatFastPathMiddleware`, right after SecurityMiddleware, for every other way in (the
  test client, Django's own servers).
"""

import contextvars
import json
from collections.abc import Awaitable, Callable, Iterable
from http import HTTPStatus
from io import BytesIO
from typing import Any, NamedTuple, ParamSpec, TypeVar

from a2wsgi.wsgi import build_environ
from django.conf import settings
from django.core.handlers.wsgi import LimitedStream
from django.db import (
    DEFAULT_DB_ALIAS,
    InterfaceError,
    OperationalError,
    close_old_connections,
    connections,
)
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.signals import connection_created
from django.http import HttpRequest, HttpResponse, parse_cookie
from django.middleware.security import SecurityMiddleware
from django.urls import reverse
from django.utils import translation
from django.utils.translation import check_for_language
from rest_framework import exceptions

from lms.accounts.models import User
from lms.core.api import error_body
from lms.core.errors import AppError

from .api import (
    MAX_HEARTBEAT_BODY_BYTES,
    HeartbeatApi,
    HeartbeatThrottle,
    heartbeat_answer,
    heartbeat_body_parse,
    progress_unavailable,
)
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
        holder = _on_live_connection(header_user, authorization)
    except exceptions.AuthenticationFailed as exc:
        # 403 as from the DRF view, whose first authenticator (the session) sends no
        # WWW-Authenticate challenge.
        return 403, error_body(exc), {}
    except OperationalError as exc:
        return _unavailable(exc)
    if holder is None:
        return None
    user = holder.user
    throttle = HeartbeatThrottle()
    request = _ThrottledRequest(user, meta)
    if not throttle.allow_request(request, HeartbeatApi):  # type: ignore[arg-type]
        wait = throttle.wait()
        throttled = exceptions.Throttled(wait)
        headers = {} if wait is None else {"Retry-After": str(int(wait))}
        return throttled.status_code, error_body(throttled), headers
    try:
        data = heartbeat_body_parse(body)
        return (
            200,
            _on_live_connection(heartbeat_answer, user, data, issued_at=holder.issued_at),
            {},
        )
    except (exceptions.APIException, AppError) as exc:
        return exc.status_code, error_body(exc), {}
    except OperationalError as exc:
        return _unavailable(exc)


def _unavailable(exc: OperationalError) -> Reply:
    unavailable = progress_unavailable(exc)
    return 503, error_body(unavailable), {"Retry-After": str(unavailable.wait)}


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


#: True in the ASGI door's own context only, where a wait on the database holds up the event
#: loop, and so every other request of the process.
_on_the_loop: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "heartbeat_on_the_loop", default=False
)


def _bound_the_loops_waits(
    sender: type[BaseDatabaseWrapper], connection: BaseDatabaseWrapper, **kwargs: Any
) -> None:
    """On a connection opened by the ASGI door: no statement runs (PostgreSQL) or waits for
    the database's write lock (SQLite) longer than HEARTBEAT_DB_TIMEOUT_MS. Past it, the
    heartbeat is answered 503 with nothing stored, and the player sends it again."""
    limit = int(settings.HEARTBEAT_DB_TIMEOUT_MS)
    if not _on_the_loop.get() or limit <= 0:
        return
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT set_config('statement_timeout', %s, false)", [f"{limit}ms"])
        elif connection.vendor == "sqlite":
            cursor.execute(f"PRAGMA busy_timeout = {limit}")


connection_created.connect(_bound_the_loops_waits, dispatch_uid=f"{__name__}.bound_waits")


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
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
ASGIApp = Callable[..., Awaitable[None]]


class _Admitted(NamedTuple):
    """A request the short path takes, as read from its headers."""

    authorization: bytes
    length: int
    language: str
    secure: bool


class _Front:
    """What both doors share: which requests they take, and the answer."""

    def __init__(self) -> None:
        self._security: dict[bool, list[tuple[str, str]]] = {}

    def admit(self, environ: dict[str, Any]) -> _Admitted | None:
        """The request's key, body length, language and scheme if it is a header-
        authenticated JSON heartbeat this path answers; None to leave it to Django."""
        if (
            environ.get("REQUEST_METHOD") != "POST"
            or "HTTP_AUTHORIZATION" not in environ
            or environ.get("PATH_INFO") != _heartbeat_path()
            or environ.get("CONTENT_TYPE", "").split(";", 1)[0].strip() != "application/json"
        ):
            return None
        secure = _is_secure(environ)
        if settings.SECURE_SSL_REDIRECT and not secure:
            return None  # SecurityMiddleware redirects it
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
            authorization = environ["HTTP_AUTHORIZATION"].encode("latin-1")
        except (ValueError, UnicodeEncodeError):
            return None
        cookies = environ.get("HTTP_COOKIE")
        cookie = parse_cookie(cookies).get(settings.LANGUAGE_COOKIE_NAME) if cookies else None
        return _Admitted(authorization, length, _language(cookie), secure)

    def answer(
        self, admitted: _Admitted, body: Any, environ: dict[str, Any]
    ) -> tuple[str, list[tuple[str, str]], bytes] | None:
        """Status line, headers and body of the answer, or None for a scheme this path does
        not know (the request then goes to Django). `body` is the request body's stream."""
        try:
            reply = _reply(
                admitted.authorization,
                LimitedStream(body, admitted.length),
                admitted.language,
                environ,
            )
        finally:
            # What Django's request_finished signal does for the database: close a connection
            # past CONN_MAX_AGE or left unusable by an error.
            close_old_connections()
        if reply is None:
            return None
        status, data, extra = reply
        content = _json_bytes(data)
        headers = [
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(content))),
            *self._security_headers(admitted.secure),
            *extra.items(),
        ]
        return f"{status} {HTTPStatus(status).phrase}", headers, content

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


class HeartbeatWSGI:
    """The WSGI application `inner` with header-authenticated heartbeats answered in front of
    it (see the module's docstring)."""

    def __init__(self, inner: WSGIApp) -> None:
        self.inner = inner
        self._front = _Front()

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        admitted = self._front.admit(environ)
        if admitted is None:
            return self.inner(environ, start_response)
        answer = self._front.answer(admitted, environ["wsgi.input"], environ)
        if answer is None:
            return self.inner(environ, start_response)
        status, headers, content = answer
        start_response(status, headers)
        return [content]


class HeartbeatASGI:
    """The ASGI application `inner` with header-authenticated heartbeats answered in front of
    it, on the event loop's own thread (see the module's docstring).

    The heartbeat's work (about a millisecond: the database's two round trips and the merge)
    runs right there, blocking the loop for that time, as a one-thread WSGI worker would:
    handing it to a thread and back cost more than the work saved by the loop (measured on the
    2-core machine at 800 heartbeats/s: gunicorn's CPU per heartbeat 1.32-1.39 ms inline
    against 1.53-1.56 ms through a one-thread pool, and 1,055-1,076 heartbeats/s at the most
    against 890). Django would refuse database work on a thread running an event loop, so
    the process runs with DJANGO_ALLOW_ASYNC_UNSAFE (lms/asgi.py sets it): in it, nothing
    else on the loop touches the database (Django's requests run on their threads). The work
    runs in one context of its own, so it keeps one database connection from one heartbeat to
    the next (Django's connections on a thread running a loop are per context, so per
    request otherwise). On that connection no wait on the database lasts longer than
    HEARTBEAT_DB_TIMEOUT_MS (a lock held elsewhere, a stalled disk): the heartbeat is then
    answered 503, and the loop goes on with the other requests."""

    def __init__(self, inner: ASGIApp) -> None:
        self.inner = inner
        self._front = _Front()
        self.context = contextvars.Context()
        self.context.run(_on_the_loop.set, True)

    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            return await self.inner(scope, receive, send)
        environ = build_environ(scope, BytesIO())  # type: ignore[arg-type]
        admitted = self._front.admit(environ)
        if admitted is None:
            return await self.inner(scope, receive, send)
        # At most what the body parser reads: a larger body is refused without holding it.
        body, more = bytearray(), True
        while more and len(body) <= MAX_HEARTBEAT_BODY_BYTES:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            more = message.get("more_body", False)
        answer = self.context.run(self._front.answer, admitted, BytesIO(body), environ)
        if answer is None:
            return await self.inner(scope, _replay(bytes(body), more, receive), send)
        status, headers, content = answer
        await send(
            {
                "type": "http.response.start",
                "status": int(status.split(" ", 1)[0]),
                "headers": [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers],
            }
        )
        await send({"type": "http.response.body", "body": content})


def _replay(body: bytes, more: bool, receive: Receive) -> Receive:
    """`receive` with the part of the body already read given back first."""
    pending = [{"type": "http.request", "body": body, "more_body": more}]

    async def replayed() -> dict[str, Any]:
        return pending.pop() if pending else await receive()

    return replayed


def _is_secure(environ: dict[str, Any]) -> bool:
    """HttpRequest.is_secure() on the raw environ (SECURE_PROXY_SSL_HEADER, else the scheme)."""
    if settings.SECURE_PROXY_SSL_HEADER:
        header, secure_value = settings.SECURE_PROXY_SSL_HEADER
        value = environ.get(header)
        if value is not None:
            return bool(value.split(",", 1)[0].strip() == secure_value)
    return bool(environ.get("wsgi.url_scheme") == "https")
