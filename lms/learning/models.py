"""Progress: what each member watched of each lecture, and what follows for courses and bundles.

Rows change only through `services.progress_record` (and `progress_settle_deferred`), which
lock them; see DESIGN.md "Progress".
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from lms.catalog.models import Bundle, Course, Lecture


class LectureProgress(models.Model):
    """One member's progress in one lecture.

    `coverage` is the normalised union of the credited played ranges, in seconds:
    `[[start, end], ...]`, sorted and disjoint; HRD ranges played faster than 1x carry a third
    element, their credit weight (`[start, end, 0.5]` for 2x). `credited_seconds` is the
    weighted length that completion is measured against; `covered_seconds` the plain length.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="lecture_progress",
        verbose_name=_("member"),
    )
    lecture = models.ForeignKey(
        Lecture, on_delete=models.CASCADE, related_name="progress", verbose_name=_("lecture")
    )
    coverage = models.JSONField(_("coverage"), default=list, blank=True)
    covered_seconds = models.FloatField(_("covered seconds"), default=0)
    credited_seconds = models.FloatField(_("credited seconds"), default=0)
    furthest_position = models.FloatField(_("furthest point watched"), default=0)
    position = models.FloatField(_("resume position"), default=0)
    last_rate = models.FloatField(_("last playback rate"), default=1)
    # The heartbeat sessions seen lately, most recent last: [[session id, last seq], ...].
    sessions = models.JSONField(_("recent sessions"), default=list, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    last_report_at = models.DateTimeField(_("last report at"), null=True, blank=True)
    created_at = models.DateTimeField(_("started at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("lecture progress")
        verbose_name_plural = _("lecture progress")
        constraints = [
            models.UniqueConstraint(fields=("user", "lecture"), name="lecture_progress_unique"),
            models.CheckConstraint(
                condition=Q(covered_seconds__gte=0) & Q(credited_seconds__gte=0),
                name="lecture_progress_non_negative",
            ),
        ]
        # No index may cover a column every heartbeat writes (updated_at, position...): then
        # PostgreSQL updates the row within its page (a HOT update, 98 % of heartbeats in
        # the benchmark) without writing to any index or bloating them. "Most recent first"
        # lists sort a member's few rows, found by the user-first indexes, in memory.
        indexes = [
            models.Index(fields=("user", "completed_at"), name="lecture_progress_completed"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} / {self.lecture_id}: {self.credited_seconds:.0f}s"


class HeartbeatSession(models.Model):
    """A player session (one page load of one lecture), claimed by the first member to use it.

    The id comes from the player (a random UUID). Reports that name a session belonging to
    someone else, or to another lecture, are refused.
    """

    id = models.UUIDField(primary_key=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="heartbeat_sessions"
    )
    lecture = models.ForeignKey(Lecture, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("player session")
        verbose_name_plural = _("player sessions")
        indexes = [models.Index(fields=("created_at",), name="heartbeat_session_created")]

    def __str__(self) -> str:
        return str(self.id)


class CourseProgress(models.Model):
    """A member's progress in a course, recomputed from lecture completion when it changes."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="course_progress",
        verbose_name=_("member"),
    )
    course = models.ForeignKey(
        Course, on_delete=models.CASCADE, related_name="progress", verbose_name=_("course")
    )
    completed_lectures = models.PositiveIntegerField(_("completed lectures"), default=0)
    total_lectures = models.PositiveIntegerField(_("lectures"), default=0)
    percent = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    created_at = models.DateTimeField(_("started at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("course progress")
        verbose_name_plural = _("course progress")
        constraints = [
            models.UniqueConstraint(fields=("user", "course"), name="course_progress_unique"),
            models.CheckConstraint(
                condition=Q(percent__gte=0) & Q(percent__lte=100),
                name="course_progress_percent_0_100",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} / {self.course_id}: {self.percent}%"


class BundleProgress(models.Model):
    """A member's progress in a bundle: its courses' lectures taken together."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="bundle_progress",
        verbose_name=_("member"),
    )
    bundle = models.ForeignKey(
        Bundle, on_delete=models.CASCADE, related_name="progress", verbose_name=_("bundle")
    )
    completed_courses = models.PositiveIntegerField(_("completed courses"), default=0)
    total_courses = models.PositiveIntegerField(_("courses"), default=0)
    completed_lectures = models.PositiveIntegerField(_("completed lectures"), default=0)
    total_lectures = models.PositiveIntegerField(_("lectures"), default=0)
    percent = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    created_at = models.DateTimeField(_("started at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("bundle progress")
        verbose_name_plural = _("bundle progress")
        constraints = [
            models.UniqueConstraint(fields=("user", "bundle"), name="bundle_progress_unique"),
            models.CheckConstraint(
                condition=Q(percent__gte=0) & Q(percent__lte=100),
                name="bundle_progress_percent_0_100",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} / {self.bundle_id}: {self.percent}%"


class MemberCredit(models.Model):
    """Per member, across every lecture and device: how far their credited watching has used
    the wall clock, and the epoch of their heartbeat keys.

    Crediting d seconds at a course's highest rate r moves `clock` forward by d / r; it may
    never pass the present, and it starts no earlier than `policy.CREDIT_CARRY_SECONDS` ago.
    So the played time credited to a member since any moment is at most the wall time since
    then times the highest rate, plus that carry-over: one person, one pair of eyes.
    `key_epoch` grows on sign-out, a password change or deactivation; keys of an older epoch
    are refused.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="+",
        verbose_name=_("member"),
    )
    clock = models.DateTimeField(_("credit clock"), null=True, blank=True)
    key_epoch = models.PositiveIntegerField(_("heartbeat key epoch"), default=0)

    class Meta:
        verbose_name = _("member credit")
        verbose_name_plural = _("member credit")

    def __str__(self) -> str:
        return f"{self.user_id}: {self.clock}"
