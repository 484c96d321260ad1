import copy
import json

import pytest
from django.core.management import call_command

from lms.catalog.models import Bundle, Category, Course, Lecture
from lms.community.models import WeeklyLecture
from lms.core.errors import AppError
from lms.demo.seed import SEED_PATH, seed_load
from tests.factories import ready_video_asset

pytestmark = pytest.mark.django_db


@pytest.fixture
def seed() -> dict:
    return json.loads(SEED_PATH.read_text(encoding="utf-8"))


def test_seed_loads_the_flagship_course_with_30_ordered_lectures(seed):
    seed_load(seed, video=ready_video_asset(duration=20))

    course = Course.objects.get(slug="qa-manager-exam")
    assert course.is_visible
    assert course.lectures.count() == 30
    assert list(course.lectures.values_list("position", flat=True)) == list(range(1, 31))
    assert course.lectures.get(position=1).title == "콜센터와 QA의 이해"
    bundle = Bundle.objects.get(slug="qa-manager-pass")
    assert bundle.is_visible
    assert [i.course.slug for i in bundle.items.order_by("position")] == [
        "qa-manager-exam",
        "call-center-operations",
    ]
    assert WeeklyLecture.objects.count() == 4
    assert set(course.lectures.values_list("duration_seconds", flat=True)) == {20}


def test_seed_gives_the_flagship_course_its_pitch_level_and_sections(seed):
    seed_load(seed, video=ready_video_asset(duration=20))

    course = Course.objects.get(slug="qa-manager-exam")
    assert course.summary
    assert course.description
    assert course.outcome == "QA관리사 자격시험 준비"
    assert course.level == Course.Level.INTERMEDIATE
    opened = dict(
        course.lectures.exclude(section_title="").values_list("position", "section_title")
    )
    assert opened == {
        1: "콜센터와 QA의 기초",
        5: "모니터링과 평가",
        13: "코칭과 응대 품질",
        19: "VOC·교육·상담원 관리",
        26: "채널 확장과 QA 조직 운영",
        29: "시험 대비",
    }


def test_seed_without_a_video_leaves_drafts_that_nobody_sees(seed):
    seed_load(seed)
    assert not Course.objects.filter(status="published").exists()
    assert not Bundle.objects.filter(status="published").exists()


def test_seed_loaded_twice_changes_nothing(seed):
    video = ready_video_asset()
    seed_load(seed, video=video)
    counts = (Category.objects.count(), Course.objects.count(), Lecture.objects.count())

    created = seed_load(seed, video=video)

    assert set(created.values()) == {0}
    assert (Category.objects.count(), Course.objects.count(), Lecture.objects.count()) == counts


def test_seed_with_unknown_category_is_refused_and_writes_nothing(seed):
    broken = copy.deepcopy(seed)
    broken["courses"][1]["category"] = "no-such-category"

    with pytest.raises(AppError) as error:
        seed_load(broken)

    assert error.value.code == "invalid_seed"
    assert "no-such-category" in error.value.message
    assert "courses[1]" in error.value.message
    assert not Category.objects.exists()
    assert not Course.objects.exists()


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        (("courses", 0, "lectures", 3), 42, "lectures[3]"),
        (("bundles", 0, "courses", 0), "missing-course", "missing-course"),
        (("weekly_lectures", 0, "starts"), "7pm", "starts"),
        (("courses", 0, "sections", 1), ["모니터링", 31], "sections[1]"),
        (("courses", 0, "sections", 2), "코칭", "sections[2]"),
        (("courses", 0, "level"), "expert", "expert"),
    ],
)
def test_seed_with_malformed_entries_names_the_problem(seed, path, value, expected):
    broken = copy.deepcopy(seed)
    target = broken
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value

    with pytest.raises(AppError) as error:
        seed_load(broken)

    assert expected in error.value.message
    assert not Course.objects.exists()


def test_bootstrap_command_prints_demo_passwords_and_keeps_them(tmp_path, settings, capsys):
    """Runs the real bootstrap: the demo video is generated and encoded by the pipeline."""
    settings.VAR_DIR = tmp_path
    settings.TRANSCODE_X264_PRESET = "ultrafast"
    settings.TRANSCODE_TEMP_DIR = str(tmp_path / "work")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media")},
        },
    }
    call_command("bootstrap_demo")
    first = capsys.readouterr().out
    call_command("bootstrap_demo")
    second = capsys.readouterr().out

    assert "admin@example.com" in first
    assert "learner@example.com" in first
    passwords = json.loads((tmp_path / "demo-accounts.json").read_text())
    assert passwords["admin@example.com"] in first
    assert passwords["admin@example.com"] in second
    assert Course.objects.count() == 2
    course = Course.objects.get(slug="qa-manager-exam")
    assert course.is_visible
    assert course.lectures.filter(video__current_version__isnull=False).count() == 30
    assert course.instructors.filter(email="instructor@example.com").exists()
    from lms.media.models import VideoAsset

    assert VideoAsset.objects.count() == 1  # made once, shared by the demo lectures


@pytest.mark.parametrize(
    ("loaded_at", "first_start"),
    [
        ("2026-12-03T15:00:00+09:00", "2026-12-03T19:00:00+09:00"),  # Thursday, before 19:00
        ("2026-12-03T22:16:00+09:00", "2026-12-10T19:00:00+09:00"),  # Thursday, after it
        ("2026-12-04T09:00:00+09:00", "2026-12-10T19:00:00+09:00"),  # Friday
    ],
)
def test_the_seeds_first_special_lecture_is_the_next_still_to_start(seed, loaded_at, first_start):
    from datetime import datetime

    import time_machine

    from lms.community.selectors import weekly_lecture_upcoming

    with time_machine.travel(datetime.fromisoformat(loaded_at), tick=False):
        seed_load(seed, video=ready_video_asset(duration=20))
        upcoming = weekly_lecture_upcoming()

    assert upcoming is not None
    assert upcoming.title == seed["weekly_lectures"][0]["ko"]
    assert upcoming.starts_at == datetime.fromisoformat(first_start)
