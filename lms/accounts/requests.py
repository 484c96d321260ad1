"""What `request.user` is, for the type checker, in views that only signed-in people reach."""

from django.http import HttpRequest

from .models import User


class MemberRequest(HttpRequest):
    """A request behind `login_required` (or `instructor_required`, `staff_required`, the
    admin): its `user` is a signed-in member, never the anonymous user."""

    user: User
