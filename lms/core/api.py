"""The DRF exception handler: every API error is `{"message", "code", "extra"}`."""

import logging
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import OperationalError
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import exceptions, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from .errors import AppError

logger = logging.getLogger("django.request")


def _flatten(detail: Any) -> str:
    if isinstance(detail, dict):
        parts = [f"{key}: {_flatten(value)}" for key, value in detail.items()]
        return "; ".join(parts)
    if isinstance(detail, list):
        return " ".join(_flatten(item) for item in detail)
    return str(detail)


def error_body(exc: AppError | exceptions.APIException) -> dict[str, Any]:
    """The `{"message", "code", "extra"}` body of an application or DRF error."""
    if isinstance(exc, AppError):
        return {"message": exc.message, "code": exc.code, "extra": exc.extra}
    detail = exc.detail
    codes = exc.get_codes()
    code = codes if isinstance(codes, str) else getattr(exc, "default_code", "error")
    extra = detail if isinstance(detail, dict) else {}
    return {"message": _flatten(detail), "code": code, "extra": extra}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, AppError):
        return Response(error_body(exc), status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        extra = exc.message_dict if hasattr(exc, "error_dict") else {"errors": exc.messages}
        return Response(
            {"message": " ".join(exc.messages), "code": "invalid", "extra": extra},
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, OperationalError):
        # The database is away or did not answer in time: nothing was done, try again.
        logger.warning("An API request met an unavailable database: %s", exc)
        exc = DatabaseUnavailable()
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(_("Not found."))
    response = drf_exception_handler(exc, context)
    if response is None:
        return _unexpected(exc, context)
    if isinstance(exc, exceptions.APIException):
        response.data = error_body(exc)
    return response


class DatabaseUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = gettext_lazy("The service is briefly unavailable. Please try again shortly.")
    default_code = "service_unavailable"
    wait = 10


def _unexpected(exc: Exception, context: dict[str, Any]) -> Response:
    """A bug or an outage: logged with its traceback where Django logs a failed request
    (`django.request`, which reaches the operators' mail or error tracker), and answered in
    the API's shape, not as an HTML page."""
    request = context.get("request")
    path = request.path if request is not None else "?"
    logger.error("Internal Server Error: %s", path, exc_info=exc, extra={"status_code": 500})
    body = {
        "message": _("Something went wrong on our side. Please try again shortly."),
        "code": "server_error",
        "extra": {},
    }
    return Response(body, status=status.HTTP_500_INTERNAL_SERVER_ERROR)


class NoSuchApi(APIView):
    """Every /api/v1/ path no route takes (an unknown path, or an id out of the database's
    range): a 404 in the API's error shape, not an HTML page."""

    authentication_classes = ()
    permission_classes = (AllowAny,)
    schema = None  # not an operation

    def http_method_not_allowed(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Response:
        raise exceptions.NotFound(_("Not found."))

    def options(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Response:
        raise exceptions.NotFound(_("Not found."))
