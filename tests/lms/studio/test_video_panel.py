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
