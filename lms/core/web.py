"""Helpers for HTML views: turn application errors into what a person sees."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from .errors import AppError


def add_app_error(form: forms.BaseForm, error: AppError) -> None:
    """Show a service's refusal on the form: on its field when it names one."""
    field = error.extra.get("field")
    form.add_error(field if field in form.fields else None, error.message)


def staff_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_staff:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def instructor_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if not (user.is_staff or getattr(user, "is_instructor", False)):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped
