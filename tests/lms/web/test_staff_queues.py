"""Staff find the review and application queues from every page's header and from the admin
index, with how many wait in each; nobody else sees them."""

import re

import pytest
from django.test import Client

from lms.accounts.models import InstructorApplication
from lms.catalog.models import Status
from tests.factories import CourseFactory, UserFactory


@pytest.fixture
def waiting(db):
    """Two courses in review and one pending application (a decided one does not count)."""
    for _ in range(2):
        CourseFactory(status=Status.IN_REVIEW, publish_at=None)
    CourseFactory(status=Status.DRAFT, publish_at=None)
    InstructorApplication.objects.create(
        applicant=UserFactory(), experience="상담 8년", years_in_field=8, proposed_topic="코칭"
    )
    InstructorApplication.objects.create(
        applicant=UserFactory(),
        experience="상담 3년",
        years_in_field=3,
        proposed_topic="응대",
        status=InstructorApplication.Status.DECLINED,
    )


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _queue_link(page: str, queue: str) -> str:
    match = re.search(rf'<a href="([^"]+)" class="queue-link" data-queue="{queue}">(.*?)</a>', page)
    assert match, f"no {queue} link"
    return match.group(1) + " " + match.group(2)


@pytest.mark.parametrize("url", ["/", "/courses/", "/events/", "/no-such-page/"])
def test_staff_see_both_queues_with_their_counts_in_the_header(waiting, url):
    page = _client(UserFactory(is_staff=True)).get(url).content.decode()
    reviews = _queue_link(page, "reviews")
    applications = _queue_link(page, "applications")
    assert reviews.startswith("/studio/review/ 검토 대기열")
    assert '<span class="queue-count" aria-label="2건 대기 중">2</span>' in reviews
    assert applications.startswith("/staff/applications/ 강사 신청 심사")
    assert '<span class="queue-count" aria-label="1건 대기 중">1</span>' in applications
    assert 'href="/admin/"' in page


def test_an_empty_queue_shows_no_count(db):
    page = _client(UserFactory(is_staff=True)).get("/").content.decode()
    assert "검토 대기열" in _queue_link(page, "reviews")
    assert 'class="queue-count"' not in page


@pytest.mark.parametrize("role", [{}, {"is_instructor": True}])
def test_members_and_instructors_do_not_see_the_queues(waiting, role):
    page = _client(UserFactory(**role)).get("/").content.decode()
    assert 'class="staff-nav"' not in page
    assert "/staff/applications/" not in page
    assert 'href="/admin/"' not in page


def test_visitors_do_not_see_the_queues(waiting):
    page = Client().get("/").content.decode()
    assert 'class="staff-nav"' not in page


def test_counting_costs_nothing_for_members(waiting, django_assert_max_num_queries):
    # The counts are run only for staff: a member's page asks nothing more of the database.
    client = _client(UserFactory())
    client.get("/")
    with django_assert_max_num_queries(30) as counted:
        client.get("/")
    assert not any("instructorapplication" in q["sql"] for q in counted.captured_queries)


def test_the_admin_index_starts_with_the_queues(waiting):
    page = _client(UserFactory(is_staff=True, is_superuser=True)).get("/admin/").content.decode()
    block = page[page.index('class="module staff-queues"') :]
    block = block[: block.index("</table>")]
    assert "<caption>운영진이 처리할 일</caption>" in block
    reviews = re.search(r'data-queue="reviews">(.*?)</tr>', block, re.S).group(1)
    applications = re.search(r'data-queue="applications">(.*?)</tr>', block, re.S).group(1)
    assert 'href="/studio/review/">검토 대기열</a>' in reviews
    assert '<span class="queue-count">2</span>' in reviews
    assert 'href="/staff/applications/">강사 신청 심사</a>' in applications
    assert '<span class="queue-count">1</span>' in applications
    assert "app-catalog" in page  # the app list is still there
