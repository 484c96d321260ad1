"""What the header and the admin index show staff: how many instructor applications and
course reviews are waiting (counted only for staff, and only on pages that show them)."""

from functools import cached_property
from typing import Any

from django.http import HttpRequest

from lms.accounts.selectors import instructor_application_list_pending
from lms.catalog.selectors import course_list_in_review


class StaffQueues:
    """Two counts, each one query, run when a template first reads it."""

    @cached_property
    def reviews(self) -> int:
        return course_list_in_review().count()

    @cached_property
    def applications(self) -> int:
        return instructor_application_list_pending().count()


def staff_queues(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_staff:
        return {}
    return {"staff_queues": StaffQueues()}
