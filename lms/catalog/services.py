"""Writes to the catalog. Each service validates, locks what it changes and saves atomically.

Longer than 400 lines: every write of courses, lectures and bundles sits beside the one
transition table (`status_transition`) and the publish blockers they all go through.
"""

import secrets
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.text import slugify
from django.utils.translation import gettext as _

from lms.accounts.models import User
from lms.core.errors import AppError

from . import covers
from .models import Bundle, BundleCourse, Category, Course, Lecture, PublishableModel, Status

# Moving rows past every real position first keeps (parent, position) unique at each step.
_POSITION_PARKING_OFFSET = 1_000_000

ALLOWED_TRANSITIONS: dict[str, set[str]] = {
    Status.DRAFT: {Status.IN_REVIEW, Status.PUBLISHED, Status.ARCHIVED},
    Status.IN_REVIEW: {Status.DRAFT, Status.PUBLISHED, Status.ARCHIVED},
    Status.PUBLISHED: {Status.DRAFT, Status.ARCHIVED},
    Status.ARCHIVED: {Status.DRAFT},
}


def parse_publish_at(value: datetime | str | None) -> datetime:
    """A publish time from a form, the API or seed data; `None` means now.

    Raises AppError(code="invalid_publish_time") for text that is not an ISO 8601 date-time.
    Naive times are read in the site's time zone (Asia/Seoul).
    """
    if value is None or value == "":
        return timezone.now()
    if isinstance(value, str):
        try:
            parsed = parse_datetime(value.strip())
        except ValueError:
            parsed = None
        if parsed is None:
            raise AppError(
                _(
                    "“%(value)s” is not a valid publish time. "
                    "Use a date and time such as 2026-12-01T19:00."
                )
                % {"value": value[:60]},
                code="invalid_publish_time",
            )
        value = parsed
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value


def _unique_slug(model: type[Course] | type[Bundle], base: str) -> str:
    """An ASCII address from the (English) title; Korean-only titles get a short random one,
    since Hangul in a URL turns into unreadable %-escapes when a member copies the link."""
    prefix = model._meta.model_name or "item"
    base = slugify(base)[:70] or f"{prefix}-{secrets.token_hex(3)}"
    slug, n = base, 2
    while model.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def _check_slug_free(model: type[Course] | type[Bundle] | type[Category], slug: str) -> None:
    if model.objects.filter(slug=slug).exists():
        raise AppError(
            _("The address “%(slug)s” is already used by another %(what)s. Choose another.")
            % {"slug": slug, "what": model._meta.verbose_name},
            code="slug_taken",
            extra={"field": "slug"},
        )


def _full_clean(instance: object, *, exclude: Sequence[str] = ()) -> None:
    try:
        instance.full_clean(exclude=list(exclude))  # type: ignore[attr-defined]
    except ValidationError as exc:
        messages = "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
        raise AppError(messages, code="invalid", extra=exc.message_dict) from exc


def status_transition(obj: PublishableModel, new_status: str) -> None:
    """Set `obj.status` (unsaved) to `new_status` if the transition table allows it, else
    raise AppError(code="invalid_transition"). Every publishable model's services use it."""
    if new_status not in ALLOWED_TRANSITIONS[obj.status]:
        raise AppError(
            _("A %(what)s that is %(old)s cannot become %(new)s.")
            % {
                "what": obj._meta.verbose_name,
                "old": Status(obj.status).label,
                "new": Status(new_status).label,
            },
            code="invalid_transition",
        )
    obj.status = new_status


@transaction.atomic
def course_create(
    *,
    category: Category,
    title: str,
    slug: str | None = None,
    title_en: str = "",
    summary: str = "",
    description: str = "",
    outcome: str = "",
    level: str = Course.Level.INTRO,
    instructors: Iterable[User] = (),
) -> Course:
    """Create a draft course. An explicit slug that is taken is refused; a generated one is
    made unique."""
    if slug:
        _check_slug_free(Course, slug)
    else:
        slug = _unique_slug(Course, title_en or title)
    course = Course(
        category=category,
        title=title,
        title_en=title_en,
        slug=slug,
        summary=summary,
        description=description,
        outcome=outcome,
        level=level,
    )
    _full_clean(course)
    course.save()
    course.instructors.set(list(instructors))
    return course


def _lock_course(course: Course) -> Course:
    return Course.objects.select_for_update().get(pk=course.pk)


def _write_positions(model: type[Lecture] | type[BundleCourse], ordered_pks: list[int]) -> None:
    model.objects.filter(pk__in=ordered_pks).update(
        position=F("position") + _POSITION_PARKING_OFFSET
    )
    rows: list[Any] = [model(pk=pk, position=i) for i, pk in enumerate(ordered_pks, start=1)]
    model.objects.bulk_update(rows, ["position"])


@transaction.atomic
def lecture_create(
    *,
    course: Course,
    title: str,
    title_en: str = "",
    description: str = "",
    section_title: str = "",
    duration_seconds: int = 0,
    position: int | None = None,
) -> Lecture:
    """Add a draft lecture at `position` (1-based; default: at the end), keeping positions
    gap-free."""
    _lock_course(course)
    pks = list(course.lectures.order_by("position").values_list("pk", flat=True))
    if position is None:
        position = len(pks) + 1
    if not 1 <= position <= len(pks) + 1:
        raise AppError(
            _("Position %(position)s does not exist; choose 1 to %(last)s.")
            % {"position": position, "last": len(pks) + 1},
            code="position_out_of_range",
        )
    lecture = Lecture(
        course=course,
        title=title,
        title_en=title_en,
        description=description,
        section_title=section_title,
        duration_seconds=duration_seconds,
        position=len(pks) + 1 + _POSITION_PARKING_OFFSET * 2,
    )
    _full_clean(lecture, exclude=("position",))
    lecture.save()
    pks.insert(position - 1, lecture.pk)
    _write_positions(Lecture, pks)
    lecture.refresh_from_db(fields=["position"])
    return lecture


@transaction.atomic
def lecture_move(*, lecture: Lecture, position: int) -> Lecture:
    """Move a lecture to `position` (1-based) within its course; the others close up."""
    _lock_course(lecture.course)
    pks = list(
        Lecture.objects.filter(course_id=lecture.course_id)
        .order_by("position")
        .values_list("pk", flat=True)
    )
    if not 1 <= position <= len(pks):
        raise AppError(
            _("Position %(position)s does not exist; choose 1 to %(last)s.")
            % {"position": position, "last": len(pks)},
            code="position_out_of_range",
        )
    pks.remove(lecture.pk)
    pks.insert(position - 1, lecture.pk)
    _write_positions(Lecture, pks)
    lecture.refresh_from_db(fields=["position"])
    return lecture


@transaction.atomic
def lecture_delete(*, lecture: Lecture) -> None:
    course = _lock_course(lecture.course)
    lecture.delete()
    pks = list(course.lectures.order_by("position").values_list("pk", flat=True))
    _write_positions(Lecture, pks)


@transaction.atomic
def course_submit_for_review(*, course: Course) -> Course:
    course = _lock_course(course)
    if not course.lectures.exists():
        raise AppError(_("Add at least one lecture before submitting."), code="empty_course")
    status_transition(course, Status.IN_REVIEW)
    course.save(update_fields=["status", "updated_at"])
    return course


def course_publish_blockers(course: Course) -> list[str]:
    """Why `course` cannot be published yet (empty when it can): no lectures, or a lecture
    whose video is missing or not ready."""
    blockers = []
    lectures = list(
        course.lectures.exclude(status=Status.ARCHIVED)
        .select_related("video")
        .order_by("position")
        .only("position", "title", "video__current_version_id")
    )
    if not lectures:
        blockers.append(_("“%(course)s” has no lectures.") % {"course": course.title})
    for lecture in lectures:
        blockers.extend(_lecture_video_blockers(lecture, course_title=course.title))
    return blockers


def _lecture_video_blockers(lecture: Lecture, *, course_title: str) -> list[str]:
    if lecture.video is None or lecture.video.current_version_id is None:
        return [
            _("“%(course)s”, lecture %(position)s “%(title)s” has no ready video.")
            % {"course": course_title, "position": lecture.position, "title": lecture.title}
        ]
    return []


def _publish_unless_blocked(obj: Course | Lecture, *, when: datetime, blockers: list[str]) -> None:
    """Refuse with every blocker at once, or publish `obj` (locked by the caller) at `when`."""
    if blockers:
        raise AppError(" ".join(blockers), code="publish_blocked", extra={"blockers": blockers})
    status_transition(obj, Status.PUBLISHED)
    obj.publish_at = when
    obj.save(update_fields=["status", "publish_at", "updated_at"])


@transaction.atomic
def course_publish(
    *, course: Course, publish_at: datetime | str | None = None, with_lectures: bool = True
) -> Course:
    """Publish now or at `publish_at` (scheduled). Lectures still in draft or review are
    published with the course unless `with_lectures` is false."""
    when = parse_publish_at(publish_at)
    course = _lock_course(course)
    _publish_unless_blocked(course, when=when, blockers=course_publish_blockers(course))
    if with_lectures:
        course.lectures.filter(status__in=[Status.DRAFT, Status.IN_REVIEW]).update(
            status=Status.PUBLISHED, publish_at=when, updated_at=timezone.now()
        )
    return course


@transaction.atomic
def course_set_status(*, course: Course, status: str) -> Course:
    """Unpublish (back to draft), send back from review, or archive. Archived courses stay in
    members' history but are no longer listed."""
    course = _lock_course(course)
    status_transition(course, status)
    course.save(update_fields=["status", "updated_at"])
    return course


@transaction.atomic
def course_back_to_draft(*, course: Course) -> Course:
    """Unpublish a published course or restore an archived one, as a draft. A course in review
    is refused: it goes back through the review (`course_review_send_back`), which records
    what the instructor is to change."""
    course = _lock_course(course)
    if course.status == Status.IN_REVIEW:
        raise AppError(
            _("A course in review goes back with a comment: send it back from the review queue."),
            code="use_send_back",
        )
    return course_set_status(course=course, status=Status.DRAFT)


@transaction.atomic
def lecture_publish(*, lecture: Lecture, publish_at: datetime | str | None = None) -> Lecture:
    """Publish one lecture now or at `publish_at` (scheduled), as publishing its course does
    for its lectures: refused while its video is missing or not ready. It is seen once its
    course is visible too."""
    when = parse_publish_at(publish_at)
    _lock_course(lecture.course)
    # `of=("self",)`: PostgreSQL cannot lock the nullable side of the join to the video.
    lecture = (
        Lecture.objects.select_for_update(of=("self",)).select_related("video").get(pk=lecture.pk)
    )
    blockers = _lecture_video_blockers(lecture, course_title=lecture.course.title)
    _publish_unless_blocked(lecture, when=when, blockers=blockers)
    return lecture


@transaction.atomic
def lecture_set_status(*, lecture: Lecture, status: str) -> Lecture:
    """Unpublish (back to draft) or archive one lecture; publishing is `lecture_publish`."""
    if status == Status.PUBLISHED:
        return lecture_publish(lecture=lecture)
    _lock_course(lecture.course)
    lecture = Lecture.objects.select_for_update().get(pk=lecture.pk)
    status_transition(lecture, status)
    lecture.save(update_fields=["status", "updated_at"])
    return lecture


@transaction.atomic
def bundle_create(
    *,
    title: str,
    slug: str | None = None,
    title_en: str = "",
    summary: str = "",
    description: str = "",
    courses: Sequence[Course] = (),
) -> Bundle:
    if slug:
        _check_slug_free(Bundle, slug)
    else:
        slug = _unique_slug(Bundle, title_en or title)
    bundle = Bundle(
        slug=slug, title=title, title_en=title_en, summary=summary, description=description
    )
    _full_clean(bundle)
    bundle.save()
    bundle_set_courses(bundle=bundle, courses=courses)
    return bundle


@transaction.atomic
def bundle_set_courses(*, bundle: Bundle, courses: Sequence[Course]) -> Bundle:
    """Replace the bundle's courses with `courses`, in that order."""
    bundle = Bundle.objects.select_for_update().get(pk=bundle.pk)
    if len({c.pk for c in courses}) != len(courses):
        raise AppError(_("A course can be in a bundle only once."), code="duplicate_course")
    bundle.items.all().delete()
    BundleCourse.objects.bulk_create(
        BundleCourse(bundle=bundle, course=c, position=i) for i, c in enumerate(courses, start=1)
    )
    return bundle


def bundle_publish_blockers(bundle: Bundle, when: datetime) -> list[str]:
    """Why the bundle cannot be published at `when` with its courses: no courses, a course
    still in draft or archived, a course scheduled later, or what blocks a course itself."""
    blockers: list[str] = []
    courses = [item.course for item in bundle.items.select_related("course").order_by("position")]
    if not courses:
        blockers.append(_("The bundle has no courses."))
    for course in courses:
        if course.status in (Status.DRAFT, Status.ARCHIVED):
            blockers.append(
                _("“%(course)s” is %(status)s: submit it for review first.")
                % {"course": course.title, "status": Status(course.status).label}
            )
            continue
        if course.status == Status.PUBLISHED and course.publish_at and course.publish_at > when:
            blockers.append(
                _("“%(course)s” is scheduled after the bundle.") % {"course": course.title}
            )
        blockers.extend(course_publish_blockers(course))
    return blockers


@transaction.atomic
def bundle_publish(*, bundle: Bundle, publish_at: datetime | str | None = None) -> Bundle:
    """Publish a bundle and, in the same transaction, its courses that are in review (with
    their lectures), now or at `publish_at`. If anything blocks, refuse with the whole list
    of blockers and change nothing: no half-published bundle."""
    when = parse_publish_at(publish_at)
    bundle = Bundle.objects.select_for_update().get(pk=bundle.pk)
    course_pks = sorted(bundle.items.values_list("course_id", flat=True))
    list(Course.objects.select_for_update().filter(pk__in=course_pks).order_by("pk"))
    blockers = bundle_publish_blockers(bundle, when)
    if blockers:
        raise AppError(
            _("The bundle cannot be published yet: %(blockers)s")
            % {"blockers": " ".join(blockers)},
            code="publish_blocked",
            extra={"blockers": blockers},
        )
    for course in Course.objects.filter(pk__in=course_pks, status=Status.IN_REVIEW):
        course_publish(course=course, publish_at=when)
    status_transition(bundle, Status.PUBLISHED)
    bundle.publish_at = when
    bundle.save(update_fields=["status", "publish_at", "updated_at"])
    return bundle


@transaction.atomic
def bundle_set_status(*, bundle: Bundle, status: str) -> Bundle:
    """Unpublish (back to draft) or archive a bundle; its courses keep their own status.
    Publishing is `bundle_publish`, which checks the courses."""
    if status == Status.PUBLISHED:
        return bundle_publish(bundle=bundle)
    bundle = Bundle.objects.select_for_update().get(pk=bundle.pk)
    status_transition(bundle, status)
    bundle.save(update_fields=["status", "updated_at"])
    return bundle


@transaction.atomic
def lecture_renumber(*, course: Course) -> None:
    """Close gaps in a course's lecture positions, keeping their order (after admin edits)."""
    _lock_course(course)
    pks = list(course.lectures.order_by("position", "pk").values_list("pk", flat=True))
    _write_positions(Lecture, pks)


@transaction.atomic
def bundle_renumber(*, bundle: Bundle) -> None:
    pks = list(bundle.items.order_by("position", "pk").values_list("pk", flat=True))
    _write_positions(BundleCourse, pks)


@transaction.atomic
def course_add_instructor(*, course: Course, user: User) -> Course:
    """Make `user` (co-)instructor of `course`; granting the role if they lacked it."""
    if not user.is_instructor and not user.is_staff:
        user.is_instructor = True
        user.save(update_fields=["is_instructor"])
    course.instructors.add(user)
    return course


@transaction.atomic
def course_cover_set(*, course: Course, upload: UploadedFile) -> Course:
    """Give `course` the uploaded cover: checked and redrawn by `covers.cover_image_read`,
    stored under a name nobody can guess with its type's extension. The file it replaces is
    deleted once the change is committed. Raises AppError (field `cover`) for anything that
    is not a PNG, JPEG or WebP image."""
    data, found = covers.cover_image_read(upload, size=upload.size)
    course = _lock_course(course)
    old = course.cover_image.name
    course.cover_image.save(
        f"{course.pk}/{secrets.token_hex(16)}{found.extension}", ContentFile(data), save=False
    )
    course.save(update_fields=["cover_image", "updated_at"])
    if old:
        storage = course.cover_image.storage
        transaction.on_commit(lambda: storage.delete(old))
    return course
