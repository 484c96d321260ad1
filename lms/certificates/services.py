"""Writes of the certificates app: issue (idempotent), revoke, and a completion staff
invalidate.

Issuing is driven from what is stored: a CourseProgress or BundleProgress row whose
`completed_at` is set and no certificate stands for that completion yet. The learning service
sets `completed_at` through an UPDATE that sends no signals, so callers ask for it:
`certificates_issue_for(user=...)` from the member's pages and, for everyone, the periodic
task `certificates_issue_pending`. Both are safe to run twice and at once.
"""

import logging
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from lms.accounts.models import User
from lms.catalog.models import Bundle, Course
from lms.core.errors import AppError, Conflict
from lms.learning.models import BundleProgress, CourseProgress, LectureProgress

from .codes import code_new
from .models import Certificate, SerialCounter

log = logging.getLogger(__name__)

REASON_MAX = 1000


def _study_seconds(*, user: User, courses: Q) -> int:
    """The credited watching time as stored, over the lectures matched by `courses`."""
    total = LectureProgress.objects.filter(courses, user=user).aggregate(s=Sum("credited_seconds"))
    return int(total["s"] or 0)


def _rule_of(policies: set[str]) -> str:
    if len(policies) == 1:
        return Certificate.Rule(policies.pop()).value
    return Certificate.Rule.MIXED.value if policies else Certificate.Rule.COMMUNITY.value


def _next_serial() -> int:
    """Lock the register's counter (the caller's transaction holds it until commit): one issue
    at a time gets the next serial, so there are no gaps and no repeats."""
    SerialCounter.objects.get_or_create(id=1)
    counter = SerialCounter.objects.select_for_update().get(id=1)
    counter.last += 1
    counter.save(update_fields=["last"])
    return int(counter.last)


def _issue(*, user: User, completed_at: datetime, target: Course | Bundle) -> Certificate | None:
    """Issue the certificate of one completion unless it exists. Returns the new certificate,
    or None when another request issued it first."""
    is_course = isinstance(target, Course)
    lookup = {"course": target} if is_course else {"bundle": target}
    try:
        with transaction.atomic():
            serial = _next_serial()
            # Checked again under the counter's lock: a concurrent issue that got the lock
            # first has committed by now, and READ COMMITTED shows it to this statement.
            if Certificate.objects.filter(user=user, completed_at=completed_at, **lookup).exists():
                transaction.set_rollback(True)
                return None
            if isinstance(target, Course):
                courses = Q(lecture__course=target)
                policies = {target.completion_policy}
            else:
                courses = Q(lecture__course__bundles=target)
                policies = set(target.courses.values_list("completion_policy", flat=True))
            certificate = Certificate(
                code=code_new(),
                serial=serial,
                kind=Certificate.Kind.COURSE if is_course else Certificate.Kind.BUNDLE,
                user=user,
                name=user.name_for_certificates[:60],
                title=target.title,
                title_en=target.title_en,
                rule=_rule_of(policies),
                completed_at=completed_at,
                study_seconds=_study_seconds(user=user, courses=courses),
                issued_at=timezone.now(),
                **lookup,
            )
            certificate.full_clean(validate_unique=False, validate_constraints=False)
            certificate.save()
    except IntegrityError:
        # The unique constraints are the last word (a valid one already exists for the
        # course after an earlier completion, or a race the lock did not see).
        return None
    log.info("certificate %s issued to member %s", certificate.code, user.pk)
    return certificate


def _without_certificate(model: type[CourseProgress] | type[BundleProgress]) -> QuerySet[Any]:
    """Completed progress rows (of courses or bundles) that no certificate stands for."""
    target = "course" if model is CourseProgress else "bundle"
    has_certificate = Certificate.objects.filter(
        user=OuterRef("user"),
        completed_at=OuterRef("completed_at"),
        **{target: OuterRef(target)},
    )
    return model.objects.filter(completed_at__isnull=False).filter(~Exists(has_certificate))


def certificates_issue_for(*, user: User) -> list[Certificate]:
    """Issue every certificate the member has earned and not yet received (courses and
    bundles whose progress is completed). Idempotent and safe under concurrency: one
    certificate per completion, one valid certificate per member and course. Cheap when there
    is nothing to do (two indexed queries)."""
    if not user.is_authenticated or user.pk is None:
        return []
    issued = []
    for model, target in ((CourseProgress, "course"), (BundleProgress, "bundle")):
        for progress in _without_certificate(model).filter(user=user).select_related(target):
            cert = _issue(
                user=user, completed_at=progress.completed_at, target=getattr(progress, target)
            )
            if cert:
                issued.append(cert)
    return issued


def certificates_issue_on_completion(sender: Any, *, user: User, **kwargs: Any) -> None:
    """`learning.signals.courses_completed` receiver: issue at once what the completion
    earned. A failure here loses nothing (the periodic task catches up), so it is logged,
    never raised into the heartbeat that completed the course."""
    try:
        certificates_issue_for(user=user)
    except Exception:
        log.exception("Certificates for member %s wait for the periodic task", user.pk)


def certificates_issue_pending(*, limit: int = 500) -> int:
    """For the periodic task: issue to every member with a completion that has no
    certificate yet (up to `limit` members a run). Returns how many were issued; running it
    twice issues nothing more."""
    user_ids = set(
        _without_certificate(CourseProgress).values_list("user_id", flat=True)[:limit]
    ) | set(_without_certificate(BundleProgress).values_list("user_id", flat=True)[:limit])
    issued = 0
    for user in User.objects.filter(pk__in=user_ids).order_by("pk"):
        issued += len(certificates_issue_for(user=user))
    return issued


def _clean_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise AppError(
            _("Write why the certificate is revoked."),
            code="reason_required",
            extra={"field": "reason"},
        )
    if len(reason) > REASON_MAX:
        raise AppError(
            _("The reason is too long (at most %(n)d characters).") % {"n": REASON_MAX},
            code="reason_too_long",
            extra={"field": "reason"},
        )
    return reason


@transaction.atomic
def certificate_revoke(
    *, certificate: Certificate, by: User | None, reason: str, now: datetime | None = None
) -> Certificate:
    """Revoke a valid certificate with a reason. The row stays (the register keeps it); the
    verification page says revoked and the PDF is no longer served. Revoking a revoked
    certificate is refused (Conflict): the first revocation's date and reason stand."""
    reason = _clean_reason(reason)
    locked = Certificate.objects.select_for_update().get(pk=certificate.pk)
    if locked.revoked_at is not None:
        raise Conflict(_("This certificate is already revoked."), code="already_revoked")
    locked.revoked_at = now or timezone.now()
    locked.revoked_by = by
    locked.revoke_reason = reason
    locked.save(update_fields=["revoked_at", "revoked_by", "revoke_reason"])
    log.info("certificate %s revoked by %s", locked.code, by.pk if by else None)
    return locked


def certificates_revoke_invalidated(*, now: datetime | None = None) -> int:
    """Revoke valid certificates whose completion is no longer stored (the progress row was
    reset or deleted, or completed again at another time). Safe to run twice."""
    same_course = CourseProgress.objects.filter(
        user=OuterRef("user"), course=OuterRef("course"), completed_at=OuterRef("completed_at")
    )
    same_bundle = BundleProgress.objects.filter(
        user=OuterRef("user"), bundle=OuterRef("bundle"), completed_at=OuterRef("completed_at")
    )
    stale = Certificate.objects.filter(revoked_at__isnull=True, user__isnull=False).filter(
        (Q(kind=Certificate.Kind.COURSE, course__isnull=False) & ~Exists(same_course))
        | (Q(kind=Certificate.Kind.BUNDLE, bundle__isnull=False) & ~Exists(same_bundle))
    )
    count = 0
    for certificate in stale.order_by("pk"):
        try:
            certificate_revoke(
                certificate=certificate,
                by=None,
                reason=_("The completion this certificate stood for was invalidated."),
                now=now,
            )
        except Conflict:
            continue
        count += 1
    return count


@transaction.atomic
def completion_invalidate(*, user: User, course: Course, by: User, reason: str) -> int:
    """Staff invalidate a member's completion of `course` (for example after progress found
    to be gamed): the member's watching of its lectures is reset, the course and the bundles
    holding it are no longer complete, and their valid certificates are revoked with
    `reason`. Returns the number of certificates revoked."""
    reason = _clean_reason(reason)
    progress = list(
        CourseProgress.objects.select_for_update().filter(user=user, course=course).order_by("pk")
    )
    if not progress or progress[0].completed_at is None:
        raise AppError(_("This member has not completed this course."), code="not_completed")
    lectures = LectureProgress.objects.select_for_update().filter(user=user, lecture__course=course)
    for row in lectures.order_by("pk"):
        row.coverage = []
        row.covered_seconds = 0
        row.credited_seconds = 0
        row.furthest_position = 0
        row.position = 0
        row.completed_at = None
        row.save(
            update_fields=[
                "coverage",
                "covered_seconds",
                "credited_seconds",
                "furthest_position",
                "position",
                "completed_at",
                "updated_at",
            ]
        )
    course_row = progress[0]
    course_row.completed_at = None
    course_row.completed_lectures = 0
    course_row.percent = 0
    course_row.save(update_fields=["completed_at", "completed_lectures", "percent", "updated_at"])
    bundle_ids = list(course.bundles.values_list("pk", flat=True))
    BundleProgress.objects.filter(user=user, bundle_id__in=bundle_ids).update(
        completed_at=None, updated_at=timezone.now()
    )
    revoked = 0
    valid = Certificate.objects.filter(user=user, revoked_at__isnull=True).filter(
        Q(course=course) | Q(bundle_id__in=bundle_ids)
    )
    for certificate in valid.order_by("pk"):
        certificate_revoke(certificate=certificate, by=by, reason=reason)
        revoked += 1
    return revoked
