"""The review trail of courses and bundles, and what the go-live announcer has announced.
(What instructors add to a lecture, its chapters, captions and handouts, is the lecture's
own content: lms/catalog/models.py.)"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from lms.catalog.models import Course


class CourseReview(models.Model):
    """One step of a course's review: submitted, approved or sent back, with a snapshot of
    the course as it stood so that a reviewer sees what changed since the last approval."""

    class Kind(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted for review")
        APPROVED = "approved", _("Approved")
        SENT_BACK = "sent_back", _("Sent back")

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="reviews")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    comment = models.TextField(_("comment"), blank=True, max_length=4000)
    snapshot = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("course review")
        verbose_name_plural = _("course reviews")
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        return f"{self.course} – {self.get_kind_display()}"


class GoLive(models.Model):
    """The moment a scheduled course or bundle became visible, recorded once (the unique
    constraint makes "only once" hold even when two schedulers run at the same time)."""

    class Kind(models.TextChoices):
        COURSE = "course", _("course")
        BUNDLE = "bundle", _("bundle")

    kind = models.CharField(max_length=8, choices=Kind.choices)
    object_id = models.PositiveBigIntegerField()
    publish_at = models.DateTimeField()
    went_live_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("go-live")
        verbose_name_plural = _("go-lives")
        constraints = [
            models.UniqueConstraint(fields=("kind", "object_id", "publish_at"), name="go_live_once")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.object_id} @ {self.publish_at:%Y-%m-%d %H:%M}"
