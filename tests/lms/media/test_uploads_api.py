"""The resumable upload API in the embedded mode: parts go through the platform to disk."""

import io
from datetime import timedelta
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone

from lms.catalog.models import Lecture
from lms.media import uploads
from lms.media.models import TranscodeJob, Upload, UploadPart, VideoAsset
from lms.media.upload_store import LOCAL_PARTS_DIR
from tests.factories import CourseFactory, LectureFactory, UserFactory

from .uploading import (
    HEAD,
    complete,
    fake_video,
    part_bytes,
    put_part,
    send_all,
    start,
)

pytestmark = pytest.mark.django_db

PART = 64 * 1024


@pytest.fixture(autouse=True)
def small_parts(settings, local_storage):
    settings.UPLOAD_PART_SIZE = PART
    settings.MEDIA_MAX_UPLOAD_BYTES = 10 * 1024 * 1024
    return local_storage


@pytest.fixture
def lecture(instructor) -> Lecture:
    course = CourseFactory()
    course.instructors.add(instructor)
    return LectureFactory(course=course, duration_seconds=0)


@pytest.fixture
def client(instructor) -> Client:
    client = Client()
    client.force_login(instructor)
    return client


def _started(client: Client, lecture: Lecture, data: bytes) -> dict:
    response = start(client, lecture, data)
    assert response.status_code == 201, response.json()
    return response.json()


def _parts_dir(storage) -> Path:
    return Path(storage.location) / LOCAL_PARTS_DIR


def test_an_upload_sent_in_parts_becomes_the_lectures_video_and_its_encode_is_queued(
    client, lecture, small_parts, django_capture_on_commit_callbacks
):
    data = fake_video(3 * PART + 1000)
    upload = _started(client, lecture, data)
    assert (upload["part_size"], upload["parts_count"], upload["state"]) == (PART, 4, "open")
    assert upload["parts"] == []
    assert upload["concurrency"] == 3

    # Parts may arrive in any order.
    etags = {}
    for number in (3, 1, 4, 2):
        url = client.post(f"/api/v1/uploads/{upload['id']}/parts/{number}/url").json()
        assert url["direct"] is False
        assert url["size"] == min(PART, len(data) - (number - 1) * PART)
        response = client.put(
            url["url"], data=part_bytes(data, PART, number), content_type="application/octet-stream"
        )
        assert response.status_code == 200
        etags[number] = response["ETag"]
    state = client.get(f"/api/v1/uploads/{upload['id']}").json()
    assert [(p["number"], p["size"], p["etag"]) for p in state["parts"]] == [
        (n, min(PART, len(data) - (n - 1) * PART), etags[n]) for n in (1, 2, 3, 4)
    ]

    with django_capture_on_commit_callbacks() as callbacks:
        response = complete(
            client, upload["id"], [{"number": n, "etag": e} for n, e in etags.items()]
        )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["upload"]["state"] == "completed"
    asset = VideoAsset.objects.get(pk=body["video"]["asset"])
    assert small_parts.open(asset.original.name).read() == data
    assert asset.original_filename == "1강 소개.mp4"
    assert asset.original_size_bytes == len(data)
    assert body["video"]["active"] is True
    assert body["video"]["job_state"] == "queued"
    assert len(callbacks) == 1  # the transcode task, sent after commit
    lecture.refresh_from_db()
    assert lecture.video == asset
    assert lecture.pending_video is None
    assert not any(_parts_dir(small_parts).iterdir())
    assert not UploadPart.objects.exists()


def test_completing_twice_returns_the_same_video(client, lecture):
    data = fake_video(PART + 10)
    upload = _started(client, lecture, data)
    parts = send_all(client, upload, data)

    first = complete(client, upload["id"], parts).json()
    second = complete(client, upload["id"], parts)

    assert second.status_code == 200
    assert second.json()["video"]["asset"] == first["video"]["asset"]
    assert VideoAsset.objects.count() == 1
    assert TranscodeJob.objects.count() == 1


@pytest.mark.parametrize(
    ("size", "code"),
    [(0, "empty_file"), (10 * 1024 * 1024 + 1, "file_too_large")],
)
def test_start_refuses_an_empty_or_too_large_file(client, lecture, size, code):
    response = start(client, lecture, fake_video(HEAD), size=size)

    assert response.status_code == 400
    assert response.json()["code"] == code
    assert not Upload.objects.exists()


@pytest.mark.parametrize(
    ("head", "code", "detected"),
    [
        (
            b"#EXTM3U\n#EXTINF:10,\nhttp://169.254.169.254/x.ts\n",
            "playlist_or_reference_file",
            "playlist",
        ),
        (b"ffconcat version 1.0\nfile '/etc/passwd'\n", "playlist_or_reference_file", "playlist"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "not_a_video", "image"),
        ("강의 노트입니다.\n".encode() * 20, "not_a_video", "text"),
    ],
    ids=["hls", "concat", "png", "text"],
)
def test_start_refuses_a_file_whose_first_bytes_are_no_video_whatever_its_name(
    client, lecture, head, code, detected
):
    response = start(client, lecture, head, filename="lecture.mp4", content_type="video/mp4")

    assert response.status_code == 422
    assert response.json()["code"] == code
    assert response.json()["extra"] == {"detected": detected}
    assert response.json()["message"]
    assert not Upload.objects.exists()


def test_a_declared_type_that_is_not_video_is_only_a_hint(client, lecture):
    response = start(client, lecture, fake_video(PART), content_type="application/pdf")

    assert response.status_code == 201


def test_start_refuses_a_head_of_the_wrong_length(client, lecture):
    data = fake_video(2 * PART)

    response = start(client, lecture, data, head=data[:100])

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_head"


def test_a_first_part_that_is_a_playlist_cancels_the_upload_before_more_is_accepted(
    client, lecture, small_parts
):
    playlist = b"#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\nfile:///etc/passwd\n"
    data = fake_video(2 * PART)
    upload = _started(client, lecture, data)  # a client that lied about the head
    body = (playlist + b"\n" * PART)[:PART]

    response = put_part(client, upload["id"], 1, body)

    assert response.status_code == 422
    assert response.json()["code"] == "playlist_or_reference_file"
    row = Upload.objects.get(pk=upload["id"])
    assert (row.state, row.failure_code) == ("aborted", "playlist_or_reference_file")
    assert row.parts_deleted_at is not None
    assert not any(_parts_dir(small_parts).iterdir())
    again = put_part(client, upload["id"], 2, part_bytes(data, PART, 2))
    assert again.status_code == 409
    assert again.json()["code"] == "upload_aborted"
    shown = client.get(f"/api/v1/uploads/{upload['id']}").json()
    assert shown["state"] == "aborted"
    assert shown["failure_code"] == "playlist_or_reference_file"
    assert shown["failure_message"] == response.json()["message"]


@pytest.mark.parametrize("number", [0, 4, 99])
def test_a_part_number_out_of_range_is_refused(client, lecture, number):
    upload = _started(client, lecture, fake_video(3 * PART))

    url = client.post(f"/api/v1/uploads/{upload['id']}/parts/{number}/url")
    put = put_part(client, upload["id"], number, b"x" * PART)

    assert url.status_code == 400
    assert url.json()["code"] == "part_number_out_of_range"
    assert put.status_code == 400
    assert put.json()["code"] == "part_number_out_of_range"
    assert not UploadPart.objects.exists()


def test_a_part_of_the_wrong_size_is_refused_and_stored_parts_are_kept(client, lecture):
    data = fake_video(3 * PART)
    upload = _started(client, lecture, data)
    first = put_part(client, upload["id"], 1, part_bytes(data, PART, 1))

    short = put_part(client, upload["id"], 2, part_bytes(data, PART, 2)[:-1])
    long = put_part(client, upload["id"], 1, part_bytes(data, PART, 1) + b"x")

    assert short.status_code == 400
    assert short.json()["code"] == "part_size_mismatch"
    assert short.json()["extra"] == {"number": 2, "expected": PART, "received": PART - 1}
    assert long.status_code == 400
    state = client.get(f"/api/v1/uploads/{upload['id']}").json()
    assert [(p["number"], p["etag"]) for p in state["parts"]] == [(1, first["ETag"])]


def test_a_repeated_part_with_the_same_bytes_changes_nothing_and_other_bytes_are_refused(
    client, lecture, small_parts
):
    data = fake_video(2 * PART + 5)
    upload = _started(client, lecture, data)
    first = put_part(client, upload["id"], 2, part_bytes(data, PART, 2))

    same = put_part(client, upload["id"], 2, part_bytes(data, PART, 2))
    other = put_part(client, upload["id"], 2, fake_video(PART, seed=7))

    assert same.status_code == 200
    assert same["ETag"] == first["ETag"]
    assert other.status_code == 409
    assert other.json()["code"] == "part_conflict"
    parts = send_all(client, upload, data)
    assert complete(client, upload["id"], parts).status_code == 200
    asset = VideoAsset.objects.get()
    assert small_parts.open(asset.original.name).read() == data


def test_a_body_cut_short_confirms_nothing(lecture, instructor, client):
    data = fake_video(2 * PART)
    upload = Upload.objects.get(pk=_started(client, lecture, data)["id"])

    with pytest.raises(uploads.AppError) as refused:
        uploads.upload_part_receive(
            upload=upload, number=1, stream=io.BytesIO(data[: PART // 2]), content_length=PART
        )

    assert refused.value.code == "part_incomplete"
    assert not UploadPart.objects.exists()


def test_a_part_without_content_length_is_refused(lecture, client):
    upload = Upload.objects.get(pk=_started(client, lecture, fake_video(PART))["id"])

    with pytest.raises(uploads.AppError) as refused:
        uploads.upload_part_receive(
            upload=upload, number=1, stream=io.BytesIO(b""), content_length=None
        )

    assert (refused.value.status_code, refused.value.code) == (411, "length_required")


@pytest.mark.parametrize("state", ["completed", "aborted", "expired"])
def test_no_part_is_accepted_for_a_finished_upload(client, lecture, state):
    data = fake_video(2 * PART)
    upload = _started(client, lecture, data)
    first = put_part(client, upload["id"], 1, part_bytes(data, PART, 1))
    if state == "completed":
        second = put_part(client, upload["id"], 2, part_bytes(data, PART, 2))
        parts = [{"number": 1, "etag": first["ETag"]}, {"number": 2, "etag": second["ETag"]}]
        assert complete(client, upload["id"], parts).status_code == 200
    elif state == "aborted":
        assert client.delete(f"/api/v1/uploads/{upload['id']}").status_code == 200
    else:
        Upload.objects.filter(pk=upload["id"]).update(expires_at=timezone.now())

    url = client.post(f"/api/v1/uploads/{upload['id']}/parts/2/url")
    put = put_part(client, upload["id"], 2, part_bytes(data, PART, 2))

    assert url.status_code == 409
    assert url.json()["code"] == f"upload_{state}"
    assert put.status_code == 409
    assert put.json()["code"] == f"upload_{state}"


def test_complete_names_the_parts_that_are_missing(client, lecture):
    data = fake_video(3 * PART)
    upload = _started(client, lecture, data)
    first = put_part(client, upload["id"], 1, part_bytes(data, PART, 1))

    response = complete(
        client,
        upload["id"],
        [
            {"number": 1, "etag": first["ETag"]},
            {"number": 2, "etag": '"x"'},
            {"number": 3, "etag": '"y"'},
        ],
    )

    assert response.status_code == 409
    assert (response.json()["code"], response.json()["extra"]) == (
        "parts_missing",
        {"missing": [2, 3]},
    )
    assert Upload.objects.get(pk=upload["id"]).state == "open"


def test_complete_refuses_an_etag_the_server_does_not_hold(client, lecture):
    data = fake_video(2 * PART)
    upload = _started(client, lecture, data)
    parts = send_all(client, upload, data)
    parts[1]["etag"] = '"0123456789abcdef0123456789abcdef"'

    response = complete(client, upload["id"], parts)

    assert response.status_code == 409
    assert (response.json()["code"], response.json()["extra"]) == (
        "part_etag_mismatch",
        {"parts": [2]},
    )
    assert not VideoAsset.objects.exists()


def test_cancelling_deletes_the_parts_and_is_idempotent_but_a_completed_upload_stays(
    client, lecture, small_parts
):
    data = fake_video(2 * PART)
    upload = _started(client, lecture, data)
    put_part(client, upload["id"], 1, part_bytes(data, PART, 1))
    assert any(_parts_dir(small_parts).iterdir())

    first = client.delete(f"/api/v1/uploads/{upload['id']}")
    second = client.delete(f"/api/v1/uploads/{upload['id']}")

    assert first.status_code == second.status_code == 200
    assert first.json()["state"] == "aborted"
    assert not any(_parts_dir(small_parts).iterdir())
    assert not UploadPart.objects.exists()
    done = _started(client, lecture, data)
    assert complete(client, done["id"], send_all(client, done, data)).status_code == 200
    refused = client.delete(f"/api/v1/uploads/{done['id']}")
    assert refused.status_code == 409
    assert refused.json()["code"] == "upload_completed"


def test_each_part_pushes_the_expiry_ahead(client, lecture, settings):
    settings.UPLOAD_EXPIRE_HOURS = 1
    data = fake_video(2 * PART)
    upload = _started(client, lecture, data)
    Upload.objects.filter(pk=upload["id"]).update(expires_at=timezone.now() + timedelta(minutes=1))

    put_part(client, upload["id"], 1, part_bytes(data, PART, 1))

    expires = Upload.objects.get(pk=upload["id"]).expires_at
    assert expires > timezone.now() + timedelta(minutes=59)


def test_the_api_needs_the_csrf_token_with_a_session(instructor, lecture):
    client = Client(enforce_csrf_checks=True)
    client.force_login(instructor)

    response = start(client, lecture, fake_video(PART))

    assert response.status_code == 403
    assert not Upload.objects.exists()


def test_reading_an_upload_takes_a_bounded_number_of_queries(
    client, lecture, django_assert_max_num_queries
):
    data = fake_video(3 * PART)
    upload = _started(client, lecture, data)
    send_all(client, upload, data)

    with django_assert_max_num_queries(8):
        response = client.get(f"/api/v1/uploads/{upload['id']}")

    assert len(response.json()["parts"]) == 3


def test_the_upload_endpoints_are_in_the_openapi_schema(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()

    paths = schema["paths"]
    assert "/api/v1/uploads" in paths
    assert "put" in paths["/api/v1/uploads/{upload_id}/parts/{number}"]
    for path in (
        "/api/v1/uploads/{upload_id}",
        "/api/v1/uploads/{upload_id}/parts/{number}/url",
        "/api/v1/uploads/{upload_id}/complete",
        "/api/v1/videos/{asset_id}/status",
        "/api/v1/videos/{asset_id}/cancel",
        "/api/v1/videos/{asset_id}/retry",
    ):
        assert path in paths


# --- who may do what -------------------------------------------------------------------------

ROLES = ["visitor", "member", "other instructor", "co-instructor", "staff", "owner"]


def _client_for(role: str, owner, course) -> Client:
    client = Client()
    user = {
        "visitor": None,
        "member": lambda: UserFactory(),
        "other instructor": lambda: UserFactory(is_instructor=True),
        "co-instructor": lambda: _co_instructor(course),
        "staff": lambda: UserFactory(is_staff=True),
        "owner": lambda: owner,
    }[role]
    if user is not None:
        client.force_login(user())
    return client


def _co_instructor(course):
    user = UserFactory(is_instructor=True)
    course.instructors.add(user)
    return user


@pytest.mark.parametrize("role", ROLES)
def test_who_may_start_an_upload_for_a_lecture(role, instructor, lecture):
    client = _client_for(role, instructor, lecture.course)

    response = start(client, lecture, fake_video(PART))

    expected = {
        "visitor": 403,
        "member": 404,
        "other instructor": 404,
        "co-instructor": 201,
        "staff": 201,
        "owner": 201,
    }[role]
    assert response.status_code == expected
    assert Upload.objects.exists() == (expected == 201)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint", ["get", "url", "put", "complete", "delete"])
def test_an_upload_is_only_its_owners(role, endpoint, instructor, client, lecture):
    data = fake_video(PART)
    upload = _started(client, lecture, data)
    other = _client_for(role, instructor, lecture.course)
    base = f"/api/v1/uploads/{upload['id']}"

    response = {
        "get": lambda: other.get(base),
        "url": lambda: other.post(f"{base}/parts/1/url"),
        "put": lambda: put_part(other, upload["id"], 1, data),
        "complete": lambda: complete(other, upload["id"], [{"number": 1, "etag": '"x"'}]),
        "delete": lambda: other.delete(base),
    }[endpoint]()

    if role == "owner":
        assert response.status_code in (200, 409)  # 409: complete before the part arrived
    else:
        assert response.status_code == (403 if role == "visitor" else 404)
        row = Upload.objects.get(pk=upload["id"])
        assert row.state == "open"
        assert not row.parts.exists()


def test_an_instructor_removed_from_the_course_loses_the_upload(client, instructor, lecture):
    upload = _started(client, lecture, fake_video(PART))
    lecture.course.instructors.remove(instructor)

    assert client.get(f"/api/v1/uploads/{upload['id']}").status_code == 404


def test_a_person_may_hold_only_so_many_unfinished_uploads(client, lecture, settings):
    settings.UPLOAD_MAX_OPEN_PER_USER = 2
    data = fake_video(PART)
    first = _started(client, lecture, data)
    _started(client, lecture, data)

    refused = start(client, lecture, data)
    client.delete(f"/api/v1/uploads/{first['id']}")
    accepted = start(client, lecture, data)

    assert refused.status_code == 409
    assert refused.json()["code"] == "too_many_uploads"
    assert accepted.status_code == 201
