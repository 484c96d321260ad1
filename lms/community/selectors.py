from datetime import timedelta

from django.utils import timezone

from lms.catalog.models import visible_q

from .models import WeeklyLecture


def weekly_lecture_upcoming() -> WeeklyLecture | None:
    """The special lecture to show on the home page: the one running now or the next one."""
    now = timezone.now()
    return (
        WeeklyLecture.objects.filter(visible_q(), starts_at__gte=now - timedelta(hours=3))
        .select_related("category")
        .order_by("starts_at")
        .first()
    )


def weekly_lecture_list() -> list[WeeklyLecture]:
    return list(
        WeeklyLecture.objects.filter(visible_q()).select_related("category").order_by("starts_at")
    )
