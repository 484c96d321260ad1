from django.db import models
from django.utils.translation import gettext_lazy as _

from lms.catalog.models import Category, Lecture, PublishableModel
from lms.core.i18n import BilingualTitleModel


class WeeklyLecture(BilingualTitleModel, PublishableModel):
    """The weekly special lecture (every week at 19:00, 1.5–2 hours), later shared recorded."""

    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="weekly_lectures")
    speaker = models.CharField(_("speaker"), max_length=100, blank=True)
    description = models.TextField(_("description"), blank=True)
    starts_at = models.DateTimeField(_("starts at"), db_index=True)
    duration_minutes = models.PositiveSmallIntegerField(_("duration (minutes)"), default=120)
    venue = models.CharField(_("venue"), max_length=200, blank=True)
    recording = models.ForeignKey(
        Lecture,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recording"),
    )

    class Meta:
        verbose_name = _("weekly special lecture")
        verbose_name_plural = _("weekly special lectures")
        ordering = ("starts_at",)
