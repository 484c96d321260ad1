"""Loading the seed catalog (categories, courses, lectures, bundles, weekly lectures).

The whole document is validated before anything is written, and the load runs in one
transaction: an unknown category or a malformed entry leaves the database as it was.
Loading again is safe: existing items (matched by slug) are kept as they are.
"""

import json
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from lms.catalog import services
from lms.catalog.models import Bundle, Category, Course, Status
from lms.community.models import WeeklyLecture
from lms.core.errors import AppError
from lms.media.assets import lecture_attach_video
from lms.media.models import VideoAsset

SEED_PATH = Path(__file__).parent / "seed_catalog.json"
WEEKLY_WEEKDAY = 3  # Thursday


def _fail(message: str, where: str) -> AppError:
    return AppError(f"{where}: {message}", code="invalid_seed", extra={"where": where})


def _require(entry: dict[str, Any], keys: tuple[str, ...], where: str) -> None:
    if not isinstance(entry, dict):
        raise _fail(_("expected an object"), where)
    for key in keys:
        value = entry.get(key)
        if not isinstance(value, str) or not value.strip():
            raise _fail(_("“%(key)s” is missing or empty") % {"key": key}, where)


def validate_seed(data: Any) -> None:
    """Raise AppError(code="invalid_seed") naming the first problem found."""
    if not isinstance(data, dict):
        raise _fail(_("the seed must be a JSON object"), "seed")
    categories = data.get("categories", [])
    for i, cat in enumerate(categories):
        _require(cat, ("slug", "ko"), f"categories[{i}]")
    known = {c["slug"] for c in categories} | set(Category.objects.values_list("slug", flat=True))
    course_slugs = set(Course.objects.values_list("slug", flat=True))
    for i, course in enumerate(data.get("courses", [])):
        where = f"courses[{i}]"
        _require(course, ("slug", "category", "ko"), where)
        if course["category"] not in known:
            raise _fail(_("unknown category “%(slug)s”") % {"slug": course["category"]}, where)
        for j, lecture in enumerate(course.get("lectures", [])):
            if (
                not isinstance(lecture, list)
                or not 1 <= len(lecture) <= 2
                or not all(isinstance(x, str) and x.strip() for x in lecture)
            ):
                raise _fail(
                    _("a lecture is [Korean title, English title]"), f"{where}.lectures[{j}]"
                )
        if course.get("level", Course.Level.INTRO) not in Course.Level.values:
            raise _fail(_("unknown level “%(level)s”") % {"level": course.get("level")}, where)
        count = len(course.get("lectures", []))
        for j, section in enumerate(course.get("sections", [])):
            if (
                not isinstance(section, list)
                or len(section) != 2
                or not isinstance(section[0], str)
                or not section[0].strip()
                or not isinstance(section[1], int)
                or not 1 <= section[1] <= count
            ):
                raise _fail(
                    _("a section is [title, number of its first lecture]"),
                    f"{where}.sections[{j}]",
                )
        course_slugs.add(course["slug"])
    for i, bundle in enumerate(data.get("bundles", [])):
        where = f"bundles[{i}]"
        _require(bundle, ("slug", "ko"), where)
        for slug in bundle.get("courses", []):
            if slug not in course_slugs:
                raise _fail(_("unknown course “%(slug)s”") % {"slug": slug}, where)
    for i, weekly in enumerate(data.get("weekly_lectures", [])):
        where = f"weekly_lectures[{i}]"
        _require(weekly, ("category", "ko", "en"), where)
        if weekly["category"] not in known:
            raise _fail(_("unknown category “%(slug)s”") % {"slug": weekly["category"]}, where)
        try:
            time.fromisoformat(weekly.get("starts", "19:00"))
        except ValueError as exc:
            raise _fail(_("“starts” must be a time such as 19:00"), where) from exc


def _next_weekday(start: datetime, weekday: int) -> datetime:
    days = (weekday - start.weekday()) % 7
    return start + timedelta(days=days)


@transaction.atomic
def seed_load(data: dict[str, Any], *, video: VideoAsset | None = None) -> dict[str, int]:
    """Load the seed document; returns counts of what was created.

    With a ready `video`, every new lecture gets it and the courses and bundles are
    published (publishing needs a ready video per lecture); without one they stay drafts.
    """
    publish = video is not None
    validate_seed(data)
    created = {"categories": 0, "courses": 0, "lectures": 0, "bundles": 0, "weekly_lectures": 0}
    now = timezone.now()
    for position, cat in enumerate(data.get("categories", []), start=1):
        _, made = Category.objects.get_or_create(
            slug=cat["slug"],
            defaults={"title": cat["ko"], "title_en": cat.get("en", ""), "position": position},
        )
        created["categories"] += made
    for entry in data.get("courses", []):
        if Course.objects.filter(slug=entry["slug"]).exists():
            continue
        course = services.course_create(
            category=Category.objects.get(slug=entry["category"]),
            slug=entry["slug"],
            title=entry["ko"],
            title_en=entry.get("en", ""),
            summary=entry.get("summary", ""),
            description=entry.get("description", ""),
            outcome=entry.get("outcome", ""),
            level=entry.get("level", Course.Level.INTRO),
        )
        created["courses"] += 1
        sections = {first: title for title, first in entry.get("sections", [])}
        for number, lecture in enumerate(entry.get("lectures", []), start=1):
            new_lecture = services.lecture_create(
                course=course,
                title=lecture[0],
                title_en=lecture[1] if len(lecture) > 1 else "",
                section_title=sections.get(number, ""),
            )
            if video is not None:
                lecture_attach_video(lecture=new_lecture, asset=video)
            created["lectures"] += 1
        if publish:
            services.course_publish(course=course, publish_at=now)
    for entry in data.get("bundles", []):
        if Bundle.objects.filter(slug=entry["slug"]).exists():
            continue
        bundle = services.bundle_create(
            slug=entry["slug"],
            title=entry["ko"],
            title_en=entry.get("en", ""),
            courses=[Course.objects.get(slug=s) for s in entry.get("courses", [])],
        )
        created["bundles"] += 1
        if publish:
            services.bundle_publish(bundle=bundle, publish_at=now)
    first_day = _next_weekday(timezone.localtime(now), WEEKLY_WEEKDAY).date()
    if timezone.make_aware(datetime.combine(first_day, time(19))) <= now:
        # Loaded on the weekday after the lecture's hour: the series starts next week, not
        # with a lecture that has already begun (the home page would skip it within hours).
        first_day += timedelta(weeks=1)
    for week, entry in enumerate(data.get("weekly_lectures", [])):
        slug = slugify(entry["en"])[:80]
        if WeeklyLecture.objects.filter(slug=slug).exists():
            continue
        starts = datetime.combine(
            first_day + timedelta(weeks=week), time.fromisoformat(entry.get("starts", "19:00"))
        )
        WeeklyLecture.objects.create(
            slug=slug,
            category=Category.objects.get(slug=entry["category"]),
            title=entry["ko"],
            title_en=entry["en"],
            starts_at=timezone.make_aware(starts),
            duration_minutes=int(entry.get("minutes", 120)),
            status=Status.PUBLISHED if publish else Status.DRAFT,
            publish_at=now if publish else None,
        )
        created["weekly_lectures"] += 1
    return created


def seed_load_file(path: Path = SEED_PATH, *, video: VideoAsset | None = None) -> dict[str, int]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise AppError(
            _("The seed file is not valid JSON: %(error)s") % {"error": exc}, code="invalid_seed"
        ) from exc
    return seed_load(data, video=video)
