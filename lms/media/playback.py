"""Playback: playlists served after the access check, media files through short-lived signed
URLs (DESIGN.md "Media pipeline" 8).

The master and media playlists are small text files that Django reads from storage and
rewrites on each request: variant and caption playlists point back at the platform (which
checks access again), and every media file (fMP4 renditions, sprites, caption files) gets a
signed URL. In S3 mode that is a presigned S3 URL, so the video bytes never pass through
Django; in the embedded mode it is a signed platform URL served with byte ranges.
"""

import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.files.storage import Storage, default_storage
from django.urls import reverse
from storages.backends.s3 import S3Storage

from lms.catalog.models import Lecture

from .models import VideoVersion

_SALT = "lms.media.playback"
_URI_ATTRIBUTE = re.compile(r'URI="([^"]+)"')
# Only what a video version or a caption track consists of can be signed and served.
SERVABLE_PREFIXES = ("videos/", "captions/")


def url_ttl_seconds() -> int:
    return int(settings.PLAYBACK_URL_TTL_SECONDS)


@dataclass(frozen=True)
class SignedFile:
    name: str
    lecture_id: int


def sign_file(*, name: str, lecture_id: int, storage: Storage | None = None) -> str:
    """A URL for one stored file, valid for `url_ttl_seconds()`, bound to that file."""
    storage = storage or default_storage
    if not name.startswith(SERVABLE_PREFIXES) or ".." in name.split("/"):
        raise ValueError(f"not a playback file: {name!r}")
    wrapped = getattr(storage, "_wrapped", storage)
    if isinstance(wrapped, S3Storage):
        return str(wrapped.url(name, expire=url_ttl_seconds()))  # S3Storage.url takes an expiry
    token = signing.TimestampSigner(salt=_SALT).sign_object({"n": name, "l": lecture_id})
    return reverse("media:signed_file", args=[token, posixpath.basename(name)])


def unsign_file(token: str) -> SignedFile:
    """Raises signing.BadSignature (or SignatureExpired, a subclass) for a bad or old URL."""
    data: dict[str, Any] = signing.TimestampSigner(salt=_SALT).unsign_object(
        token, max_age=url_ttl_seconds()
    )
    name = str(data["n"])
    if not name.startswith(SERVABLE_PREFIXES) or ".." in name.split("/"):
        raise signing.BadSignature("not a playback file")
    return SignedFile(name=name, lecture_id=int(data["l"]))


def rewrite_playlist(text: str, resolve: Callable[[str], str]) -> str:
    """Replace every URI in an HLS playlist (URI lines and URI="..." attributes)."""
    out = []
    for line in text.splitlines():
        if not line.strip():
            continue
        if line.startswith("#"):
            out.append(_URI_ATTRIBUTE.sub(lambda m: f'URI="{resolve(m.group(1))}"', line))
        else:
            out.append(resolve(line.strip()))
    return "\n".join(out) + "\n"


def _relative(version: VideoVersion, base_dir: str, uri: str) -> str:
    """A storage name for a URI found in a playlist under `base_dir`, kept inside the
    version's prefix."""
    name = posixpath.normpath(posixpath.join(base_dir, uri))
    prefix = version.storage_prefix.rstrip("/") + "/"
    if not name.startswith(prefix):
        raise ValueError(f"playlist points outside its version: {uri!r}")
    return name


def without_audio_only_variants(text: str) -> str:
    """A master playlist without its audio-only variants (an EXT-X-STREAM-INF without
    RESOLUTION), which packages made before the pipeline stopped writing them still list:
    VLC 3 puts such a variant and the video variants in one adaptation set and then plays
    the audio alone. The player offers "audio only" from the audio rendition instead."""
    out: list[str] = []
    skip_uri = False
    for line in text.splitlines():
        if line.startswith("#EXT-X-STREAM-INF:") and "RESOLUTION=" not in line:
            skip_uri = True
            continue
        if skip_uri and line.strip() and not line.startswith("#"):
            skip_uri = False
            continue
        out.append(line)
    return "\n".join(out) + "\n"


def master_playlist(*, lecture: Lecture, version: VideoVersion) -> str:
    """The version's master playlist for one lecture, with the lecture's caption tracks
    listed as SUBTITLES."""
    with default_storage.open(version.master_playlist_path, "rb") as handle:
        text = without_audio_only_variants(handle.read().decode("utf-8"))
    base_dir = posixpath.dirname(version.master_playlist_path)

    def resolve(uri: str) -> str:
        name = _relative(version, base_dir, uri)
        path = name[len(version.storage_prefix.rstrip("/")) + 1 :]
        return reverse("media:playlist", args=[lecture.pk, version.pk, path])

    text = rewrite_playlist(text, resolve)
    captions = list(lecture.captions.all().order_by("language"))
    if not captions:
        return text
    media_lines = []
    for caption in captions:
        uri = reverse("media:caption_playlist", args=[lecture.pk, caption.language])
        media_lines.append(
            '#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",'
            f'NAME="{caption.get_language_display()}",LANGUAGE="{caption.language}",'
            f'DEFAULT=NO,AUTOSELECT=YES,URI="{uri}"'
        )
    lines = text.splitlines()
    out: list[str] = []
    for line in lines:
        if line.startswith("#EXT-X-STREAM-INF:"):
            if media_lines:
                out.extend(media_lines)
                media_lines = []
            line += ',SUBTITLES="subs"'
        out.append(line)
    return "\n".join(out) + "\n"


def media_playlist(*, lecture: Lecture, version: VideoVersion, path: str) -> str:
    """A rendition's playlist with signed URLs for its media file."""
    name = _relative(version, version.storage_prefix, path)
    if not name.endswith(".m3u8"):
        raise ValueError("not a playlist")
    with default_storage.open(name, "rb") as handle:
        text = handle.read().decode("utf-8")
    base_dir = posixpath.dirname(name)
    signed: dict[str, str] = {}

    def resolve(uri: str) -> str:
        # One signature per file: a rendition's playlist names the same file per segment.
        if uri not in signed:
            signed[uri] = sign_file(name=_relative(version, base_dir, uri), lecture_id=lecture.pk)
        return signed[uri]

    return rewrite_playlist(text, resolve)


def caption_playlist(*, lecture: Lecture, caption_name: str) -> str:
    """WebVTT captions wrapped in a one-segment HLS playlist, as players expect them."""
    duration = max(1, int(lecture.duration_seconds or 1))
    url = sign_file(name=caption_name, lecture_id=lecture.pk)
    return (
        "#EXTM3U\n#EXT-X-VERSION:3\n"
        f"#EXT-X-TARGETDURATION:{duration}\n#EXT-X-MEDIA-SEQUENCE:0\n"
        "#EXT-X-PLAYLIST-TYPE:VOD\n"
        f"#EXTINF:{duration}.0,\n{url}\n#EXT-X-ENDLIST\n"
    )


def storyboard_track(*, lecture: Lecture, version: VideoVersion) -> str:
    """The storyboard's WebVTT thumbnail track with signed sprite URLs."""
    with default_storage.open(version.storyboard_path, "rb") as handle:
        text = handle.read().decode("utf-8")
    base_dir = posixpath.dirname(version.storyboard_path)
    signed: dict[str, str] = {}

    def sign_sprite(match: re.Match[str]) -> str:
        sprite = match.group(1)
        if sprite not in signed:
            signed[sprite] = sign_file(
                name=_relative(version, base_dir, sprite), lecture_id=lecture.pk
            )
        return f"{signed[sprite]}#xywh="

    return re.sub(r"^(\S+?\.(?:jpg|jpeg|png|webp))#xywh=", sign_sprite, text, flags=re.M)
