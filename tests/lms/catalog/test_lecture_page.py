import json
import re

import pytest

from lms.accounts.models import User

pytestmark = pytest.mark.django_db


def _config(page: str) -> dict:
    pattern = r'<script id="lecture-config" type="application/json">(.*?)</script>'
    raw = re.search(pattern, page, re.S)
    return json.loads(raw.group(1))


def test_visitors_are_asked_to_sign_in_to_watch(client, ready_lecture):
    response = client.get("/courses/watch-course/lectures/1/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/courses/watch-course/")


def test_lecture_page_has_the_player_outline_and_next_link(member_client, ready_lecture):
    page = member_client.get("/courses/watch-course/lectures/1/").content.decode()

    config = _config(page)
    assert config["src"] == f"/play/lectures/{ready_lecture.pk}/master.m3u8"
    assert config["storyboard"] == f"/play/lectures/{ready_lecture.pk}/storyboard.vtt"
    assert config["resume"] == 0
    assert config["heartbeatUrl"] == "/api/v1/progress/heartbeats"
    assert 'data-outline-lecture="' in page
    assert "둘째 강의" in page
    assert 'href="/courses/watch-course/lectures/2/"' in page
    assert "hls.min.js" in page
    assert "js/player.js" in page


def test_lecture_without_a_video_says_it_is_being_prepared(member_client, ready_lecture):
    page = member_client.get("/courses/watch-course/lectures/2/").content.decode()
    assert "준비" in page or "being prepared" in page
    assert "js/player.js" not in page


def test_missing_lecture_position_is_404(member_client, ready_lecture):
    assert member_client.get("/courses/watch-course/lectures/9/").status_code == 404


def test_resume_and_speed_come_from_the_members_stored_progress(
    member_client, member, ready_lecture
):
    from lms.learning.services import progress_record

    member.playback_rate = 1.5
    member.save()
    progress_record(
        user=member,
        reports=[
            {
                "lecture": ready_lecture.pk,
                "session": "9b2f0d3e-5a8e-4a49-9f67-3c9a1c1d1e11",
                "seq": 0,
                "ranges": [[0, 1.2]],
                "position": 1.2,
                "rate": 1,
                "sent_at": "2020-01-01T00:00:00+09:00",
            }
        ],
    )
    config = _config(member_client.get("/courses/watch-course/lectures/1/").content.decode())
    assert config["rate"] == 1.5
    assert config["coverage"]


def test_playback_speed_is_remembered_per_member(member_client, member):
    response = member_client.patch(
        "/api/v1/me/preferences", {"playback_rate": 1.25}, content_type="application/json"
    )
    assert response.status_code == 200
    assert float(User.objects.get(pk=member.pk).playback_rate) == 1.25

    bad = member_client.patch(
        "/api/v1/me/preferences", {"playback_rate": 100}, content_type="application/json"
    )
    assert bad.status_code == 400
    assert bad.json()["code"] == "invalid_playback_rate"
    assert float(User.objects.get(pk=member.pk).playback_rate) == 1.25


def test_lecture_page_query_count_is_bounded(
    member_client, ready_lecture, django_assert_max_num_queries
):
    with django_assert_max_num_queries(16):
        assert member_client.get("/courses/watch-course/lectures/1/").status_code == 200


def test_my_learning_and_home_list_lectures_in_progress(member_client, member, ready_lecture):
    from lms.learning.services import progress_record

    progress_record(
        user=member,
        reports=[
            {
                "lecture": ready_lecture.pk,
                "session": "9b2f0d3e-5a8e-4a49-9f67-3c9a1c1d1e12",
                "seq": 0,
                "ranges": [[0, 1.0]],
                "position": 1.0,
                "rate": 1,
                "sent_at": "2020-01-01T00:00:00+09:00",
            }
        ],
    )
    home = member_client.get("/").content.decode()
    mine = member_client.get("/my/").content.decode()
    for page in (home, mine):
        assert 'href="/courses/watch-course/lectures/1/"' in page
        assert "<progress" in page


def test_next_and_previous_lecture_links(member_client, ready_lecture):
    first = member_client.get("/courses/watch-course/lectures/1/").content.decode()
    second = member_client.get("/courses/watch-course/lectures/2/").content.decode()

    assert re.search(r'href="/courses/watch-course/lectures/2/" rel="next">둘째 강의', first)
    assert 'rel="prev"' not in first
    assert re.search(r'href="/courses/watch-course/lectures/1/" rel="prev">← ', second)
    assert 'rel="next"' not in second
