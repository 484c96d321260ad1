from dataclasses import dataclass
from typing import Any

from django.db.models import Count, QuerySet
from django.http import Http404

from lms.accounts.models import User
from lms.catalog.models import Course, Lecture, LectureAttachment
from lms.catalog.selectors import can_edit_course, course_list_in_review

from .models import CourseReview
from .services import course_snapshot, snapshot_changes


def access_attachment(user: User, *, attachment_id: int) -> LectureAttachment:
    """A handout the member may download: one of a lecture they may watch (the lecture and
    its course visible), or any handout of a course they edit (staff: every one). Anything
    else is a 404, so that drafts do not leak."""
    try:
        attachment = LectureAttachment.objects.select_related("lecture__course").get(
            pk=attachment_id
        )
    except LectureAttachment.DoesNotExist as exc:
        raise Http404 from exc
    lecture = attachment.lecture
    if not (lecture.is_visible and lecture.course.is_visible) and not can_edit_course(
        user, lecture.course
    ):
        raise Http404
    return attachment


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
