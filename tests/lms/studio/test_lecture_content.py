"""The studio's lecture page beyond the video: chapters edited in place, captions previewed as
text and deleted, and forms that, after a validation error, bring the browser back to their
section with the error under the field."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from lms.catalog.models import Lecture, LectureCaption, LectureChapter, Status
from lms.studio import services
from tests.factories import UserFactory, course_with_lectures, give_ready_videos

pytestmark = pytest.mark.django_db

SRT = (
    "1\n00:00:01,000 --> 00:00:02,500\n안녕하세요, 첫 강의입니다.\n\n"
    "2\n00:01:03,000 --> 00:01:05,000\n두 줄로 된\n자막입니다\n"
)


@pytest.fixture
def lecture(instructor) -> Lecture:
    course = course_with_lectures(1, status=Status.DRAFT, publish_at=None)
    course.instructors.add(instructor)
    Lecture.objects.filter(course=course).update(duration_seconds=600)
    give_ready_videos(course)
    return course.lectures.get()


@pytest.fixture
def client(instructor) -> Client:
    client = Client()
    client.force_login(instructor)
    return client


def _url(lecture: Lecture, tail: str = "") -> str:
    return f"/studio/courses/{lecture.course_id}/lectures/{lecture.pk}/{tail}"


def _caption(lecture: Lecture) -> LectureCaption:
    return services.caption_upload(
        lecture=lecture, language="ko", upload=SimpleUploadedFile("1강.srt", SRT.encode())
    )


# --- chapters ------------------------------------------------------------------------------


def test_a_chapter_is_moved_and_renamed_in_place(lecture, client):
    chapter = services.chapter_add(lecture=lecture, start_seconds=60, title="도입")
    prefix = f"chapter-{chapter.pk}"

    response = client.post(
        _url(lecture),
        {
            "action": "chapter_edit",
            "chapter": chapter.pk,
            f"{prefix}-start": "2:30",
            f"{prefix}-title": "  핵심 개념 ",
        },
    )

    assert response.status_code == 302
    assert response["Location"].endswith("#chapters")
    chapter.refresh_from_db()
    assert (chapter.start_seconds, chapter.title) == (150, "핵심 개념")


def test_a_chapter_cannot_be_moved_onto_another_and_the_error_stays_at_its_form(lecture, client):
    first = services.chapter_add(lecture=lecture, start_seconds=60, title="도입")
    second = services.chapter_add(lecture=lecture, start_seconds=120, title="본론")
    prefix = f"chapter-{second.pk}"

    response = client.post(
        _url(lecture),
        {
            "action": "chapter_edit",
            "chapter": second.pk,
            f"{prefix}-start": "1:00",
            f"{prefix}-title": "본론",
        },
    )

    assert response.status_code == 200
    html = response.content.decode()
    item = re.search(rf'<li id="chapter-{second.pk}">.*?</details>', html, re.S)
    assert item
    # The form posts to its own anchor, so the browser comes back to it; it is open, and the
    # error is under the time field it belongs to.
    assert f'action="#chapter-{second.pk}"' in item.group(0)
    assert '<details class="chapter-edit" open>' in item.group(0)
    field = re.search(r'id="id_chapter-\d+-start".*?field-errors.*?</div>', item.group(0), re.S)
    assert field
    assert "1:00에 이미 챕터가 있습니다" in field.group(0)
    second.refresh_from_db()
    assert second.start_seconds == 120
    assert LectureChapter.objects.get(pk=first.pk).start_seconds == 60


def test_keeping_a_chapter_at_its_own_time_while_renaming_it_is_allowed(lecture):
    chapter = services.chapter_add(lecture=lecture, start_seconds=60, title="도입")

    services.chapter_update(chapter=chapter, start_seconds=60, title="들어가며")

    chapter.refresh_from_db()
    assert chapter.title == "들어가며"


def test_a_chapter_cannot_be_moved_past_the_end_of_the_video(lecture):
    chapter = services.chapter_add(lecture=lecture, start_seconds=60, title="도입")

    with pytest.raises(services.AppError) as error:
        services.chapter_update(chapter=chapter, start_seconds=600, title="도입")

    assert error.value.code == "chapter_beyond_duration"


def test_another_lectures_chapter_cannot_be_edited_from_this_page(lecture, client, instructor):
    other = course_with_lectures(1, status=Status.DRAFT, publish_at=None)
    other.instructors.add(instructor)
    Lecture.objects.filter(course=other).update(duration_seconds=600)
    chapter = services.chapter_add(lecture=other.lectures.get(), start_seconds=60, title="남의 것")

    response = client.post(
        _url(lecture),
        {"action": "chapter_edit", "chapter": chapter.pk, f"chapter-{chapter.pk}-start": "2:00"},
    )

    assert response.status_code == 404
    chapter.refresh_from_db()
    assert chapter.start_seconds == 60


# --- captions ------------------------------------------------------------------------------


def test_the_caption_preview_shows_every_cue_as_text_with_its_times(lecture, client):
    caption = _caption(lecture)

    page = client.get(_url(lecture)).content.decode()
    assert f'href="{_url(lecture, f"captions/{caption.pk}/")}"' in page
    response = client.get(_url(lecture, f"captions/{caption.pk}/"))

    assert response.status_code == 200
    html = response.content.decode()
    assert "한국어 자막" in html
    rows = re.findall(r"<tr><td class=\"time\">(.*?)</td><td class=\"time\">(.*?)</td>", html)
    assert rows == [("00:01.000", "00:02.500"), ("01:03.000", "01:05.000")]
    assert "안녕하세요, 첫 강의입니다." in html
    assert "두 줄로 된<br>자막입니다" in html


def test_a_deleted_caption_track_is_gone_with_its_file(
    lecture, client, django_capture_on_commit_callbacks
):
    caption = _caption(lecture)
    storage, name = caption.file.storage, caption.file.name
    assert storage.exists(name)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_url(lecture, f"captions/{caption.pk}/delete/"))

    assert response.status_code == 302
    assert response["Location"].endswith("#captions")
    assert not LectureCaption.objects.exists()
    assert not storage.exists(name)


def test_captions_of_a_course_one_does_not_teach_are_neither_shown_nor_deleted(lecture):
    caption = _caption(lecture)
    stranger = Client()
    stranger.force_login(UserFactory(is_instructor=True))

    assert stranger.get(_url(lecture, f"captions/{caption.pk}/")).status_code == 404
    assert stranger.post(_url(lecture, f"captions/{caption.pk}/delete/")).status_code == 404
    assert LectureCaption.objects.filter(pk=caption.pk).exists()


def test_a_caption_script_is_shown_as_text_never_as_markup(lecture, client):
    services.caption_upload(
        lecture=lecture,
        language="en",
        upload=SimpleUploadedFile(
            "x.vtt", b"WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n<script>alert(1)</script>\n"
        ),
    )
    caption = LectureCaption.objects.get(language="en")

    html = client.get(_url(lecture, f"captions/{caption.pk}/")).content.decode()

    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


# --- keeping the place after an error ------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "anchor", "field"),
    [
        ({"action": "lecture", "lecture-title": ""}, "#details", "id_lecture-title"),
        (
            {"action": "chapter", "chapter-start": "99:99", "chapter-title": "끝"},
            "#chapters",
            "id_chapter-start",
        ),
        ({"action": "caption", "caption-language": "ko"}, "#captions", "id_caption-file"),
        ({"action": "handout", "handout-title": "자료"}, "#handouts", "id_handout-file"),
    ],
)
def test_a_refused_form_brings_the_browser_back_to_its_section_with_the_error_under_the_field(
    lecture, client, data, anchor, field
):
    response = client.post(_url(lecture), data)

    assert response.status_code == 200
    html = response.content.decode()
    form = re.search(rf'<form method="post" action="{anchor}".*?</form>', html, re.S)
    assert form, anchor
    # The error comes after its field's input, inside the field's own block.
    block = re.search(
        rf'<div class="field field-invalid">.*?id="{field}".*?class="field-errors".*?</div>',
        form.group(0),
        re.S,
    )
    assert block, form.group(0)


def test_a_refused_course_form_comes_back_to_the_course_details(instructor, client):
    course = course_with_lectures(1, status=Status.DRAFT, publish_at=None)
    course.instructors.add(instructor)

    html = client.post(f"/studio/courses/{course.pk}/", {"course-title": ""}).content.decode()

    assert '<section class="panel wide-form" id="details">' in html
    assert '<form method="post" action="#details" enctype="multipart/form-data" novalidate>' in html
    assert "field-invalid" in html
