from functools import partial
from typing import Any

from django.http import HttpRequest

from . import selectors


def notifications(request: HttpRequest) -> dict[str, Any]:
    """The header's unread count, counted only on pages that show it (a callable is lazy)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"notification_unread": partial(selectors.notification_unread_count, user)}
