from dataclasses import dataclass
from typing import Any

from django.db.models import Count, QuerySet

from lms.catalog.models import Course, Lecture
from lms.catalog.selectors import course_list_in_review

from .models import CourseReview
from .services import course_snapshot, snapshot_changes


def lecture_list_for_studio(course: Course) -> QuerySet[Lecture]:
    return course.lectures.annotate(
        chapter_count=Count("chapters", distinct=True),
        caption_count=Count("captions", distinct=True),
    ).order_by("position")


@dataclass
class ReviewEntry:
    course: Course
    changes: list[str]
    submitted: CourseReview | None


def review_queue_entries() -> list[ReviewEntry]:
    """Courses waiting for review, oldest first, each with what changed since it was last
    approved."""
    courses = list(course_list_in_review())
    reviews: dict[int, dict[str, Any]] = {}
    for review in CourseReview.objects.filter(course__in=courses).order_by("created_at"):
        slot = reviews.setdefault(review.course_id, {})
        slot[review.kind] = review
    entries = []
    for course in courses:
        slot = reviews.get(course.pk, {})
        approved = slot.get(CourseReview.Kind.APPROVED)
        entries.append(
            ReviewEntry(
                course=course,
                changes=snapshot_changes(
                    approved.snapshot if approved else None, course_snapshot(course)
                ),
                submitted=slot.get(CourseReview.Kind.SUBMITTED),
            )
        )
    return entries
