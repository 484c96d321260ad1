"""The studio lecture page's video panel: what it shows and hands to upload.js."""

import json
import re
import uuid

import pytest
from django.test import Client

from lms.catalog.models import Lecture
from lms.media import jobs
from lms.media.models import VideoAsset
from tests.factories import CourseFactory, LectureFactory, ready_video_asset

pytestmark = pytest.mark.django_db


@pytest.fixture
def lecture(instructor) -> Lecture:
    course = CourseFactory()
    course.instructors.add(instructor)
    return LectureFactory(course=course)


def _page(instructor, lecture: Lecture) -> tuple[str, dict]:
    client = Client()
    client.force_login(instructor)
    response = client.get(f"/studio/courses/{lecture.course_id}/lectures/{lecture.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    found = re.search(
        r'<script id="video-panel-config" type="application/json">(.*?)</script>', html, re.S
    )
    assert found
    return html, json.loads(found.group(1))


def test_the_panel_offers_an_upload_in_korean_with_the_client_configured(instructor, lecture):
    html, config = _page(instructor, lecture)

    assert "data-upload-input" in html
    assert "js/upload.js" in html
    assert config["lecture"] == lecture.pk
    assert config["uploadsUrl"] == "/api/v1/uploads"
    assert config["watch"] is None
    assert config["hasPlayingVideo"] is False
    assert "같은 파일을 다시 선택하면 이어서 올립니다" in config["text"]["resumeHint"]


def test_a_replacement_in_progress_is_what_the_panel_follows(instructor, lecture):
    old = ready_video_asset()
    new = VideoAsset.objects.create(original=f"uploads/{uuid.uuid4().hex}")
    jobs.transcode_enqueue(asset=new)
    Lecture.objects.filter(pk=lecture.pk).update(video=old, pending_video=new)

    _html, config = _page(instructor, lecture)

    assert config["watch"]["asset"] == new.pk
    assert config["watch"]["active"] is True
    assert config["watchIsReplacement"] is True
    assert config["hasPlayingVideo"] is True


def _state(html: str) -> str:
    found = re.search(r'data-panel-state="(\w+)"', html)
    assert found
    return found.group(1)


def test_a_lecture_without_a_video_shows_that_state_alone(instructor, lecture):
    html, _config = _page(instructor, lecture)

    assert _state(html) == "empty"
    assert html.count("아직 영상이 없습니다") == 1
    assert re.search(r'<div class="video-preview" data-video-preview hidden>', html)
    assert "data-replacement-notice" not in html


def test_a_ready_video_shows_ready_and_its_player_never_no_video_yet(instructor, lecture):
    Lecture.objects.filter(pk=lecture.pk).update(video=ready_video_asset(), duration_seconds=600)

    html, config = _page(instructor, lecture)

    assert _state(html) == "ready"
    assert "아직 영상이 없습니다" not in html
    assert "영상이 준비되었습니다." in html
    assert '<div class="video-preview" data-video-preview>' in html
    assert "<video data-video-player controls" in html
    assert config["playerSrc"] == f"/play/lectures/{lecture.pk}/master.m3u8"
    assert "vendor/hls/hls.min.js" in html


def test_a_replacement_in_progress_is_one_state_beside_the_playing_video(instructor, lecture):
    new = VideoAsset.objects.create(original=f"uploads/{uuid.uuid4().hex}")
    jobs.transcode_enqueue(asset=new)
    Lecture.objects.filter(pk=lecture.pk).update(video=ready_video_asset(), pending_video=new)

    html, _config = _page(instructor, lecture)

    assert _state(html) == "replacing"
    assert "아직 영상이 없습니다" not in html


@pytest.mark.parametrize(
    ("course_status", "course_at", "lecture_status", "expected"),
    [
        (
            "draft",
            None,
            "draft",
            "강좌가 아직 초안입니다. 이 영상은 강사님과 운영진만 볼 수 있습니다.",
        ),
        ("in_review", None, "draft", "강좌가 심사 중입니다."),
        ("published", -1, "published", "공개 중: 모든 회원이 이 영상을 볼 수 있습니다."),
        ("published", +3, "published", "공개 예약: 2031년"),
        ("published", -1, "draft", "이 강의는 아직 공개되지 않았습니다"),
        ("archived", -1, "published", "보관된 강좌입니다."),
    ],
)
def test_the_panel_says_who_can_see_the_video_given_the_course_state(
    instructor, lecture, course_status, course_at, lecture_status, expected
):
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    from django.utils import timezone

    from lms.catalog.models import Course

    when = None
    if course_at == -1:
        when = timezone.now() - timedelta(days=1)
    elif course_at is not None:
        when = datetime(2031, 3, 6, 19, 0, tzinfo=ZoneInfo("Asia/Seoul"))
    Course.objects.filter(pk=lecture.course_id).update(status=course_status, publish_at=when)
    Lecture.objects.filter(pk=lecture.pk).update(
        status=lecture_status, publish_at=when if lecture_status == "published" else None
    )

    html, _config = _page(instructor, lecture)

    audience = re.search(r'<p class="video-audience" data-video-audience>(.*?)</p>', html, re.S)
    assert audience
    assert expected in audience.group(1)
    if course_at == +3:
        assert "2031년 3월 6일 (목) 오후 7:00부터 모든 회원이" in audience.group(1)


def test_replacing_a_published_lectures_video_is_explained_before_the_upload(instructor, lecture):
    from datetime import timedelta

    from django.utils import timezone

    from lms.catalog.models import Course

    past = timezone.now() - timedelta(days=1)
    Course.objects.filter(pk=lecture.course_id).update(status="published", publish_at=past)
    Lecture.objects.filter(pk=lecture.pk).update(
        status="published", publish_at=past, video=ready_video_asset()
    )

    html, _config = _page(instructor, lecture)

    notice = re.search(r'<p class="notice" data-replacement-notice>(.*?)</p>', html, re.S)
    assert notice
    assert "처리가 끝나는 즉시 별도 심사 없이" in notice.group(1)
    # It comes before the file field.
    assert html.index("data-replacement-notice") < html.index("data-upload-input")
