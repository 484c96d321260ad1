"""Writes to accounts."""

import secrets

from allauth.account.models import EmailAddress
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lms.core.errors import AppError

from .models import CONSENT_VERSIONS, Consent, InstructorApplication, User


@transaction.atomic
def user_create_verified(
    *, email: str, password: str, display_name: str = "", **roles: bool
) -> User:
    """A member whose e-mail address is already verified (demo and staff-made accounts)."""
    user = User.objects.create_user(email=email, password=password, display_name=display_name)
    for field, value in roles.items():
        setattr(user, field, value)
    if roles:
        user.save(update_fields=list(roles))
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def _notify(*, to: str, subject: str, body: str) -> None:
    """Send after commit, so a rolled-back decision never mails anyone."""
    transaction.on_commit(lambda: send_mail(subject, body, None, [to], fail_silently=False))


@transaction.atomic
def instructor_application_submit(
    *,
    applicant: User,
    experience: str,
    years_in_field: int,
    proposed_topic: str,
    sample_link: str = "",
) -> InstructorApplication:
    """A member applies to teach. Refused for instructors and for a second pending one."""
    applicant = User.objects.select_for_update().get(pk=applicant.pk)
    if applicant.is_instructor:
        raise AppError(_("You are already an instructor."), code="already_instructor")
    if applicant.instructor_applications.filter(
        status=InstructorApplication.Status.PENDING
    ).exists():
        raise AppError(
            _("Your application is already waiting for review."), code="application_pending"
        )
    application = InstructorApplication(
        applicant=applicant,
        experience=experience,
        years_in_field=years_in_field,
        proposed_topic=proposed_topic,
        sample_link=sample_link,
    )
    try:
        application.full_clean()
    except ValidationError as exc:
        raise AppError(" ".join(exc.messages), code="invalid", extra=exc.message_dict) from exc
    application.save()
    return application


def _lock_pending(application: InstructorApplication) -> InstructorApplication:
    locked = InstructorApplication.objects.select_for_update().get(pk=application.pk)
    if locked.status != InstructorApplication.Status.PENDING:
        raise AppError(
            _("This application was already decided."), code="application_already_decided"
        )
    return locked


def _decide(
    application: InstructorApplication, status: str, decided_by: User, message: str
) -> InstructorApplication:
    """Record the decision on a pending application (locked here, in the caller's transaction)."""
    application = _lock_pending(application)
    application.status = status
    application.decided_by = decided_by
    application.decided_at = timezone.now()
    application.decision_message = message
    application.save(update_fields=["status", "decided_by", "decided_at", "decision_message"])
    return application


@transaction.atomic
def instructor_application_approve(
    *, application: InstructorApplication, decided_by: User, message: str = ""
) -> InstructorApplication:
    """Grant the instructor role and tell the member by e-mail and on the site (/teach/)."""
    application = _decide(application, InstructorApplication.Status.APPROVED, decided_by, message)
    applicant = User.objects.select_for_update().get(pk=application.applicant_id)
    applicant.is_instructor = True
    applicant.save(update_fields=["is_instructor"])
    _notify(
        to=applicant.email,
        subject=_("[CS Leaders Forum] You are now an instructor"),
        body=_(
            "Your application to teach “%(topic)s” was approved.\n%(message)s\n\n"
            "Open your studio to create your first course."
        )
        % {"topic": application.proposed_topic, "message": message},
    )
    return application


@transaction.atomic
def instructor_application_decline(
    *, application: InstructorApplication, decided_by: User, message: str
) -> InstructorApplication:
    """Decline with a message the member can act on (required)."""
    if not message.strip():
        raise AppError(
            _("Write the applicant a short reason when declining."), code="message_required"
        )
    application = _decide(application, InstructorApplication.Status.DECLINED, decided_by, message)
    _notify(
        to=application.applicant.email,
        subject=_("[CS Leaders Forum] About your instructor application"),
        body=_("Your application to teach “%(topic)s” was not approved this time.\n%(message)s")
        % {"topic": application.proposed_topic, "message": message},
    )
    return application


PLAYBACK_RATES = (0.75, 1.0, 1.25, 1.5, 1.75, 2.0)


@transaction.atomic
def user_set_playback_rate(*, user: User, rate: object) -> User:
    """Remember the member's playback speed (one of the player's steps)."""
    try:
        value = float(rate)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        value = -1.0
    if value not in PLAYBACK_RATES:
        raise AppError(
            _("Choose a playback speed of %(rates)s.")
            % {"rates": ", ".join(f"{r:g}×" for r in PLAYBACK_RATES)},
            code="invalid_playback_rate",
        )
    user.playback_rate = value
    user.save(update_fields=["playback_rate"])
    return user


PROFILE_MAX_LINKS = 5
PROFILE_NAME_MAX = 60
_NAME_FORBIDDEN = set('<>{}[]\\"`') | {chr(c) for c in range(32)} | {"\x7f"}


def _clean_name(value: str, *, field: str, label: str) -> str:
    value = " ".join((value or "").split())
    if len(value) > PROFILE_NAME_MAX:
        raise AppError(
            _("%(label)s may be at most %(n)d characters.")
            % {"label": label, "n": PROFILE_NAME_MAX},
            code="name_too_long",
            extra={"field": field},
        )
    if any(ch in _NAME_FORBIDDEN for ch in value):
        raise AppError(
            _("%(label)s may not contain symbols such as < > { } [ ] or quotation marks.")
            % {"label": label},
            code="name_forbidden_characters",
            extra={"field": field},
        )
    return value


def _clean_links(value: str) -> str:
    from django.core.validators import URLValidator

    links = [line.strip() for line in (value or "").splitlines() if line.strip()]
    if len(links) > PROFILE_MAX_LINKS:
        raise AppError(
            _("Add at most %(n)d links.") % {"n": PROFILE_MAX_LINKS},
            code="too_many_links",
            extra={"field": "links"},
        )
    check = URLValidator(schemes=["http", "https"])
    for link in links:
        try:
            check(link)
        except ValidationError:
            raise AppError(
                _("“%(link)s” is not a web address (it starts with https://).")
                % {"link": link[:80]},
                code="invalid_link",
                extra={"field": "links"},
            ) from None
    return "\n".join(links)


@transaction.atomic
def profile_update(
    *,
    user: User,
    display_name: str,
    certificate_name: str,
    bio: str,
    links: str,
    public: bool,
) -> User:
    """Save the member's profile. Names are single-line text without markup characters; links
    are http(s) addresses, one per line. Turning the public profile on gives it a random
    address (kept, so a shared link works again when it is turned back on); turning it off
    hides it at once."""
    user.display_name = _clean_name(display_name, field="display_name", label=_("Display name"))
    user.certificate_name = _clean_name(
        certificate_name, field="certificate_name", label=_("Name on certificates")
    )
    bio = (bio or "").strip()
    if len(bio) > 500:
        raise AppError(
            _("The introduction may be at most 500 characters."),
            code="bio_too_long",
            extra={"field": "bio"},
        )
    user.bio = bio
    user.links = _clean_links(links)
    user.profile_public = bool(public)
    if user.profile_public and not user.profile_handle:
        user.profile_handle = secrets.token_urlsafe(9)[:12]
    user.save(
        update_fields=[
            "display_name",
            "certificate_name",
            "bio",
            "links",
            "profile_public",
            "profile_handle",
        ]
    )
    return user


def display_name_validate(value: str) -> str:
    """The display name as it will be saved (spaces collapsed), or AppError naming the field."""
    name = _clean_name(value, field="display_name", label=_("Display name"))
    if not name:
        raise AppError(
            _("Enter the name other members will see."),
            code="display_name_required",
            extra={"field": "display_name"},
        )
    return name


@transaction.atomic
def member_signup_complete(*, user: User, display_name: str, marketing: bool) -> User:
    """What a sign-up adds to the account allauth made: the display name, and the consents given
    on the form (terms and privacy, which the form requires; marketing when ticked), each with
    the version of its text and the time, so that what the member agreed to is provable."""
    user.display_name = display_name_validate(display_name)
    user.save(update_fields=["display_name"])
    kinds = [Consent.Kind.TERMS, Consent.Kind.PRIVACY]
    if marketing:
        kinds.append(Consent.Kind.MARKETING)
    consent_record(member=user, kinds=kinds)
    return user


def consent_record(*, member: User, kinds: list[Consent.Kind]) -> list[Consent]:
    """Record that `member` agrees now to the current version (CONSENT_VERSIONS) of each text.
    Agreeing again to a version already on record keeps the first record."""
    now = timezone.now()
    made = []
    for kind in kinds:
        consent, _created = Consent.objects.get_or_create(
            member=member,
            kind=kind,
            version=CONSENT_VERSIONS[kind],
            defaults={"given_at": now},
        )
        made.append(consent)
    return made


@transaction.atomic
def member_unconfirmed_email_replace(*, user: User, email: str) -> bool:
    """Give a member who has not confirmed any address yet (a sign-up waiting for its mail)
    another address in place of the unconfirmed one. Returns False, changing nothing, when the
    address belongs to another account: it is not taken over.

    Refused (AppError) once the member has a confirmed address: from then on an address
    changes through allauth's e-mail management, which confirms the new one first.
    """
    user = User.objects.select_for_update().get(pk=user.pk)
    if EmailAddress.objects.filter(user=user, verified=True).exists():
        raise AppError(
            _("This sign-up's address is confirmed already."), code="address_already_confirmed"
        )
    email = User.objects.normalize_email(email).lower()
    if (
        User.objects.filter(email__iexact=email).exclude(pk=user.pk).exists()
        or EmailAddress.objects.filter(email__iexact=email).exclude(user=user).exists()
    ):
        return False
    EmailAddress.objects.filter(user=user, verified=False).delete()
    EmailAddress.objects.create(user=user, email=email, primary=True, verified=False)
    user.email = email
    user.save(update_fields=["email"])
    return True
