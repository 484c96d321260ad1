from dataclasses import dataclass
from typing import Any

from django.db.models import Count, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from lms.accounts.models import User
from lms.catalog.models import Course, Lecture, LectureAttachment, LectureCaption, Status
from lms.catalog.selectors import can_edit_course, course_list_in_review
from lms.core.dates import korean_datetime

from .captions import (
    MAX_CAPTION_BYTES,
    CaptionError,
    decode_caption_bytes,
    format_time,
    parse_captions,
)
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


@dataclass(frozen=True)
class CueRow:
    start: str
    end: str
    text: str


def caption_cues(caption: LectureCaption) -> list[CueRow]:
    """The cues of a stored caption track (WebVTT written by `caption_upload`), their times
    written as players write them; empty when the file is missing or unreadable, which the
    preview page says."""
    try:
        with caption.file.open("rb") as handle:
            data = handle.read(MAX_CAPTION_BYTES + 1)
        cues = parse_captions(decode_caption_bytes(data))
    except (OSError, CaptionError):
        return []
    return [CueRow(_cue_time(c.start), _cue_time(c.end), c.text) for c in cues]


def _cue_time(seconds: float) -> str:
    text = format_time(seconds)  # 00:01:02.500
    return text[3:] if text.startswith("00:") else text


@dataclass(frozen=True)
class ReviewNotice:
    kind: str  # sent_back, scheduled, published, in_review
    text: str


def course_review_notice(course: Course) -> ReviewNotice | None:
    """What the studio's course page says first about the course's review: sent back (with
    the reviewer's comment), approved and scheduled (with the time), published, or waiting.
    The same decisions reach the instructors as notifications (`services._tell_instructors`).
    """
    latest = course.reviews.order_by("-created_at", "-id").first()
    if course.status == Status.DRAFT and latest and latest.kind == CourseReview.Kind.SENT_BACK:
        return ReviewNotice(
            "sent_back",
            _(
                "Sent back for changes on %(date)s. The reviewer wrote: “%(comment)s” "
                "Make the changes, then submit the course again."
            )
            % {"date": korean_datetime(latest.created_at), "comment": latest.comment},
        )
    if course.status == Status.IN_REVIEW:
        return ReviewNotice("in_review", _("Submitted: staff will review the course."))
    if course.is_scheduled and course.publish_at is not None:
        return ReviewNotice(
            "scheduled",
            _("Approved. The course will be published %(when)s, for every member.")
            % {"when": korean_datetime(course.publish_at)},
        )
    if course.is_visible:
        return ReviewNotice("published", _("Published: every member can see the course."))
    return None


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
