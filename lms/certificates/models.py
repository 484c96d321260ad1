"""Certificates of completion (issue 22): what was true when a member completed a course or a
bundle, kept as issued, under a public code an employer can verify.

Rows change only through `services` (issue and revoke); a revocation is recorded on the row,
never a deletion.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from lms.catalog.models import Bundle, Course
from lms.core.i18n import prefers_english


class Certificate(models.Model):
    class Kind(models.TextChoices):
        COURSE = "course", _("Course")
        BUNDLE = "bundle", _("Bundle")

    class Rule(models.TextChoices):
        COMMUNITY = "community", _("Community rule")
        HRD = "hrd", _("HRD rule")
        MIXED = "mixed", _("Community and HRD rules")

    # The public code, "KCA-XXXX-XXXX-XXXX-XXXX": 16 Crockford base32 characters, 80 bits.
    code = models.CharField(_("certificate number"), max_length=24, unique=True)
    # The register's ordinal (발급대장), gapless: see services.certificate_issue.
    serial = models.PositiveIntegerField(_("serial"), unique=True)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="certificates",
        verbose_name=_("member"),
    )
    course = models.ForeignKey(
        Course,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="certificates",
        verbose_name=_("course"),
    )
    bundle = models.ForeignKey(
        Bundle,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="certificates",
        verbose_name=_("bundle"),
    )
    # As issued: later changes to the member's name or the course's title do not reach here.
    name = models.CharField(_("name as issued"), max_length=60)
    title = models.CharField(_("title as issued"), max_length=200)
    title_en = models.CharField(_("English title as issued"), max_length=200, blank=True)
    rule = models.CharField(_("completion rule"), max_length=16, choices=Rule.choices)
    # The completion this certificate stands for (the progress row's completed_at).
    completed_at = models.DateTimeField(_("completed at"))
    # The recognised study time: the sum of the credited seconds stored at issue.
    study_seconds = models.PositiveIntegerField(_("recognised study time (seconds)"))
    issued_at = models.DateTimeField(_("issued at"))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("revoked by"),
    )
    revoke_reason = models.TextField(_("reason for revocation"), max_length=1000, blank=True)

    class Meta:
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")
        ordering = ("-serial",)
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="course") & Q(bundle__isnull=True))
                | (Q(kind="bundle") & Q(course__isnull=True)),
                name="certificate_kind_matches_target",
            ),
            # One certificate per completion, and one valid certificate per member and course
            # (or bundle): a completion staff invalidated and the member earned again gets a
            # new one.
            models.UniqueConstraint(
                fields=("user", "course", "completed_at"),
                condition=Q(course__isnull=False),
                name="certificate_one_per_course_completion",
            ),
            models.UniqueConstraint(
                fields=("user", "bundle", "completed_at"),
                condition=Q(bundle__isnull=False),
                name="certificate_one_per_bundle_completion",
            ),
            models.UniqueConstraint(
                fields=("user", "course"),
                condition=Q(course__isnull=False, revoked_at__isnull=True),
                name="certificate_one_valid_per_course",
            ),
            models.UniqueConstraint(
                fields=("user", "bundle"),
                condition=Q(bundle__isnull=False, revoked_at__isnull=True),
                name="certificate_one_valid_per_bundle",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name} – {self.title}"

    @property
    def is_valid(self) -> bool:
        return self.revoked_at is None

    @property
    def display_title(self) -> str:
        """The title as issued, in English when the visitor chose English and it had one."""
        if prefers_english() and self.title_en:
            return self.title_en
        return self.title


class SerialCounter(models.Model):
    """The register's last serial, one row, locked while a certificate is issued so that the
    serials have no gaps and no repeats."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("certificate serial counter")

    def __str__(self) -> str:
        return str(self.last)
