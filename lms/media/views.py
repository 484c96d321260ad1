"""The media app's pages: playback (playlists after the access check, signed media files with
ranges) and the download of a video's uploaded original."""

import re
from collections.abc import Iterator

from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.files.storage import default_storage
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseForbidden,
    StreamingHttpResponse,
)
from django.http.response import HttpResponseBase
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from lms.accounts.requests import MemberRequest

from . import playback, selectors
from .files import stored_file_response
from .models import VideoVersion
from .storage import media_headers

PLAYLIST_TYPE = "application/vnd.apple.mpegurl"
# Playlists carry signed URLs that expire: no shared caches, and not for long.
PLAYLIST_CACHE = "private, max-age=30"
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
CHUNK = 256 * 1024


def _playlist(text: str) -> HttpResponse:
    response = HttpResponse(text, content_type=PLAYLIST_TYPE)
    response["Cache-Control"] = PLAYLIST_CACHE
    return response


@require_GET
@login_required
def master(request: MemberRequest, lecture_id: int) -> HttpResponse:
    lecture = selectors.access_lecture_playback(request.user, lecture_id=lecture_id)
    version = lecture.video.current_version  # type: ignore[union-attr]
    return _playlist(playback.master_playlist(lecture=lecture, version=version))  # type: ignore[arg-type]


@require_GET
@login_required
def playlist(request: MemberRequest, lecture_id: int, version_id: int, path: str) -> HttpResponse:
    lecture = selectors.access_lecture_playback(request.user, lecture_id=lecture_id)
    # Any ready version of the lecture's video whose files are still there: a member in the
    # middle of watching keeps the version they started with when a re-encode switches the
    # lecture to a new one, until the superseded version is purged (a day later by default).
    try:
        version = VideoVersion.objects.get(
            pk=version_id, asset_id=lecture.video_id, ready_at__isnull=False, purged_at=None
        )
    except VideoVersion.DoesNotExist as exc:
        raise Http404 from exc
    try:
        text = playback.media_playlist(lecture=lecture, version=version, path=path)
    except (ValueError, FileNotFoundError) as exc:
        raise Http404 from exc
    return _playlist(text)


@require_GET
@login_required
def caption_playlist(request: MemberRequest, lecture_id: int, language: str) -> HttpResponse:
    lecture = selectors.access_lecture_playback(request.user, lecture_id=lecture_id)
    caption = lecture.captions.filter(language=language).first()
    if caption is None:
        raise Http404
    return _playlist(playback.caption_playlist(lecture=lecture, caption_name=caption.file.name))


@require_GET
@login_required
def storyboard(request: MemberRequest, lecture_id: int) -> HttpResponse:
    lecture = selectors.access_lecture_playback(request.user, lecture_id=lecture_id)
    version = lecture.video.current_version  # type: ignore[union-attr]
    if not version or not version.storyboard_path:
        raise Http404
    text = playback.storyboard_track(lecture=lecture, version=version)
    response = HttpResponse(text, content_type="text/vtt; charset=utf-8")
    response["Cache-Control"] = PLAYLIST_CACHE
    return response


@require_GET
def signed_file(request: HttpRequest, token: str, filename: str) -> HttpResponseBase:
    """A media file behind a signed URL (embedded mode), with HTTP byte ranges, which the
    single-file fMP4 renditions need. The signature names the file: no other can be opened."""
    try:
        signed = playback.unsign_file(token)
    except signing.SignatureExpired:
        return HttpResponseForbidden(_("This playback link has expired. Reload the page."))
    except signing.BadSignature:
        return HttpResponseForbidden(_("This playback link is not valid."))
    if not signed.name.endswith("/" + filename):
        return HttpResponseForbidden(_("This playback link is not valid."))
    try:
        size = default_storage.size(signed.name)
    except (FileNotFoundError, OSError) as exc:
        raise Http404 from exc
    headers = media_headers(signed.name) or ("application/octet-stream", "private")
    content_type, cache = headers
    start, end = 0, size - 1
    status = 200
    header = request.headers.get("Range", "")
    if header:
        match = _RANGE.match(header.strip())
        if not match or (not match.group(1) and not match.group(2)):
            return _unsatisfiable(size)
        if match.group(1):
            start = int(match.group(1))
            end = min(int(match.group(2)), size - 1) if match.group(2) else size - 1
        else:  # a suffix range: the last N bytes
            start = max(0, size - int(match.group(2)))
        if start > end or start >= size:
            return _unsatisfiable(size)
        status = 206
    handle = default_storage.open(signed.name, "rb")
    handle.seek(start)
    length = end - start + 1

    def chunks() -> Iterator[bytes]:
        remaining = length
        try:
            while remaining > 0:
                data = handle.read(min(CHUNK, remaining))
                if not data:
                    break
                remaining -= len(data)
                yield data
        finally:
            handle.close()

    response = StreamingHttpResponse(chunks(), status=status, content_type=content_type)
    response["Content-Length"] = str(length)
    # Never a document of the platform's origin, whatever a file turns out to hold.
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox"
    response["Accept-Ranges"] = "bytes"
    response["Cache-Control"] = cache
    if status == 206:
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
    return response


def _unsatisfiable(size: int) -> HttpResponse:
    response = HttpResponse(status=416)
    response["Content-Range"] = f"bytes */{size}"
    return response


@require_GET
@login_required
def original_download(request: MemberRequest, asset_id: int) -> HttpResponseBase:
    """The file an instructor uploaded, to its lectures' editors and staff, as a download."""
    asset = selectors.access_video(request.user, asset_id=asset_id)
    if not asset.original:
        raise Http404
    return stored_file_response(
        name=asset.original.name,
        content_type="application/octet-stream",
        download_name=asset.original_filename or f"video-{asset.pk}",
    )
