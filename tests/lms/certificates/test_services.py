from datetime import timedelta

import pytest
from django.utils import timezone

from lms.certificates import services
from lms.certificates.models import Certificate
from lms.certificates.tasks import certificates_sync
from lms.core.errors import AppError, Conflict
from lms.learning.models import CourseProgress, LectureProgress
from tests.factories import BundleCourseFactory, BundleFactory, UserFactory, course_with_lectures

from .conftest import complete_course

pytestmark = pytest.mark.django_db


def test_completing_a_course_issues_one_certificate_with_what_was_true(short_course):
    member = UserFactory(display_name="길동", certificate_name="홍길동")
    progress = complete_course(member, short_course)
    assert progress.completed_at is not None

    [certificate] = services.certificates_issue_for(user=member)

    assert certificate.name == "홍길동"
    assert certificate.title == "QA관리사 기초"
    assert certificate.title_en == "QA Manager Basics"
    assert certificate.completed_at == progress.completed_at
    assert certificate.rule == Certificate.Rule.COMMUNITY
    credited = sum(
        LectureProgress.objects.filter(user=member).values_list("credited_seconds", flat=True)
    )
    assert certificate.study_seconds == int(credited)
    assert certificate.study_seconds >= 216
    assert certificate.is_valid
    assert certificate.serial == 1
    assert services.certificates_issue_for(user=member) == []
    assert Certificate.objects.count() == 1


def test_an_unfinished_course_gets_no_certificate(short_course):
    member = UserFactory()
    from tests.lms.learning.conftest import watch_paced

    watch_paced(member, short_course.lectures.first(), 0, 120, until=timezone.now())
    assert services.certificates_issue_for(user=member) == []


def test_the_certificate_keeps_the_title_and_name_as_issued(short_course):
    member = UserFactory(display_name="김상담")
    complete_course(member, short_course)
    [certificate] = services.certificates_issue_for(user=member)

    short_course.title = "바뀐 제목"
    short_course.save()
    member.display_name = "다른 이름"
    member.save()

    certificate.refresh_from_db()
    assert certificate.title == "QA관리사 기초"
    assert certificate.name == "김상담"


def test_the_display_name_is_used_when_no_certificate_name_is_set(short_course):
    member = UserFactory(display_name="이학습", certificate_name="")
    complete_course(member, short_course)
    [certificate] = services.certificates_issue_for(user=member)
    assert certificate.name == "이학습"


def test_an_hrd_course_records_the_hrd_rule():
    course = course_with_lectures(1, completion_policy="hrd", completion_threshold=80)
    course.lectures.update(duration_seconds=60)
    member = UserFactory()
    complete_course(member, course)
    [certificate] = services.certificates_issue_for(user=member)
    assert certificate.rule == Certificate.Rule.HRD


def test_serials_follow_one_another_without_gaps(short_course):
    other = course_with_lectures(1)
    other.lectures.update(duration_seconds=60)
    members = [UserFactory() for _ in range(3)]
    for member in members:
        complete_course(member, short_course)
    complete_course(members[0], other, at=timezone.now() + timedelta(hours=1))
    for member in members:
        services.certificates_issue_for(user=member)
    assert sorted(Certificate.objects.values_list("serial", flat=True)) == [1, 2, 3, 4]
    assert len(set(Certificate.objects.values_list("code", flat=True))) == 4


def test_a_bundle_gets_its_certificate_when_all_its_courses_are_complete(short_course):
    bundle = BundleFactory(title="상담 전문가 패키지")
    other = course_with_lectures(1, completion_policy="hrd")
    other.lectures.update(duration_seconds=60)
    BundleCourseFactory(bundle=bundle, course=short_course)
    BundleCourseFactory(bundle=bundle, course=other)
    member = UserFactory()

    complete_course(member, short_course)
    issued = services.certificates_issue_for(user=member)
    assert [c.kind for c in issued] == ["course"]

    complete_course(member, other, at=timezone.now() + timedelta(hours=1))
    issued = services.certificates_issue_for(user=member)
    assert sorted(c.kind for c in issued) == ["bundle", "course"]
    bundle_certificate = next(c for c in issued if c.kind == "bundle")
    assert bundle_certificate.title == "상담 전문가 패키지"
    assert bundle_certificate.rule == Certificate.Rule.MIXED
    total = sum(
        LectureProgress.objects.filter(user=member).values_list("credited_seconds", flat=True)
    )
    assert bundle_certificate.study_seconds == int(total)


def test_the_periodic_task_issues_once_when_run_twice(short_course):
    members = [UserFactory() for _ in range(2)]
    for member in members:
        complete_course(member, short_course)

    assert certificates_sync() == {"revoked": 0, "issued": 2}
    assert certificates_sync() == {"revoked": 0, "issued": 0}
    assert Certificate.objects.count() == 2


def test_revoking_records_who_when_and_why_and_keeps_the_row(short_course, staff):
    member = UserFactory()
    complete_course(member, short_course)
    [certificate] = services.certificates_issue_for(user=member)

    revoked = services.certificate_revoke(
        certificate=certificate, by=staff, reason="부정 수강 확인"
    )

    assert revoked.revoked_at is not None
    assert revoked.revoked_by == staff
    assert revoked.revoke_reason == "부정 수강 확인"
    assert Certificate.objects.filter(pk=certificate.pk).exists()
    with pytest.raises(Conflict):
        services.certificate_revoke(certificate=certificate, by=staff, reason="다시")
    # The completion still stands: revoking does not issue a fresh certificate for it.
    assert services.certificates_issue_for(user=member) == []


def test_revoking_needs_a_reason(short_course, staff):
    member = UserFactory()
    complete_course(member, short_course)
    [certificate] = services.certificates_issue_for(user=member)
    with pytest.raises(AppError) as error:
        services.certificate_revoke(certificate=certificate, by=staff, reason="  ")
    assert error.value.code == "reason_required"
    with pytest.raises(AppError) as error:
        services.certificate_revoke(certificate=certificate, by=staff, reason="가" * 1001)
    assert error.value.code == "reason_too_long"


def test_invalidating_a_completion_revokes_and_a_new_completion_earns_a_new_certificate(
    short_course, staff
):
    member = UserFactory()
    complete_course(member, short_course)
    [first] = services.certificates_issue_for(user=member)

    revoked = services.completion_invalidate(
        user=member, course=short_course, by=staff, reason="진도 조작"
    )

    assert revoked == 1
    first.refresh_from_db()
    assert first.revoked_at is not None
    assert first.revoke_reason == "진도 조작"
    progress = CourseProgress.objects.get(user=member, course=short_course)
    assert progress.completed_at is None
    assert progress.percent == 0
    assert not LectureProgress.objects.filter(user=member, completed_at__isnull=False).exists()
    assert services.certificates_issue_for(user=member) == []

    complete_course(member, short_course, at=timezone.now() + timedelta(hours=2))
    [second] = services.certificates_issue_for(user=member)
    assert second.code != first.code
    assert second.serial == first.serial + 1


def test_invalidating_a_course_not_completed_is_refused(short_course, staff):
    member = UserFactory()
    with pytest.raises(AppError) as error:
        services.completion_invalidate(user=member, course=short_course, by=staff, reason="x")
    assert error.value.code == "not_completed"


def test_a_completion_reset_elsewhere_is_revoked_by_the_periodic_task(short_course):
    member = UserFactory()
    complete_course(member, short_course)
    [certificate] = services.certificates_issue_for(user=member)

    CourseProgress.objects.filter(user=member).update(completed_at=None)

    assert certificates_sync() == {"revoked": 1, "issued": 0}
    assert certificates_sync() == {"revoked": 0, "issued": 0}
    certificate.refresh_from_db()
    assert certificate.revoked_at is not None
    assert certificate.revoked_by is None


def test_the_heartbeat_that_completes_a_course_issues_its_certificate_after_commit(
    short_course, django_capture_on_commit_callbacks
):
    """No page visit and no periodic task: the completion's own commit issues it."""
    member = UserFactory()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        complete_course(member, short_course)

    assert callbacks
    [certificate] = Certificate.objects.filter(user=member)
    assert certificate.course == short_course
