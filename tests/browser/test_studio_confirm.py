"""Deleting a lecture in the studio asks first, under the Content-Security-Policy (an inline
`onsubmit` was blocked by it, and the lecture went at the first click)."""

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.conftest import close_quietly, signed_in_context
from tests.browser.test_csp import assert_no_violation, watch_csp

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_deleting_a_lecture_asks_and_cancelling_keeps_it(
    browser: Browser, live_server, transactional_db
):
    from lms.catalog.models import Lecture
    from tests.factories import CourseFactory, LectureFactory, UserFactory

    instructor = UserFactory(is_instructor=True)
    course = CourseFactory(title="상담 품질 관리", status="draft", publish_at=None)
    course.instructors.add(instructor)
    LectureFactory(course=course, position=1, title="모니터링의 이해")
    LectureFactory(course=course, position=2, title="코칭의 이해")
    context = signed_in_context(browser, live_server.url, instructor)
    page = context.new_page()
    violations = watch_csp(page)
    asked: list[str] = []
    try:
        page.goto(f"/studio/courses/{course.pk}/")
        page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
        page.get_by_role("button", name="삭제").first.click()
        page.wait_for_timeout(500)  # a form sent anyway would have left the page by now
        assert asked == ["이 강의를 삭제할까요?"]
        assert Lecture.objects.filter(course=course).count() == 2

        page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
        page.get_by_role("button", name="삭제").first.click()
        expect(page.locator(".studio-lecture")).to_have_count(1)
        assert len(asked) == 2
        assert list(Lecture.objects.filter(course=course).values_list("title", flat=True)) == [
            "코칭의 이해"
        ]
        assert_no_violation(page, violations)
    finally:
        close_quietly(context)
