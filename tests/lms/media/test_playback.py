import re
from unittest import mock

import pytest
from django.test import Client

from lms.catalog.models import LectureCaption, Status
from lms.media.models import VideoVersion
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _signed_urls(text: str) -> list[str]:
    return re.findall(r"/play/f/[^\s\"]+", text)


def test_visitors_are_sent_to_sign_in(client, ready_lecture):
    response = client.get(f"/play/lectures/{ready_lecture.pk}/master.m3u8")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_master_playlist_points_back_at_the_platform(member_client, ready_lecture):
    response = member_client.get(f"/play/lectures/{ready_lecture.pk}/master.m3u8")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.apple.mpegurl"
    assert "private" in response["Cache-Control"]
    text = response.content.decode()
    version = ready_lecture.video.current_version
    assert f"/play/lectures/{ready_lecture.pk}/v{version.pk}/" in text
    assert "BANDWIDTH=" in text
    assert "CODECS=" in text


def test_media_playlist_gives_signed_urls_that_serve_byte_ranges(member_client, ready_lecture):
    master = member_client.get(f"/play/lectures/{ready_lecture.pk}/master.m3u8").content.decode()
    variant = next(line for line in master.splitlines() if line.startswith("/play/"))
    playlist = member_client.get(variant).content.decode()
    url = _signed_urls(playlist)[0]
    first_range = re.search(r'BYTERANGE="(\d+)@(\d+)"', playlist)
    length, offset = int(first_range.group(1)), int(first_range.group(2))

    anonymous = Client()  # the signed URL alone opens the file, as a CDN would fetch it
    response = anonymous.get(url, HTTP_RANGE=f"bytes={offset}-{offset + length - 1}")

    assert response.status_code == 206
    body = b"".join(response.streaming_content)
    assert len(body) == length
    assert body[4:8] == b"ftyp"  # the init segment of an fMP4 file
    assert response["Content-Range"].startswith(f"bytes {offset}-{offset + length - 1}/")
    assert response["Content-Type"] == "video/mp4"


def test_a_tampered_or_renamed_signed_url_is_refused(member_client, ready_lecture):
    master = member_client.get(f"/play/lectures/{ready_lecture.pk}/master.m3u8").content.decode()
    variant = next(line for line in master.splitlines() if line.startswith("/play/"))
    url = _signed_urls(member_client.get(variant).content.decode())[0]
    token = url.split("/")[3]

    assert Client().get(url.rsplit("/", 1)[0] + "/poster.jpg").status_code == 403
    assert Client().get(url.replace(token, token[:-2] + "xx")).status_code == 403


def test_a_signed_url_expires(member_client, ready_lecture, settings):
    settings.PLAYBACK_URL_TTL_SECONDS = 60
    master = member_client.get(f"/play/lectures/{ready_lecture.pk}/master.m3u8").content.decode()
    variant = next(line for line in master.splitlines() if line.startswith("/play/"))
    url = _signed_urls(member_client.get(variant).content.decode())[0]
    import time

    later = time.time() + 61
    with mock.patch("django.core.signing.time.time", return_value=later):
        response = Client().get(url)
    assert response.status_code == 403
    assert "expired" in response.content.decode() or "만료" in response.content.decode()


def test_a_playlist_of_another_lecture_cannot_be_reached_through_this_one(
    member_client, ready_lecture
):
    from tests.factories import LectureFactory

    other = LectureFactory(course=ready_lecture.course, position=3)
    other_version = VideoVersion.objects.create(
        asset=ready_lecture.video, number=99, storage_prefix="videos/x/99/"
    )
    url = f"/play/lectures/{ready_lecture.pk}/v{other_version.pk}/180p/index.m3u8"
    assert member_client.get(url).status_code == 404  # not ready
    assert member_client.get(f"/play/lectures/{other.pk}/master.m3u8").status_code == 404
    current = ready_lecture.video.current_version_id
    escape = f"/play/lectures/{ready_lecture.pk}/v{current}/../../1/master.m3u8"
    assert member_client.get(escape).status_code == 404


@pytest.mark.parametrize("status", [Status.DRAFT, Status.ARCHIVED])
def test_unpublished_lectures_play_only_for_their_instructors_and_staff(
    client, ready_lecture, status
):
    ready_lecture.status = status
    ready_lecture.save()
    instructor = UserFactory(is_instructor=True)
    ready_lecture.course.instructors.add(instructor)
    url = f"/play/lectures/{ready_lecture.pk}/master.m3u8"

    client.force_login(UserFactory())
    assert client.get(url).status_code == 404
    client.force_login(instructor)
    assert client.get(url).status_code == 200
    client.force_login(UserFactory(is_staff=True))
    assert client.get(url).status_code == 200


def test_captions_are_listed_as_subtitles_and_served_as_webvtt(member_client, ready_lecture):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from lms.studio.services import caption_upload

    caption_upload(
        lecture=ready_lecture,
        language="ko",
        upload=SimpleUploadedFile("k.srt", "1\n00:00:00,500 --> 00:00:02,000\n안녕\n".encode()),
    )
    master = member_client.get(f"/play/lectures/{ready_lecture.pk}/master.m3u8").content.decode()
    assert 'TYPE=SUBTITLES,GROUP-ID="subs"' in master
    assert 'LANGUAGE="ko"' in master
    assert 'SUBTITLES="subs"' in master
    caption_url = re.search(r'TYPE=SUBTITLES[^\n]*URI="([^"]+)"', master).group(1)
    playlist = member_client.get(caption_url).content.decode()
    vtt = b"".join(Client().get(_signed_urls(playlist)[0]).streaming_content).decode()
    assert vtt.startswith("WEBVTT")
    assert "안녕" in vtt
    assert LectureCaption.objects.count() == 1


def test_storyboard_track_has_signed_sprite_urls(member_client, ready_lecture):
    response = member_client.get(f"/play/lectures/{ready_lecture.pk}/storyboard.vtt")
    text = response.content.decode()
    assert text.startswith("WEBVTT")
    sprite = re.search(r"(/play/f/\S+?)#xywh=\d+,\d+,\d+,\d+", text).group(1)
    image = Client().get(sprite)
    assert image.status_code == 200
    assert image["Content-Type"] == "image/jpeg"


def test_a_malformed_range_is_answered_416(member_client, ready_lecture):
    storyboard = member_client.get(f"/play/lectures/{ready_lecture.pk}/storyboard.vtt")
    sprite = re.search(r"(/play/f/\S+?)#xywh", storyboard.content.decode()).group(1)
    assert Client().get(sprite, HTTP_RANGE="bytes=999999999-").status_code == 416
    assert Client().get(sprite, HTTP_RANGE="lines=1-2").status_code == 416


def test_a_master_stored_with_an_audio_only_variant_is_served_without_it(
    member_client, ready_lecture
):
    """Packages made before issue 23 list the audio rendition again as an audio-only variant,
    which makes VLC 3 play no video; the served master leaves it out and keeps the audio."""
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    version = ready_lecture.video.current_version
    with default_storage.open(version.master_playlist_path, "rb") as handle:
        stored = handle.read().decode()
    old = (
        stored + '#EXT-X-STREAM-INF:BANDWIDTH=138447,AVERAGE-BANDWIDTH=131000,CODECS="mp4a.40.2",'
        'AUDIO="audio"\naudio/index.m3u8\n'
    )
    default_storage.delete(version.master_playlist_path)
    default_storage.save(version.master_playlist_path, ContentFile(old.encode()))

    text = member_client.get(f"/play/lectures/{ready_lecture.pk}/master.m3u8").content.decode()

    stream_infs = [line for line in text.splitlines() if line.startswith("#EXT-X-STREAM-INF:")]
    assert stream_infs
    assert all("RESOLUTION=" in line for line in stream_infs)
    variants = [line for line in text.splitlines() if line.startswith("/play/")]
    assert len(variants) == len(stream_infs)
    assert not any(line.endswith("/audio/index.m3u8") for line in variants)
    assert re.search(r'#EXT-X-MEDIA:TYPE=AUDIO,.*URI="/play/[^"]+/audio/index\.m3u8"', text)
