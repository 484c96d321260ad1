"""What the catalog pages show beyond the catalog itself: the member's progress on course
cards, the course page's outline (sections, each lecture's state) and main button, the
bundle's button. Reads only; a fixed number of queries whatever the number of lectures."""

from dataclasses import dataclass
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from lms.accounts.models import User
from lms.catalog import selectors as catalog
from lms.catalog.models import Bundle, Course, Lecture
from lms.core.templatetags.lms_format import duration
from lms.learning import selectors as learning
from lms.learning.selectors import LectureProgressView, NextStep, StepKind


@dataclass(frozen=True)
class OutlineRow:
    lecture: Lecture
    state: str
    percent: int


@dataclass(frozen=True)
class Section:
    title: str
    rows: list[OutlineRow]


@dataclass(frozen=True)
class MainButton:
    label: str
    url: str
    kind: str


def _member(user: User | Any) -> User | None:
    return user if getattr(user, "is_authenticated", False) else None


def cards_with_progress(user: User | Any, courses: list[Course]) -> list[Course]:
    """`courses` with `member_percent` set (None for a visitor or an untouched course)."""
    member = _member(user)
    percents = (
        learning.course_percents(user=member, course_ids=[c.pk for c in courses])
        if member is not None and courses
        else {}
    )
    for course in courses:
        course.member_percent = percents.get(course.pk) or None  # type: ignore[attr-defined]
    return courses


def main_button(step: NextStep | None) -> MainButton | None:
    """수강 시작 / 이어 보기: 3강 12:34 / 복습하기: the button says what will happen."""
    if step is None:
        return None
    url = reverse("catalog:lecture_detail", args=[step.lecture.course.slug, step.lecture.position])
    if step.kind == StepKind.START:
        label = _("Start the course")
    elif step.kind == StepKind.REVIEW:
        label = _("Review the course")
    elif step.resume_seconds >= 1:
        label = _("Continue: lecture %(n)s at %(time)s") % {
            "n": step.lecture.position,
            "time": duration(step.resume_seconds),
        }
    else:
        label = _("Continue: lecture %(n)s") % {"n": step.lecture.position}
    return MainButton(label=label, url=url, kind=step.kind)


def _sections(lectures: list[Lecture], views: dict[int, LectureProgressView]) -> list[Section]:
    sections: list[Section] = []
    for lecture in lectures:
        view = views.get(lecture.pk)
        row = OutlineRow(
            lecture=lecture,
            state=view.state if view else learning.LectureState.NOT_STARTED,
            percent=view.percent if view else 0,
        )
        if lecture.section_title or not sections:
            sections.append(Section(title=lecture.section_title, rows=[]))
        sections[-1].rows.append(row)
    return sections


def course_page_context(user: User | Any, course: Course) -> dict[str, Any]:
    """The course page beyond the course: its outline in sections with the member's state of
    each lecture, the main button, the totals and the cover."""
    lectures: list[Lecture] = course.visible_lectures  # type: ignore[attr-defined]
    for lecture in lectures:
        lecture.course = course  # the button's URL needs the slug: no query per lecture
    member = _member(user)
    views = (
        learning.lecture_progress_views(user=member, lectures=lectures, course=course)
        if member is not None
        else {}
    )
    completed = sum(1 for view in views.values() if view.completed)
    return {
        "sections": _sections(lectures, views),
        "main_button": main_button(learning.next_step(lectures, views)),
        "total_seconds": sum(lecture.duration_seconds for lecture in lectures),
        "completed_lectures": completed,
        "course_percent": learning.share(completed, len(lectures)),
        "has_cover": bool(course.cover_image)
        or any(
            lecture.video_id
            and lecture.video.current_version_id  # type: ignore[union-attr]
            and lecture.video.current_version.poster_path  # type: ignore[union-attr]
            for lecture in lectures
        ),
    }


def bundle_page_context(user: User | Any, bundle: Bundle) -> dict[str, Any]:
    """The bundle's courses with the member's progress, their total length and the button
    that starts or continues the bundle where the member is."""
    items = list(bundle.items.all())
    courses = cards_with_progress(user, [item.course for item in items])
    for item, course in zip(items, courses, strict=True):
        course.lecture_count = item.lecture_count  # type: ignore[attr-defined]
        course.total_seconds = item.total_seconds  # type: ignore[attr-defined]
        course.has_poster = item.has_poster  # type: ignore[attr-defined]
    lectures = catalog.bundle_lectures(courses=courses)
    member = _member(user)
    views = (
        learning.lecture_progress_views(user=member, lectures=lectures)
        if member is not None
        else {}
    )
    step = learning.next_step(lectures, views)
    button = main_button(step)
    if button is not None and step is not None and step.kind == StepKind.CONTINUE:
        button = MainButton(
            label=_("Continue: %(course)s, lecture %(n)s")
            % {"course": step.lecture.course.display_title, "n": step.lecture.position},
            url=button.url,
            kind=button.kind,
        )
    return {
        "courses": courses,
        "total_seconds": sum(lecture.duration_seconds for lecture in lectures),
        "lecture_count": len(lectures),
        "main_button": button,
    }
