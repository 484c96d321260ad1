"""How much one member may post (questions and answers together), counted in the cache every
web process shares (CACHES["default"]): QNA_POST_LIMITS windows, e.g. 10 in 10 minutes and 50 a
day. Counting in the cache and not in the posts table keeps deleted or hidden posts counted."""

import time

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext as _

from lms.accounts.models import User
from lms.core.errors import AppError


class TooManyPosts(AppError):
    status_code = 429

    @property
    def retry_after(self) -> int:
        return int(self.extra.get("retry_after", 60))


def _key(member_id: int, window: int) -> str:
    # The window's number is in the key: the database cache's `incr` rewrites an entry's expiry.
    return f"qna-posts:{member_id}:{window}:{int(time.time() // window)}"


def post_allowance_take(*, member: User) -> None:
    """Count one post of `member`, or raise TooManyPosts (nothing counted) when any window is
    full."""
    windows: list[tuple[int, int]] = [(int(w), int(n)) for w, n in settings.QNA_POST_LIMITS]
    for window, most in windows:
        used = cache.get(_key(member.pk, window), 0)
        if used >= most:
            retry_after = window - int(time.time() % window)
            if retry_after > 3600:
                message = _(
                    "You have posted the %(n)d posts a day allows. You can post again in "
                    "about %(hours)d hours."
                ) % {"n": most, "hours": round(retry_after / 3600)}
            else:
                message = _(
                    "You have posted %(n)d times in a short while. Please wait a little "
                    "(about %(minutes)d minutes) before posting again."
                ) % {"n": most, "minutes": max(1, round(retry_after / 60))}
            raise TooManyPosts(
                message,
                code="rate_limited",
                extra={"retry_after": retry_after},
            )
    # Two posts at the same instant may both pass a check at most - 1: a limit against floods,
    # not an exact quota.
    for window, _most in windows:
        key = _key(member.pk, window)
        cache.add(key, 0, timeout=window)
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=window)
        # The database cache's `incr` sets the default expiry (5 minutes): give the window's
        # back. Longer than the rest of the window is harmless, the window is in the key.
        cache.touch(key, timeout=window)
