"""Writes of the instructor studio: course and lecture edits, chapters, captions, handouts,
and the review workflow. Permission checks happen in the views (`access_*` selectors).

Longer than 400 lines: every write an instructor or a reviewer makes in the studio; the next
one to grow it should move the review workflow (submit, approve, send back, go-live) into a
module of its own.
"""

import logging
import re
import secrets
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from lms.accounts.models import User
from lms.catalog import services as catalog_services
from lms.catalog.models import (
    Bundle,
    Course,
    Lecture,
    LectureAttachment,
    LectureCaption,
    LectureChapter,
    Status,
    visible_q,
)
from lms.community.models import NotificationKind
from lms.community.notifications import notify
from lms.core.dates import korean_datetime
from lms.core.errors import AppError

from . import handouts
from .captions import CaptionError, convert_to_webvtt
from .models import CourseReview, GoLive

logger = logging.getLogger(__name__)

MAX_HANDOUT_BYTES = 50 * 1024 * 1024
# Items published longer ago than this when the scheduler first sees them are not announced
# (e.g. everything already public when the platform was installed).
GO_LIVE_LOOKBACK = timedelta(days=2)


COURSE_EDITABLE = frozenset(
    {"title", "title_en", "summary", "description", "outcome", "level", "category"}
)
LECTURE_EDITABLE = frozenset({"title", "title_en", "section_title", "description"})


def _edit(obj: Course | Lecture, allowed: frozenset[str], fields: dict[str, Any]) -> None:
    """Set `fields` (only `allowed` ones) on the locked `obj`, validate it and save them."""
    if set(fields) - allowed:
        raise AppError(_("These fields cannot be edited here."), code="invalid")
    for name, value in fields.items():
        setattr(obj, name, value)
    catalog_services._full_clean(obj)
    obj.save(update_fields=[*fields, "updated_at"])


@transaction.atomic
def course_update(*, course: Course, cover: UploadedFile | None = None, **fields: Any) -> Course:
    """Edit a course's texts, category or level (`COURSE_EDITABLE`) and, with `cover`, its
    cover image (`catalog.services.course_cover_set`): all or nothing."""
    course = Course.objects.select_for_update().get(pk=course.pk)
    _edit(course, COURSE_EDITABLE, fields)
    if cover is not None:
        course = catalog_services.course_cover_set(course=course, upload=cover)
    return course


@transaction.atomic
def course_create(
    *, instructors: list[User], cover: UploadedFile | None = None, **fields: Any
) -> Course:
    """A new draft course taught by `instructors`, with its cover when one was uploaded."""
    course = catalog_services.course_create(instructors=instructors, **fields)
    if cover is not None:
        course = catalog_services.course_cover_set(course=course, upload=cover)
    return course


@transaction.atomic
def lecture_update(*, lecture: Lecture, **fields: Any) -> Lecture:
    """Edit a lecture's texts (`LECTURE_EDITABLE`)."""
    lecture = Lecture.objects.select_for_update().get(pk=lecture.pk)
    _edit(lecture, LECTURE_EDITABLE, fields)
    return lecture


def _chapter_check(lecture: Lecture, start_seconds: int, *, other_than: int | None = None) -> None:
    """A chapter's time must fall inside the ready video, one chapter per time."""
    if lecture.duration_seconds <= 0:
        raise AppError(
            _("Add chapters once the video is ready, so that their times can be checked."),
            code="no_video_yet",
        )
    if not 0 <= start_seconds < lecture.duration_seconds:
        raise AppError(
            _("%(time)s is beyond the end of the lecture (%(duration)s).")
            % {
                "time": clock(start_seconds),
                "duration": clock(lecture.duration_seconds),
            },
            code="chapter_beyond_duration",
            extra={"field": "start"},
        )
    same_time = lecture.chapters.filter(start_seconds=start_seconds)
    if other_than is not None:
        same_time = same_time.exclude(pk=other_than)
    if same_time.exists():
        raise AppError(
            _("There is already a chapter at %(time)s.") % {"time": clock(start_seconds)},
            code="chapter_duplicate",
            extra={"field": "start"},
        )


@transaction.atomic
def chapter_add(*, lecture: Lecture, start_seconds: int, title: str) -> LectureChapter:
    """A chapter mark. Its time must fall inside the video, so the video must be ready."""
    lecture = Lecture.objects.select_for_update().get(pk=lecture.pk)
    _chapter_check(lecture, start_seconds)
    chapter = LectureChapter(lecture=lecture, start_seconds=start_seconds, title=title.strip())
    catalog_services._full_clean(chapter)
    chapter.save()
    return chapter


@transaction.atomic
def chapter_update(*, chapter: LectureChapter, start_seconds: int, title: str) -> LectureChapter:
    """Move or rename a chapter, under the same checks as adding one (the lecture is locked,
    so two edits cannot put two chapters at one time)."""
    lecture = Lecture.objects.select_for_update().get(pk=chapter.lecture_id)
    chapter = LectureChapter.objects.get(pk=chapter.pk, lecture=lecture)
    _chapter_check(lecture, start_seconds, other_than=chapter.pk)
    chapter.start_seconds = start_seconds
    chapter.title = title.strip()
    catalog_services._full_clean(chapter)
    chapter.save(update_fields=["start_seconds", "title"])
    return chapter


def chapter_delete(*, chapter: LectureChapter) -> None:
    chapter.delete()


def clock(seconds: int) -> str:
    """Seconds as the studio writes times: “12:34”, “1:02:03”."""
    h, rest = divmod(int(seconds), 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def parse_clock(value: str) -> int:
    """“12:34”, “1:02:03” or “95” → seconds; AppError for anything else."""
    parts = value.strip().split(":")
    try:
        numbers = [int(p) for p in parts]
    except ValueError:
        numbers = []
    if (
        not 1 <= len(numbers) <= 3
        or any(n < 0 for n in numbers)
        or any(n > 59 for n in numbers[1:])
    ):
        raise AppError(
            _("Write the time as minutes:seconds, e.g. 12:34."),
            code="invalid_time",
            extra={"field": "start"},
        )
    seconds = 0
    for n in numbers:
        seconds = seconds * 60 + n
    return seconds


@transaction.atomic
def caption_upload(*, lecture: Lecture, language: str, upload: UploadedFile) -> LectureCaption:
    """Convert an SRT/WebVTT file (UTF-8, UTF-8 with BOM or CP949) to WebVTT and make it the
    lecture's caption track for `language`, replacing the previous one only on success."""
    if language not in LectureCaption.Language.values:
        raise AppError(_("Choose Korean or English."), code="invalid_language")
    data = upload.read(2 * 1024 * 1024 + 1)
    try:
        vtt, count = convert_to_webvtt(data, duration=lecture.duration_seconds)
    except CaptionError as exc:
        raise AppError(str(exc), code=exc.code, extra={"field": "file"}) from exc
    caption = (
        LectureCaption.objects.select_for_update()
        .filter(lecture=lecture, language=language)
        .first()
    )
    old_name = caption.file.name if caption else None
    caption = caption or LectureCaption(lecture=lecture, language=language)
    caption.file.save(
        f"{lecture.pk}/{language}-{secrets.token_hex(16)}.vtt",
        ContentFile(vtt.encode("utf-8")),
        save=False,
    )
    caption.cue_count = count
    caption.source_name = (upload.name or "")[:255]
    caption.save()
    if old_name:
        storage = caption.file.storage
        transaction.on_commit(lambda: storage.delete(old_name))
    return caption


@transaction.atomic
def caption_delete(*, caption: LectureCaption) -> None:
    """Remove a caption track; its file goes once the removal is committed."""
    name, storage = caption.file.name, caption.file.storage
    caption.delete()
    transaction.on_commit(lambda: storage.delete(name))


@transaction.atomic
def attachment_add(*, lecture: Lecture, title: str, upload: UploadedFile) -> LectureAttachment:
    """Store a handout under a server-chosen name with the extension of the type its content
    shows (lms/studio/handouts.py); the uploaded name only suggests a title."""
    if upload.size is not None and upload.size > MAX_HANDOUT_BYTES:
        raise AppError(
            _("The file is larger than 50 MB."), code="file_too_large", extra={"field": "file"}
        )
    name = upload.name or "handout"
    found = handouts.handout_type(upload, name=name)
    attachment = LectureAttachment(
        lecture=lecture,
        title=title.strip() or name[:200],
        kind=found.kind,
        size_bytes=upload.size or 0,
    )
    attachment.file.save(handout_storage_name(lecture.pk, found), upload, save=False)
    attachment.save()
    return attachment


def handout_storage_name(lecture_id: int, found: handouts.HandoutType) -> str:
    """A name nobody can guess, relative to the field's `handouts/` folder."""
    return f"{lecture_id}/{secrets.token_hex(16)}{found.extension}"


def attachments_secure_stored(*, model: type[LectureAttachment]) -> tuple[int, int]:
    """Bring handouts stored before their content was checked under the rule: each one that
    passes the check moves to a server-chosen name with its detected type's extension; each one
    that does not is deleted with its file (and logged). Returns (moved, removed); safe to run
    twice. `model` is the model class (the data migration passes its historical one)."""
    moved = removed = 0
    for attachment in model.objects.select_related("lecture").order_by("pk"):
        old_name = attachment.file.name
        if re.fullmatch(r"handouts/\d+/[0-9a-f]{32}\.[a-z]+", old_name or ""):
            continue
        storage = attachment.file.storage
        try:
            with storage.open(old_name, "rb") as handle:
                found = handouts.handout_type(handle, name=old_name)
                new_name = storage.save(
                    "handouts/" + handout_storage_name(attachment.lecture_id, found), handle
                )
        except (AppError, FileNotFoundError, OSError) as exc:
            logger.warning("handout %s (%s) removed: %s", attachment.pk, old_name, exc)
            attachment.delete()
            if old_name and storage.exists(old_name):
                storage.delete(old_name)
            removed += 1
            continue
        model.objects.filter(pk=attachment.pk).update(file=new_name, kind=found.kind)
        storage.delete(old_name)
        moved += 1
    return moved, removed


@transaction.atomic
def attachment_delete(*, attachment: LectureAttachment) -> None:
    name, storage = attachment.file.name, attachment.file.storage
    attachment.delete()
    transaction.on_commit(lambda: storage.delete(name))


def course_snapshot(course: Course) -> dict[str, Any]:
    """What a reviewer compares: the course's texts and its lectures in order."""
    lectures = list(
        course.lectures.order_by("position").values("id", "position", "title", "duration_seconds")
    )
    return {
        "title": course.title,
        "title_en": course.title_en,
        "summary": course.summary,
        "description": course.description,
        "lectures": lectures,
    }


def snapshot_changes(before: dict[str, Any] | None, after: dict[str, Any]) -> list[str]:
    """Human-readable differences between two snapshots (for the review queue)."""
    if not before:
        return [_("New course: never approved before.")]
    changes = []
    for field, label in (
        ("title", _("Title")),
        ("title_en", _("English title")),
        ("summary", _("Summary")),
        ("description", _("Description")),
    ):
        if before.get(field) != after.get(field):
            changes.append(_("%(label)s changed.") % {"label": label})
    old = {item["id"]: item for item in before.get("lectures", [])}
    new = {item["id"]: item for item in after.get("lectures", [])}
    for pk in new.keys() - old.keys():
        changes.append(_("Lecture added: %(title)s") % {"title": new[pk]["title"]})
    for pk in old.keys() - new.keys():
        changes.append(_("Lecture removed: %(title)s") % {"title": old[pk]["title"]})
    for pk in new.keys() & old.keys():
        if new[pk]["title"] != old[pk]["title"]:
            changes.append(
                _("Lecture renamed: %(old)s → %(new)s")
                % {"old": old[pk]["title"], "new": new[pk]["title"]}
            )
        if new[pk]["duration_seconds"] != old[pk]["duration_seconds"]:
            changes.append(_("New video: %(title)s") % {"title": new[pk]["title"]})
    if [i["id"] for i in before.get("lectures", [])] != [i["id"] for i in after["lectures"]] and (
        new.keys() == old.keys()
    ):
        changes.append(_("Lectures reordered."))
    return changes


def _tell_instructors(review: CourseReview) -> None:
    """Tell the course's instructors of a review decision, once per decision (`notify`): sent
    back, approved, or approved for a later time (scheduled, with that time)."""
    course = review.course
    params = {"course": course.title, "comment": review.comment}
    if review.kind == CourseReview.Kind.SENT_BACK:
        kind = NotificationKind.COURSE_SENT_BACK
    elif course.is_scheduled and course.publish_at is not None:
        kind = NotificationKind.COURSE_SCHEDULED
        with translation.override(settings.LANGUAGE_CODE):  # the notice's own language
            params["when"] = korean_datetime(course.publish_at)
    else:
        kind = NotificationKind.COURSE_APPROVED
    for instructor in course.instructors.order_by("pk"):
        notify(
            member=instructor,
            kind=kind,
            dedupe=f"{kind}:{review.pk}",
            url=reverse("studio:course", args=[course.pk]),
            params=params,
        )


@transaction.atomic
def course_review_submit(*, course: Course, by: User) -> CourseReview:
    course = catalog_services.course_submit_for_review(course=course)
    return CourseReview.objects.create(
        course=course, kind=CourseReview.Kind.SUBMITTED, by=by, snapshot=course_snapshot(course)
    )


@transaction.atomic
def course_review_approve(
    *, course: Course, reviewer: User, publish_at: datetime | str | None = None, comment: str = ""
) -> CourseReview:
    """Publish now or at `publish_at`; blockers refuse and change nothing."""
    course = catalog_services.course_publish(course=course, publish_at=publish_at)
    review = CourseReview.objects.create(
        course=course,
        kind=CourseReview.Kind.APPROVED,
        by=reviewer,
        comment=comment,
        snapshot=course_snapshot(course),
    )
    _tell_instructors(review)
    return review


@transaction.atomic
def bundle_review_publish(
    *, bundle: Bundle, reviewer: User, publish_at: datetime | str | None = None
) -> Bundle:
    """Publish a bundle with its courses in review, in one step (`bundle_publish`), and record
    the approval in each of those courses' review history, as approving it alone would: the
    instructor sees it approved, and the next submission shows what changed since."""
    in_review = list(
        Course.objects.filter(
            pk__in=bundle.items.values("course_id"), status=Status.IN_REVIEW
        ).order_by("pk")
    )
    bundle = catalog_services.bundle_publish(bundle=bundle, publish_at=publish_at)
    for course in in_review:
        course.refresh_from_db()
        review = CourseReview.objects.create(
            course=course,
            kind=CourseReview.Kind.APPROVED,
            by=reviewer,
            comment=_("Published with the bundle “%(bundle)s”.") % {"bundle": bundle.title},
            snapshot=course_snapshot(course),
        )
        _tell_instructors(review)
    return bundle


@transaction.atomic
def course_review_send_back(*, course: Course, reviewer: User, comment: str) -> CourseReview:
    if not comment.strip():
        raise AppError(_("Tell the instructor what to change."), code="comment_required", extra={})
    if course.status != Status.IN_REVIEW:
        raise AppError(_("Only a course in review can be sent back."), code="invalid_transition")
    course = catalog_services.course_set_status(course=course, status=Status.DRAFT)
    review = CourseReview.objects.create(
        course=course,
        kind=CourseReview.Kind.SENT_BACK,
        by=reviewer,
        comment=comment,
        snapshot=course_snapshot(course),
    )
    _tell_instructors(review)
    return review


def go_live_announce_due(*, now: datetime | None = None) -> list[GoLive]:
    """Record, once, every course and bundle whose publish time has come, and tell the
    course's instructors by e-mail that it is now live. Safe to run twice or concurrently:
    the (kind, object, publish time) row can be created only once, and only its creator
    sends the e-mail. A course re-scheduled to a new time goes live (and is announced) again.
    """
    now = now or timezone.now()
    recorded: list[GoLive] = []
    since = now - GO_LIVE_LOOKBACK
    due: list[tuple[str, Course | Bundle]] = [
        (GoLive.Kind.COURSE, c)
        for c in Course.objects.filter(visible_q(now=now), publish_at__gte=since)
    ] + [
        (GoLive.Kind.BUNDLE, b)
        for b in Bundle.objects.filter(visible_q(now=now), publish_at__gte=since)
    ]
    for kind, item in due:
        try:
            with transaction.atomic():
                event = GoLive.objects.create(
                    kind=kind, object_id=item.pk, publish_at=item.publish_at or now
                )
        except IntegrityError:
            continue  # already announced by an earlier or a concurrent run
        recorded.append(event)
        if isinstance(item, Course):
            emails = list(item.instructors.values_list("email", flat=True))
            if emails:
                send_mail(
                    _("[CS Leaders Forum] “%(title)s” is now live") % {"title": item.title},
                    _("Your course “%(title)s” is now visible to members.") % {"title": item.title},
                    None,
                    emails,
                )
    return recorded
