from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lms.core.i18n import BilingualTitleModel
from lms.core.models import TimeStampedModel


class Status(models.TextChoices):
    """The publishing state machine: draft → in review → published → archived.

    A published item with a future `publish_at` is *scheduled*: it becomes visible at that time
    without anyone present, because visibility is computed from the clock (see `visible_q`).
    """

    DRAFT = "draft", _("Draft")
    IN_REVIEW = "in_review", _("In review")
    PUBLISHED = "published", _("Published")
    ARCHIVED = "archived", _("Archived")


def visible_q(prefix: str = "", *, now: datetime | None = None) -> Q:
    """The filter for items a visitor may see: published, and their publish time has passed.

    The visibility rule, in SQL; `PublishableModel.is_visible` is the same rule on a row in
    memory (tests/lms/catalog/test_visibility.py holds the two to each other)."""
    now = now or timezone.now()
    return Q(**{f"{prefix}status": Status.PUBLISHED, f"{prefix}publish_at__lte": now})


class PublishableModel(TimeStampedModel):
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    publish_at = models.DateTimeField(_("publish time"), null=True, blank=True, db_index=True)

    class Meta:
        abstract = True

    @property
    def is_visible(self) -> bool:
        """`visible_q` for this row, without a query."""
        return (
            self.status == Status.PUBLISHED
            and self.publish_at is not None
            and self.publish_at <= timezone.now()
        )

    @property
    def is_scheduled(self) -> bool:
        return (
            self.status == Status.PUBLISHED
            and self.publish_at is not None
            and self.publish_at > timezone.now()
        )


class Category(BilingualTitleModel):
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ("position", "id")


class Course(BilingualTitleModel, PublishableModel):
    class Level(models.TextChoices):
        INTRO = "intro", _("Introductory")
        INTERMEDIATE = "intermediate", _("Intermediate")
        ADVANCED = "advanced", _("Advanced")

    class CompletionPolicy(models.TextChoices):
        COMMUNITY = "community", _("Community (coverage)")
        HRD = "hrd", _("HRD (employer-funded training rules)")

    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="courses", verbose_name=_("category")
    )
    instructors = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        related_name="taught_courses",
        blank=True,
        verbose_name=_("instructors"),
    )
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    summary = models.CharField(_("summary"), max_length=300, blank=True)
    description = models.TextField(_("description"), blank=True)
    outcome = models.CharField(
        _("what the course leads to"),
        max_length=200,
        blank=True,
        help_text=_("e.g. Prepares for the QA manager certification exam."),
    )
    # Set only by `catalog.services.course_cover_set`, which checks the bytes and chooses the
    # name; served by the course's cover view, never by its storage path.
    cover_image = models.ImageField(_("cover image"), upload_to="covers/", blank=True)
    level = models.CharField(_("level"), max_length=16, choices=Level.choices, default=Level.INTRO)
    completion_policy = models.CharField(
        _("completion policy"),
        max_length=16,
        choices=CompletionPolicy.choices,
        default=CompletionPolicy.COMMUNITY,
    )
    completion_threshold = models.PositiveSmallIntegerField(
        _("completion threshold (%)"),
        default=90,
        help_text=_("Share of a lecture a member must watch for it to count as completed."),
    )
    daily_lecture_cap = models.PositiveSmallIntegerField(
        _("daily lecture cap"),
        null=True,
        blank=True,
        help_text=_("HRD mode: the most lectures a member may complete in one day."),
    )

    class Meta:
        verbose_name = _("course")
        verbose_name_plural = _("courses")
        ordering = ("-publish_at", "-id")
        constraints = [
            models.CheckConstraint(
                condition=Q(completion_threshold__gte=1) & Q(completion_threshold__lte=100),
                name="course_threshold_1_100",
            )
        ]


class Lecture(BilingualTitleModel, PublishableModel):
    course = models.ForeignKey(
        Course, on_delete=models.CASCADE, related_name="lectures", verbose_name=_("course")
    )
    position = models.PositiveIntegerField(_("position"))
    # A lecture with a section title opens a section that runs to the next one: the course
    # outline's groups need nothing more, and moving lectures keeps working as it is.
    section_title = models.CharField(
        _("section title"),
        max_length=120,
        blank=True,
        help_text=_("Starts a new section of the course at this lecture."),
    )
    description = models.TextField(_("description"), blank=True)
    duration_seconds = models.PositiveIntegerField(_("duration (seconds)"), default=0)
    video = models.ForeignKey(
        "media.VideoAsset",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="lectures",
        verbose_name=_("video"),
    )
    # A replacement for `video` whose encoding is not ready yet: learners keep watching `video`
    # until the media service switches the lecture over when the new version is ready.
    pending_video = models.ForeignKey(
        "media.VideoAsset",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="pending_lectures",
        verbose_name=_("replacement video (processing)"),
    )

    class Meta:
        verbose_name = _("lecture")
        verbose_name_plural = _("lectures")
        ordering = ("course_id", "position")
        constraints = [
            models.UniqueConstraint(fields=("course", "position"), name="lecture_position_unique")
        ]

    @property
    def number(self) -> int:
        return self.position


class Bundle(BilingualTitleModel, PublishableModel):
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    summary = models.CharField(_("summary"), max_length=300, blank=True)
    description = models.TextField(_("description"), blank=True)
    courses: "models.ManyToManyField[Course, BundleCourse]" = models.ManyToManyField(
        Course, through="BundleCourse", related_name="bundles", verbose_name=_("courses")
    )

    class Meta:
        verbose_name = _("bundle")
        verbose_name_plural = _("bundles")
        ordering = ("-publish_at", "-id")


class BundleCourse(models.Model):
    bundle = models.ForeignKey(Bundle, on_delete=models.CASCADE, related_name="items")
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="bundle_items")
    position = models.PositiveIntegerField(_("position"))

    class Meta:
        verbose_name = _("course in bundle")
        verbose_name_plural = _("courses in bundle")
        ordering = ("bundle_id", "position")
        constraints = [
            models.UniqueConstraint(fields=("bundle", "position"), name="bundle_position_unique"),
            models.UniqueConstraint(fields=("bundle", "course"), name="bundle_course_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.bundle} #{self.position}: {self.course}"


# --- the lecture's own content: chapters, captions, handouts (added in the studio) ---------


class LectureChapter(models.Model):
    lecture = models.ForeignKey(Lecture, on_delete=models.CASCADE, related_name="chapters")
    start_seconds = models.PositiveIntegerField(_("starts at (seconds)"))
    title = models.CharField(_("title"), max_length=120)

    class Meta:
        db_table = "studio_lecturechapter"  # made by the studio app, where it lived first
        verbose_name = _("chapter")
        verbose_name_plural = _("chapters")
        ordering = ("lecture_id", "start_seconds")
        constraints = [
            models.UniqueConstraint(fields=("lecture", "start_seconds"), name="chapter_time_unique")
        ]

    def __str__(self) -> str:
        return self.title


class LectureCaption(models.Model):
    class Language(models.TextChoices):
        KO = "ko", _("Korean")
        EN = "en", _("English")

    lecture = models.ForeignKey(Lecture, on_delete=models.CASCADE, related_name="captions")
    language = models.CharField(_("language"), max_length=8, choices=Language.choices)
    file = models.FileField(_("WebVTT file"), upload_to="captions/", max_length=300)
    cue_count = models.PositiveIntegerField(default=0)
    source_name = models.CharField(_("uploaded file name"), max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "studio_lecturecaption"  # made by the studio app, where it lived first
        verbose_name = _("caption track")
        verbose_name_plural = _("caption tracks")
        constraints = [
            models.UniqueConstraint(fields=("lecture", "language"), name="caption_language_unique")
        ]

    def __str__(self) -> str:
        return f"{self.lecture} [{self.language}]"


class LectureAttachment(models.Model):
    lecture = models.ForeignKey(Lecture, on_delete=models.CASCADE, related_name="attachments")
    title = models.CharField(_("title"), max_length=200)
    file = models.FileField(_("file"), upload_to="handouts/", max_length=300)
    kind = models.CharField(_("kind"), max_length=16)
    size_bytes = models.PositiveBigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "studio_lectureattachment"  # made by the studio app, where it lived first
        verbose_name = _("handout")
        verbose_name_plural = _("handouts")
        ordering = ("lecture_id", "created_at")

    def __str__(self) -> str:
        return self.title
