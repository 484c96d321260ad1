"""The resumable upload protocol on a real S3 server (SeaweedFS): parts go straight to the
bucket through presigned URLs, never through Django."""

import pytest
import requests
from botocore.exceptions import ClientError
from django.test import Client

from lms.catalog.models import Lecture
from lms.media.models import Upload, VideoAsset
from tests.factories import CourseFactory, LectureFactory

from .uploading import complete, fake_video, part_bytes, put_part, start

pytestmark = [pytest.mark.django_db, pytest.mark.s3]

MIB = 1024 * 1024
PART = 5 * MIB  # S3's smallest part but the last; SeaweedFS enforces it too


@pytest.fixture(autouse=True)
def s3(settings, s3_storage):
    settings.UPLOAD_PART_SIZE = 64 * 1024  # raised to S3's minimum by the platform
    return s3_storage


@pytest.fixture
def lecture(instructor) -> Lecture:
    course = CourseFactory()
    course.instructors.add(instructor)
    return LectureFactory(course=course)


@pytest.fixture
def client(instructor) -> Client:
    client = Client()
    client.force_login(instructor)
    return client


def _key(s3_storage, upload_id: int) -> str:
    return f"{s3_storage.location}/{Upload.objects.get(pk=upload_id).key}"


def _send(client: Client, upload_id: int, number: int, body: bytes) -> requests.Response:
    target = client.post(f"/api/v1/uploads/{upload_id}/parts/{number}/url").json()
    assert target["direct"] is True
    assert target["method"] == "PUT"
    return requests.put(target["url"], data=body, timeout=30)


def test_parts_go_straight_to_the_bucket_and_complete_stores_the_object(
    client, lecture, s3_server, s3, django_capture_on_commit_callbacks
):
    data = fake_video(PART + 1000)
    upload = start(client, lecture, data).json()
    assert (upload["part_size"], upload["parts_count"]) == (PART, 2)

    sent = [_send(client, upload["id"], n, part_bytes(data, PART, n)) for n in (1, 2)]
    assert [r.status_code for r in sent] == [200, 200]
    held = client.get(f"/api/v1/uploads/{upload['id']}").json()["parts"]
    assert [(p["number"], p["size"], p["etag"]) for p in held] == [
        (1, PART, sent[0].headers["ETag"]),
        (2, 1000, sent[1].headers["ETag"]),
    ]
    stale = client.post(f"/api/v1/uploads/{upload['id']}/parts/1/url").json()["url"]
    with django_capture_on_commit_callbacks() as callbacks:
        response = complete(
            client,
            upload["id"],
            [{"number": n, "etag": r.headers["ETag"]} for n, r in zip((1, 2), sent, strict=True)],
        )

    assert response.status_code == 200, response.json()
    assert len(callbacks) == 1
    late = requests.put(stale, data=part_bytes(data, PART, 1), timeout=30)
    assert late.status_code == 404
    assert b"NoSuchUpload" in late.content
    bucket = s3_server.client()
    key = _key(s3, upload["id"])
    assert bucket.head_object(Bucket=s3_server.bucket, Key=key)["ContentLength"] == len(data)
    assert bucket.get_object(Bucket=s3_server.bucket, Key=key)["Body"].read() == data
    assert VideoAsset.objects.get().original.name == Upload.objects.get().key
    pending = bucket.list_multipart_uploads(Bucket=s3_server.bucket, Prefix=key)
    assert not pending.get("Uploads")


def test_a_presigned_part_url_writes_only_its_own_upload_part_and_size(client, lecture, s3_server):
    data = fake_video(PART + 1000)
    mine = start(client, lecture, data).json()
    other = start(client, lecture, data).json()
    target = client.post(f"/api/v1/uploads/{mine['id']}/parts/1/url").json()
    mine_id = Upload.objects.get(pk=mine["id"]).s3_upload_id
    other_id = Upload.objects.get(pk=other["id"]).s3_upload_id
    body = part_bytes(data, PART, 1)

    other_upload = requests.put(target["url"].replace(mine_id, other_id), data=body, timeout=30)
    other_part = requests.put(
        target["url"].replace("partNumber=1", "partNumber=2"), data=body[:1000], timeout=30
    )
    wrong_size = requests.put(target["url"], data=body[:-1], timeout=30)

    assert other_upload.status_code == other_part.status_code == wrong_size.status_code == 403
    assert client.get(f"/api/v1/uploads/{other['id']}").json()["parts"] == []
    assert client.get(f"/api/v1/uploads/{mine['id']}").json()["parts"] == []


def test_the_platform_does_not_take_the_parts_of_an_s3_upload(client, lecture):
    data = fake_video(PART + 1000)
    upload = start(client, lecture, data).json()

    response = put_part(client, upload["id"], 1, part_bytes(data, PART, 1))

    assert response.status_code == 409
    assert response.json()["code"] == "wrong_part_target"


def test_cancelling_aborts_the_multipart_upload_and_old_part_urls_stop_working(
    client, lecture, s3_server, s3
):
    data = fake_video(PART + 1000)
    upload = start(client, lecture, data).json()
    assert _send(client, upload["id"], 1, part_bytes(data, PART, 1)).status_code == 200
    target = client.post(f"/api/v1/uploads/{upload['id']}/parts/2/url").json()
    row = Upload.objects.get(pk=upload["id"])

    assert client.delete(f"/api/v1/uploads/{upload['id']}").status_code == 200

    late = requests.put(target["url"], data=part_bytes(data, PART, 2), timeout=30)
    assert late.status_code == 404
    assert b"NoSuchUpload" in late.content
    bucket = s3_server.client()
    with pytest.raises(ClientError) as gone:
        bucket.list_parts(Bucket=s3_server.bucket, Key=_key(s3, row.pk), UploadId=row.s3_upload_id)
    assert gone.value.response["Error"]["Code"] == "NoSuchUpload"
    refused = client.post(f"/api/v1/uploads/{upload['id']}/parts/2/url")
    assert refused.status_code == 409
    assert refused.json()["code"] == "upload_aborted"


def test_a_playlist_sent_straight_to_the_bucket_is_refused_at_complete_and_deleted(
    client, lecture, s3_server, s3
):
    # The client declares an MP4 head, then sends a playlist: the platform never saw the
    # parts, so complete reads the stored object's first bytes.
    playlist = b"#EXTM3U\n#EXTINF:10,\nhttp://169.254.169.254/latest/meta-data\n"
    data = (playlist + b"#" * PART)[: PART + 10]
    upload = start(client, lecture, data, head=fake_video(64 * 1024)).json()
    sent = [_send(client, upload["id"], n, part_bytes(data, PART, n)) for n in (1, 2)]

    response = complete(
        client,
        upload["id"],
        [{"number": n, "etag": r.headers["ETag"]} for n, r in zip((1, 2), sent, strict=True)],
    )

    assert response.status_code == 422
    assert response.json()["code"] == "playlist_or_reference_file"
    row = Upload.objects.get(pk=upload["id"])
    assert (row.state, row.failure_code) == ("aborted", "playlist_or_reference_file")
    with pytest.raises(ClientError):
        s3_server.client().head_object(Bucket=s3_server.bucket, Key=_key(s3, row.pk))
    assert not VideoAsset.objects.exists()


def test_complete_refuses_an_etag_the_bucket_does_not_hold(client, lecture):
    data = fake_video(PART + 1000)
    upload = start(client, lecture, data).json()
    sent = [_send(client, upload["id"], n, part_bytes(data, PART, n)) for n in (1, 2)]

    response = complete(
        client,
        upload["id"],
        [
            {"number": 1, "etag": sent[0].headers["ETag"]},
            {"number": 2, "etag": '"0123456789abcdef0123456789abcdef"'},
        ],
    )

    assert response.status_code == 409
    assert response.json()["extra"] == {"parts": [2]}
    assert Upload.objects.get(pk=upload["id"]).state == "open"


def test_the_bucket_cors_command_lets_the_platforms_pages_upload_and_read_etags(s3_server):
    from django.core.management import call_command

    call_command("upload_bucket_cors", origin=["https://lms.example.org"])

    rules = s3_server.client().get_bucket_cors(Bucket=s3_server.bucket)["CORSRules"]
    assert rules[0]["AllowedOrigins"] == ["https://lms.example.org"]
    assert "PUT" in rules[0]["AllowedMethods"]
    assert rules[0]["ExposeHeaders"] == ["ETag"]
    # Players read the video files in CORS mode (tests/browser/test_native_hls.py).
    assert "GET" in rules[0]["AllowedMethods"]
