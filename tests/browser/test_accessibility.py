"""axe-core on every main page, at desktop and phone size, as a visitor, a member, an
instructor and staff would open them: no serious or critical violation. Each page's counts by
impact are printed (run with -s) and written to test-results/browser/axe-<viewport>.json, and
each page's screenshot is saved as test-results/browser/page-<name>-<viewport>.png. No page
may make the browser report a Content-Security-Policy violation either (a blocked script or
style breaks a page without a word).

To check another page, add it to `main_pages` (who opens it, where, what to wait for)."""

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from playwright.sync_api import Browser, Page

from tests.browser.a11y import (
    AXE_TAGS,
    SCREENSHOTS,
    VIEWPORTS,
    AxeResult,
    assert_no_serious,
    axe_check,
    screenshot,
    viewport_context,
)
from tests.browser.conftest import close_quietly
from tests.browser.test_csp import watch_csp

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@dataclass(frozen=True)
class MainPage:
    name: str
    path: str
    who: str  # a key of the `people` fixture: visitor, member, instructor, staff
    status: int = 200
    ready: Callable[[Page], None] | None = None  # what to wait for before checking


def _player_ready(page: Page) -> None:
    """The player has drawn its controls for a video it can play (not started)."""
    page.wait_for_function("() => document.querySelector('video')?.readyState >= 1")


@pytest.fixture
def front_of_house(transactional_db, settings, tmp_path, lecture_clip) -> dict:
    """The seed catalog (QA관리사 course of 30 lectures, the bundle, the special lectures),
    its first lecture with a real transcoded video and Korean captions, an instructor of it,
    a member halfway through that lecture, a course waiting for review and a staff member."""
    from lms.catalog.models import Course
    from lms.catalog.services import course_submit_for_review
    from lms.community.models import WeeklyLecture
    from lms.demo.seed import seed_load_file
    from lms.learning.models import CourseProgress, LectureProgress
    from lms.studio.services import caption_upload
    from tests.factories import CourseFactory, LectureFactory, UserFactory, ready_video_asset
    from tests.video import lecture_with_ready_video

    settings.TRANSCODE_X264_PRESET = "ultrafast"
    settings.TRANSCODE_TEMP_DIR = str(tmp_path / "work")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media"), "base_url": "/media/"},
        },
    }
    seed_load_file(video=ready_video_asset(duration=600))
    course = Course.objects.get(slug="qa-manager-exam")
    lecture = course.lectures.get(position=1)
    lecture_with_ready_video(lecture, lecture_clip)
    caption_upload(
        lecture=lecture,
        language="ko",
        upload=SimpleUploadedFile(
            "ko.srt", "1\n00:00:00,000 --> 00:00:13,000\n콜센터 QA의 이해\n".encode()
        ),
    )
    instructor = UserFactory(is_instructor=True, display_name="김강사")
    course.instructors.add(instructor)
    waiting = CourseFactory(title="상담 코칭의 기술", status="draft", publish_at=None)
    waiting.instructors.add(instructor)
    LectureFactory(course=waiting, position=1, title="코칭 대화의 구조", video=ready_video_asset())
    course_submit_for_review(course=waiting)

    member = UserFactory(display_name="이학습")
    LectureProgress.objects.create(
        user=member,
        lecture=lecture,
        coverage=[[0.0, 7.0]],
        covered_seconds=7,
        credited_seconds=7,
        furthest_position=7,
        position=7,
        last_report_at=timezone.now() - timedelta(hours=1),
    )
    CourseProgress.objects.create(user=member, course=course, total_lectures=30)
    return {
        "course": course,
        "lecture": lecture,
        "event": WeeklyLecture.objects.order_by("starts_at").first(),
        "people": {
            "visitor": None,
            "member": member,
            "instructor": instructor,
            "staff": UserFactory(is_staff=True, display_name="운영진"),
        },
    }


def main_pages(data: dict) -> list[MainPage]:
    course, lecture, event = data["course"], data["lecture"], data["event"]
    studio_course = f"/studio/courses/{course.pk}/"
    return [
        MainPage("home", "/", "visitor"),
        MainPage("home-member", "/", "member"),
        MainPage("course", f"/courses/{course.slug}/", "visitor"),
        MainPage("course-member", f"/courses/{course.slug}/", "member"),
        MainPage("lecture", f"/courses/{course.slug}/lectures/1/", "member", ready=_player_ready),
        MainPage("bundle", "/bundles/qa-manager-pass/", "member"),
        MainPage("search", "/search/?q=캘리브레이션", "visitor"),
        MainPage("search-empty", "/search/?q=없는말", "visitor"),
        MainPage("category", "/categories/certification/", "visitor"),
        MainPage("signup", "/accounts/signup/", "visitor"),
        MainPage("signin", "/accounts/login/", "visitor"),
        MainPage("studio-home", "/studio/", "instructor"),
        MainPage("studio-course", studio_course, "instructor"),
        MainPage("studio-lecture", f"{studio_course}lectures/{lecture.pk}/", "instructor"),
        MainPage("review-queue", "/studio/review/", "staff"),
        MainPage("my-learning", "/my/", "member"),
        MainPage("special-lectures", "/events/", "visitor"),
        MainPage("special-lecture", f"/events/{event.slug}/", "member"),
        MainPage("not-found", "/courses/no-such-course/", "visitor", status=404),
    ]


@pytest.mark.slow
@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_main_pages_have_no_serious_accessibility_violation(
    browser: Browser, live_server, front_of_house: dict, viewport: str
):
    pages = main_pages(front_of_house)
    results: list[AxeResult] = []
    shots: list[Path] = []
    blocked: list[str] = []  # Content-Security-Policy violations, which break a page quietly
    for who, person in front_of_house["people"].items():
        context = viewport_context(browser, live_server.url, viewport, user=person)
        page = context.new_page()
        console = watch_csp(page)
        try:
            for main in (p for p in pages if p.who == who):
                response = page.goto(main.path)
                assert response is not None
                assert response.status == main.status, f"{main.name}: {main.path}"
                page.evaluate("document.fonts.ready")
                if main.ready:
                    main.ready(page)
                shots.append(screenshot(page, f"page-{main.name}-{viewport}"))
                results.append(axe_check(page, f"{main.name} ({viewport})"))
                blocked += [f"{main.name}: {v}" for v in page.evaluate("window.cspViolations")]
        finally:
            close_quietly(context)
        blocked += console

    print(f"\naxe-core ({', '.join(AXE_TAGS)}), {viewport}:")
    for result, shot in zip(results, shots, strict=True):
        print(f"  {result.summary()}  [{shot.relative_to(SCREENSHOTS.parents[1])}]")
    for result in results:
        if result.violations:
            print(result.describe())
    (SCREENSHOTS / f"axe-{viewport}.json").write_text(
        json.dumps(
            {r.label: {**r.counts(), "to review": r.incomplete} for r in results},
            ensure_ascii=False,
            indent=2,
        ),
        encoding="utf-8",
    )
    assert len(results) == len(pages)
    assert_no_serious(results)
    assert blocked == []


def test_the_checker_finds_a_serious_violation(page: Page, live_server):
    # The checker itself: an image without a text alternative and an unlabelled field,
    # added to a real page, are reported as serious or critical with their elements.
    page.goto("/accounts/login/")
    page.evaluate(
        "() => { const img = document.createElement('img'); img.src = '/static/x.png';"
        " img.id = 'no-alt'; document.querySelector('main').append(img);"
        " const input = document.createElement('input'); input.id = 'no-label';"
        " document.querySelector('main').append(input); }"
    )
    result = axe_check(page, "broken")
    with pytest.raises(AssertionError) as failure:
        assert_no_serious([result])
    message = str(failure.value)
    assert "image-alt" in message
    assert "#no-alt" in message
    assert "label" in message
    assert "#no-label" in message
