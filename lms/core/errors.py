"""One application error type with a machine-readable code.

Services raise `AppError` (or `django.core.exceptions.ValidationError` from `full_clean()`);
the API exception handler renders both as `{"message", "code", "extra"}` and HTML views turn
them into form errors or messages.
"""

from typing import Any


class AppError(Exception):
    """An error a person can act on. `code` is stable; `message` is translated text."""

    status_code = 400

    def __init__(self, message: str, *, code: str, extra: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.extra = extra or {}


class NotFound(AppError):
    status_code = 404


class PermissionDenied(AppError):
    status_code = 403


class Conflict(AppError):
    status_code = 409
