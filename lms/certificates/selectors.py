"""Reads of the certificates app, and its access rules."""

from django.db.models import Q, QuerySet
from django.http import Http404

from lms.accounts.models import User
from lms.catalog.models import Course, visible_q

from .codes import code_normalise
from .models import Certificate

# What a lookup with a malformed code asks for: no code has this form (it is shorter than a
# real one), so unknown and malformed codes cost the same single query and get one answer.
_NO_SUCH_CODE = "KCA-"


def certificate_verify(*, text: str) -> Certificate | None:
    """The certificate a typed or scanned code names, revoked ones included; None for an
    unknown or malformed code alike (one indexed query either way)."""
    code = code_normalise(text) or _NO_SUCH_CODE
    return (
        Certificate.objects.only(
            "code",
            "kind",
            "name",
            "title",
            "title_en",
            "completed_at",
            "study_seconds",
            "rule",
            "issued_at",
            "revoked_at",
        )
        .filter(code=code)
        .first()
    )


def access_certificate_file(*, user: User, code: str) -> Certificate:
    """A certificate whose PDF `user` may download: their own (or any, for staff), still
    valid. Anything else is a 404, revoked ones included: the PDF is not re-issued as
    valid."""
    normalised = code_normalise(code)
    certificate = (
        Certificate.objects.filter(code=normalised).select_related("user").first()
        if normalised
        else None
    )
    if certificate is None or not (user.is_staff or certificate.user_id == user.pk):
        raise Http404
    return certificate


def certificates_of(*, user: User) -> list[Certificate]:
    """The member's certificates, valid and revoked, newest first."""
    return list(Certificate.objects.filter(user=user).order_by("-issued_at", "-pk"))


def certificates_valid_by_course(*, user: User) -> dict[int, Certificate]:
    """The member's valid course certificates by course id (My learning links them)."""
    rows = Certificate.objects.filter(user=user, revoked_at__isnull=True, course__isnull=False)
    return {c.course_id: c for c in rows if c.course_id is not None}


def register_list(*, search: str = "") -> QuerySet[Certificate]:
    """The register (발급대장) for staff, by serial, optionally searched by code, serial,
    name, title or e-mail."""
    rows = Certificate.objects.select_related("user").order_by("serial")
    search = search.strip()
    if search:
        q = (
            Q(name__icontains=search)
            | Q(title__icontains=search)
            | Q(user__email__icontains=search)
        )
        normalised = code_normalise(search)
        if normalised:
            q |= Q(code=normalised)
        if search.isdigit():
            q |= Q(serial=int(search))
        rows = rows.filter(q)
    return rows


def public_profile_get(*, handle: str) -> User:
    """The member whose public profile is at `handle`, if they have it turned on."""
    user = User.objects.filter(profile_handle=handle, profile_public=True, is_active=True).first()
    if user is None:
        raise Http404
    return user


def public_profile_courses_taught(*, user: User) -> list[Course]:
    if not user.is_instructor:
        return []
    return list(Course.objects.filter(visible_q(), instructors=user).order_by("title"))


def public_profile_certificates(*, user: User) -> list[Certificate]:
    """The valid certificates a public profile shows: nothing about progress in progress."""
    return list(
        Certificate.objects.filter(user=user, revoked_at__isnull=True).order_by("-completed_at")
    )
