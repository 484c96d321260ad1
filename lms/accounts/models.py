from typing import Any, ClassVar

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils.translation import gettext_lazy as _


class EmailUserManager(UserManager["User"]):
    """Members sign in with their e-mail address; there is no username."""

    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra_fields: Any) -> "User":
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(  # type: ignore[override]
        self, email: str, password: str | None = None, **extra_fields: Any
    ) -> "User":
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(  # type: ignore[override]
        self, email: str, password: str | None = None, **extra_fields: Any
    ) -> "User":
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)


class User(AbstractUser):
    """A member. Every member is a learner; instructors are granted; staff administer."""

    username = None  # type: ignore[assignment]
    email = models.EmailField(_("e-mail address"), unique=True)
    display_name = models.CharField(_("display name"), max_length=60, blank=True)
    is_instructor = models.BooleanField(
        _("instructor"), default=False, help_text=_("May create courses and upload lectures.")
    )

    playback_rate = models.DecimalField(
        _("playback speed"),
        max_digits=3,
        decimal_places=2,
        default=1,
        help_text=_("Remembered across lectures and devices (0.75–2×)."),
    )

    # Profile (issue 22). The name on certificates is kept on each certificate as issued.
    certificate_name = models.CharField(
        _("name on certificates"),
        max_length=60,
        blank=True,
        help_text=_("Printed on your certificates; your display name when empty."),
    )
    bio = models.TextField(_("short introduction"), max_length=500, blank=True)
    # Up to PROFILE_MAX_LINKS http(s) addresses, one per line.
    links = models.TextField(_("links"), max_length=1000, blank=True)
    profile_public = models.BooleanField(
        _("public profile"),
        default=False,
        help_text=_("Anyone with the address can see your completed courses and certificates."),
    )
    # The public profile's address: random, so that member ids are not walked.
    profile_handle = models.CharField(
        _("profile address"), max_length=16, unique=True, null=True, blank=True
    )

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    objects = EmailUserManager()  # type: ignore[misc]

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members")
        ordering = ("id",)

    def __str__(self) -> str:
        return self.display_name or self.email

    @property
    def public_name(self) -> str:
        return self.display_name or self.email.split("@", 1)[0]

    @property
    def name_for_certificates(self) -> str:
        return self.certificate_name or self.public_name


class InstructorApplication(models.Model):
    """A member's request to teach: practitioners with know-how, not only professionals."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for review")
        APPROVED = "approved", _("Approved")
        DECLINED = "declined", _("Declined")

    applicant = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="instructor_applications"
    )
    experience = models.TextField(_("experience"), max_length=4000)
    years_in_field = models.PositiveSmallIntegerField(_("years in the field"))
    proposed_topic = models.CharField(_("proposed topic"), max_length=200)
    sample_link = models.URLField(_("sample link"), blank=True, max_length=500)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    decided_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_message = models.TextField(_("message to the applicant"), blank=True, max_length=2000)
    created_at = models.DateTimeField(_("applied at"), auto_now_add=True)

    class Meta:
        verbose_name = _("instructor application")
        verbose_name_plural = _("instructor applications")
        ordering = ("-created_at",)
        constraints = [
            models.UniqueConstraint(
                fields=("applicant",),
                condition=models.Q(status="pending"),
                name="one_pending_application_per_member",
            ),
            models.CheckConstraint(
                condition=models.Q(years_in_field__lte=70), name="application_years_sane"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.applicant} – {self.proposed_topic}"


class Consent(models.Model):
    """A member's agreement to one text, kept so that what they agreed to, and when, is provable.

    One row per agreement: a new version of a text the member agrees to again is a new row;
    rows are never edited. `version` names the text as published (CONSENT_VERSIONS).
    """

    class Kind(models.TextChoices):
        TERMS = "terms", _("Terms of use")
        PRIVACY = "privacy", _("Collection and use of personal information")
        MARKETING = "marketing", _("News and event e-mails")

    member = models.ForeignKey(User, on_delete=models.CASCADE, related_name="consents")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    version = models.CharField(_("version of the text"), max_length=32)
    given_at = models.DateTimeField(_("given at"))

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        ordering = ("member", "kind", "-given_at")
        constraints = [
            models.UniqueConstraint(
                fields=("member", "kind", "version"), name="one_consent_per_text_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.member} – {self.get_kind_display()} ({self.version})"


# The version of each text in force: a change to templates/accounts/terms.html or privacy.html
# that members must agree to again gets a new version here (the date it takes effect).
CONSENT_VERSIONS = {
    Consent.Kind.TERMS: "2026-12-04",
    Consent.Kind.PRIVACY: "2026-12-04",
    Consent.Kind.MARKETING: "2026-12-04",
}
