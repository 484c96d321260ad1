import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation

from tests.factories import UserFactory


@pytest.fixture
def member(db):
    return UserFactory()


@pytest.fixture
def instructor(db):
    return UserFactory(is_instructor=True)


@pytest.fixture
def staff(db):
    return UserFactory(is_staff=True, is_superuser=True)


@pytest.fixture
def eager_tasks():
    """Celery tasks enqueued after commit run at once in this process (mail goes to locmem)."""
    from lms.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


@pytest.fixture
def member_client(member) -> Client:
    client = Client()
    client.force_login(member)
    return client


@pytest.fixture
def staff_client(staff) -> Client:
    client = Client()
    client.force_login(staff)
    return client


# SeaweedFS S3 server and the default storage on it (tests/s3.py).
from tests.s3 import s3_server, s3_storage  # noqa: E402, F401


@pytest.fixture(scope="session")
def short_clip(tmp_path_factory):
    """A 3 s 320x180 test pattern with a tone."""
    from tests.video import make_clip

    return make_clip(tmp_path_factory.mktemp("clips") / "lecture.mp4", seconds=3, size="320x180")


@pytest.fixture
def ready_lecture(db, settings, tmp_path, short_clip):
    """A published lecture (in a published course) whose video is transcoded and ready, in a
    storage directory of this test's own."""
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
    course = CourseFactory(slug="watch-course")
    lecture = LectureFactory(course=course, position=1, title="첫 강의")
    LectureFactory(course=course, position=2, title="둘째 강의")
    lecture_with_ready_video(lecture, short_clip)
    return lecture


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The tests marked slow run first: started last, one of them would keep a single xdist
    worker busy for a minute or two after the others had finished."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


def pytest_terminal_summary(terminalreporter) -> None:
    """The Schemathesis figures per role (tests/lms/api_fuzz/test_schemathesis.py): what each
    operation's test recorded, collected from every report (also from xdist workers)."""
    roles: dict[str, dict[str, int]] = {}
    for reports in terminalreporter.stats.values():
        for report in reports:
            if getattr(report, "when", None) != "teardown":
                continue
            for name, tally in getattr(report, "user_properties", ()):
                if name != "api_fuzz":
                    continue
                figures = roles.setdefault(
                    tally["role"], {"operations": 0, "examples": 0, "failures": 0}
                )
                figures["operations"] += 1
                figures["examples"] += tally["examples"]
                figures["failures"] += tally["failed"]
    if roles:
        terminalreporter.section("Schemathesis over /api/schema/")
        for role, figures in sorted(roles.items()):
            terminalreporter.write_line(
                f"{role}: {figures['operations']} operations, {figures['examples']} examples, "
                f"{figures['failures']} failing operations"
            )


@pytest.fixture(autouse=True)
def _shared_cache_emptied(request, django_db_blocker):
    """CACHES["default"] is a database table that a test's rollback empties, but not a
    transactional test's flush: counts a live server kept (sign-ins from 127.0.0.1, say)
    would hold against the next tests."""
    yield
    marker = request.node.get_closest_marker("django_db")
    if {"transactional_db", "live_server"} & set(request.fixturenames) or (
        marker is not None and marker.kwargs.get("transaction")
    ):
        from django.core.cache import cache
        from django.db import connections

        with django_db_blocker.unblock():
            # A test may leave a connection PostgreSQL dropped: reconnect before clearing.
            for conn in connections.all():
                conn.close_if_unusable_or_obsolete()
            cache.clear()


@pytest.fixture(autouse=True)
def _language_reset():
    """Each test starts in the site's language: a request through the test client leaves the
    language its LocaleMiddleware chose active in the thread (English, after a test that
    switched), and a test that formats a date without a request would read it."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)
