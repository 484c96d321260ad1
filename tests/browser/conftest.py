"""Browser tests: Playwright (Python) driving Debian's Chromium against the live server."""

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

# Playwright's sync API runs an event loop in this thread; the live server's database access
# happens in its own thread, and the test's own ORM calls are plain synchronous code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

# `expect` waits as long as the contexts' actions do (15 s; its own default is 5 s): with four
# workers on a loaded machine, an admin save once took longer than 5 s to show its message.
expect.set_options(timeout=15_000)

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def _chromium_path() -> str:
    path = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium")
    if not path:
        pytest.fail("Chromium is missing: scripts/setup.sh --browser installs Debian's chromium")
    return path


def close_quietly(context: BrowserContext) -> None:
    """Close a browser context without requests still reaching the live server afterwards.

    Closing a page fires `pagehide`, on which the player sends its last progress report; a
    request still being answered while the test database is flushed (TRUNCATE on
    PostgreSQL) deadlocks with it. Going offline first makes those requests fail in the
    browser, and the short wait lets the server finish anything already under way.
    """
    context.set_offline(True)
    for page in context.pages:
        page.wait_for_timeout(200)
    context.close()
    time.sleep(0.5)


def signed_in_context(browser: Browser, base_url: str, user: Any) -> BrowserContext:
    """A Korean browser context signed in as `user` (session cookie from Django's test client)."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    context = browser.new_context(base_url=base_url, locale="ko-KR")
    context.set_default_timeout(20_000)
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": base_url,
            }
        ]
    )
    return context


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=_chromium_path(), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser, live_server) -> Iterator[Page]:
    context = browser.new_context(base_url=live_server.url, locale="ko-KR")
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    close_quietly(context)


@pytest.fixture(scope="session")
def lecture_clip(tmp_path_factory):
    """A 14 s 854x480 clip: two video renditions (480p, 360p) to switch between."""
    from tests.video import make_clip

    return make_clip(tmp_path_factory.mktemp("clips") / "lecture.mp4", seconds=14, size="854x480")


@pytest.fixture
def watch_lecture(transactional_db, settings, tmp_path, lecture_clip):
    """A published two-lecture course whose first lecture has a ready video and captions."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from lms.studio.services import caption_upload
    from tests.factories import CourseFactory, LectureFactory
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
    course = CourseFactory(slug="player-course", title="플레이어 과정")
    lecture = LectureFactory(course=course, position=1, title="모니터링의 이해")
    LectureFactory(course=course, position=2, title="코칭의 이해", duration_seconds=0)
    lecture_with_ready_video(lecture, lecture_clip)
    caption_upload(
        lecture=lecture,
        language="ko",
        upload=SimpleUploadedFile(
            "ko.srt", "1\n00:00:00,000 --> 00:00:13,000\n안녕하세요 자막입니다\n".encode()
        ),
    )
    return lecture


@pytest.fixture
def member_page(browser: Browser, live_server, transactional_db) -> Iterator[Page]:
    """A page signed in as a fresh member (session cookie from Django's test client)."""
    from tests.factories import UserFactory

    user = UserFactory()
    context = signed_in_context(browser, live_server.url, user)
    page = context.new_page()
    page.user = user  # type: ignore[attr-defined]
    yield page
    close_quietly(context)


@pytest.fixture
def embedded_storage(settings, tmp_path: Path) -> Path:
    """The embedded mode's storage in a directory of this test's own, with 256 KiB upload
    parts so that a short clip is sent in several parts."""
    settings.UPLOAD_PART_SIZE = 256 * 1024
    media = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(media), "base_url": "/media/"},
        },
    }
    return media


@pytest.fixture
def studio_page(
    browser: Browser, live_server, transactional_db, settings, tmp_path
) -> Iterator[Page]:
    """An instructor signed in, on the studio page of a lecture of their published course."""
    from tests.factories import CourseFactory, LectureFactory, UserFactory

    settings.TRANSCODE_X264_PRESET = "ultrafast"
    settings.TRANSCODE_TEMP_DIR = str(tmp_path / "work")
    instructor = UserFactory(is_instructor=True)
    course = CourseFactory(title="상담 품질 관리")
    course.instructors.add(instructor)
    lecture = LectureFactory(course=course, title="모니터링의 이해", duration_seconds=0)
    context = signed_in_context(browser, live_server.url, instructor)
    page = context.new_page()
    page.url_path = f"/studio/courses/{course.pk}/lectures/{lecture.pk}/"  # type: ignore[attr-defined]
    yield page
    close_quietly(context)
