"""Completions checked at once from several requests, with real row locks (PostgreSQL)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from lms.certificates import services
from lms.certificates.models import Certificate
from tests.factories import UserFactory, course_with_lectures
from tests.lms.learning.test_concurrency import run_at_once

from .conftest import complete_course

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: SQLite serialises writers, so requests cannot race there",
    ),
    pytest.mark.usefixtures("completions_issue_nothing"),
]


@pytest.fixture
def completions_issue_nothing():
    """The completions below issue no certificate by themselves (learning's courses_completed
    signal is not heard), so that the checks raced here are the ones that issue."""
    from lms.learning.signals import courses_completed

    uid = "lms.certificates.on_completion"
    assert courses_completed.disconnect(dispatch_uid=uid)
    yield
    courses_completed.connect(services.certificates_issue_on_completion, dispatch_uid=uid)


def test_concurrent_checks_issue_one_certificate_per_completion():
    course = course_with_lectures(2)
    course.lectures.update(duration_seconds=60)
    member = UserFactory()
    complete_course(member, course)

    results = run_at_once(*[lambda: services.certificates_issue_for(user=member)] * 6)

    assert sum(len(r) for r in results) == 1
    assert Certificate.objects.filter(user=member).count() == 1


def test_concurrent_issues_for_many_members_get_distinct_gapless_serials():
    course = course_with_lectures(1)
    course.lectures.update(duration_seconds=60)
    members = [UserFactory() for _ in range(6)]
    for member in members:
        complete_course(member, course)

    jobs = [lambda m=m: services.certificates_issue_for(user=m) for m in members]
    run_at_once(*jobs, *jobs)  # each member checked twice at once

    serials = sorted(Certificate.objects.values_list("serial", flat=True))
    assert serials == list(range(1, 7))


def test_the_periodic_task_and_a_page_visit_at_once_issue_once():
    course = course_with_lectures(1)
    course.lectures.update(duration_seconds=60)
    members = [UserFactory() for _ in range(3)]
    for member in members:
        complete_course(member, course, at=timezone.now() - timedelta(minutes=5))

    run_at_once(
        services.certificates_issue_pending,
        services.certificates_issue_pending,
        *[lambda m=m: services.certificates_issue_for(user=m) for m in members],
    )

    assert Certificate.objects.count() == 3
    assert services.certificates_issue_pending() == 0
